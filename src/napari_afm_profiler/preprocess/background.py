"""Plane and polynomial background removal, and the named levelling methods.

All functions take a height map in nm (NaN = missing) and an optional boolean ``exclude`` of
pixels to *ignore* when fitting (e.g. particles), and return a new levelled array; the
input is never modified.  (``mask=`` is the deprecated old name of ``exclude``: everywhere else
in the project a mask marks the pixels to use.)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.preprocess._exclude import excluded_pixels
from napari_afm_profiler.preprocess.fit import fit_polynomial
from napari_afm_profiler.preprocess.lines import correct_lines


def _check(height: np.ndarray, exclude: np.ndarray | None, mask: np.ndarray | None,
           ) -> tuple[np.ndarray, np.ndarray | None]:
    height = np.asarray(height)
    if height.ndim != 2:
        raise InputError(f"levelling needs a 2D height map, got shape {height.shape}")
    ignored = excluded_pixels(exclude, mask, height.shape)
    return height, None if ignored is None else ~ignored


def polynomial_background(height: np.ndarray, order: int = 1, *, exclude: np.ndarray | None = None,
                          mask: np.ndarray | None = None) -> np.ndarray:
    """Least-squares 2D polynomial of total degree ``order`` fitted to ``height``.

    Parameters
    ----------
    height : (ny, nx) float ndarray, nm
        Height map; NaN pixels are ignored.
    order : int
        Polynomial degree (1 = plane).
    exclude : (ny, nx) bool ndarray, optional
        True where pixels are excluded from the fit.
    mask : (ny, nx) bool ndarray, optional
        Deprecated old name of ``exclude``.

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
    height, use = _check(height, exclude, mask)
    return fit_polynomial(height, order, use=use).evaluate(height.shape)


def level_polynomial(height: np.ndarray, order: int = 2, *, exclude: np.ndarray | None = None,
                     mask: np.ndarray | None = None) -> np.ndarray:
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
    height, use = _check(height, exclude, mask)
    return fit_polynomial(height, order, use=use).subtract_from(height)


def level_plane(height: np.ndarray, *, exclude: np.ndarray | None = None, mask: np.ndarray | None = None) -> np.ndarray:
    """Subtract the least-squares plane.

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[0:4, 0:5]
    >>> bool(np.allclose(level_plane(0.5 * xx - 2.0 * yy + 3.0), 0.0))
    True
    """
    return level_polynomial(height, 1, exclude=excluded_pixels(exclude, mask, np.shape(height)))


def removed_tilt(original: np.ndarray, levelled: np.ndarray,
                 pixel_size_nm: float | tuple[float, float] | None = None) -> np.ndarray:
    """Return the tilt a levelling took out: the slopes of the least-squares plane of ``original - levelled``.

    Whatever the method (a plane, a polynomial, scan-line offsets), the plane part of what it
    removed is the sample's tilt, which the tip met: deconvolution needs it
    (``deconvolve(..., removed_tilt=...)``).

    Parameters
    ----------
    original, levelled : (ny, nx) or (frames, ny, nx) array_like, nm
        The image before and after levelling; NaN pixels are ignored.
    pixel_size_nm : float or (dy, dx), optional
        With it the slopes are in nm per nm (the tangent of the angle); without, nm per pixel.

    Returns
    -------
    slopes : (2,) or (frames, 2) float ndarray
        ``(dz/dy, dz/dx)`` per image.

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[0:40, 0:50]
    >>> tilted = 0.1 * xx - 0.05 * yy + np.sin(xx) * np.cos(yy)
    >>> np.round(removed_tilt(tilted, level(tilted, "plane"), pixel_size_nm=2.0), 3).tolist()
    [-0.025, 0.05]
    >>> np.round(removed_tilt(tilted, level(tilted, "lines"), pixel_size_nm=2.0), 3).tolist()  # offsets per line
    [-0.025, 0.0]
    """
    before, after = np.asarray(original, np.float64), np.asarray(levelled, np.float64)
    if before.shape != after.shape or before.ndim not in (2, 3):
        raise InputError(f"removed_tilt needs two images (or stacks) of one shape; got {before.shape} and "
                         f"{after.shape}")
    step = (1.0, 1.0) if pixel_size_nm is None else tuple(np.broadcast_to(np.asarray(pixel_size_nm, float), 2))
    slopes = []
    for b, a in zip(before.reshape(-1, *before.shape[-2:]), after.reshape(-1, *after.shape[-2:]), strict=True):
        plane = fit_polynomial(b - a, 1).evaluate((2, 2), y=np.array([0.0, 1.0]), x=np.array([0.0, 1.0]))
        slopes.append(((plane[1, 0] - plane[0, 0]) / step[0], (plane[0, 1] - plane[0, 0]) / step[1]))
    out = np.asarray(slopes, np.float64)
    return out[0] if before.ndim == 2 else out


LEVEL_METHODS: dict[str, Callable[..., np.ndarray]] = {
    "plane": lambda h, exclude=None: level_plane(h, exclude=exclude),
    "poly2": lambda h, exclude=None: level_polynomial(h, 2, exclude=exclude),
    "poly3": lambda h, exclude=None: level_polynomial(h, 3, exclude=exclude),
    "lines": lambda h, exclude=None: correct_lines(h, "median", exclude=exclude),
    "lines-match": lambda h, exclude=None: correct_lines(h, "match", exclude=exclude),
    "lines-poly": lambda h, exclude=None: correct_lines(h, "poly", exclude=exclude),
}


def level(height: np.ndarray, method: str = "plane", *, exclude: np.ndarray | None = None,
          mask: np.ndarray | None = None) -> np.ndarray:
    """Apply a named levelling method; a stack of frames is levelled frame by frame.

    Parameters
    ----------
    height : (ny, nx) or (frames, ny, nx) array_like, nm
        Height map or movie; NaN pixels are ignored by the fits.
    method : str, optional
        One of :data:`LEVEL_METHODS`: ``plane``, ``poly2``, ``poly3`` (least-squares
        backgrounds), ``lines``, ``lines-match``, ``lines-poly`` (scan-line corrections).
    exclude : (ny, nx) bool ndarray, optional
        True where pixels are ignored by the fit (particles, steps).
    mask : (ny, nx) bool ndarray, optional
        Deprecated old name of ``exclude`` (a FutureWarning says so).

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
    exclude = excluded_pixels(exclude, mask, np.shape(height))
    if len(np.shape(height)) == 3:
        out = np.empty(np.shape(height), dtype=np.float64)
        for i in range(out.shape[0]):  # frame by frame: a lazy movie is read one frame at a time
            out[i] = LEVEL_METHODS[method](np.asarray(height[i]), exclude=exclude)
        return out
    return LEVEL_METHODS[method](np.asarray(height), exclude=exclude)
