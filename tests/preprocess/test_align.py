"""Drift correction: known shifts (whole and sub-pixel) recovered, NaNs honest, lazy stacks read frame by frame."""

import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.preprocess import align_frames, apply_drift, estimate_drift


def _movie(shifts, seed=0, size=96, noise=0.02):
    """Frames of one scene drifting by ``shifts`` (dy, dx per frame), tilted, with noise."""
    rng = np.random.default_rng(seed)
    scene = ndi.gaussian_filter(rng.normal(size=(size + 64, size + 64)), 2.5)
    frames = []
    tilt = np.add.outer(np.arange(size) * 0.01, np.arange(size) * -0.02)
    for d in shifts:
        # frame k shows the scene moved by -d, so +d moves it back onto frame 0
        moved = ndi.shift(scene, -np.asarray(d), order=3, mode="nearest")[32:32 + size, 32:32 + size]
        frames.append(moved + tilt + rng.normal(size=moved.shape) * noise * scene.std())
    return np.stack(frames)


@pytest.mark.parametrize("reference", ["previous", "first"])
def test_subpixel_drift_recovered(reference):
    truth = np.cumsum(np.random.default_rng(3).uniform(-2.5, 2.5, (8, 2)), axis=0)
    truth -= truth[0]
    drift = estimate_drift(_movie(truth), reference=reference)
    assert np.abs(drift.shifts_px - truth).max() < 0.15
    assert drift.errors[0] == 0.0 and np.all(drift.errors[1:] < 0.5)


def test_aligned_frames_match_the_first_and_edges_are_nan():
    truth = np.array([[0.0, 0.0], [3.0, -2.0], [5.0, 1.0]])
    movie = _movie(truth, noise=0.0)
    aligned, drift = align_frames(movie)
    inner = (slice(10, -10), slice(10, -10))
    tilt = np.add.outer(np.arange(96) * 0.01, np.arange(96) * -0.02)
    # the tilt is not drift and moves with the frame; compare without it
    residual = (aligned[2] - ndi.shift(tilt, drift.shifts_px[2], order=1, mode="nearest")) - (movie[0] - tilt)
    assert np.abs(residual[inner]).max() < 0.05 * movie[0].std()
    assert np.isnan(aligned[2][:4]).all()  # shifted down by 5 px: the top rows have no data
    table = drift.table((2.0, 2.0))
    np.testing.assert_allclose(table["dy_nm"], 2.0 * drift.shifts_px[:, 0])


def test_missing_pixels_stay_missing_and_do_not_spoil_registration():
    truth = np.array([[0.0, 0.0], [2.0, 2.0]])
    movie = _movie(truth)
    movie[1, 40:44, 40:44] = np.nan
    aligned, drift = align_frames(movie)
    assert np.abs(drift.shifts_px[1] - truth[1]).max() < 0.15
    assert np.isnan(aligned[1, 42:46, 42:46]).any()
    assert np.isfinite(aligned[1, 60:70, 60:70]).all()


def test_lazy_stack_is_read_frame_by_frame():
    da = pytest.importorskip("dask.array")
    truth = np.array([[0.0, 0.0], [1.0, -1.0], [2.0, -2.0]])
    movie = _movie(truth)
    drift = estimate_drift(da.from_array(movie, chunks=(1, 96, 96)))
    assert np.abs(drift.shifts_px - truth).max() < 0.15


def test_a_changed_frame_cannot_send_the_track_across_the_image():
    """A frame with nothing in common (a scan restart) is registered within the step limit only."""
    movie = _movie(np.zeros((4, 2)))
    movie[2] = np.random.default_rng(9).normal(size=movie[2].shape) * movie[0].std()
    drift = estimate_drift(movie, max_step_px=3)
    assert drift.errors[2] > 0.8 and drift.errors[1] < 0.2
    assert drift.registered.tolist() == [True, True, False, True]
    # the frame after the bad one is registered to the last good one: the track stays at 0
    np.testing.assert_allclose(drift.shifts_px, 0.0, atol=0.05)


def test_blank_frames_get_no_shift():
    movie = _movie(np.zeros((3, 2)))
    movie[1] = 0.0
    drift = estimate_drift(movie)
    np.testing.assert_array_equal(drift.shifts_px[1], [0.0, 0.0])
    assert drift.errors[1] == 1.0 and not drift.registered[1]
    np.testing.assert_allclose(drift.shifts_px[2], [0.0, 0.0], atol=0.05)


def test_bad_input_is_named():
    with pytest.raises(InputError, match="stack of frames"):
        estimate_drift(np.zeros((10, 10)))
    with pytest.raises(InputError, match="reference"):
        estimate_drift(np.zeros((2, 16, 16)), reference="last")
    with pytest.raises(InputError, match="finite pixels"):
        estimate_drift(np.full((2, 16, 16), np.nan))
    with pytest.raises(InputError, match="shifts for"):
        apply_drift(np.zeros((3, 16, 16)), np.zeros((2, 2)))
