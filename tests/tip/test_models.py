"""Tip models against their analytic geometry."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.tip import TipResampledWarning, make_tip, tip_for_pixel_size, tip_from_array
from napari_afm_profiler.tip.models import TipOffCentreWarning


def _offsets(tip, axis=1):
    c = tip.size // 2
    return (np.arange(tip.size) - c) * tip.pixel_size_nm[axis]


def test_paraboloid_is_r2_over_2r():
    tip = make_tip("paraboloid", pixel_size_nm=0.5, radius_nm=4.0, size=21)
    y, x = np.meshgrid(_offsets(tip, 0), _offsets(tip, 1), indexing="ij")
    np.testing.assert_allclose(tip.heights, -(x**2 + y**2) / 8.0, atol=1e-12)


def test_cone_has_a_tangent_spherical_cap_and_straight_sides():
    radius, angle = 10.0, 20.0
    tip = make_tip("cone", pixel_size_nm=0.5, radius_nm=radius, half_angle_deg=angle, size=201)
    row = -tip.heights[tip.size // 2]
    r = np.abs(_offsets(tip))
    cap = r <= radius * math.cos(math.radians(angle))
    np.testing.assert_allclose(row[cap], radius - np.sqrt(radius**2 - r[cap] ** 2), atol=1e-12)
    slope = np.diff(row[r > 2 * radius])[-5:] / 0.5
    np.testing.assert_allclose(np.abs(slope), 1 / math.tan(math.radians(angle)), rtol=1e-9)
    assert np.all(np.diff(row[tip.size // 2:]) > 0)  # continuous and rising


def test_sharp_pyramid_and_rounded_pyramid():
    angle = 35.0
    cot = 1 / math.tan(math.radians(angle))
    sharp = make_tip("pyramid", pixel_size_nm=1.0, radius_nm=0.0, half_angle_deg=angle, size=31)
    y, x = np.meshgrid(_offsets(sharp, 0), _offsets(sharp, 1), indexing="ij")
    np.testing.assert_allclose(sharp.heights, -cot * np.maximum(np.abs(x), np.abs(y)), atol=1e-12)
    radius = 8.0
    rounded = make_tip("pyramid", pixel_size_nm=1.0, radius_nm=radius, half_angle_deg=angle, size=61)
    depth = -rounded.heights
    c = rounded.size // 2
    # along a face normal the section is the capped cone of the same half-angle
    r = np.arange(0, c + 1, dtype=float)
    tangent = radius * math.cos(math.radians(angle))
    expected = np.where(r <= tangent, radius - np.sqrt(np.maximum(radius**2 - r**2, 0)),
                        r * cot + radius - radius / math.sin(math.radians(angle)))
    np.testing.assert_allclose(depth[c, c:], expected, atol=1e-7)
    assert np.all(depth >= -rounded.heights.max())  # apex is the maximum
    assert depth[c, c] == 0.0


def test_sphere_and_cylinder_have_no_material_beyond_their_radius():
    sphere = make_tip("sphere", pixel_size_nm=1.0, radius_nm=5.0, size=15)
    assert np.isnan(sphere.heights[7, 13]) and sphere.heights[7, 12] == -5.0
    cyl = make_tip("cylinder", pixel_size_nm=1.0, radius_nm=3.0, size=11)
    assert cyl.heights[5, 8] == 0.0 and np.isnan(cyl.heights[5, 9])


def test_automatic_size_reaches_the_height():
    tip = make_tip("cone", pixel_size_nm=2.0, radius_nm=5.0, half_angle_deg=25, height_nm=40)
    border = np.concatenate([tip.heights[0], tip.heights[-1], tip.heights[:, 0], tip.heights[:, -1]])
    assert np.all(border <= -40.0)
    smaller = make_tip("cone", pixel_size_nm=2.0, radius_nm=5.0, half_angle_deg=25, size=tip.size - 2)
    assert smaller.heights[smaller.size // 2, 0] > -40.0  # one size less would not reach it
    assert tip.heights.min() == -40.0


def test_resampling_a_model_tip_warns_and_resamples_exactly():
    tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=3.0, size=21)
    with pytest.warns(TipResampledWarning, match="resampled"):
        fine = tip_for_pixel_size(tip, 0.5)
    assert fine.pixel_size_nm == (0.5, 0.5) and fine.size == 41
    np.testing.assert_allclose(fine.heights[20, 20 + 4], -(2.0**2) / 6.0)


def test_resampling_an_array_tip_interpolates_about_the_apex():
    base = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=3.0, size=21)
    tip = tip_from_array(base.heights, pixel_size_nm=1.0)
    with pytest.warns(TipResampledWarning):
        coarse = tip_for_pixel_size(tip, 2.0)
    np.testing.assert_allclose(coarse.heights, base.heights[::2, ::2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tip_for_pixel_size(tip, 1.0) is tip


@pytest.mark.parametrize("kwargs, message", [
    ({"shape": "banana", "radius_nm": 1}, "unknown tip shape"),
    ({"shape": "cone", "radius_nm": 1, "half_angle_deg": 95}, "half-angle"),
    ({"shape": "cone", "radius_nm": -1, "half_angle_deg": 20}, "radius"),
    ({"shape": "paraboloid", "radius_nm": 1, "size": 4}, "odd"),
])
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(InputError, match=message):
        make_tip(pixel_size_nm=1.0, **kwargs)


def test_array_tip_with_an_off_centre_maximum_is_accepted_with_a_warning():
    with pytest.warns(TipOffCentreWarning, match="not its centre"):
        tip = tip_from_array(np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.0]]))
    assert tip.heights[0, 1] == 0.0 and tip.heights[1, 1] == -0.5  # normalised: T - max(T)
    assert tip.parameters["height_offset_nm"] == 1.0
    with pytest.raises(InputError, match="finite"):
        tip_from_array(np.array([[0.0, 0.0, 0.0], [0.0, np.nan, 0.0], [0.0, 0.0, 0.0]]))
    flipped = tip_from_array(-np.arange(9.0).reshape(3, 3) ** 0 * np.array([[1, 2, 3], [4, 0, 6], [7, 8, 9]]), reflect=True)
    assert flipped.heights[0, 0] == -9.0


def test_a_tip_upside_down_is_refused_with_the_fix():
    """A profile measured up from the apex (z = r^2 / 2R) would touch with its corners: named, not used."""
    model = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=10.0, size=11)
    with pytest.raises(InputError, match="upside down.*negate it"):
        tip_from_array(-model.heights)
    assert tip_from_array(model.heights - model.heights.min()).heights.max() == 0.0  # any offset is fine


@pytest.mark.parametrize("offset", [-20.0, 0.0, 7.5])
@pytest.mark.parametrize("new_pixel", [0.5, 0.8, 2.0])
def test_array_tip_with_any_offset_resamples_to_the_model_at_another_pixel_size(offset, new_pixel):
    """A tip exported from Gwyddion has its apex at any height; only T - max(T) may matter.

    The resampled array must be the paraboloid sampled on the new grid (linear interpolation of
    z = -r^2 / 2R on a 1 nm grid is within 2 h^2 / 8R = 0.025 nm in 2-D), apex 0 at the centre.
    """
    model = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=10.0, size=31)
    exported = tip_from_array(model.heights + offset, pixel_size_nm=1.0)
    with pytest.warns(TipResampledWarning):
        resampled = tip_for_pixel_size(exported, new_pixel)
    n = resampled.size
    reference = make_tip("paraboloid", pixel_size_nm=new_pixel, radius_nm=10.0, size=n)
    c = n // 2
    assert resampled.heights[c, c] == 0.0 and np.unravel_index(np.nanargmax(resampled.heights), (n, n)) == (c, c)
    np.testing.assert_allclose(resampled.heights, reference.heights, atol=0.0251)


@pytest.mark.parametrize("offset", [-20.0, 7.5])
def test_offset_tip_images_a_spike_at_its_place_on_another_grid(offset):
    from napari_afm_profiler.tip import dilate

    model = make_tip("cone", pixel_size_nm=1.0, radius_nm=5.0, half_angle_deg=25.0, size=21)
    surface = np.zeros((41, 41))
    surface[20, 20] = 30.0
    with pytest.warns(TipResampledWarning):
        image = dilate(surface, tip_from_array(model.heights + offset, pixel_size_nm=1.0), pixel_size_nm=0.5)
    reference = dilate(surface, make_tip("cone", pixel_size_nm=0.5, radius_nm=5.0, half_angle_deg=25.0, size=41))
    assert np.unravel_index(np.argmax(image), image.shape) == (20, 20) and image.max() == pytest.approx(30.0)
    assert np.max(np.abs(image - reference)) < 0.5


@pytest.mark.parametrize("shape", ["cone", "pyramid", "paraboloid"])
def test_max_size_samples_exactly_the_centre_a_crop_would_keep(shape):
    from napari_afm_profiler.tip.models import crop_tip

    angle = None if shape == "paraboloid" else 25.0
    kwargs = dict(pixel_size_nm=0.25, radius_nm=12.0, half_angle_deg=angle, height_nm=15.0, rotation_deg=20.0)
    full = make_tip(shape, **kwargs).heights
    assert full.shape[0] > 41
    capped = make_tip(shape, max_size=42, **kwargs).heights  # made odd: 41
    np.testing.assert_array_equal(capped, crop_tip(full, 41))
    np.testing.assert_array_equal(make_tip(shape, max_size=full.shape[0] + 10, **kwargs).heights, full)
    np.testing.assert_array_equal(make_tip(shape, size=61, max_size=41, **kwargs).heights,
                                  crop_tip(make_tip(shape, size=61, **kwargs).heights, 41))
    with pytest.raises(InputError, match="max_size"):
        make_tip(shape, max_size=0, **kwargs)
