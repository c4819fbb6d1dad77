import numpy as np
import pytest

from napari_afm_profiler.errors import AfmProfilerError
from napari_afm_profiler.io import read_afm
from napari_afm_profiler.io.writers import write_image


@pytest.mark.parametrize("suffix", [".tif", ".gwy"])
def test_round_trip_keeps_values_and_pixel_size(tmp_path, suffix):
    rng = np.random.default_rng(0)
    data = rng.normal(10.0, 3.0, size=(40, 56))
    path = write_image(tmp_path / f"h{suffix}", data, pixel_size_nm=(2.5, 1.25), channel="Height")
    scan = read_afm(path)[0]
    assert scan.z_unit == "nm"
    assert np.allclose(scan.pixel_size_nm, (2.5, 1.25), rtol=1e-12)
    tol = 1e-5 if suffix == ".tif" else 1e-12  # TIFF stores float32, as specified
    assert np.allclose(scan.data, data, rtol=tol, atol=tol * 30)


def test_npy_round_trip(tmp_path):
    data = np.arange(12.0).reshape(3, 4)
    path = write_image(tmp_path / "h.npy", data, pixel_size_nm=None)
    assert np.array_equal(read_afm(path)[0].data, data)


def test_unknown_suffix_and_bad_shape(tmp_path):
    with pytest.raises(AfmProfilerError):
        write_image(tmp_path / "h.png", np.ones((3, 3)), pixel_size_nm=None)
    with pytest.raises(AfmProfilerError):
        write_image(tmp_path / "h.npy", np.ones(3), pixel_size_nm=None)


def test_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "h.npy"
    target.write_bytes(b"old")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", boom)
    with pytest.raises(OSError):
        write_image(target, np.ones((3, 3)), pixel_size_nm=None)
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_uncalibrated_gwy_is_written_without_a_lateral_unit_and_says_so(tmp_path):
    from gwyfile import load

    from napari_afm_profiler.io.writers import UncalibratedWriteWarning

    with pytest.warns(UncalibratedWriteWarning, match="no pixel size"):
        path = write_image(tmp_path / "u.gwy", np.ones((6, 8)), pixel_size_nm=None)
    field = load(str(path))["/0/data"]
    assert field["si_unit_xy"]["unitstr"] in ("", None) and field["xreal"] == pytest.approx(8.0)
    assert read_afm(path)[0].pixel_size_nm is None  # read back as uncalibrated, never as 1 m pixels
