"""Text matrices: the key=value header layout, bare matrices, and the errors for other text."""

from __future__ import annotations

import numpy as np
import pytest

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io import detect_format, read_afm

VALUES = np.arange(12, dtype=float).reshape(3, 4) - 5.5


def _rows(values: np.ndarray) -> str:
    return "\n".join(" ".join(f"{v:.6f}" for v in row) for row in values) + "\n"


def test_key_value_header_calibrates_pixels_and_heights(tmp_path):
    path = tmp_path / "interferometer.txt"
    path.write_text("h=3 w=4\npixel size=2.5e-007 m\ndata unit=rad\nheight conversion factor (-> m)=5e-008\n"
                    + _rows(VALUES))
    (scan,) = read_afm(path)
    assert scan.data.shape == (3, 4) and scan.z_unit == "nm"
    assert scan.pixel_size_nm == pytest.approx((250.0, 250.0))
    np.testing.assert_allclose(scan.data, VALUES * 50.0)  # 5e-8 m per rad = 50 nm


def test_key_value_header_whose_size_disagrees_is_refused(tmp_path):
    path = tmp_path / "short.txt"
    path.write_text("h=4 w=4\npixel size=1e-9 m\n" + _rows(VALUES))
    with pytest.raises(AFMFormatError, match="declares 4 x 4"):
        read_afm(path)


def test_bare_matrix_opens_uncalibrated_in_an_unknown_unit(tmp_path):
    path = tmp_path / "bare.txt"
    path.write_text(_rows(VALUES))
    (scan,) = read_afm(path)
    np.testing.assert_allclose(scan.data, VALUES)
    assert scan.pixel_size_nm is None and scan.z_unit == "" and "calibration" in scan.metadata


def test_other_text_names_the_problem_and_is_not_claimed(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Sample prepared on Monday\nnothing numeric here\n")
    assert detect_format(path) is None  # left to other napari readers
    with pytest.raises(AFMFormatError, match="not a text matrix.*Sample prepared"):
        read_afm(path)


def test_numbered_file_that_is_not_nanoscope_says_why(tmp_path):
    path = tmp_path / "run.001"
    path.write_bytes(b"PK\x03\x04 a zip archive, not an AFM file")
    with pytest.raises(AFMFormatError, match="not a Nanoscope file"):
        read_afm(path)
