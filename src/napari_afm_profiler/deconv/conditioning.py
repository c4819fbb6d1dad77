"""What a tip-conditioned network sees of the tip: the erosion, the certainty map and a tip profile.

The same function prepares training pairs and user images, so the network meets at inference
exactly the inputs it was trained on.  The physics fixes most of the answer: the true surface
lies below the Villarrubia erosion by the tip (up to noise) and equals it where the certainty
map says the tip touched; the network only has to learn how far below the erosion the surface
lies elsewhere, and the tip profile tells it how blunt the tip is at each distance from its apex.
The image's noise level tells it how far small dips of the erosion can be trusted.
"""

from __future__ import annotations

import math

import numpy as np

from napari_afm_profiler.deconv.tips import noise_level
from napari_afm_profiler.preprocess.fit import fit_polynomial
from napari_afm_profiler.tip import certainty_map, erode
from napari_afm_profiler.tip.models import crop_tip

PROFILE_RADII_PX = (1, 2, 3, 5, 8, 12, 18, 27)
"""Distances from the apex (pixels) at which the tip's depth is given to the network."""

DEPTH_SCALE_NM = 10.0
"""Tip depths are divided by this before they reach the network."""

NOISE_FLOOR_NM = 0.01
"""Added to the noise level before its logarithm: noise far below this is as good as none."""

N_CONDITION = len(PROFILE_RADII_PX) + 2
"""Length of the condition vector: the tip profile, log2 of the pixel size and the noise feature.

Networks trained before the noise feature take ``len(PROFILE_RADII_PX) + 1`` (no noise)."""


def usable_tip(tip: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Crop ``tip`` to the image and clip its depth to the image's height range plus 1 nm.

    Tip material deeper than the image's height range never touches the surface, so the
    erosion is unchanged; clipping makes a deep measured tip and a shallow modelled one give
    the network the same profile.  Pixels with no tip material (NaN, -inf) are as deep as the
    clip for the same reason: a needle whose array is NaN beside the apex is the sharpest tip,
    not the bluntest.

    Examples
    --------
    >>> needle = np.full((5, 5), np.nan); needle[2, 2] = 0.0
    >>> image = np.zeros((8, 8)); image[0, 0] = 3.0  # height range 3 nm: clipped 4 nm below the apex
    >>> usable_tip(needle, image)[2]
    array([-4., -4.,  0., -4., -4.])
    """
    tip = crop_tip(np.asarray(tip, np.float64), min(image.shape))
    finite = np.isfinite(image)
    depth = (float(np.ptp(image[finite])) if finite.any() else 0.0) + 1.0
    return np.where(np.isfinite(tip), np.maximum(tip - np.nanmax(tip), -depth), -depth)


def tip_profile(tip: np.ndarray, pixel_size_nm: float) -> np.ndarray:
    """Condition vector: the tip's mean depth (nm / 10) at :data:`PROFILE_RADII_PX` and log2 of the pixel size.

    Rings beyond the array, or without tip material, take the deepest depth of the array (such
    material never touches anything that the array's border would not).

    Examples
    --------
    >>> from napari_afm_profiler.tip import make_tip
    >>> tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=10.0, size=11).heights
    >>> profile = tip_profile(tip, 1.0)
    >>> profile.shape, round(float(profile[0]), 3), float(profile[-1])  # pixels about 1 px out: 0.05-0.1 nm deep
    ((9,), 0.007, 0.0)
    """
    tip = np.asarray(tip, np.float64)
    n = tip.shape[0]
    c = n // 2
    yy, xx = np.mgrid[0:n, 0:n] - c
    r = np.hypot(yy, xx)
    depth = np.where(np.isfinite(tip), np.nanmax(tip) - tip, np.nan)
    deepest = float(np.nanmax(depth))
    values = []
    for radius in PROFILE_RADII_PX:
        ring = (np.abs(r - radius) < 0.5) & np.isfinite(depth)
        values.append(float(depth[ring].mean()) if ring.any() and radius <= c else deepest)
    return np.asarray([*np.asarray(values) / DEPTH_SCALE_NM, np.log2(pixel_size_nm)], np.float32)


CERTAINTY_TOLERANCE = 2
"""Height steps within which other tip points count as contacts in the certainty map the network
sees and the result is pinned to (see :func:`~napari_afm_profiler.tip.certainty_map`): with
Gwyddion's exact rule, false single contacts beside walls pinned the result to the erosion's
hollow and taught the network to trust them (paper cuboids, noise-free: projected-area error
17.8 % -> 8.4 %, RMSE 1.28 -> 0.63 nm with the same network)."""


def erosion_noise_bias(tip: np.ndarray, noise_nm: float, size: int = 96) -> float:
    """Return how far (nm, >= 0) white noise of SD ``noise_nm`` pulls the erosion by ``tip`` below a flat surface.

    The erosion takes a minimum over every tip point near the apex height, so it picks the most
    negative noise among them: a blunt tip over a noisy flat substrate gives an erosion about two
    to three noise SDs below the truth, and a result bounded by it is then worse than the raw image.
    Measured on a fixed (seeded) noise field of ``size`` x ``size`` pixels with the tip points that
    can win the minimum (depth within 8 SD of the apex).

    Examples
    --------
    >>> from napari_afm_profiler.tip import make_tip
    >>> tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=20.0, size=41).heights
    >>> erosion_noise_bias(tip, 0.0), 1.5 < erosion_noise_bias(tip, 0.3) / 0.3 < 2.2
    (0.0, True)
    """
    if not noise_nm > 0:
        return 0.0
    tip = np.asarray(tip, np.float64)
    depth = np.nanmax(tip) - tip
    c = tip.shape[0] // 2
    yy, xx = np.nonzero(np.isfinite(depth) & (depth <= 8.0 * noise_nm))
    reach = int(max(np.abs(yy - c).max(), np.abs(xx - c).max()))
    small = crop_tip(tip, 2 * reach + 1)
    field = np.random.default_rng(0).normal(0.0, noise_nm, (size + 2 * reach, size + 2 * reach))
    eroded = erode(field, small)
    return max(0.0, -float(eroded[reach:reach + size, reach:reach + size].mean()))


def condition_maps(image: np.ndarray, tip: np.ndarray, tolerance: int = CERTAINTY_TOLERANCE,
                   noise_corrected: bool = False, noise_nm: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return the Villarrubia erosion of ``image`` by ``tip`` and the certainty map (0/1), NaN-free image.

    With ``noise_corrected``, the erosion is raised by :func:`erosion_noise_bias` at the image's
    noise level (:func:`~napari_afm_profiler.deconv.tips.noise_level`) wherever the tip did not
    certainly touch: the tightest surface consistent with the image *given its noise*.  Where it
    touched, the erosion is the image at the contact, whose own noise is not selected for being
    low, and stays as it is.  On a noise-free image it is the plain erosion.  ``noise_nm``, when
    the caller has it already, is that noise level.
    """
    eroded = erode(image, tip)
    certain = np.nan_to_num(certainty_map(image, tip, tolerance=tolerance))
    if noise_corrected:
        noise = noise_level(image) if noise_nm is None else noise_nm
        eroded += erosion_noise_bias(tip, noise) * (certain < 0.5)
    return eroded, certain


