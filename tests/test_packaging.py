"""The wheel carries the one manifest; npe2 accepts it; patterns match the dispatch table."""

import fnmatch
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from napari_afm_profiler.io.readers import napari_suffixes

ROOT = Path(__file__).resolve().parents[1]


def test_manifest_patterns_match_reader_dispatch():
    manifest = yaml.safe_load((ROOT / "napari.yaml").read_text())
    patterns = manifest["contributions"]["readers"][0]["filename_patterns"]
    assert sorted(p[1:] for p in patterns if "[" not in p) == sorted(napari_suffixes())
    assert any(fnmatch.fnmatch("scan.003", p) for p in patterns)


def test_manifest_does_not_claim_ordinary_microscopy_files():
    """napari asks the user to choose a reader whenever two plugins claim a pattern: claim no generic one."""
    manifest = yaml.safe_load((ROOT / "napari.yaml").read_text())
    patterns = manifest["contributions"]["readers"][0]["filename_patterns"]
    for name in ("cells.tif", "cells.tiff", "stack.ome.tif", "array.npy", "confocal.czi", "scan.nd2", "tile.lif"):
        assert not any(fnmatch.fnmatch(name, p) for p in patterns), name
    assert any(fnmatch.fnmatch("export.afm.tif", p) for p in patterns)


def test_packaged_manifest_is_the_root_file():
    assert (ROOT / "src" / "napari_afm_profiler" / "napari.yaml").resolve() == (ROOT / "napari.yaml").resolve()


@pytest.mark.slow
def test_wheel_contains_identical_manifest(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, timeout=300)
    wheel = next(tmp_path.glob("napari_afm_profiler-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("napari_afm_profiler/napari.yaml") == (ROOT / "napari.yaml").read_bytes()
        model = ROOT / "src" / "napari_afm_profiler" / "deconv" / "models" / "default"
        for name in ("config.json", "weights.safetensors"):  # the default model ships in the wheel
            assert zf.read(f"napari_afm_profiler/deconv/models/default/{name}") == (model / name).read_bytes()
        assert not any(n.endswith("checkpoint.pt") for n in zf.namelist())
        entry_points = zf.read(next(n for n in zf.namelist() if n.endswith("entry_points.txt"))).decode()
    assert "napari-afm-profiler = napari_afm_profiler:napari.yaml" in entry_points
    assert "afm-profiler = napari_afm_profiler.cli:main" in entry_points


def test_npe2_validate():
    proc = subprocess.run([str(Path(sys.executable).parent / "npe2"), "validate", "napari-afm-profiler", "--imports"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid" in proc.stdout


def test_core_is_qt_free():
    code = ("import sys, napari_afm_profiler, napari_afm_profiler.io, napari_afm_profiler.cli;"
            "bad=[m for m in ('napari','qtpy','PyQt6','magicgui','torch') if m in sys.modules];"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
