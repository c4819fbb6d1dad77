"""Spatial parameters (ISO 25178-2 section 4.2): Sal, Str, Std and Ssw.

Sal and Str come from the autocorrelation, Std and Ssw from the power spectrum.

The autocorrelation of a masked area is normalised by the number of pixel pairs at each lag
(the overlap of the area with its shifted copy), so a region's outline does not pose as a
decay of correlation; lags whose overlap is under a quarter of the area are not used.
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.fft
from scipy import ndimage

from napari_afm_profiler.roughness.evaluation import Evaluation

MIN_OVERLAP = 0.25
N_DIRECTIONS = 360
RAY_STEP_PX = 0.5
MIN_SIDE_PX = 8
N_APS = 360
CENTROID_WINDOW_DEG = 2.0
MIN_CENTROID_BINS = 4


def autocorrelation(z: np.ndarray, mask: np.ndarray, max_lag: tuple[int, int] | None = None,
                    min_overlap: float = 0.0) -> np.ndarray:
    """Areal autocorrelation normalised by the overlap, for lags -L .. L (default L = n - 1).

    Parameters
    ----------
    z : (ny, nx) float ndarray
        Heights about the mean plane (pixels outside ``mask`` are not used).
    mask : (ny, nx) bool ndarray
        Pixels of the evaluation area.
    max_lag : (Ly, Lx), optional
        Largest lags wanted (smaller lags need a smaller, faster transform).
    min_overlap : float
        Lags with fewer pixel pairs than this share of the area are left out (NaN).

    Returns
    -------
    acf : (2 Ly + 1, 2 Lx + 1) float ndarray
        Autocorrelation divided by its value at zero lag (the centre); NaN where no pair exists
        or the overlap is under ``min_overlap``.
    """
    ny, nx = z.shape
    ly, lx = (ny - 1, nx - 1) if max_lag is None else (min(max_lag[0], ny - 1), min(max_lag[1], nx - 1))
    # zero padding by the largest lag keeps the circular correlation free of wrap-around
    shape = (scipy.fft.next_fast_len(ny + ly, real=True), scipy.fft.next_fast_len(nx + lx, real=True))
    full = bool(mask.all())
    acf = _lag_window(_circular_correlation(z, None if full else mask, shape), ly, lx)
    if full:
        _normalise_full(acf, ny, nx, min_overlap)
        return acf
    overlap = _lag_window(_circular_correlation(mask, mask, shape), ly, lx)
    np.rint(overlap, out=overlap)
    _normalise_by(acf, overlap, min_overlap)
    return acf


def _circular_correlation(a: np.ndarray, mask: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    """Circular autocorrelation of ``a`` (0 outside ``mask``) zero-padded to ``shape``, single precision.

    Single precision halves the memory of the padded transforms (1e-7 relative is plenty here);
    the padded input is written in place, with no full-size temporaries.
    """
    padded = np.zeros(shape, dtype=np.float32)
    if mask is None:
        padded[:a.shape[0], :a.shape[1]] = a
    else:
        np.copyto(padded[:a.shape[0], :a.shape[1]], a, casting="unsafe", where=mask)
    f = scipy.fft.rfft2(padded, workers=-1)
    del padded
    power = f.real**2
    power += f.imag**2
    del f
    return scipy.fft.irfft2(power, s=shape, workers=-1)


def _lag_window(c: np.ndarray, ly: int, lx: int) -> np.ndarray:
    """Lags -L..L of a circular correlation, zero lag at the centre, in double precision (no roll of the whole array)."""
    out = np.empty((2 * ly + 1, 2 * lx + 1))
    py, px = c.shape
    for rows_out, rows_in in ((slice(0, ly), slice(py - ly, py)), (slice(ly, 2 * ly + 1), slice(0, ly + 1))):
        out[rows_out, :lx] = c[rows_in, px - lx:]
        out[rows_out, lx:] = c[rows_in, :lx + 1]
    return out


@numba.njit(cache=True, nogil=True)
def _normalise_full(acf: np.ndarray, ny: int, nx: int, min_overlap: float) -> None:
    """Divide a whole image's correlation by its overlap, (ny - |dy|)(nx - |dx|), and by the zero-lag value.

    The overlap of a full rectangle is separable, so it is never stored.  Lags with fewer pairs
    than ``min_overlap`` of the area become NaN.
    """
    ly, lx = acf.shape[0] // 2, acf.shape[1] // 2
    least = min_overlap * float(ny * nx)
    centre = acf[ly, lx] / float(ny * nx)
    for i in range(acf.shape[0]):
        oy = float(ny - abs(i - ly))
        for j in range(acf.shape[1]):
            overlap = oy * float(nx - abs(j - lx))
            if overlap > 0.5 and overlap >= least:
                acf[i, j] = acf[i, j] / overlap / centre
            else:
                acf[i, j] = np.nan


@numba.njit(cache=True, nogil=True)
def _normalise_by(acf: np.ndarray, overlap: np.ndarray, min_overlap: float) -> None:
    """Divide a masked area's correlation by its overlap (pixel pairs per lag) and by the zero-lag value."""
    ly, lx = acf.shape[0] // 2, acf.shape[1] // 2
    least = min_overlap * np.max(overlap)
    centre = acf[ly, lx] / max(overlap[ly, lx], 1.0)
    for i in range(acf.shape[0]):
        for j in range(acf.shape[1]):
            o = overlap[i, j]
            if o > 0.5 and o >= least:
                acf[i, j] = acf[i, j] / max(o, 1.0) / centre
            else:
                acf[i, j] = np.nan


