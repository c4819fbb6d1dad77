"""Images coarser than a model's calibrated pixel sizes: the noise-corrected erosion and its own interval.

At pixels of several nm the tip's apex (2-30 nm) spans a pixel or two: the image is nearly the
surface, and the Villarrubia erosion by the tip already removes what the tip did.  On the wide
validation seed at 4-16 nm pixels the network, run on a copy of the image upsampled to its
2 nm grid, reached 1.00 x the erosion's RMSE (the raw image too) and was worse than the raw
image on 15 of 90 images against the erosion's 5, its intervals covered only 52-76 % of pixels for
a nominal 90 %, and a 512^2 px scan at 19.5 nm/px took three minutes (benchmarks/RESULTS.md).
Beyond the pixel sizes the model's intervals were calibrated on, deconvolution therefore returns
the erosion raised by the noise's expected pull where the tip did not certainly touch (the
network's own bound), on the image's own grid, with an interval fitted for it by
``afm-profiler calibrate``: split-conformal quantiles of ``(truth - result) / scale`` per
certainty group, ``scale`` being the frame's noise level (floored at :data:`SCALE_FLOOR_NM`) plus
half the pixel's dig (image - result).  Where the tip did not touch, the truth can lie far below
the erosion; with the noise level alone as the scale, the 90 % interval reached 67 noise SDs
below the result in every such pixel.  With the dig in the scale, the interval widens where the
tip hid something (wide validation seed at 4-16 nm: 88.3-95.8 % per kind, mean half-width
0.74 nm against 0.95 nm with the noise level alone or with the whole dig).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from napari_afm_profiler.deconv.calibration import LEVELS
from napari_afm_profiler.deconv.conditioning import condition_maps
from napari_afm_profiler.errors import InputError

SCALE_FLOOR_NM = 0.05
"""Smallest scale of the erosion's interval: the noise level of a clean image says little below this."""

GROUPS = ("certain", "uncertain")
"""Pixels where the tip certainly touched, and the others."""


def erosion_limit_nm(intervals: Mapping[str, Any] | None) -> float | None:
    """Return the pixel size (nm) beyond which a card's model gives the erosion, or None when it never does.

    Examples
    --------
    >>> erosion_limit_nm({"coarse": {"pixel_size_nm": [4.0, 16.0]}}), erosion_limit_nm({})
    (4.0, None)
    """
    coarse = (intervals or {}).get("coarse")
    return float(coarse["pixel_size_nm"][0]) if coarse else None


DIG_WEIGHT = 0.5
"""Weight of the pixel's dig (image - result) in the interval's scale (chosen on validation, above)."""


def interval_scale(noise_nm: float, image: np.ndarray, surface: np.ndarray) -> np.ndarray:
    """Return the per-pixel scale (nm) of the erosion's interval: floored noise level + half the dig.

    Examples
    --------
    >>> interval_scale(0.0, np.array([1.0, 3.0]), np.array([1.0, 1.0])).tolist()
    [0.05, 1.05]
    """
    return max(float(noise_nm), SCALE_FLOOR_NM) + DIG_WEIGHT * np.maximum(image - surface, 0.0)