def noise_feature(image: np.ndarray, noise_nm: float | None = None) -> float:
    """Return the image's white-noise level as the network sees it: ``log2((sigma + floor) / 0.1 nm)``.

    ``sigma`` is :func:`~napari_afm_profiler.deconv.tips.noise_level` (robust, blind to slopes).
    Without it a network must treat a dip of the erosion by a few tenths of a nanometre, the
    only sign that a flat top ends before the tip's rounded apex slides off it, as possible
    noise, even on a clean image: walls then move outwards by a few pixels.  ``noise_nm``, when
    the caller has it already, is ``sigma``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> abs(noise_feature(rng.normal(0, 0.09, (64, 64)))) < 0.1  # log2((0.09 + 0.01) / 0.1) = 0
    True
    """
    sigma = noise_level(image) if noise_nm is None else noise_nm
    return math.log2((sigma + NOISE_FLOOR_NM) / 0.1)


def condition_vector(tip: np.ndarray, pixel_size_nm: float, image: np.ndarray, n_condition: int = N_CONDITION,
                     noise_nm: float | None = None) -> np.ndarray:
    """Return the condition vector of a network taking ``n_condition`` values: tip profile, pixel size, noise.

    ``tip`` is the usable tip (:func:`usable_tip`); ``image`` the heights on the network's grid,
    ``noise_nm`` its noise level if the caller has it already.
    """
    profile = tip_profile(tip, pixel_size_nm)
    if n_condition == len(profile):
        return profile
    if n_condition != len(profile) + 1:
        raise ValueError(f"a tip-conditioned network takes {len(profile)} or {len(profile) + 1} condition values; "
                         f"this one takes {n_condition}")
    return np.append(profile, np.float32(noise_feature(image, noise_nm))).astype(np.float32)


