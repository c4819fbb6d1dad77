"""Scan-line corrections: offsets or tilts between fast-scan lines (rows)."""

from __future__ import annotations

import warnings

import numpy as np
from numpy.polynomial import polynomial

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.preprocess._exclude import excluded_pixels

LINE_METHODS = ("median", "mean", "poly", "match")


def correct_lines(
    height: np.ndarray, method: str = "median", *, order: int = 1, exclude: np.ndarray | None = None,
    mask: np.ndarray | None = None, recentre: bool = True,
) -> np.ndarray:
    """Remove scan-line artifacts (offsets or tilts between fast-scan lines, i.e. rows).

    Parameters
    ----------
    height : (ny, nx) float ndarray, nm
        Height map, rows are scan lines.
    method : {"median", "mean", "poly", "match"}
        ``median``/``mean``: subtract each line's median/mean; ``poly``: subtract a polynomial of
        ``order`` fitted to each line; ``match``: shift each line so that the median of its
        difference to the previous line is zero (keeps real slopes across lines).
    order : int
        Degree for ``method="poly"``.
    exclude : (ny, nx) bool ndarray, optional
        True where pixels are ignored when estimating the corrections.
    mask : (ny, nx) bool ndarray, optional
        Deprecated old name of ``exclude``.
    recentre : bool
        Shift the result so that the median of the pixels used (the substrate, when particles
        are excluded) is 0: ``match`` otherwise keeps the first line's level, and excluded
        particles leave the substrate off zero.

    Returns
    -------
    levelled : (ny, nx) float ndarray, nm

    Examples
    --------
    >>> import numpy as np
    >>> steps = np.zeros((3, 4)) + np.array([[0.0], [5.0], [-2.0]])
    >>> correct_lines(steps, "median")
    array([[0., 0., 0., 0.],
           [0., 0., 0., 0.],
           [0., 0., 0., 0.]])
    """
    height = np.asarray(height, dtype=np.float64)
    if height.ndim != 2:
        raise InputError(f"levelling needs a 2D height map, got shape {height.shape}")
    if method not in LINE_METHODS:
        raise InputError(f"unknown line correction {method!r}; choose one of {LINE_METHODS}")
    use = np.isfinite(height)
    ignored = excluded_pixels(exclude, mask, height.shape)
    if ignored is not None:
        use &= ~ignored
    out = height.copy()
    if method in ("median", "mean"):
        stat = np.nanmedian if method == "median" else np.nanmean
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN lines get offset 0 below
            offsets = stat(np.where(use, height, np.nan), axis=1)
        offsets = np.where(np.isfinite(offsets), offsets, 0.0)
        out -= offsets[:, None]
        return _recentred(out, use, recentre)
    if method == "poly":
        x = np.linspace(-1.0, 1.0, height.shape[1])
        for row in range(height.shape[0]):
            ok = use[row]
            if ok.sum() > order:
                coeffs = polynomial.polyfit(x[ok], height[row, ok], order)
                out[row] -= polynomial.polyval(x, coeffs)
        return _recentred(out, use, recentre)
    # match: cumulative median of differences between neighbouring lines
    shift = np.zeros(height.shape[0])
    for row in range(1, height.shape[0]):
        both = use[row] & use[row - 1]
        if both.any():
            shift[row] = np.median(height[row, both] - height[row - 1, both])
    out -= np.cumsum(shift)[:, None]
    return _recentred(out, use, recentre)


def _recentred(out: np.ndarray, use: np.ndarray, recentre: bool) -> np.ndarray:
    if recentre and use.any():
        out -= float(np.median(out[use]))
    return out
