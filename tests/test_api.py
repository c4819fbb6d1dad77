"""The scripting API: ``import napari_afm_profiler as ap`` is light, and every public function is documented by example."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import pytest

import napari_afm_profiler as ap

SUBPACKAGES = ["batch", "classify", "deconv", "io", "particles", "preprocess", "roughness", "synth", "tip"]


def _public_functions():
    for sub in SUBPACKAGES:
        module = importlib.import_module(f"napari_afm_profiler.{sub}")
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{sub}.{name}", obj


def test_import_is_light():
    code = ("import sys, time; t = time.perf_counter(); import napari_afm_profiler as ap; dt = time.perf_counter() - t; "
            "heavy = [m for m in ('numpy', 'torch', 'napari', 'qtpy', 'PyQt6', 'sklearn') if m in sys.modules]; "
            "print(dt, heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(maxsplit=1)
    assert out[1].strip() == "[]", out
    assert float(out[0]) < 0.5


def test_curated_names_resolve_to_the_core_functions():
    from napari_afm_profiler.classify.evaluation import evaluate
    from napari_afm_profiler.deconv.infer import deconvolve
    from napari_afm_profiler.io.readers import read
    from napari_afm_profiler.preprocess.background import level
    from napari_afm_profiler.roughness.compute import surface_parameters
    from napari_afm_profiler.roughness.tables import region_table

    assert (ap.read, ap.level, ap.deconvolve) == (read, level, deconvolve)
    assert (ap.roughness.parameters, ap.roughness.regions) == (surface_parameters, region_table)
    assert ap.classify.evaluate is evaluate and callable(ap.batch.run)
    assert {"dilate", "erode", "certainty_map", "estimate_tip", "make_tip"} <= set(dir(ap.tip))


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_no_public_name_is_shadowed_by_a_submodule(sub):
    """Importing a submodule sets it as a package attribute: a function of the same name would vanish."""
    module = importlib.import_module(f"napari_afm_profiler.{sub}")
    submodules = {m.name for m in pkgutil.iter_modules(module.__path__)}
    assert not submodules & set(module.__all__)


def test_every_public_function_has_an_example_and_an_explicit_signature():
    missing = [name for name, func in _public_functions() if "Examples\n" not in (func.__doc__ or "")]
    hidden = [name for name, func in _public_functions()
              if any(p.kind is p.VAR_KEYWORD for p in inspect.signature(func).parameters.values())]
    assert not missing, f"no Examples section: {missing}"
    assert not hidden, f"**kwargs hides the signature: {hidden}"


def test_every_steps_generator_has_a_plain_function():
    names = {name for name, _ in _public_functions()}
    lonely = [n for n in names if n.endswith("_steps") and n[:-6] not in names
              and n not in ("batch.run_batch_steps", "roughness.channel_table_steps")]
    assert not lonely
    assert "batch.run" in names and "roughness.channel_table" in names


def test_old_levelling_module_still_works_with_a_deprecation_warning():
    import importlib
    import sys

    import numpy as np

    sys.modules.pop("napari_afm_profiler.io.level", None)
    with pytest.warns(DeprecationWarning, match="preprocess"):
        old = importlib.import_module("napari_afm_profiler.io.level")
    assert old.level_plane(np.add.outer(np.arange(4.0), np.arange(5.0))).max() < 1e-9
