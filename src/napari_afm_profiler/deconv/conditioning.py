"""What a tip-conditioned network sees of the tip: the erosion, the certainty map and a tip profile.

The same function prepares training pairs and user images, so the network meets at inference
exactly the inputs it was trained on.  The physics fixes most of the answer: the true surface
lies below the Villarrubia erosion by the tip (up to noise) and equals it where the certainty
map says the tip touched; the network only has to learn how far below the erosion the surface
lies elsewhere, and the tip profile tells it how blunt the tip is at each distance from its apex.
"""

from __future__ import annotations

import numpy as np

from napari_afm_profiler.tip import certainty_map, erode
from napari_afm_profiler.tip.models import crop_tip

PROFILE_RADII_PX = (1, 2, 3, 5, 8, 12, 18, 27)
"""Distances from the apex (pixels) at which the tip's depth is given to the network."""

DEPTH_SCALE_NM = 10.0
"""Tip depths are divided by this before they reach the network."""

N_CONDITION = len(PROFILE_RADII_PX) + 1
"""Length of the condition vector: the tip profile and log2 of the pixel size."""


def usable_tip(tip: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Crop ``tip`` to the image and clip its depth to the image's height range plus 1 nm.

    Tip material deeper than the image's height range never touches the surface, so the
    erosion is unchanged; clipping makes a deep measured tip and a shallow modelled one give
    the network the same profile.
    """
    tip = crop_tip(np.asarray(tip, np.float64), min(image.shape))
    finite = np.isfinite(image)
    depth = (float(np.ptp(image[finite])) if finite.any() else 0.0) + 1.0
    return np.where(np.isfinite(tip), np.maximum(tip - np.nanmax(tip), -depth), np.nan)


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


def condition_maps(image: np.ndarray, tip: np.ndarray, tolerance: int = CERTAINTY_TOLERANCE,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Return the Villarrubia erosion of ``image`` by ``tip`` and the certainty map (0/1), NaN-free image."""
    return erode(image, tip), np.nan_to_num(certainty_map(image, tip, tolerance=tolerance))


def network_inputs(image: np.ndarray, tip: np.ndarray, pixel_size_nm: float,
                   tolerance: int = CERTAINTY_TOLERANCE) -> tuple[np.ndarray, np.ndarray]:
    """Stack ``(image, erosion, certainty)`` ``(3, ny, nx)`` and the condition vector, float32.

    Heights stay absolute (nm); the network subtracts a reference height itself.
    """
    tip = usable_tip(tip, image)
    eroded, certain = condition_maps(image, tip, tolerance)
    maps = np.stack([image, eroded, certain]).astype(np.float32)
    return maps, tip_profile(tip, pixel_size_nm)
