import numpy as np
import pytest

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io import detect_format, read_afm
from napari_afm_profiler.io.units import parse_unit, to_canonical


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


def test_linear_calibration_unit_and_flip_in_one_conversion():
    """``scale * raw + offset`` in µm of a flipped int16 view -> nm, C order, the caller's array untouched."""
    raw = np.arange(12, dtype=np.int16).reshape(3, 4)
    out, unit = to_canonical(raw[::-1], "um", scale=0.5, offset=-1.0)
    assert unit == "nm" and out.dtype == np.float64 and out.flags.c_contiguous
    np.testing.assert_allclose(out, (0.5 * raw[::-1].astype(float) - 1.0) * 1000.0)
    same = np.linspace(0, 1, 6).reshape(2, 3)
    kept = same.copy()
    shifted, unit = to_canonical(same, "V", offset=2.0)  # factor 1: the result must still be a new array
    assert unit == "V" and np.array_equal(same, kept)
    np.testing.assert_allclose(shifted, kept + 2.0)
    assert to_canonical(same, "V")[0] is same  # nothing to do: no copy


def test_nanoscope_hard_scale_in_millivolts_with_a_nm_per_volt_sensitivity():
    """``@2:Z scale: V [Sens. X] (...) 1999.969 mV`` with ``@Sens. X: V 62 nm/V`` is 2 V x 62 nm/V full scale."""
    from napari_afm_profiler.io.nanoscope import _sensitivity

    factor, unit = _sensitivity({"@Sens. Amplitude Error": "V 62.00000 nm/V"}, "Sens. Amplitude Error", "mV")
    assert unit == "nm" and factor * 1999.969 == pytest.approx(1.999969 * 62.0)
    factor, unit = _sensitivity({"@Sens. Zsens": "V 26.2456 nm/V"}, "Sens. Zsens", "V")
    assert unit == "nm" and factor == pytest.approx(26.2456)
    factor, unit = _sensitivity({"@Sens. Phase": "V 1.000000 "}, "Sens. Phase", "mV")  # unitless: the hard unit stays
    assert unit == "mV" and factor == 1.0
