"""Fractal dimension of a self-affine surface, by two independent methods.

For a self-affine surface with Hurst exponent H the radially averaged power spectrum falls as
``C(q) ~ q^-(2 + 2H)`` and the structure function (variogram) rises as
``<(z(x + r) - z(x))^2> ~ r^(2H)``; the fractal dimension is ``D = 3 - H``.

References
----------
B. N. J. Persson et al., J. Phys.: Condens. Matter 17, R1 (2005);
B. B. Mandelbrot, "The fractal geometry of nature" (1982).
"""

from __future__ import annotations

import numba
import numpy as np

from napari_afm_profiler.roughness.evaluation import Evaluation
from napari_afm_profiler.roughness.spatial import ring_sums, ring_width

MIN_SIDE_PX = 32
MIN_LAG_PX = 2
MAX_LAG_PX = 32


def spectral_dimension(psd: np.ndarray, fy: np.ndarray, fx: np.ndarray, pixel_size_nm: tuple[float, float], *,
                       annuli: tuple[np.ndarray, np.ndarray, float] | None = None) -> float:
    """Fractal dimension from the slope of the radially averaged power spectrum.

    The fit runs from the second annulus (2 / L) to a quarter of the sampling frequency, on
    log-spaced annuli so that the many high-frequency bins do not outweigh the few low ones.

    Parameters
    ----------
    psd, fy, fx : ndarrays
        Power spectrum and its frequency axes, from ``spatial.power_spectrum``.
    pixel_size_nm : (dy, dx)
    annuli : tuple, optional
        ``(sums, counts, width)`` of the spectrum's rings when already computed
        (``Evaluation.annuli``).

    Returns
    -------
    dimension : float
    """
    if annuli is None:
        dq = ring_width(fy, fx)
        annuli = (*ring_sums(psd, fy, fx, dq), dq)
    sums, counts, dq = annuli
    q_limit = 0.25 / max(pixel_size_nm)
    k = np.arange(sums.size)
    use = (k >= 2) & (k * dq <= q_limit) & (counts > 0)
    k = k[use]
    mean = sums[use] / counts[use]
    # average within log-spaced groups of annuli, for even weight per decade
    groups = np.floor(np.log(k) / np.log(1.15)).astype(np.int64)
    _, inverse = np.unique(groups, return_inverse=True)
    logq = np.bincount(inverse, weights=np.log(k * dq)) / np.bincount(inverse)
    logc = np.bincount(inverse, weights=np.log(mean)) / np.bincount(inverse)
    beta = np.polyfit(logq, logc, 1)[0]
    return float(4.0 + beta / 2.0)


def variogram_dimension(z: np.ndarray, mask: np.ndarray, pixel_size_nm: tuple[float, float]) -> float:
    """Fractal dimension from the height-difference structure function along x and y.

    Parameters
    ----------
    z : (ny, nx) float ndarray
    mask : (ny, nx) bool ndarray
    pixel_size_nm : (dy, dx)

    Returns
    -------
    dimension : float
    """
    slopes = []
    for axis, step in ((0, pixel_size_nm[0]), (1, pixel_size_nm[1])):
        n = z.shape[axis]
        lags = np.unique(np.round(np.geomspace(MIN_LAG_PX, min(MAX_LAG_PX, n // 4), 10)).astype(np.int64))
        sums, counts = _squared_differences(np.ascontiguousarray(z, dtype=np.float64), mask, lags, axis)
        use = (counts >= 2) & (sums > 0)
        if np.count_nonzero(use) >= 3:
            msd = sums[use] / counts[use]
            slopes.append(np.polyfit(np.log(lags[use] * step), np.log(msd), 1)[0])
    if not slopes:
        return float("nan")
    return float(3.0 - np.mean(slopes) / 2.0)


# images with fewer pixels than this take the variogram on one thread: starting the compiled
# thread pool costs more than the pass itself, and its spinning workers slow the other threads
_PARALLEL_PIXELS = 1 << 22


@numba.njit(cache=True, nogil=True, inline="always")
def _row_squared_differences(z: np.ndarray, mask: np.ndarray, lags: np.ndarray, axis: int, i: int,
                             sums: np.ndarray, counts: np.ndarray) -> None:
    ny, nx = z.shape
    for k in range(lags.size):
        lag = lags[k]
        total, count = 0.0, 0
        if axis == 1:
            for j in range(nx - lag):
                if mask[i, j] and mask[i, j + lag]:
                    d = z[i, j + lag] - z[i, j]
                    total += d * d
                    count += 1
        elif i + lag < ny:
            for j in range(nx):
                if mask[i, j] and mask[i + lag, j]:
                    d = z[i + lag, j] - z[i, j]
                    total += d * d
                    count += 1
        sums[i, k] = total
        counts[i, k] = count


@numba.njit(cache=True, nogil=True)
def _rows_serial(z: np.ndarray, mask: np.ndarray, lags: np.ndarray, axis: int, sums: np.ndarray,
                 counts: np.ndarray) -> None:
    for i in range(z.shape[0]):
        _row_squared_differences(z, mask, lags, axis, i, sums, counts)


@numba.njit(cache=True, nogil=True, parallel=True)
def _rows_parallel(z: np.ndarray, mask: np.ndarray, lags: np.ndarray, axis: int, sums: np.ndarray,
                   counts: np.ndarray) -> None:
    for i in numba.prange(z.shape[0]):
        _row_squared_differences(z, mask, lags, axis, i, sums, counts)


def _squared_differences(z: np.ndarray, mask: np.ndarray, lags: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum of squared height differences and the number of pixel pairs ``lag`` apart along ``axis``, per lag.

    One pass over the rows for all lags (a row and the rows below it stay in cache), without the
    image-sized difference array each lag would otherwise cost.
    """
    sums = np.zeros((z.shape[0], lags.size))
    counts = np.zeros((z.shape[0], lags.size), dtype=np.int64)
    rows = _rows_parallel if z.size >= _PARALLEL_PIXELS else _rows_serial
    rows(z, mask, lags, axis, sums, counts)
    return sums.sum(axis=0), counts.sum(axis=0)


def fractal_parameters(ev: Evaluation) -> None:
    """Sfd_psd and Sfd_var."""
    z, mask = ev.area.cropped()
    if z is None or min(z.shape) < MIN_SIDE_PX:
        ev.undefined(["Sfd_psd", "Sfd_var"], f"the area is smaller than {MIN_SIDE_PX} x {MIN_SIDE_PX} pixels")
        return
    if ev.flat:
        ev.undefined(["Sfd_psd", "Sfd_var"], "the surface is flat (Sq = 0)")
        return
    ev.set(Sfd_psd=spectral_dimension(*ev.spectrum, ev.area.pixel_size_nm, annuli=ev.annuli),
           Sfd_var=variogram_dimension(z, mask, ev.area.pixel_size_nm))
