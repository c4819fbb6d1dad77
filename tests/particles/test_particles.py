"""Particles against analytic shapes: hemispheres, boxes, touching domes; filters and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.particles import match_particles, measure_particles, segment_particles, substrate_level


def _hemispheres(centres, radius, shape=(200, 200), px=0.5, base=1.0):
    yy, xx = (np.mgrid[0:shape[0], 0:shape[1]] + 0.5) * px
    z = np.full(shape, base)
    for cy, cx in centres:
        r2 = (yy - cy) ** 2 + (xx - cx) ** 2
        z = np.maximum(z, base + np.sqrt(np.clip(radius**2 - r2, 0, None)))
    return z


def test_hemisphere_area_volume_height_against_geometry():
    r = 20.0
    z = _hemispheres([(50.0, 50.0)], r)
    seg = segment_particles(z, pixel_size_nm=0.5, threshold_nm=0.01)
    assert seg.count == 1 and seg.substrate_nm == pytest.approx(1.0)
    t = measure_particles(z, seg.labels, pixel_size_nm=0.5, substrate_nm=seg.substrate_nm)
    c = {k: float(v[0]) for k, v in t.columns.items()}
    assert c["max_height_nm"] == pytest.approx(r, abs=0.05)
    assert c["area_nm2"] == pytest.approx(np.pi * r**2, rel=0.02)
    assert c["volume_nm3"] == pytest.approx(2 / 3 * np.pi * r**3, rel=0.01)
    assert c["mean_height_nm"] == pytest.approx(2 * r / 3, rel=0.02)
    assert c["equivalent_diameter_nm"] == pytest.approx(2 * r, rel=0.01)
    assert c["aspect_ratio"] == pytest.approx(2.0, rel=0.02)  # diameter / height of a hemisphere
    assert c["min_feret_nm"] == pytest.approx(2 * r, rel=0.03) and c["max_feret_nm"] == pytest.approx(2 * r, rel=0.03)
    assert c["centroid_y_nm"] == pytest.approx(50.0, abs=0.05) and c["centroid_x_nm"] == pytest.approx(50.0, abs=0.05)


@pytest.mark.parametrize("place, gwyddion", [
    ((4, 4), 13 / 24),      # values Gwyddion 2.62 gives these one-pixel grains of 1 nm on a 0 nm field
    ((0, 4), 31 / 48),      # on the image edge: the field extends by its nearest pixel
    ((0, 0), 36.5 / 48),    # in a corner
])
def test_interpolated_volume_is_gwyddions_zero_based_volume(place, gwyddion):
    z = np.zeros((9, 9))
    labels = np.zeros((9, 9), np.int32)
    z[place], labels[place] = 1.0, 1
    table = measure_particles(z, labels, pixel_size_nm=2.0, volume="interpolated")
    assert table.columns["volume_nm3"][0] == pytest.approx(gwyddion * 4.0, rel=1e-12)
    assert measure_particles(z, labels, pixel_size_nm=2.0).columns["volume_nm3"][0] == pytest.approx(4.0)


def test_interpolated_volume_of_a_line_and_a_flat_field():
    z = np.zeros((9, 12))
    labels = np.zeros((9, 12), np.int32)
    z[4, 2:9], labels[4, 2:9] = 1.0, 1
    # Gwyddion 2.62: 121/24 for a 1 x 7 px line of 1 nm
    assert measure_particles(z, labels, pixel_size_nm=1.0, volume="interpolated").columns["volume_nm3"][0] == (
        pytest.approx(121 / 24, rel=1e-12))
    flat = np.full((9, 12), 5.0)  # a flat field: every scheme gives height x area, below-substrate parts negative
    assert measure_particles(flat, labels, pixel_size_nm=1.0, substrate_nm=6.0, volume="interpolated").columns[
        "volume_nm3"][0] == pytest.approx(-7.0)
    with pytest.raises(InputError, match="volume must be one of"):
        measure_particles(flat, labels, pixel_size_nm=1.0, volume="trapezoid")


def test_box_ferets_are_exact_with_anisotropic_pixels():
    z = np.zeros((40, 50))
    labels = np.zeros((40, 50), int)
    z[10:16, 5:25] = 4.0
    labels[10:16, 5:25] = 1
    t = measure_particles(z, labels, pixel_size_nm=(1.5, 0.5))
    assert t.columns["min_feret_nm"][0] == pytest.approx(6 * 1.5)  # 6 rows of 1.5 nm
    assert t.columns["max_feret_nm"][0] == pytest.approx(np.hypot(9.0, 10.0))
    assert t.columns["area_nm2"][0] == pytest.approx(120 * 0.75)
    assert not t.columns["touches_edge"][0]


def test_rotated_bar_min_feret_is_its_width():
    yy, xx = np.mgrid[0:200, 0:200] + 0.5
    angle = np.deg2rad(30)
    u = (xx - 100) * np.cos(angle) + (yy - 100) * np.sin(angle)
    v = -(xx - 100) * np.sin(angle) + (yy - 100) * np.cos(angle)
    bar = (np.abs(u) <= 60) & (np.abs(v) <= 10)
    t = measure_particles(bar * 5.0, bar.astype(int), pixel_size_nm=1.0)
    assert t.columns["min_feret_nm"][0] == pytest.approx(20.0, abs=1.5)
    assert t.columns["max_feret_nm"][0] == pytest.approx(np.hypot(120, 20), abs=1.5)


def test_touching_domes_are_split_and_filters_apply():
    z = _hemispheres([(50.0, 40.0), (50.0, 72.0), (20.0, 99.0)], 17.0, px=0.5)
    z[150:152, 150:152] = 3.0  # a speck: 1 nm²
    merged = segment_particles(z, pixel_size_nm=0.5, threshold_nm=0.01, split=False)
    split = segment_particles(z, pixel_size_nm=0.5, threshold_nm=0.01, min_separation_nm=10.0)
    assert split.count == merged.count + 1 == 4
    kept = segment_particles(z, pixel_size_nm=0.5, threshold_nm=0.01, min_area_nm2=5.0, min_separation_nm=10.0)
    assert kept.count == 3 and any("removed" in n for n in kept.notes)
    inner = segment_particles(z, pixel_size_nm=0.5, threshold_nm=0.01, min_area_nm2=5.0, exclude_edge=True,
                              min_separation_nm=10.0)
    assert inner.count == 2  # the dome at y = 20 +- 17 nm... reaches y = 3 nm, x = 99 + 17 > 100 nm: the edge


def test_substrate_level_is_robust_to_coverage():
    z = _hemispheres([(25.0 + 30 * i, 25.0 + 30 * j) for i in range(3) for j in range(3)], 14.0, px=0.5, base=-3.0)
    z += np.random.default_rng(0).normal(0, 0.2, z.shape)
    assert substrate_level(z) == pytest.approx(-3.0, abs=0.05)
    assert np.mean(z) > -1.0  # the mean is far off


def test_otsu_local_and_nan_pixels():
    z = _hemispheres([(50.0, 50.0)], 15.0)
    z[0:5, 0:5] = np.nan
    assert segment_particles(z, pixel_size_nm=0.5).count == 1  # no threshold: Otsu
    ramp = z + np.linspace(0, 30, z.shape[1])[None, :]  # an uneven background
    assert segment_particles(ramp, pixel_size_nm=0.5, method="local", threshold_nm=2.0, local_block_nm=40.0,
                             min_area_nm2=50.0).count == 1


def test_nothing_found_and_bad_input_are_named():
    flat = np.zeros((32, 32))
    seg = segment_particles(flat, pixel_size_nm=1.0, threshold_nm=1.0)
    assert seg.count == 0 and "no particle" in seg.notes[0]
    assert len(measure_particles(flat, seg.labels, pixel_size_nm=1.0)) == 0
    with pytest.raises(InputError, match="pixel size"):
        segment_particles(flat, pixel_size_nm=None, threshold_nm=1.0)
    with pytest.raises(InputError, match="needs threshold_nm"):
        segment_particles(flat, pixel_size_nm=1.0, method="absolute")
    with pytest.raises(InputError, match="no finite pixels"):
        segment_particles(np.full((8, 8), np.nan), pixel_size_nm=1.0)
    with pytest.raises(InputError, match="one shape"):
        measure_particles(flat, np.zeros((4, 4), int), pixel_size_nm=1.0)
    with pytest.raises(InputError, match="unknown threshold"):
        segment_particles(flat, pixel_size_nm=1.0, method="magic")


def test_single_huge_region():
    z = np.ones((64, 64))
    z[0, 0] = 0.0
    seg = segment_particles(z, pixel_size_nm=1.0, method="absolute", threshold_nm=0.5)
    t = measure_particles(z, seg.labels, pixel_size_nm=1.0, substrate_nm=0.0)
    assert seg.count == 1 and t.columns["touches_edge"][0] and t.columns["area_nm2"][0] == 64 * 64 - 1


def test_match_by_overlap():
    a = np.zeros((10, 10), int)
    b = np.zeros((10, 10), int)
    a[1:4, 1:4], a[6:9, 6:9] = 1, 2
    b[2:5, 2:5], b[5:8, 5:8], b[0, 9] = 7, 3, 5
    assert match_particles(a, b).tolist() == [0, 7, 3]


def test_profiles_along_and_across_a_rotated_ellipse():
    from napari_afm_profiler.particles import particle_axis_profiles

    yy, xx = np.mgrid[0:200, 0:200] + 0.5
    angle = np.deg2rad(35)
    u = (xx - 100) * np.cos(angle) + (yy - 100) * np.sin(angle)
    v = -(xx - 100) * np.sin(angle) + (yy - 100) * np.cos(angle)
    inside = (u / 60) ** 2 + (v / 20) ** 2 <= 1
    z = np.where(inside, 10 * np.sqrt(np.clip(1 - (u / 60) ** 2 - (v / 20) ** 2, 0, None)), 0.0)
    along, across = particle_axis_profiles({"h": z}, inside.astype(int), 1, pixel_size_nm=0.5, margin=0.0)
    assert along.distance_nm[-1] == pytest.approx(60.0, abs=1.0)   # 120 px x 0.5 nm
    assert across.distance_nm[-1] == pytest.approx(20.0, abs=1.0)
    assert max(along.values["h"]) == pytest.approx(10.0, abs=0.2) and max(across.values["h"]) == pytest.approx(10.0, abs=0.2)
    with pytest.raises(InputError, match="no particle"):
        particle_axis_profiles(z, inside.astype(int), 7, pixel_size_nm=0.5)


@pytest.mark.parametrize("seed", range(5))
def test_hole_filling_equals_scipys(seed):
    from scipy import ndimage as ndi

    from napari_afm_profiler.particles.segment import _fill_holes

    rng = np.random.default_rng(seed)
    for fill in (0.3, 0.5, 0.7):
        mask = ndi.binary_opening(rng.random((67, 91)) < fill)
        np.testing.assert_array_equal(_fill_holes(mask), ndi.binary_fill_holes(mask))


@pytest.mark.parametrize("seed", range(4))
def test_feret_diameters_against_scipys_convex_hull(seed):
    """Random blobs on anisotropic pixels: the compiled hull and calipers against scipy's hull of every pixel corner."""
    from scipy import ndimage as ndi
    from scipy.spatial import ConvexHull

    rng = np.random.default_rng(seed)
    labels, n = ndi.label(ndi.binary_opening(ndi.gaussian_filter(rng.normal(size=(120, 150)), 3) > 0.1))
    dy, dx = 0.7, 1.3
    table = measure_particles(np.ones(labels.shape), labels, pixel_size_nm=(dy, dx))
    for row, label in enumerate(table.columns["label"]):
        r, c = np.nonzero(labels == label)
        corners = np.concatenate([np.c_[r + a, c + b] for a in (0, 1) for b in (0, 1)]) * (dy, dx)
        hull = corners[ConvexHull(corners).vertices]
        edges = np.roll(hull, -1, axis=0) - hull
        normals = np.c_[-edges[:, 1], edges[:, 0]] / np.hypot(edges[:, 0], edges[:, 1])[:, None]
        widths = np.abs(np.einsum("ek,evk->ev", normals, hull[None] - hull[:, None])).max(axis=1)
        largest = np.sqrt(((hull[:, None] - hull[None]) ** 2).sum(-1)).max()
        assert table.columns["min_feret_nm"][row] == pytest.approx(widths.min(), rel=1e-12)
        assert table.columns["max_feret_nm"][row] == pytest.approx(largest, rel=1e-12)
    assert n > 5


def test_an_image_without_nan_takes_the_fast_path_to_the_same_particles_and_is_left_untouched():
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:120, 0:120]
    z = rng.normal(0, 0.1, (120, 120))
    for cy, cx, r in ((30, 30, 8), (34, 44, 7), (80, 70, 10), (100, 20, 6)):
        z = np.maximum(z, 6.0 * np.clip(1 - ((yy - cy) ** 2 + (xx - cx) ** 2) / r**2, 0, None))
    original = z.copy()
    fast = segment_particles(z, pixel_size_nm=1.0, threshold_nm=1.0)
    np.testing.assert_array_equal(z, original)  # the median works on copies, never on the caller's heights
    with_nan = z.copy()
    with_nan[0, 119] = np.nan  # a substrate pixel far from every particle: the careful path
    careful = segment_particles(with_nan, pixel_size_nm=1.0, threshold_nm=1.0)
    assert fast.count == careful.count == 4  # the two touching domes split by the watershed
    np.testing.assert_array_equal(fast.labels, careful.labels)
    assert fast.substrate_nm == pytest.approx(careful.substrate_nm, abs=1e-3)  # one substrate pixel fewer
