"""Dilation, erosion and certainty map against definitions and morphological identities."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.tip import certainty_map, dilate, erode, make_tip

RNG = np.random.default_rng(42)


def _rough(shape=(64, 80), sigma=2.0, scale=10.0):
    return ndi.gaussian_filter(RNG.normal(size=shape), sigma) * scale


def _lopsided_tip(n=9):
    c = n // 2
    y, x = np.mgrid[-c:c + 1, -c:c + 1]
    return -(0.8 * np.abs(y) + 0.3 * x**2 + 0.5 * np.maximum(x, 0))


def test_dilation_is_the_max_plus_definition():
    surface, tip = _rough(), _lopsided_tip()
    expected = ndi.grey_dilation(surface, structure=tip[::-1, ::-1] - tip.max(), mode="nearest")
    np.testing.assert_allclose(dilate(surface, tip), expected, rtol=0, atol=1e-12)


def test_erosion_is_the_min_plus_definition():
    image, tip = _rough(), _lopsided_tip()
    expected = ndi.grey_erosion(image, structure=tip[::-1, ::-1] - tip.max(), mode="nearest")
    np.testing.assert_allclose(erode(image, tip), expected, rtol=0, atol=1e-12)


def test_flat_surface_stays_flat():
    flat = np.full((20, 30), 3.25)
    tip = _lopsided_tip()
    assert np.array_equal(dilate(flat, tip), flat)
    assert np.array_equal(erode(flat, tip), flat)


def test_image_of_a_spike_is_the_reflected_tip():
    tip = _lopsided_tip(7)
    surface = np.zeros((21, 21))
    surface[10, 10] = 100.0
    image = dilate(surface, tip)
    np.testing.assert_array_equal(image[7:14, 7:14], 100.0 + tip[::-1, ::-1])


def test_villarrubia_bounds_and_idempotence():
    surface, tip = _rough(scale=20.0), _lopsided_tip(11)
    image = dilate(surface, tip)
    recon = erode(image, tip)
    assert np.all(surface <= recon + 1e-12)
    assert np.all(recon <= image + 1e-12)
    # the reconstruction images exactly to the image, and eroding that again changes nothing
    np.testing.assert_allclose(dilate(recon, tip), image, atol=1e-12)
    np.testing.assert_allclose(erode(dilate(recon, tip), tip), recon, atol=1e-12)


def test_anisotropic_pixels_and_stacks():
    tip = make_tip("cone", pixel_size_nm=(2.0, 1.0), radius_nm=3.0, half_angle_deg=30, height_nm=20)
    stack = np.stack([_rough(), _rough()])
    out = dilate(stack, tip, pixel_size_nm=(2.0, 1.0))
    assert out.shape == stack.shape
    np.testing.assert_allclose(out[1], dilate(stack[1], tip.heights))


def test_nan_stays_local():
    surface, tip = _rough(), _lopsided_tip(7)
    holed = surface.copy()
    holed[30, 40] = np.nan
    out = dilate(holed, tip)
    reference = dilate(surface, tip)
    assert np.isnan(out[30, 40])
    assert np.isnan(out).sum() == 1
    far = np.ones_like(surface, bool)
    far[27:34, 37:44] = False
    np.testing.assert_array_equal(out[far], reference[far])
    eroded = erode(holed, tip)
    assert np.isnan(eroded).sum() == 1


def test_certainty_map_marks_spike_apices():
    tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=2.0, size=9).heights
    surface = np.zeros((40, 40))
    for y, x in [(10, 12), (25, 30), (30, 8)]:
        surface[y, x] = 30.0
    cmap = certainty_map(dilate(surface, tip), tip)
    assert set(np.unique(cmap)) <= {0.0, 1.0}
    for y, x in [(10, 12), (25, 30), (30, 8)]:
        assert cmap[y, x] == 1.0
    # next to a spike the reconstruction is the tip's flank, not the substrate: uncertain
    assert cmap[10, 13] == 0.0


@pytest.mark.parametrize("tip, message", [
    (np.zeros((4, 4)), "odd"),
    (np.zeros((3, 5)), "square"),
    (np.zeros((99, 99)), "larger than the image"),
    (np.zeros((3, 3, 3)), "square"),
])
def test_bad_tips_are_named(tip, message):
    with pytest.raises(InputError, match=message):
        dilate(np.zeros((50, 50)), tip)


def test_bad_images_are_named():
    with pytest.raises(InputError, match="2-D"):
        erode(np.zeros(10), np.zeros((3, 3)))


def test_two_threads_running_kernels_at_once_do_not_abort():
    """Two docks may run tip kernels together; numba's workqueue layer aborts on concurrent launches."""
    from concurrent.futures import ThreadPoolExecutor

    from napari_afm_profiler.tip import dilate, erode, make_tip

    rng = np.random.default_rng(4)
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=3.0, half_angle_deg=30.0, size=9)
    surfaces = [rng.normal(size=(96, 96)) for _ in range(8)]
    expected = [erode(dilate(s, tip), tip) for s in surfaces]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda s: erode(dilate(s, tip), tip), surfaces))
    for got, want in zip(results, expected):
        np.testing.assert_array_equal(got, want)


