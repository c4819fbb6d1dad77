"""A frame larger than the network's training scenes, on a bowed substrate: the network sees it level, locally."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("torch")

from napari_afm_profiler.deconv.conditioning import substrate_background, substrate_plane  # noqa: E402
from napari_afm_profiler.deconv.infer import deconvolve  # noqa: E402
from napari_afm_profiler.tip import dilate, make_tip  # noqa: E402


def _bowed_scene(n: int = 256) -> np.ndarray:
    """Caps 6 nm high on a domed substrate, its corners 40 nm below its centre (1 nm pixels)."""
    yy, xx = np.mgrid[0:n, 0:n] * 1.0
    surface = -40.0 * ((yy - n / 2) ** 2 + (xx - n / 2) ** 2) / (2 * (n / 2) ** 2)
    rng = np.random.default_rng(3)
    for cy, cx in rng.uniform(20, n - 20, (12, 2)):
        r2 = (yy - cy) ** 2 + (xx - cx) ** 2
        surface = np.maximum(surface, surface + np.where(r2 < 64, 6.0 * (1 - r2 / 64), 0.0))
    return surface


def test_a_small_frame_keeps_its_plane_and_a_large_one_gets_local_planes():
    scene = _bowed_scene()
    np.testing.assert_allclose(substrate_background(scene[:128, :128]), substrate_plane(scene[:128, :128]))
    np.testing.assert_allclose(substrate_background(scene[:100, :128]), substrate_plane(scene[:100, :128]))
    left_plane = np.ptp(scene - substrate_plane(scene))
    left_local = np.ptp(scene - substrate_background(scene))
    assert left_plane > 30 and left_local < 0.5 * left_plane
    # the blend is smooth: no step larger than the bow's own slope between neighbouring pixels
    background = substrate_background(scene)
    assert np.abs(np.diff(background, axis=1)).max() < 1.0 and np.abs(np.diff(background, axis=0)).max() < 1.0


def test_a_bowed_frame_is_deconvolved_without_digging_holes():
    """Whole regions 40 nm below the frame's level once made the network dig holes far below the truth."""
    scene = _bowed_scene()
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=5.0, half_angle_deg=20.0)
    image = dilate(scene, tip) + np.random.default_rng(4).normal(0.0, 0.1, scene.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = deconvolve(image, pixel_size_nm=1.0, tip=tip)
    below = scene - result.surface
    rmse = float(np.sqrt(np.mean(below ** 2)))
    # with the frame's plane alone: 9.0 nm and 1.5x the raw image's RMSE; with local planes 0.9 nm and 0.23x
    assert np.percentile(np.abs(below), 99.9) < 3.0
    assert rmse < 0.5 * float(np.sqrt(np.mean((image - scene) ** 2)))
