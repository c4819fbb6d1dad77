"""Feature parameters (Wolf-pruned peaks and pits) on surfaces of known bumps."""

import numpy as np
import pytest

from napari_afm_profiler.roughness import RoughnessSettings, surface_parameters
from napari_afm_profiler.roughness.features import significant_peaks

NONE = RoughnessSettings(level="none")


def bumps(heights, centres, sigma_px, shape):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    z = np.zeros(shape)
    for h, (cy, cx) in zip(heights, centres):
        z += h * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma_px**2))
    return z


def test_peaks_heights_density_and_curvature_of_gaussian_bumps():
    shape, sigma, px = (300, 300), 10.0, 2.0
    heights = np.array([10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0])
    centres = [(50 + 100 * i, 50 + 100 * j) for i in range(3) for j in range(3)]
    z = bumps(heights, centres, sigma, shape)
    # a 0.3 nm bump (under 5 % of Sz = 0.5 nm) is pruned away
    z += bumps([0.3], [(100, 100)], 3.0, shape)
    v = surface_parameters(z, pixel_size_nm=px, settings=NONE, groups="features").values
    zm = z - z.mean()
    area_um2 = z.size * px * px / 1e6
    assert v["Spd"] == pytest.approx(9 / area_um2)
    assert v["S5p"] == pytest.approx(np.mean(heights[:5] - z.mean()), rel=1e-6)
    # continuous curvature of h exp(-r^2 / 2 s^2) at its apex: h / s^2 (s in nm)
    assert v["Spc"] == pytest.approx(np.mean(heights / (sigma * px) ** 2), rel=0.01)
    # the background has no significant pit: its lowest point lies on the border
    assert v["S5v"] is None
    assert v["Svd"] == 0.0
    assert np.unravel_index(np.argmin(zm), shape)[0] in (0, shape[0] - 1) or np.argmin(zm) % shape[1] in (0, shape[1] - 1)


def test_pits_mirror_peaks():
    shape = (200, 200)
    depths = [6.0, 5.0, 4.0, 3.0, 2.5, 2.0]
    centres = [(40, 40), (40, 100), (40, 160), (140, 40), (140, 100), (140, 160)]
    z = -bumps(depths, centres, 8.0, shape)
    v = surface_parameters(z, pixel_size_nm=1.0, settings=NONE, groups="features").values
    assert v["Svd"] == pytest.approx(6 / (z.size / 1e6))
    assert v["S5v"] == pytest.approx(np.mean(np.array(depths[:5]) + z.mean()), rel=1e-6)
    assert v["Svc"] == pytest.approx(np.mean(np.array(depths) / 64.0), rel=0.02)


def test_wolf_pruning_threshold_and_border_peaks():
    z = np.zeros((9, 13))
    z[4, 3] = 10.0
    z[4, 9] = 1.0  # prominence 1.0 above the saddle at 0
    z[0, 6] = 5.0  # on the border: never counted
    mask = np.ones_like(z, bool)
    assert np.argwhere(significant_peaks(z, mask, 0.5)).tolist() == [[4, 3], [4, 9]]
    assert np.argwhere(significant_peaks(z, mask, 1.5)).tolist() == [[4, 3]]
    # a peak whose saddle is high has a small prominence even if it is high itself
    z2 = np.zeros((7, 11))
    z2[3, 2], z2[3, 3:8], z2[3, 8] = 10.0, 9.0, 9.5
    assert np.argwhere(significant_peaks(z2, np.ones_like(z2, bool), 1.0)).tolist() == [[3, 2]]


def _significant_by_definition(z, threshold):
    """A peak p is significant when the 8-connected piece of {z > z_p - T} holding p has p as its top."""
    from scipy import ndimage

    ny, nx = z.shape
    found = set()
    for y in range(1, ny - 1):
        for x in range(1, nx - 1):
            if z[y, x] < z[y - 1 : y + 2, x - 1 : x + 2].max():
                continue
            pieces, _ = ndimage.label(z > z[y, x] - threshold, structure=np.ones((3, 3)))
            if z[pieces == pieces[y, x]].max() <= z[y, x]:
                found.add((y, x))
    return found


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_merge_tree_pruning_matches_the_definition_of_prominence(seed):
    from scipy import ndimage

    z = ndimage.gaussian_filter(np.random.default_rng(seed).normal(size=(48, 48)), 1.5)
    threshold = 0.05 * (z.max() - z.min())
    ours = {tuple(p) for p in np.argwhere(significant_peaks(z, np.ones_like(z, bool), threshold))}
    assert ours == _significant_by_definition(z, threshold)
    assert len(ours) > 3


def test_each_piece_of_a_split_area_keeps_its_own_top_peak():
    # two separate pieces, each one hill of its own height: each top rises above its own piece's
    # lowest pixel (no saddle joins them), so both are significant however the other compares
    z = np.zeros((9, 20))
    z[4, 4], z[4, 15] = 3.0, 1.0
    mask = np.zeros_like(z, bool)
    mask[:, :9] = True
    mask[:, 11:] = True
    assert np.argwhere(significant_peaks(z, mask, 0.9)).tolist() == [[4, 4], [4, 15]]
    assert np.argwhere(significant_peaks(z, mask, 1.5)).tolist() == [[4, 4]]


@pytest.mark.parametrize("seed", [3, 4])
def test_pits_are_the_peaks_of_the_inverted_surface(seed):
    from scipy import ndimage

    from napari_afm_profiler.roughness import surface_parameters
    from napari_afm_profiler.roughness.settings import RoughnessSettings

    z = ndimage.gaussian_filter(np.random.default_rng(seed).normal(size=(64, 64)), 2.0)
    settings = RoughnessSettings(level="none")
    up = surface_parameters(z, pixel_size_nm=1.0, groups="features", settings=settings).values
    down = surface_parameters(-z, pixel_size_nm=1.0, groups="features", settings=settings).values
    assert up["Spd"] == down["Svd"] and up["Svd"] == down["Spd"]
    assert up["S5p"] == pytest.approx(down["S5v"]) and up["S5v"] == pytest.approx(down["S5p"])
