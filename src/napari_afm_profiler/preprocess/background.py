"""Plane and polynomial background removal, and the named levelling methods.

All functions take a height map in nm (NaN = missing) and an optional boolean ``mask`` of
pixels to *ignore* when fitting (e.g. particles), and return a new levelled array; the
input is never modified.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.preprocess.fit import fit_polynomial
from napari_afm_profiler.preprocess.lines import correct_lines


def _check(height: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    height = np.asarray(height)
    if height.ndim != 2:
        raise InputError(f"levelling needs a 2D height map, got shape {height.shape}")
    if mask is None:
        return height, None
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != height.shape:
        raise InputError(f"mask shape {mask.shape} does not match image shape {height.shape}")
    return height, ~mask


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

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[0:4, 0:5]
    >>> bow = 0.1 * (xx - 2.0) ** 2
    >>> bool(np.allclose(polynomial_background(bow, 2), bow))
    True
    """
    height, use = _check(height, mask)
    return fit_polynomial(height, order, use=use).evaluate(height.shape)


def level_polynomial(height: np.ndarray, order: int = 2, *, mask: np.ndarray | None = None) -> np.ndarray:
    """Subtract a least-squares 2D polynomial of degree ``order`` (bow, scanner curvature).

    The result takes the memory of one float64 copy of the image; the fit itself works on
    blocks of rows (:func:`napari_afm_profiler.preprocess.fit.fit_polynomial`).

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[0:20, 0:30]
    >>> bowed = 0.01 * (xx - 15.0) ** 2 + 0.02 * yy
    >>> float(np.abs(level_polynomial(bowed, 2)).max()) < 1e-9
    True
    """
    height, use = _check(height, mask)
    return fit_polynomial(height, order, use=use).subtract_from(height)


def level_plane(height: np.ndarray, *, mask: np.ndarray | None = None) -> np.ndarray:
    """Subtract the least-squares plane.

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[0:4, 0:5]
    >>> bool(np.allclose(level_plane(0.5 * xx - 2.0 * yy + 3.0), 0.0))
    True
    """
    return level_polynomial(height, 1, mask=mask)


LEVEL_METHODS: dict[str, Callable[..., np.ndarray]] = {
    "plane": lambda h, mask=None: level_plane(h, mask=mask),
    "poly2": lambda h, mask=None: level_polynomial(h, 2, mask=mask),
    "poly3": lambda h, mask=None: level_polynomial(h, 3, mask=mask),
    "lines": lambda h, mask=None: correct_lines(h, "median", mask=mask),
    "lines-match": lambda h, mask=None: correct_lines(h, "match", mask=mask),
    "lines-poly": lambda h, mask=None: correct_lines(h, "poly", mask=mask),
}


def level(height: np.ndarray, method: str = "plane", *, mask: np.ndarray | None = None) -> np.ndarray:
    """Apply a named levelling method; a stack of frames is levelled frame by frame.

    Parameters
    ----------
    height : (ny, nx) or (frames, ny, nx) array_like, nm
        Height map or movie; NaN pixels are ignored by the fits.
    method : str, optional
        One of :data:`LEVEL_METHODS`: ``plane``, ``poly2``, ``poly3`` (least-squares
        backgrounds), ``lines``, ``lines-match``, ``lines-poly`` (scan-line corrections).
    mask : (ny, nx) bool ndarray, optional
        True where pixels are ignored by the fit (particles, steps).

    Returns
    -------
    levelled : float64 ndarray like ``height``

    Examples
    --------
    >>> import numpy as np
    >>> tilted = np.add.outer(np.arange(8.0), np.arange(10.0))
    >>> float(np.abs(level(tilted, "plane")).max()) < 1e-9
    True
    """
    if method not in LEVEL_METHODS:
        raise InputError(f"unknown levelling method {method!r}; choose one of {sorted(LEVEL_METHODS)}")
    if len(np.shape(height)) == 3:
        out = np.empty(np.shape(height), dtype=np.float64)
        for i in range(out.shape[0]):  # frame by frame: a lazy movie is read one frame at a time
            out[i] = LEVEL_METHODS[method](np.asarray(height[i]), mask=mask)
        return out
    return LEVEL_METHODS[method](np.asarray(height), mask=mask)
