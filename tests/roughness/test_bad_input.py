"""Bad input: flat and empty areas give None with a reason, never a crash or a silent 0."""

from pathlib import Path

import numpy as np
import pytest

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.roughness import PARAMETERS, RoughnessSettings, surface_parameters
from napari_afm_profiler.roughness.registry import parameter_table_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "roughness.md"


def test_constant_surface():
    r = surface_parameters(np.full((64, 64), 3.0), pixel_size_nm=1.0)
    assert abs(r.values["Sa"]) < 1e-12 and abs(r.values["Sq"]) < 1e-12
    undefined = [k for k, v in r.values.items() if v is None]
    assert {"Ssk", "Sku", "Sal", "Str", "Std", "Ssw", "Sk", "Spd", "S5p", "Sfd_psd", "Sbi", "Sds"} <= set(undefined)
    assert all(any(k in w for w in r.warnings) for k in undefined)


def test_all_nan_image():
    r = surface_parameters(np.full((32, 32), np.nan), pixel_size_nm=1.0)
    assert all(v is None for v in r.values.values())
    assert r.warnings and "no valid pixels" in r.warnings[0]


def test_nan_pixels_are_left_out():
    z = np.random.default_rng(0).normal(size=(64, 64))
    holey = z.copy()
    holey[10:20, 10:20] = np.nan
    mask = np.isfinite(holey)
    a = surface_parameters(holey, pixel_size_nm=1.0).values
    b = surface_parameters(z, pixel_size_nm=1.0, mask=mask).values
    assert all(np.isfinite(v) for v in a.values() if v is not None)
    assert a == b


def test_tiny_area_warns_per_group():
    r = surface_parameters(np.array([[0.0, 1.0], [2.0, 0.5]]), pixel_size_nm=1.0)
    assert r.values["Sq"] is not None
    for key in ("Sal", "Sfd_psd", "Spd"):
        assert r.values[key] is None
        assert any(key in w for w in r.warnings)


@pytest.mark.parametrize("px", [None, 0.0, -1.0, float("nan"), (1.0, 0.0)])
def test_bad_pixel_size(px):
    with pytest.raises(InputError, match="pixel size"):
        surface_parameters(np.zeros((8, 8)), pixel_size_nm=px)


def test_bad_shapes_groups_and_settings():
    with pytest.raises(InputError, match="2D"):
        surface_parameters(np.zeros((2, 8, 8)), pixel_size_nm=1.0)
    with pytest.raises(InputError, match="mask shape"):
        surface_parameters(np.zeros((8, 8)), pixel_size_nm=1.0, mask=np.ones((8, 9), bool))
    with pytest.raises(InputError, match="unknown parameter group"):
        surface_parameters(np.zeros((8, 8)), pixel_size_nm=1.0, groups=["height", "colour"])
    with pytest.raises(InputError, match="percentage"):
        RoughnessSettings(smc_mr_pct=120.0)


def test_registry_and_documentation_table():
    assert len(PARAMETERS) >= 35
    for p in PARAMETERS.values():
        assert p.unit and p.definition and p.reference and p.name
    assert parameter_table_markdown() in DOCS.read_text(encoding="utf-8")
