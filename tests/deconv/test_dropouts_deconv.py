"""Deconvolving an image with dropped scan lines: the lines are replaced first, so no tip-shaped trenches."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("torch")

from napari_afm_profiler.deconv.infer import deconvolve  # noqa: E402
from napari_afm_profiler.errors import InputError  # noqa: E402
from napari_afm_profiler.io import mask_unscanned, read_afm  # noqa: E402
from napari_afm_profiler.preprocess import level  # noqa: E402
from napari_afm_profiler.tip import dilate, make_tip  # noqa: E402
from tests.conftest import SAMPLES  # noqa: E402

TIP = {"shape": "cone", "radius_nm": 8.0, "half_angle_deg": 20.0}


def _scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Caps on a flat substrate (1 nm pixels), their image, and the image with two scan lines 30 nm low."""
    yy, xx = np.mgrid[0:96, 0:96] * 1.0
    surface = np.zeros((96, 96))
    for cy, cx, h in ((30, 30, 8.0), (60, 50, 10.0), (35, 70, 6.0)):
        r2 = (yy - cy) ** 2 + (xx - cx) ** 2
        surface = np.maximum(surface, np.where(r2 < 100, h * (1 - r2 / 100), 0.0))
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=8.0, half_angle_deg=20.0, height_nm=50.0)
    image = dilate(surface, tip) + np.random.default_rng(2).normal(0, 0.05, surface.shape)
    broken = image.copy()
    broken[[30, 61], :] -= 30.0
    return surface, image, broken


def test_dropped_lines_are_replaced_before_the_erosion_digs():
    surface, image, broken = _scene()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = deconvolve(image, pixel_size_nm=1.0, tip=TIP)
        fixed = deconvolve(broken, pixel_size_nm=1.0, tip=TIP)
        kept = deconvolve(broken, pixel_size_nm=1.0, tip=TIP, dropouts="keep")
    expected = np.zeros(image.shape, bool)
    expected[[30, 61], :] = True
    np.testing.assert_array_equal(fixed.dropouts, expected)
    assert fixed.summary["dropout_pixels"] == expected.sum() and clean.dropouts is None
    assert any(note.startswith("dropouts: 192 pixels") for note in fixed.notes)
    # the lines left in: the erosion digs trenches the tip's shape, rows beyond the lines themselves
    near = np.zeros(image.shape, bool)
    near[25:36] = near[56:67] = True
    near &= ~expected
    assert (surface - kept.surface)[near].max() > 10.0 and kept.summary["dropout_pixels"] == 0
    # replaced: as close to the truth beside the lines as the clean image's result
    assert (surface - fixed.surface)[near].max() < (surface - clean.surface)[near].max() + 1.0
    rmse = lambda a: float(np.sqrt(np.mean((a - surface)[~expected] ** 2)))  # noqa: E731
    assert rmse(fixed.surface) < 1.2 * rmse(clean.surface) + 0.05
    with pytest.raises(InputError, match="dropouts must be one of"):
        deconvolve(image, pixel_size_nm=1.0, tip=TIP, dropouts="drop")


def test_a_stack_reports_its_dropouts_frame_by_frame():
    _, image, broken = _scene()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = deconvolve(np.stack([image, broken]), pixel_size_nm=1.0, tip=TIP)
    assert result.dropouts.shape == (2, 96, 96)
    assert not result.dropouts[0].any() and result.dropouts[1].sum() == 192


def test_a_tip_far_too_blunt_replaces_nothing_and_says_why():
    """Trenches every 3 px imaged by a sharp cone: a blunt paraboloid given takes a third of the image for dropouts."""
    sharp = make_tip("cone", pixel_size_nm=1.0, radius_nm=2.0, half_angle_deg=10.0, height_nm=20.0)
    surface = np.zeros((64, 64))
    surface[:, ::3] = -10.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = deconvolve(dilate(surface, sharp), pixel_size_nm=1.0, tip={"shape": "paraboloid", "radius_nm": 30.0})
    assert result.summary["dropout_pixels"] == 0 and result.dropouts is None
    assert any("the tip is probably blunter than the real one; nothing was replaced" in note for note in result.notes)


def test_a_survey_step_steeper_than_the_blind_tip_is_named_with_its_depth():
    """A 200 nm step over one 40 nm pixel: the blind bound's erosion digs below its top, and says by how much.

    The frame is noise-free: on a noisy one the blind estimate sees the step beside the plateau's
    local maxima and is sharp enough itself.
    """
    image = np.zeros((64, 64))
    image[:, 32:] -= 200.0  # the typical training tip (22.5 deg) falls about 97 nm over a pixel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = deconvolve(image, pixel_size_nm=40.0, tip="estimate")
    depth = result.summary["steps_steeper_than_tip_nm"]
    assert depth > 80.0 and any("falls faster than that tip's flanks allow" in note for note in result.notes)
    # the figure is what the result loses below the step's top
    assert abs(np.nanmax(image - result.surface) - depth) < 0.05 * depth
    # caps imaged by a tip blunter than any the model trained with: no step is too steep for the bound
    surface, _, _ = _scene()
    gentle = dilate(surface, make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=40.0, height_nm=20.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        blind = deconvolve(gentle, pixel_size_nm=1.0, tip="estimate", tip_estimator=None)
    assert blind.summary["steps_steeper_than_tip_nm"] == 0.0


def test_lines_never_scanned_are_left_out_not_taken_for_a_cliff():
    """A real survey frame stopped after 17 of 256 lines (the rest stored as 0): no cliff, no dig."""
    path = SAMPLES / "antooni_sample.nid"
    if not path.is_file():
        pytest.skip("shared sample files absent")
    scan = next(s for s in read_afm(path) if s.z_unit == "nm")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = deconvolve(scan.data, pixel_size_nm=scan.pixel_size_nm, tip="estimate")
        image = level(mask_unscanned(scan).data)  # as the viewer and the CLI read it, then levelled
        levelled = deconvolve(image, pixel_size_nm=scan.pixel_size_nm, tip="estimate")
    assert any(note.startswith("239 scan lines were never measured") for note in raw.notes)
    assert np.isnan(raw.surface[:239]).all() and np.isfinite(raw.surface[239:]).all()
    for result, source in ((raw, scan.data), (levelled, image)):
        assert result.summary["steps_steeper_than_tip_nm"] == 0.0
        assert np.nanmax(source[239:] - result.surface[239:]) < 1.0  # nm, on a frame 687 nm high