def test_concurrent_kernels_survive_numbas_workqueue_layer():
    """Forced onto the layer without thread safety (no TBB, no OpenMP), concurrent launches must not abort."""
    import os
    import subprocess
    import sys

    code = ("from concurrent.futures import ThreadPoolExecutor\n"
            "import numpy as np\n"
            "from napari_afm_profiler.tip import dilate, erode, make_tip\n"
            "tip = make_tip('cone', pixel_size_nm=1.0, radius_nm=3.0, half_angle_deg=30.0, size=9)\n"
            "s = [np.random.default_rng(k).normal(size=(128, 128)) for k in range(40)]\n"
            "with ThreadPoolExecutor(4) as pool:\n"
            "    list(pool.map(lambda a: erode(dilate(a, tip), tip), s))\n"
            "import numba; print(numba.threading_layer())\n")
    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "workqueue"


def test_certainty_tolerance_drops_false_contacts_beside_walls():
    """Noise-free rotated boxes under a cone: the erosion must equal the truth wherever the map says certain."""
    from napari_afm_profiler.synth import SynthConfig, make_dataset

    data = make_dataset(SynthConfig(kind="cuboid"), 4, seed=31)
    tip = data["tip"]
    wrong = {0: 0, 2: 0}
    certain = {0: 0, 2: 0}
    for surface, image in zip(data["surface"], data["image"]):
        eroded = erode(image, tip)
        for tolerance in wrong:
            sure = certainty_map(image, tip, tolerance=tolerance) > 0.5
            wrong[tolerance] += int(np.count_nonzero(sure & (eroded - surface > 0.1)))
            certain[tolerance] += int(np.count_nonzero(sure))
    assert wrong[0] > 0  # Gwyddion's exact rule: ties split by quantisation look like single contacts
    assert wrong[2] * 3 <= wrong[0]
    assert certain[2] >= 0.97 * certain[0]  # hardly any true contact is lost


def test_certainty_tolerance_must_be_whole_steps():
    tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=2.0, size=5).heights
    with pytest.raises(InputError, match="tolerance"):
        certainty_map(np.zeros((10, 10)), tip, tolerance=-1)


def test_certainty_of_a_flat_frame_follows_the_tips_apex():
    """A flat frame (saturated, or noise-free virtual) has no height range to quantise by.

    A sharp apex touches it alone everywhere, so every pixel is certain; an apex flat over 3x3
    points touches with all nine, so none is (Gwyddion's rule of one contact).  With a 1 nm step
    no pixel was certain for any tip whose points within 1 nm of the apex tie with it.
    """
    import numpy as np

    from napari_afm_profiler.tip import certainty_map
    from napari_afm_profiler.tip.models import make_tip

    flat = np.full((40, 40), 450.0)
    sharp = np.asarray(make_tip("paraboloid", pixel_size_nm=2.0, radius_nm=4.0, height_nm=40.0).heights)
    assert certainty_map(flat, sharp).min() == 1.0
    blunt = sharp.copy()
    c = blunt.shape[0] // 2
    blunt[c - 1:c + 2, c - 1:c + 2] = blunt.max()
    assert certainty_map(flat, blunt).max() == 0.0
