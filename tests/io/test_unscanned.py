"""Lines an interrupted scan never measured: found exactly, marked missing, never invented."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from napari_afm_profiler.io import read_afm
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.unscanned import mask_unscanned, unscanned_lines
from tests.conftest import SAMPLES


def _noisy(shape, seed=0):
    return np.random.default_rng(seed).normal(0.0, 0.3, shape)


@pytest.mark.parametrize(("lead", "trail"), [(7, 0), (0, 5), (3, 4), (0, 1)])
def test_blocks_at_start_and_end_are_found_exactly(lead, trail):
    frame = _noisy((20, 32))
    frame[:lead] = 0.0
    frame[20 - trail:] = 0.0
    expected = np.zeros(20, bool)
    expected[:lead] = True
    expected[20 - trail:] = True
    assert np.array_equal(unscanned_lines(frame), expected)


def test_saturated_lines_of_one_value_count_too():
    frame = _noisy((16, 16)) + 50.0
    frame[-6:] = 450.0  # the z range at its limit: the tip off the surface, no height measured
    assert unscanned_lines(frame).sum() == 6


@pytest.mark.parametrize("case", ["flat substrate", "constant everywhere", "constant line inside", "two values",
                                  "short lines", "quantised"])
def test_what_is_measured_is_never_marked(case):
    frame = _noisy((16, 32))
    if case == "flat substrate":  # noise-free objects on a flat substrate, as virtual data are
        frame = np.zeros((16, 32))
        frame[5:9, 4:12] = 3.0
    elif case == "constant everywhere":
        frame = np.full((16, 32), 2.0)
    elif case == "constant line inside":  # a constant line inside the band: not an interrupted scan
        frame[:4] = 0.0
        frame[10] = 1.0
    elif case == "two values":  # the leading lines are constant, but not one value throughout
        frame[0] = 0.0
        frame[1] = 1.0
    elif case == "short lines":
        frame = frame[:, :6].copy()
        frame[:3] = 0.0
    elif case == "quantised":  # the filling value recurs in the measured lines
        frame = np.round(frame * 2) / 2
        frame[:3] = 0.0
    assert not unscanned_lines(frame).any()


def test_mask_sets_nan_and_counts_per_frame():
    stack = _noisy((3, 12, 16))
    stack[1, 9:] = 0.0
    stack[2, :2] = -7.0
    scan = AfmScan(stack, (1.0, 1.0), "Height", "nm", "test")
    masked = mask_unscanned(scan)
    assert masked.metadata["unscanned_lines"] == 5
    assert np.isnan(masked.data[1, 9:]).all() and np.isnan(masked.data[2, :2]).all()
    assert np.isfinite(masked.data[0]).all() and np.isfinite(masked.data[1, :9]).all()
    assert np.array_equal(scan.data[1, 9:], np.zeros((3, 16)))  # the scan read is left as it was
    clean = AfmScan(_noisy((8, 8)), (1.0, 1.0), "Height", "nm", "test")
    assert mask_unscanned(clean) is clean


def test_lazy_movie_stays_lazy_and_masks_its_frames():
    stack = _noisy((4, 12, 16))
    stack[-1, 5:] = 0.0  # the movie was stopped during its last frame
    stack[1, :3] = 450.0  # a middle frame's first lines at the z range's limit (the tip approaching)
    scan = AfmScan(da.from_array(stack, chunks=(1, 12, 16)), (1.0, 1.0), "Height", "nm", "test")
    masked = mask_unscanned(scan)
    assert isinstance(masked.data, da.Array)
    frame = np.asarray(masked.data[-1])
    assert np.isnan(frame[5:]).all() and np.isfinite(frame[:5]).all()
    assert np.isfinite(np.asarray(masked.data[0])).all()
    middle = np.asarray(masked.data[1])
    assert np.isnan(middle[:3]).all() and np.isfinite(middle[3:]).all()


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")
@pytest.mark.parametrize(("name", "zero_pixels"), [("antooni_sample.nid", 61184), ("antooni_sample2.nid", 62720)])
def test_interrupted_real_scans(name, zero_pixels):
    """The oracle's notes (Gwyddion, NSFopen) count the zero pixels of these partial scans."""
    scan = read_afm(SAMPLES / name)[0]
    assert np.count_nonzero(scan.data == 0) == zero_pixels  # the reader keeps the values as stored
    masked = mask_unscanned(scan)
    assert masked.metadata["unscanned_lines"] * scan.data.shape[1] == zero_pixels
    assert np.isfinite(masked.data).sum() == scan.data.size - zero_pixels


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")
def test_info_counts_unscanned_lines_in_every_frame_of_a_lazy_movie(capsys):
    """extra_sample.asd: frame 3 ends in 33 lines at the z range's limit (450 nm); no other frame has such a block."""
    import json

    from napari_afm_profiler.cli import main

    assert main(["info", str(SAMPLES / "extra_sample.asd"), "--json"]) == 0
    height = json.loads(capsys.readouterr().out)["channels"][0]
    assert height["unscanned_lines"] == 33 and height["max"] == 450.0  # the stored values, counted
