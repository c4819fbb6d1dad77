"""One lean least-squares fit of a 2-D polynomial background on a pixel grid.

Used by levelling, by the roughness evaluation area and by the deconvolution's substrate
plane.  The fit never builds a per-pixel design matrix: the image is a grid, so the basis
``P_i(u) P_j(v)`` (Legendre polynomials of the column and row coordinates scaled to
[-1, 1]) separates, and the normal equations are accumulated from blocks of rows with two
small matrix products per block.  Memory beyond the input is a few blocks of rows; the
Legendre basis keeps the normal equations well conditioned up to high orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.polynomial import legendre

from napari_afm_profiler.errors import InputError

#: Pixels per block of rows in the accumulation and the subtraction: the temporaries stay
#: about half a megabyte whatever the image size.
BLOCK_PIXELS = 65536


def _block_rows(nx: int) -> int:
    return max(1, BLOCK_PIXELS // max(nx, 1))


def _scaled(coords: np.ndarray, lo: float, hi: float) -> np.ndarray:
    half = (hi - lo) / 2.0
    return (coords - (lo + hi) / 2.0) / (half if half > 0 else 1.0)


@dataclass(frozen=True)
class GridPolynomial:
    """A fitted 2-D polynomial of total degree ``order`` in pixel coordinates.

    Attributes
    ----------
    order : int
        Total degree (1 = plane).
    coefficients : (order + 1, order + 1) ndarray
        ``coefficients[i, j]`` multiplies ``P_i(u) P_j(v)`` where ``u``, ``v`` are the column
        and row coordinates scaled by ``x_range`` and ``y_range`` to [-1, 1]; zero where
        ``i + j > order``.
    y_range, x_range : (float, float)
        Pixel coordinates mapped to -1 and +1.
    """

    order: int
    coefficients: np.ndarray
    y_range: tuple[float, float]
    x_range: tuple[float, float]

    def _bases(self, y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        py = legendre.legvander(_scaled(np.asarray(y, np.float64), *self.y_range), self.order)
        px = legendre.legvander(_scaled(np.asarray(x, np.float64), *self.x_range), self.order)
        return py, px

    def evaluate(self, shape: tuple[int, int], *, y: np.ndarray | None = None,
                 x: np.ndarray | None = None) -> np.ndarray:
        """Return the polynomial on a grid of ``shape`` (or at row coordinates ``y`` and columns ``x``)."""
        y = np.arange(shape[0]) if y is None else y
        x = np.arange(shape[1]) if x is None else x
        py, px = self._bases(y, x)
        return (py @ self.coefficients.T) @ px.T

    def subtract_from(self, height: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
        """Return ``height - polynomial`` block by block (``out=height`` works in place)."""
        height = np.asarray(height)
        out = np.array(height, dtype=np.float64) if out is None else out
        py, px = self._bases(np.arange(height.shape[0]), np.arange(height.shape[1]))
        right = self.coefficients.T @ px.T  # (order + 1, nx)
        step = _block_rows(height.shape[1])
        for r0 in range(0, height.shape[0], step):
            rows = slice(r0, r0 + step)
            out[rows] -= py[rows] @ right
        return out


def _terms(order: int) -> list[tuple[int, int]]:
    return [(i, total - i) for total in range(order + 1) for i in range(total + 1)]


def fit_polynomial(height: np.ndarray, order: int = 1, *, use: np.ndarray | None = None,
                   y: np.ndarray | None = None, x: np.ndarray | None = None) -> GridPolynomial:
    """Least-squares fit of a 2-D polynomial of total degree ``order`` to a height map.

    Parameters
    ----------
    height : (ny, nx) array_like
        Heights; non-finite pixels are left out of the fit.
    order : int, optional
        Total degree of the polynomial (0 = mean, 1 = plane, 2 = bow, ...).
    use : (ny, nx) bool ndarray, optional
        True where a pixel takes part in the fit (default: every finite pixel).
    y, x : 1-D ndarray, optional
        Pixel coordinates of the rows and columns (default ``0 .. n - 1``); a subsampled
        grid passes its own so that the polynomial applies to the full grid.

    Returns
    -------
    GridPolynomial
        The fit; :meth:`GridPolynomial.evaluate` and :meth:`GridPolynomial.subtract_from`
        apply it.

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[0:50, 0:60]
    >>> plane = fit_polynomial(0.5 * xx - 2.0 * yy + 3.0, 1)
    >>> float(np.abs(plane.evaluate((50, 60)) - (0.5 * xx - 2.0 * yy + 3.0)).max()) < 1e-9
    True
    """
    height = np.asarray(height)
    if height.ndim != 2:
        raise InputError(f"a polynomial background needs a 2-D height map, got shape {height.shape}")
    if isinstance(order, bool) or int(order) != order or order < 0:
        raise InputError(f"polynomial order must be a whole number >= 0, got {order!r}")
    order = int(order)
    ny, nx = height.shape
    y = np.arange(ny, dtype=np.float64) if y is None else np.asarray(y, np.float64)
    x = np.arange(nx, dtype=np.float64) if x is None else np.asarray(x, np.float64)
    if y.shape != (ny,) or x.shape != (nx,):
        raise InputError(f"coordinates of {y.shape} rows and {x.shape} columns do not match shape {height.shape}")
    if use is not None:
        use = np.asarray(use, dtype=bool)
        if use.shape != height.shape:
            raise InputError(f"mask shape {use.shape} does not match image shape {height.shape}")
    y_range = (float(y.min()), float(y.max())) if ny else (0.0, 0.0)
    x_range = (float(x.min()), float(x.max())) if nx else (0.0, 0.0)
    k = order + 1
    py = legendre.legvander(_scaled(y, *y_range), order)  # (ny, k)
    px = legendre.legvander(_scaled(x, *x_range), order)  # (nx, k)
    pxx = (px[:, :, None] * px[:, None, :]).reshape(nx, k * k)  # P_i(u) P_k(u) per column
    gram = np.zeros((k, k, k, k))  # [i, i', j, j'] = sum w P_i(u) P_i'(u) P_j(v) P_j'(v)
    rhs = np.zeros((k, k))  # [i, j] = sum w z P_i(u) P_j(v)
    count = 0
    step = _block_rows(nx)
    for r0 in range(0, ny, step):
        block = np.asarray(height[r0:r0 + step], dtype=np.float64)
        ok = np.isfinite(block)
        if use is not None:
            ok &= use[r0:r0 + step]
        count += int(np.count_nonzero(ok))
        weight = ok.astype(np.float64)
        zw = np.where(ok, block, 0.0)
        pyb = py[r0:r0 + step]
        gram += np.einsum("ra,rj,rl->ajl", weight @ pxx, pyb, pyb).reshape(k, k, k, k)
        rhs += (zw @ px).T @ pyb
    terms = _terms(order)
    if count < len(terms):
        raise InputError(f"only {count} usable pixels for a polynomial of order {order} "
                         f"({len(terms)} coefficients)")
    ii = np.array([t[0] for t in terms])
    jj = np.array([t[1] for t in terms])
    normal = gram[ii[:, None], ii[None, :], jj[:, None], jj[None, :]]
    solution = np.linalg.lstsq(normal, rhs[ii, jj], rcond=None)[0]
    coefficients = np.zeros((k, k))
    coefficients[ii, jj] = solution
    return GridPolynomial(order, coefficients, y_range, x_range)