def erosion_surface(filled: np.ndarray, tip: np.ndarray, noise_nm: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the noise-corrected erosion of a NaN-free frame by a usable tip, and the certainty map.

    Examples
    --------
    >>> from napari_afm_profiler.tip import dilate, make_tip
    >>> surface = np.zeros((48, 48)); surface[20:28, 20:28] = 5.0
    >>> tip = make_tip("paraboloid", pixel_size_nm=8.0, radius_nm=10.0, size=5).heights
    >>> result, certain = erosion_surface(dilate(surface, tip), tip, 0.0)
    >>> bool((result >= surface - 1e-9).all()), bool(np.allclose(result[22:26, 22:26], 5.0)), certain.shape
    (True, True, (48, 48))
    """
    return condition_maps(filled, tip, noise_corrected=True, noise_nm=noise_nm)


def erosion_interval(image: np.ndarray, surface: np.ndarray, certain: np.ndarray, noise_nm: float, level: float,
                     entry: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Return the calibrated ``level`` interval ``(lower, upper)`` about the erosion ``surface`` (float32).

    Parameters
    ----------
    image : (ny, nx) ndarray
        The (NaN-free) image.
    surface : (ny, nx) ndarray
        The noise-corrected erosion.
    certain : (ny, nx) ndarray
        1 where the tip certainly touched.
    noise_nm : float
        The frame's noise level.
    level : float
        0.9 or 0.5.
    entry : mapping
        The card's ``intervals["coarse"]``.

    Examples
    --------
    >>> entry = {"0.9": {"certain": [-1.0, 1.0], "uncertain": [-3.0, 1.5]}}
    >>> image = np.array([[0.0, 0.4]])  # the second pixel lies 0.4 nm below the image: scale 0.2 + 0.2
    >>> lo, hi = erosion_interval(image, np.zeros((1, 2)), np.array([[1.0, 0.0]]), 0.2, 0.9, entry)
    >>> lo.astype(float).round(2).tolist(), hi.astype(float).round(2).tolist()
    ([[-0.2, -1.2]], [[0.2, 0.6]])
    """
    offsets = entry[str(level)]
    scale = interval_scale(noise_nm, image, surface)
    touched = certain > 0.5
    lower = np.empty(surface.shape, np.float32)
    upper = np.empty(surface.shape, np.float32)
    for name, where in (("certain", touched), ("uncertain", ~touched)):
        lo, hi = offsets[name]
        lower[where] = surface[where] + min(float(lo), 0.0) * scale[where]
        upper[where] = surface[where] + max(float(hi), 0.0) * scale[where]
    return lower, upper


def fit_erosion_intervals(scores: Sequence[np.ndarray], certain: Sequence[np.ndarray], kinds: Sequence[str],
                          aim_90: float) -> dict[str, Any]:
    """Fit the erosion's interval offsets: per certainty group, the two-sided quantiles of the scores.

    Parameters
    ----------
    scores : sequence of (ny, nx) ndarray
        Per calibration frame, ``(truth - erosion) / scale``.
    certain : sequence of (ny, nx) ndarray
        The frames' certainty maps.
    kinds : sequence of str
        The frames' scene kinds, for the in-sample coverage.
    aim_90 : float
        The share of calibration pixels the 90 % interval is fitted to cover (0.5 for the 50 %).

    Returns
    -------
    dict
        ``{"0.9": {"certain": [lo, hi], "uncertain": [lo, hi], "coverage_by_kind": {...}}, "0.5": ...}``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> scores = [rng.normal(0, 1, (32, 32)) for _ in range(4)]
    >>> certain = [np.zeros((32, 32)) for _ in range(4)]
    >>> entry = fit_erosion_intervals(scores, certain, ["a", "a", "b", "b"], 0.9)
    >>> [abs(v) // 0.1 / 10 for v in entry["0.9"]["uncertain"]], round(entry["0.9"]["coverage_by_kind"]["a"], 1)
    ([1.6, 1.6], 0.9)
    """
    if not scores:
        raise InputError("no calibration frames for the erosion's interval")
    s = np.stack([np.asarray(v, np.float64) for v in scores])
    touched = np.stack([np.asarray(v) > 0.5 for v in certain])
    kinds_arr = np.asarray(kinds)
    entry: dict[str, Any] = {}
    for level in LEVELS:
        aim = aim_90 if level == 0.9 else level
        offsets: dict[str, Any] = {}
        inside = np.zeros(s.shape, bool)
        for name, where in (("certain", touched), ("uncertain", ~touched)):
            values = s[where]
            if not values.size:  # a group without pixels keeps the other's offsets (filled below)
                continue
            lo, hi = np.quantile(values, [(1 - aim) / 2, (1 + aim) / 2])
            offsets[name] = [float(min(lo, 0.0)), float(max(hi, 0.0))]
            inside |= where & (s >= offsets[name][0]) & (s <= offsets[name][1])
        for name in GROUPS:
            offsets.setdefault(name, next(iter(offsets.values())))
        offsets["coverage_by_kind"] = {str(k): float(inside[kinds_arr == k].mean()) for k in dict.fromkeys(kinds)}
        entry[str(level)] = offsets
    return entry
