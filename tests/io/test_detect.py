import numpy as np
import pytest

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io import detect_format, read_afm
from napari_afm_profiler.io.units import parse_unit


def test_unknown_files_are_left_to_other_readers(tmp_path):
    (tmp_path / "notes.txt").write_text("just some text\n")
    (tmp_path / "data.001").write_bytes(b"\x00\x01binary")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    for name in ("notes.txt", "data.001", "image.png"):
        assert detect_format(tmp_path / name) is None


def test_missing_file_and_unsupported(tmp_path):
    with pytest.raises(AFMFormatError, match="no such file"):
        read_afm(tmp_path / "absent.gwy")
    (tmp_path / "x.png").write_bytes(b"123")
    with pytest.raises(AFMFormatError, match="unsupported"):
        read_afm(tmp_path / "x.png")


def test_absurd_declared_size_is_refused_before_allocation(tmp_path):
    header = b"Gwyddion Simple Field 1.0\nXRes = 100000\nYRes = 100000\nXReal = 1e-6\nYReal = 1e-6\n"
    path = tmp_path / "huge.gsf"
    path.write_bytes(header + b"\0" * (4 - len(header) % 4) + b"\0" * 64)
    with pytest.raises(AFMFormatError, match="truncated|implausibly"):
        read_afm(path)


def test_npy_without_calibration_is_not_silently_1nm(tmp_path):
    np.save(tmp_path / "h.npy", np.ones((4, 4)))
    scan = read_afm(tmp_path / "h.npy")[0]
    assert scan.pixel_size_nm is None
    assert scan.metadata["pixel_size_missing"]


@pytest.mark.parametrize(
    "unit,factor,canonical",
    [("nm", 1.0, "nm"), ("~m", 1e3, "nm"), ("m", 1e9, "nm"), ("pm", 1e-3, "nm"), ("mV", 1e-3, "V"),
     ("nA", 1e-9, "A"), ("deg", 1.0, "deg"), ("", 1.0, "")],
)
def test_units(unit, factor, canonical):
    f, c = parse_unit(unit)
    assert c == canonical and f == pytest.approx(factor)
