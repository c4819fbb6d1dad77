import numpy as np
import tifffile

from napari_afm_profiler.io import read_afm


def test_ome_tiff_through_bioio(tmp_path):
    data = np.arange(2 * 16 * 20, dtype=np.uint16).reshape(2, 16, 20)
    path = tmp_path / "cells.ome.tif"
    tifffile.imwrite(path, data, ome=True, metadata={"axes": "CYX", "PhysicalSizeX": 0.5, "PhysicalSizeY": 0.25})
    scans = read_afm(path)
    assert len(scans) == 2
    assert np.array_equal(scans[1].data, data[1])
    assert np.allclose(scans[0].pixel_size_nm, (250.0, 500.0))


def test_imagej_tiff_with_nm_calibration(tmp_path):
    data = np.random.default_rng(0).random((12, 14)).astype(np.float32)
    path = tmp_path / "ij.tif"
    tifffile.imwrite(path, data, imagej=True, resolution=(1 / 3.0, 1 / 2.0), metadata={"unit": "nm"})
    scan = read_afm(path)[0]
    assert np.allclose(scan.pixel_size_nm, (2.0, 3.0))
    assert np.allclose(scan.data, data)


def test_ome_tiff_through_aicsimageio_when_bioio_is_absent(tmp_path, monkeypatch):
    """The optional ``[aicsimageio]`` path: runs where aicsimageio is installed (not in CI's environment)."""
    import sys

    import pytest

    pytest.importorskip("aicsimageio")
    monkeypatch.setitem(sys.modules, "bioio", None)  # importing bioio now raises ImportError
    data = np.arange(2 * 16 * 20, dtype=np.uint16).reshape(2, 16, 20)
    path = tmp_path / "cells.ome.tif"
    tifffile.imwrite(path, data, ome=True, metadata={"axes": "CYX", "PhysicalSizeX": 0.5, "PhysicalSizeY": 0.25})
    scans = read_afm(path)
    assert [s.metadata["reader"].split(".")[0] for s in scans] == ["aicsimageio", "aicsimageio"]
    assert np.array_equal(scans[1].data, data[1])
    assert np.allclose(scans[0].pixel_size_nm, (250.0, 500.0))