def network_inputs(image: np.ndarray, tip: np.ndarray, pixel_size_nm: float,
                   tolerance: int = CERTAINTY_TOLERANCE, n_condition: int = N_CONDITION,
                   noise_corrected: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Stack ``(image, erosion, certainty)`` ``(3, ny, nx)`` and the condition vector, float32.

    Heights stay absolute (nm); the network subtracts a reference height itself.  The erosion
    is corrected for the noise with ``noise_corrected`` (see :func:`condition_maps`).
    """
    tip = usable_tip(tip, image)
    eroded, certain = condition_maps(image, tip, tolerance, noise_corrected)
    maps = np.stack([image, eroded, certain]).astype(np.float32)
    return maps, condition_vector(tip, pixel_size_nm, image, n_condition)


BACKGROUND_WINDOW_PX = 128
"""Side of the windows whose substrate planes make up a large frame's background: the size of the
scenes the shipped network learned on (the wide generator's 128 x 128 px)."""


def substrate_plane(a: np.ndarray, max_pixels: int = 65536) -> np.ndarray:
    """Return the plane of the substrate under an image: fitted, then refitted to the pixels below it.

    The network works on level substrates; a residual tilt (an image only line-levelled,
    a tilted sample) makes it dig pits where the image is high.  Fitting the lower half of the
    residuals keeps particles and rough peaks from tilting the plane, so an already level image
    is left almost unchanged.  Fitted on at most about ``max_pixels`` pixels of a regular subgrid.
    """
    ny, nx = a.shape
    stride = max(1, int(math.sqrt(a.size / max_pixels)))
    sub = a[::stride, ::stride]
    y, x = np.arange(0, ny, stride), np.arange(0, nx, stride)
    use = np.isfinite(sub)
    for _ in range(2):
        plane = fit_polynomial(sub, 1, use=use, y=y, x=x)
        residual = plane.subtract_from(sub)
        use = np.isfinite(sub) & (residual <= np.nanmedian(residual))
    return fit_polynomial(sub, 1, use=use, y=y, x=x).evaluate(a.shape)


def substrate_background(a: np.ndarray, window: int = BACKGROUND_WINDOW_PX) -> np.ndarray:
    """Return the substrate under a frame as the network should not see it: its plane, or local planes blended.

    A frame of at most ``window`` px a side gets :func:`substrate_plane`, as in training.  A
    larger one gets the substrate planes of ``window``-px windows at half-window steps, blended
    by weights that fall linearly over the outer quarter of each window: the network learned on
    scenes of that size over a level substrate, and a bowed frame (50 nm of bow on a real 256²
    image) put whole regions far below the frame's level, where it dug a lattice of holes 80 nm
    deep (9 nm after this; benchmarks/RESULTS.md).

    Parameters
    ----------
    a : (ny, nx) float ndarray
        Heights, nm (finite: the caller fills NaN pixels first).
    window : int
        Side of the windows, px.

    Returns
    -------
    (ny, nx) float ndarray
        The substrate, nm, to subtract before the network and add back to its outputs.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:256, 0:256] * 1.0
    >>> bowl = 1e-3 * ((yy - 128) ** 2 + (xx - 128) ** 2)  # 33 nm of bow at the corners
    >>> left = {name: float(np.ptp(bowl - fit(bowl))) for name, fit in
    ...         (("plane", substrate_plane), ("background", substrate_background))}
    >>> round(left["plane"]), left["background"] < 0.5 * left["plane"]
    (33, True)
    >>> bool(np.allclose(substrate_background(bowl[:128, :128]), substrate_plane(bowl[:128, :128])))
    True
    """
    ny, nx = a.shape
    if ny <= window and nx <= window:
        return substrate_plane(a)
    wy, wx = min(window, ny), min(window, nx)
    ramp_y, ramp_x = _ramp(wy), _ramp(wx)
    taper = np.outer(ramp_y, ramp_x)
    total = np.zeros(a.shape)
    weight_y, weight_x = np.zeros(ny), np.zeros(nx)  # the windows lie on a grid: the weights separate
    for y0 in _window_starts(ny, wy):
        weight_y[y0:y0 + wy] += ramp_y
        for x0 in _window_starts(nx, wx):
            block = (slice(y0, y0 + wy), slice(x0, x0 + wx))
            total[block] += substrate_plane(a[block], max_pixels=1024) * taper
    for x0 in _window_starts(nx, wx):
        weight_x[x0:x0 + wx] += ramp_x
    total /= weight_y[:, None]
    total /= weight_x[None, :]
    return total


def _ramp(n: int) -> np.ndarray:
    """Blending weights along a window: rising linearly over its first quarter, falling over its last."""
    i = np.arange(n)
    return np.minimum(np.minimum(i + 1, n - i) / max(n / 4, 1), 1.0)


def _window_starts(n: int, w: int) -> list[int]:
    """Return the starts of windows of ``w`` px at half-window steps over ``n`` px, the last flush with the end."""
    if n <= w:
        return [0]
    return [*range(0, n - w, w // 2), n - w]
