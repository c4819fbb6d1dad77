"""Dropouts: pixels lower than the tip can image are found from the tip's shape alone, and only they."""

from __future__ import annotations

import math

import numpy as np
import pytest

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.synth.wide import WideSpec, pairs_per_scene
from napari_afm_profiler.tip import dilate, erode, find_dropouts, make_tip, replace_dropouts
from napari_afm_profiler.tip.dropouts import contact_limits, sharpen_for_cliffs


def _caps(n: int = 96, seed: int = 5) -> np.ndarray:
    """Caps 4-12 nm high on a flat substrate (1 nm pixels)."""
    yy, xx = np.mgrid[0:n, 0:n] * 1.0
    surface = np.zeros((n, n))
    rng = np.random.default_rng(seed)
    for cy, cx, h in zip(*rng.uniform(10, n - 10, (2, 10)), rng.uniform(4, 12, 10)):
        r2 = (yy - cy) ** 2 + (xx - cx) ** 2
        surface = np.maximum(surface, np.where(r2 < 49, h * (1 - r2 / 49), 0.0))
    return surface


def test_images_made_by_the_tip_have_no_dropouts():
    """Every scene kind, tip and pixel size of the wide generator (no scan-line artifacts), with the true tip."""
    spec = WideSpec(pixel_size_nm=(0.25, 4.0), line_probability=0.0, edge_overshoot=0.0)
    for pair in pairs_per_scene(spec, 97539, 3):
        found = find_dropouts(pair.image, pair.tip, noise_nm=pair.noise_nm)
        assert not found.any(), (pair.scene, pair.pixel_size_nm, int(found.sum()))


@pytest.mark.parametrize("tip", [make_tip("cone", pixel_size_nm=1.0, radius_nm=2.0, half_angle_deg=10.0, size=41),
                                 make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=25.0, size=41)],
                         ids=["sharp cone", "blunt paraboloid"])
def test_narrow_deep_trenches_imaged_by_the_tip_are_not_dropouts(tip):
    surface = np.zeros((64, 64))
    surface[:, 20] = surface[30, :] = -30.0  # one pixel wide, 30 nm deep: as deep as this tip gets
    surface[40:43, 40:43] = -30.0
    image = dilate(surface, tip) + np.random.default_rng(0).normal(0, 0.1, surface.shape)
    assert not find_dropouts(image, tip, noise_nm=0.1).any()


def test_dropped_lines_bands_and_pixels_are_found_whole():
    # deep enough for the broken image's range (the drops' 25 nm included), as deconvolution makes its tips
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=8.0, half_angle_deg=20.0, height_nm=40.0)
    image = dilate(_caps(), tip) + np.random.default_rng(1).normal(0, 0.1, (96, 96))
    dropped = np.zeros(image.shape, bool)
    dropped[40, :] = True  # a scan line that read 25 nm low
    dropped[60:63, 10:80] = True  # a band of three half lines
    dropped[0, :] = True  # the first line, at the image's edge
    dropped[20, 70] = True  # one pixel
    broken = np.where(dropped, image - 25.0, image)
    np.testing.assert_array_equal(find_dropouts(broken, tip, noise_nm=0.1), dropped)


def test_a_line_that_reads_too_high_is_left_to_the_erosion():
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=8.0, half_angle_deg=20.0, size=31)
    image = dilate(_caps(), tip)
    image[40, :] += 25.0
    assert not find_dropouts(image, tip, noise_nm=0.05).any()


def test_the_steepest_fall_is_the_cone_flank():
    half_angle, px = 30.0, 0.5
    tip = make_tip("cone", pixel_size_nm=px, radius_nm=5.0, half_angle_deg=half_angle, size=61)
    flank = px / math.tan(math.radians(half_angle))
    for direction, step in (((0, 1), 1.0), ((1, 1), math.sqrt(2.0))):
        slopes, limits = contact_limits(tip, z_range=15.0, direction=direction)  # the array is 26 nm deep
        np.testing.assert_allclose(limits[-1], flank * step * np.arange(1, limits.shape[1] + 1), rtol=0.02)
        # from level ground the contact is the rounded apex: far less than the flank allows
        assert limits[0, 0] < 0.5 * flank * step
        assert (np.diff(limits, axis=0) >= 0).all() and (np.diff(slopes) > 0).all()


def test_replacement_is_exact_on_a_plane_and_refuses_what_it_cannot_do():
    plane = np.add.outer(0.3 * np.arange(20.0), -0.2 * np.arange(30.0))
    broken = plane.copy()
    mask = np.zeros(plane.shape, bool)
    mask[7, :] = mask[15, 12] = True
    broken[mask] = -50.0
    # inside the image a pixel's neighbours lie symmetrically about it: exact on a plane
    np.testing.assert_allclose(replace_dropouts(broken, mask)[:, 1:-1], plane[:, 1:-1], atol=1e-12)
    with pytest.raises(InputError, match="every pixel"):
        replace_dropouts(plane, np.ones(plane.shape, bool))
    with pytest.raises(InputError, match="must match"):
        replace_dropouts(plane, mask[:, :5])
    with pytest.raises(InputError, match="2-D"):
        find_dropouts(np.zeros((2, 8, 8)), np.zeros((3, 3)), noise_nm=0.1)
    with pytest.raises(InputError, match="odd square"):
        find_dropouts(plane, np.zeros((4, 4)), noise_nm=0.1)


def test_a_tip_that_made_the_image_is_never_sharpened():
    spec = WideSpec(pixel_size_nm=(0.25, 16.0), line_probability=0.0, edge_overshoot=0.0)
    for pair in pairs_per_scene(spec, 97540, 2):
        heights, cliff = sharpen_for_cliffs(pair.tip, pair.image, noise_nm=pair.noise_nm)
        assert cliff == 0.0 and heights is pair.tip, (pair.scene, pair.pixel_size_nm)


def test_a_step_steeper_than_the_tip_sharpens_it_so_the_erosion_keeps_the_top():
    """A 60 nm step imaged at 20 nm pixels by a needle; a blunt tip's erosion digs below its top, the sharpened one's not."""
    surface = np.zeros((40, 40))
    surface[:, 20:] = -60.0
    needle = make_tip("cone", pixel_size_nm=20.0, radius_nm=2.0, half_angle_deg=5.0, height_nm=80.0)
    image = dilate(surface, needle)
    blunt = make_tip("paraboloid", pixel_size_nm=20.0, radius_nm=30.0, height_nm=80.0).heights
    assert (image - erode(image, blunt))[:, 19].min() > 20.0  # digs below the top of the step
    sharp, cliff = sharpen_for_cliffs(blunt, image, noise_nm=0.05)
    assert cliff > 20.0 and np.all(sharp <= blunt + 1e-12)
    assert (image - erode(image, sharp))[:, :20].max() < 0.5