def decay_lengths(
    acf: np.ndarray, pixel_size_nm: tuple[float, float], threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lag at which the autocorrelation first falls to ``threshold`` along each direction.

    Parameters
    ----------
    acf : (2 ny - 1, 2 nx - 1) float ndarray
        Normalised autocorrelation, zero lag at the centre; NaN at lags that may not be used.
    pixel_size_nm : (dy, dx)
        Pixel size, nm.
    threshold : float
        Value s the autocorrelation has to fall to.

    Returns
    -------
    angles_deg : (N_DIRECTIONS,) float ndarray
        Directions in [0, 180), from +x towards +y.
    lengths_nm : (N_DIRECTIONS,) float ndarray
        Decay length along each direction, nm; where it does not fall to ``threshold`` within
        the usable lags, the last usable lag.
    reached : (N_DIRECTIONS,) bool ndarray
        Whether the autocorrelation fell to ``threshold`` along that direction.
    """
    dy, dx = pixel_size_nm
    cy, cx = (acf.shape[0] - 1) // 2, (acf.shape[1] - 1) // 2
    angles = np.arange(N_DIRECTIONS) * (180.0 / N_DIRECTIONS)
    theta = np.deg2rad(angles)
    step = RAY_STEP_PX * min(dy, dx)
    r_max = np.hypot(cy * dy, cx * dx)
    radii = np.arange(0.0, r_max + step, step)
    py = cy + np.outer(np.sin(theta), radii) / dy
    px = cx + np.outer(np.cos(theta), radii) / dx
    values = _rays_until_decided(acf, py, px, threshold)
    # a ray ends at its first unusable lag
    bad = ~np.isfinite(values)
    end = np.where(bad.any(axis=1), np.argmax(bad, axis=1), radii.size)
    below = values <= threshold
    below &= np.arange(radii.size)[None, :] < end[:, None]
    reached = below.any(axis=1)
    first = np.argmax(below, axis=1)
    rows = np.arange(N_DIRECTIONS)
    k = np.maximum(first, 1)
    a0, a1 = values[rows, k - 1], values[rows, k]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(a0 > a1, (a0 - threshold) / (a0 - a1), 0.0)
    crossing = radii[k - 1] + np.clip(frac, 0.0, 1.0) * step
    last = radii[np.maximum(end - 1, 0)]
    return angles, np.where(reached, crossing, last), reached


def _rays_until_decided(image: np.ndarray, py: np.ndarray, px: np.ndarray, threshold: float) -> np.ndarray:
    """Bilinear samples of ``image`` along rays (rows of ``py``, ``px``), sampled outwards only as far as needed.

    Each ray is decided at its first sample at or below ``threshold`` or its first unusable
    (NaN) sample; the samples beyond are not needed by :func:`decay_lengths` and stay NaN.
    Rays are sampled in growing chunks of radii, so a surface whose autocorrelation decays in a
    few pixels costs a few pixels per ray, not the whole half-diagonal.
    """
    values = np.full(py.shape, np.nan)
    todo = np.arange(py.shape[0])
    start, chunk = 0, 32
    while todo.size and start < py.shape[1]:
        stop = min(py.shape[1], start + chunk)
        values[todo, start:stop] = ndimage.map_coordinates(
            image, [py[todo, start:stop], px[todo, start:stop]], order=1, mode="constant", cval=np.nan)
        seen = values[todo, :stop]
        decided = np.any((seen <= threshold) | np.isnan(seen), axis=1)
        todo = todo[~decided]
        start, chunk = stop, 2 * chunk
    return values


def _hann(n: int) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * (np.arange(n) + 0.5) / n)


def power_spectrum(
    z: np.ndarray, mask: np.ndarray, pixel_size_nm: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hann-windowed periodogram of the area (0 outside the mask), zero frequency at the centre.

    Parameters
    ----------
    z : (ny, nx) float ndarray
    mask : (ny, nx) bool ndarray
    pixel_size_nm : (dy, dx)

    Returns
    -------
    psd : (ny, nx) float ndarray
        Power per frequency bin, nm^2 nm^2 (fftshifted: zero frequency at ``(ny // 2, nx // 2)``).
    fy, fx : 1D float ndarrays
        Frequencies of the rows and columns of ``psd``, 1/nm (ascending).
    """
    dy, dx = pixel_size_nm
    ny, nx = z.shape
    windowed = np.empty((ny, nx), dtype=np.float32)
    _window(z, mask, _hann(ny).astype(np.float32), _hann(nx).astype(np.float32), windowed)
    f = scipy.fft.fft2(windowed, workers=-1)
    del windowed
    psd = np.empty((ny, nx))
    _shifted_power(f, dy * dx / max(int(mask.sum()), 1), psd)
    del f
    return psd, scipy.fft.fftshift(scipy.fft.fftfreq(ny, d=dy)), scipy.fft.fftshift(scipy.fft.fftfreq(nx, d=dx))


@numba.njit(cache=True, nogil=True)
def _window(z: np.ndarray, mask: np.ndarray, wy: np.ndarray, wx: np.ndarray, out: np.ndarray) -> None:
    """``out = where(mask, z, 0) * wy[:, None] * wx[None, :]`` in single precision, without temporaries."""
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            out[i, j] = np.float32(z[i, j]) * wy[i] * wx[j] if mask[i, j] else np.float32(0.0)


@numba.njit(cache=True, nogil=True)
def _shifted_power(f: np.ndarray, scale: float, out: np.ndarray) -> None:
    """``out = fftshift(|f|^2) * scale`` in double precision, in one pass."""
    ny, nx = f.shape
    for i in range(ny):
        row = (i + ny // 2) % ny
        for j in range(nx):
            v = f[i, j]
            re, im = np.float64(v.real), np.float64(v.imag)
            out[row, (j + nx // 2) % nx] = (re * re + im * im) * scale


def ring_width(fy: np.ndarray, fx: np.ndarray) -> float:
    """Width of the spectrum's annuli (1/nm): the finer of the two frequency steps."""
    return min(f[1] - f[0] for f in (fy, fx) if f.size > 1)


@numba.njit(cache=True, nogil=True)
def ring_sums(psd: np.ndarray, fy: np.ndarray, fx: np.ndarray, dq: float) -> tuple[np.ndarray, np.ndarray]:
    """Power sum and bin count of each annulus (index ``rint(|f| / dq)``), in one pass without an index image."""
    n_rings = int(np.rint(np.sqrt(np.max(fy**2) + np.max(fx**2)) / dq)) + 1
    sums = np.zeros(n_rings)
    counts = np.zeros(n_rings, dtype=np.int64)
    for i in range(fy.size):
        for j in range(fx.size):
            k = int(np.rint(np.sqrt(fy[i] ** 2 + fx[j] ** 2) / dq))
            sums[k] += psd[i, j]
            counts[k] += 1
    return sums, counts


@numba.njit(cache=True, nogil=True)
def _strongest_in_rings(psd: np.ndarray, fy: np.ndarray, fx: np.ndarray, dq: float, first: int, last: int) -> tuple[int, int]:
    """Row and column of the strongest bin whose annulus lies in ``first .. last`` (-1, -1 if none)."""
    best, bi, bj = -1.0, -1, -1
    for i in range(fy.size):
        for j in range(fx.size):
            k = int(np.rint(np.sqrt(fy[i] ** 2 + fx[j] ** 2) / dq))
            if first <= k <= last and psd[i, j] > best:
                best, bi, bj = psd[i, j], i, j
    return bi, bj


@numba.njit(cache=True, nogil=True)
def _strongest_in_wedge(psd: np.ndarray, fy: np.ndarray, fx: np.ndarray, direction_rad: float, window_rad: float,
                        min_bins: float) -> tuple[int, int]:
    """Row and column of the strongest bin near a direction (modulo 180 deg); (-1, -1) if there is none.

    Bins count when within ``window_rad`` of the direction and at least ``min_bins`` frequency
    steps from zero.  The direction is measured from +fx towards -fy (up on the screen).  A bin is in the window
    when the sine of its angle to the direction is at most sin(window): no arctan per bin.
    """
    s, c = np.sin(direction_rad), np.cos(direction_rad)
    sin2 = np.sin(window_rad) ** 2
    dfy, dfx = fy[1] - fy[0], fx[1] - fx[0]
    best, bi, bj = -1.0, -1, -1
    for i in range(fy.size):
        for j in range(fx.size):
            q2 = fy[i] ** 2 + fx[j] ** 2
            cross = fx[j] * s + fy[i] * c
            if cross * cross <= sin2 * q2 and (fy[i] / dfy) ** 2 + (fx[j] / dfx) ** 2 >= min_bins**2 and psd[i, j] > best:
                best, bi, bj = psd[i, j], i, j
    return bi, bj


def spatial_parameters(ev: Evaluation) -> None:
    """Sal, Str, Std, Ssw."""
    symbols = ["Sal", "Str", "Std", "Ssw"]
    z, mask = ev.area.cropped()
    if z is None or min(z.shape) < MIN_SIDE_PX or ev.area.n < MIN_SIDE_PX**2 // 2:
        ev.undefined(symbols, f"the area is smaller than {MIN_SIDE_PX} x {MIN_SIDE_PX} pixels")
        return
    if ev.flat:
        ev.undefined(symbols, "the surface is flat (Sq = 0)")
        return
    ny, nx = z.shape
    acf = autocorrelation(z, mask, max_lag=((ny - 1) // 2, (nx - 1) // 2), min_overlap=MIN_OVERLAP)
    _, lengths, reached = decay_lengths(acf, ev.area.pixel_size_nm, ev.settings.acf_threshold)
    del acf
    if not reached.any():
        ev.undefined(["Sal", "Str"], f"the autocorrelation does not fall to {ev.settings.acf_threshold} "
                     "within half the evaluation area")
    else:
        sal = lengths[reached].min()
        ev.set(Sal=sal, Str=sal / lengths.max())
    annuli = ev.annuli
    psd, fy, fx = ev.spectrum
    # zero frequency is no direction and no wavelength: left out here, kept in the shared spectrum
    dc = psd[ny // 2, nx // 2]
    psd[ny // 2, nx // 2] = 0.0
    try:
        ev.set(Std=_texture_direction(psd, fy, fx), Ssw=_dominant_wavelength(psd, fy, fx, annuli))
    finally:
        psd[ny // 2, nx // 2] = dc


def _peak_centroid(psd: np.ndarray, fy: np.ndarray, fx: np.ndarray, iy: int, ix: int) -> tuple[float, float]:
    """Power centroid (fy, fx) of the 3 x 3 bins around the bin ``(iy, ix)`` (a spectral peak).

    A spectral peak's centroid is not tied to the frequency grid, so directions and
    wavelengths between grid points come out right.
    """
    ys = slice(max(iy - 1, 0), iy + 2)
    xs = slice(max(ix - 1, 0), ix + 2)
    w = psd[ys, xs]
    return float((w * fy[ys, None]).sum() / w.sum()), float((w * fx[None, xs]).sum() / w.sum())


def angular_power_spectrum(psd: np.ndarray, fy: np.ndarray, fx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ISO's angular power spectrum: the power integrated along rays from zero frequency.

    Rays are sampled every half frequency step with bilinear interpolation, out to the circle
    inscribed in the frequency grid, so every direction is integrated over the same range and
    no direction is favoured by the grid (sums over angular sectors favour the axes and
    diagonals, where grid points line up).

    Parameters
    ----------
    psd : (ny, nx) float ndarray
        Power spectrum with zero frequency at ``(ny // 2, nx // 2)``.
    fy, fx : 1D float ndarrays
        Its frequency axes, 1/nm.

    Returns
    -------
    angles_deg : (N_APS,) float ndarray
        Directions in [0, 180), counter-clockwise from +x as displayed (row 0 at the top).
    aps : (N_APS,) float ndarray
    """
    dfy = fy[1] - fy[0] if fy.size > 1 else np.inf
    dfx = fx[1] - fx[0] if fx.size > 1 else np.inf
    step = 0.5 * min(dfy, dfx)
    radii = np.arange(step, min(fy.max(), fx.max()) + step / 2, step)
    angles = np.arange(N_APS) * (180.0 / N_APS)
    theta = np.deg2rad(angles)
    py = psd.shape[0] // 2 - np.outer(np.sin(theta), radii) / dfy
    px = psd.shape[1] // 2 + np.outer(np.cos(theta), radii) / dfx
    return angles, _bilinear_ray_sums(psd, py, px) * step


@numba.njit(cache=True, nogil=True)
def _bilinear_ray_sums(image: np.ndarray, py: np.ndarray, px: np.ndarray) -> np.ndarray:
    """Sum over each row of (py, px) of ``image`` interpolated bilinearly (0 outside the image).

    The same values as ``ndimage.map_coordinates(image, [py, px], order=1, cval=0)`` summed
    along rows, without the (rays x radii) array of samples.
    """
    ny, nx = image.shape
    out = np.zeros(py.shape[0])
    for i in range(py.shape[0]):
        total = 0.0
        for k in range(py.shape[1]):
            y, x = py[i, k], px[i, k]
            y0, x0 = int(np.floor(y)), int(np.floor(x))
            fy, fx = y - y0, x - x0
            for dy, wy in ((0, 1.0 - fy), (1, fy)):
                yy = y0 + dy
                if yy < 0 or yy >= ny or wy == 0.0:
                    continue
                for dx, wx in ((0, 1.0 - fx), (1, fx)):
                    xx = x0 + dx
                    if 0 <= xx < nx and wx != 0.0:
                        total += wy * wx * image[yy, xx]
        out[i] = total
    return out


def _texture_direction(psd: np.ndarray, fy: np.ndarray, fx: np.ndarray) -> float:
    angles, aps = angular_power_spectrum(psd, fy, fx)
    best = int(np.argmax(aps))
    a, b, c = aps[best - 1], aps[best], aps[(best + 1) % aps.size]
    denom = a - 2.0 * b + c
    offset = 0.5 * (a - c) / denom if denom < 0 else 0.0
    direction = float((angles[best] + offset * (180.0 / N_APS)) % 180.0)
    # a sharp spectral line (a periodic texture) is located better by the centroid of its
    # lobe than by rays through the interpolated grid; use it when it confirms the direction
    iy, ix = _strongest_in_wedge(psd, fy, fx, np.deg2rad(direction), np.deg2rad(CENTROID_WINDOW_DEG),
                                 float(MIN_CENTROID_BINS))
    if iy >= 0:
        cy, cx = _peak_centroid(psd, fy, fx, iy, ix)
        refined = float(np.rad2deg(np.arctan2(-cy, cx)) % 180.0)
        if abs((refined - direction + 90.0) % 180.0 - 90.0) <= CENTROID_WINDOW_DEG:
            return refined
    return direction


def _dominant_wavelength(psd: np.ndarray, fy: np.ndarray, fx: np.ndarray,
                         annuli: tuple[np.ndarray, np.ndarray, float]) -> float:
    sums, counts, dq = annuli
    # f_RPS integrates over directions at fixed frequency: the mean over each annulus
    rps = sums / np.maximum(counts, 1)
    rps[0] = 0.0  # zero frequency
    # the annulus mean can peak one annulus off a sharp line (annuli hold unequal numbers of
    # bins), so the strongest bin is sought in the neighbouring annuli as well
    ring = int(np.argmax(rps))
    cy, cx = _peak_centroid(psd, fy, fx, *_strongest_in_rings(psd, fy, fx, dq, ring - 1, ring + 1))
    return float(1.0 / np.hypot(cy, cx))
