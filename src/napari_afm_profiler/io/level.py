"""Levelling: plane and polynomial background removal, per-scan-line corrections.

All functions take a height map in nm (NaN = missing) and an optional boolean ``mask`` of
pixels to *ignore* when fitting (e.g. particles), and return a new levelled array.
"""

from __future__ import annotations

import warnings

import numpy as np

from napari_afm_profiler.errors import InputError

LINE_METHODS = ("median", "mean", "poly", "match")


def _check(height: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    height = np.asarray(height, dtype=np.float64)
    if height.ndim != 2:
        raise InputError(f"levelling needs a 2D height map, got shape {height.shape}")
    use = np.isfinite(height)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != height.shape:
            raise InputError(f"mask shape {mask.shape} does not match image shape {height.shape}")
        use &= ~mask
    return height, use


def polynomial_background(height: np.ndarray, order: int = 1, *, mask: np.ndarray | None = None) -> np.ndarray:
    """Least-squares 2D polynomial of total degree ``order`` fitted to ``height``.

    Parameters
    ----------
    height : (ny, nx) float ndarray, nm
        Height map; NaN pixels are ignored.
    order : int
        Polynomial degree (1 = plane).
    mask : (ny, nx) bool ndarray, optional
        True where pixels are excluded from the fit.

    Returns
    -------
    background : (ny, nx) float ndarray, nm
        The fitted surface, evaluated everywhere.
    """
    height, use = _check(height, mask)
    if order < 0:
        raise InputError(f"polynomial order must be >= 0, got {order}")
    ny, nx = height.shape
    # normalised coordinates keep the least-squares system well conditioned
    y, x = np.mgrid[0:ny, 0:nx].astype(np.float64)
    x = 2.0 * x / max(nx - 1, 1) - 1.0
    y = 2.0 * y / max(ny - 1, 1) - 1.0
    terms = [(i, j) for total in range(order + 1) for i in range(total + 1) for j in [total - i]]
    if use.sum() < len(terms):
        raise InputError(f"only {int(use.sum())} usable pixels for a polynomial of order {order}")
    design = np.stack([x[use] ** i * y[use] ** j for i, j in terms], axis=1)
    coeffs, *_ = np.linalg.lstsq(design, height[use], rcond=None)
    background = np.zeros_like(height)
    for c, (i, j) in zip(coeffs, terms):
        background += c * x**i * y**j
    return background


def level_plane(height: np.ndarray, *, mask: np.ndarray | None = None) -> np.ndarray:
    """Subtract the least-squares plane.

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[0:4, 0:5]
    >>> bool(np.allclose(level_plane(0.5 * xx - 2.0 * yy + 3.0), 0.0))
    True
    """
    return np.asarray(height, dtype=np.float64) - polynomial_background(height, 1, mask=mask)


def level_polynomial(height: np.ndarray, order: int = 2, *, mask: np.ndarray | None = None) -> np.ndarray:
    """Subtract a least-squares 2D polynomial of degree ``order`` (bow, scanner curvature)."""
    return np.asarray(height, dtype=np.float64) - polynomial_background(height, order, mask=mask)


def correct_lines(
    height: np.ndarray, method: str = "median", *, order: int = 1, mask: np.ndarray | None = None
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
    mask : (ny, nx) bool ndarray, optional
        True where pixels are ignored when estimating the corrections.

    Returns
    -------
    levelled : (ny, nx) float ndarray, nm
    """
    height, use = _check(height, mask)
    if method not in LINE_METHODS:
        raise InputError(f"unknown line correction {method!r}; choose one of {LINE_METHODS}")
    out = height.copy()
    masked = np.where(use, height, np.nan)
    if method in ("median", "mean"):
        stat = np.nanmedian if method == "median" else np.nanmean
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN lines get offset 0 below
            offsets = stat(masked, axis=1)
        offsets = np.where(np.isfinite(offsets), offsets, 0.0)
        return out - offsets[:, None]
    if method == "poly":
        x = np.linspace(-1.0, 1.0, height.shape[1])
        for row in range(height.shape[0]):
            ok = use[row]
            if ok.sum() > order:
                coeffs = np.polynomial.polynomial.polyfit(x[ok], height[row, ok], order)
                out[row] -= np.polynomial.polynomial.polyval(x, coeffs)
        return out
    # match: cumulative median of differences between neighbouring lines
    shift = np.zeros(height.shape[0])
    for row in range(1, height.shape[0]):
        both = use[row] & use[row - 1]
        if both.any():
            shift[row] = np.median(height[row, both] - height[row - 1, both])
    return out - np.cumsum(shift)[:, None]


LEVEL_METHODS = {
    "plane": lambda h, mask=None: level_plane(h, mask=mask),
    "poly2": lambda h, mask=None: level_polynomial(h, 2, mask=mask),
    "poly3": lambda h, mask=None: level_polynomial(h, 3, mask=mask),
    "lines": lambda h, mask=None: correct_lines(h, "median", mask=mask),
    "lines-match": lambda h, mask=None: correct_lines(h, "match", mask=mask),
    "lines-poly": lambda h, mask=None: correct_lines(h, "poly", mask=mask),
}


def level(height: np.ndarray, method: str = "plane", *, mask: np.ndarray | None = None) -> np.ndarray:
    """Apply a named levelling method from :data:`LEVEL_METHODS` (a stack is levelled frame by frame)."""
    if method not in LEVEL_METHODS:
        raise InputError(f"unknown levelling method {method!r}; choose one of {sorted(LEVEL_METHODS)}")
    height = np.asarray(height, dtype=np.float64)
    if height.ndim == 3:
        return np.stack([LEVEL_METHODS[method](frame, mask=mask) for frame in height])
    return LEVEL_METHODS[method](height, mask=mask)
