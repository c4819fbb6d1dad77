"""ISO 16610 filters: the areal Gaussian S- and L-filters, the robust Gaussian, the profile Gaussian.

The Gaussian weighting function of ISO 16610-21 (profiles) and 16610-61 (areal) is

    s(x) = 1 / (alpha * lc) * exp(-pi * (x / (alpha * lc))**2),   alpha = sqrt(ln 2 / pi),

with the nesting index (cut-off wavelength) ``lc``: a sinusoid of wavelength ``lc`` keeps 50 %
of its amplitude, and in general ``exp(-pi * (alpha * lc / wavelength)**2)``.  It is a Gaussian
of standard deviation ``alpha * lc / sqrt(2 pi)``, truncated here at ``+- lc`` (the weights beyond
are below 1e-6 of the peak), applied separably.

Edges and missing pixels: the filter is a normalised convolution, ``G * (w z) / G * w`` with ``w``
the valid pixels, so near an edge (or a NaN hole) the weights of the pixels that exist are
renormalised to one.  For a plane this is exact in the interior and keeps the level at the
edge; it is the zero-order end-effect correction of ISO 16610-28 (a slope near the edge is
slightly bent, less than with zero padding or mirroring).

The robust Gaussian (ISO 16610-71's Gaussian regression filter, zero order) reweights the
pixels with Tukey's biweight of their residual from the filtered surface, ``c = 4.4478 *
median |r|``, until the weights settle, so that deep scratches or tall particles do not pull
the mean surface (the L-filter output) towards them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import ndimage as ndi

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.pixels import pixel_size_pair

ALPHA = math.sqrt(math.log(2.0) / math.pi)
"""The constant of the ISO 16610-21/61 Gaussian weighting function."""

TUKEY_C = 4.4478
"""ISO 16610-31/71: the biweight's constant, in units of the median absolute residual."""


class FilterWidthWarning(UserWarning):
    """A nesting index longer than the image: the filter sees less than one cut-off wavelength."""


def sigma_px(nesting_index_nm: float, pixel_nm: float) -> float:
    """Return the standard deviation (pixels) of the Gaussian with nesting index ``nesting_index_nm``."""
    return ALPHA * nesting_index_nm / math.sqrt(2.0 * math.pi) / pixel_nm


def gaussian_weights(x_nm: np.ndarray, nesting_index_nm: float) -> np.ndarray:
    """ISO 16610-21's weighting function ``s(x)`` (1/nm), for checking the filter against the standard.

    Examples
    --------
    >>> import numpy as np
    >>> w = gaussian_weights(np.linspace(-80, 80, 16001), 80.0)
    >>> round(float(w.sum() * 0.01), 6)  # unit area
    1.0
    """
    a = ALPHA * nesting_index_nm
    return np.exp(-np.pi * (np.asarray(x_nm, np.float64) / a) ** 2) / a


def transmission(wavelength_nm: float | np.ndarray, nesting_index_nm: float) -> float | np.ndarray:
    """Amplitude transmission of the Gaussian (the mean line) for a sinusoid: 0.5 at the nesting index."""
    return np.exp(-np.pi * (ALPHA * nesting_index_nm / np.asarray(wavelength_nm, np.float64)) ** 2)


def _check(nesting_index_nm: float, pixel: tuple[float, float], shape: tuple[int, ...], name: str) -> None:
    if not (math.isfinite(nesting_index_nm) and nesting_index_nm > 0):
        raise InputError(f"the {name} nesting index must be > 0 nm; got {nesting_index_nm}")
    finest = max(pixel)
    if nesting_index_nm < 2 * finest:
        raise InputError(f"the {name} nesting index {nesting_index_nm:g} nm is below two pixels ({2 * finest:g} nm): "
                         "the filter cannot resolve it; use a longer one or a finer image")
    extent = min(n * p for n, p in zip(shape[-2:], pixel)) if len(shape) > 1 else shape[0] * pixel[1]
    if nesting_index_nm > extent:
        warnings.warn(f"the {name} nesting index {nesting_index_nm:g} nm is longer than the image ({extent:g} nm): "
                      "wavelengths up to it cannot be told apart from form; results depend on the edges",
                      FilterWidthWarning, stacklevel=3)


def _normalised(z: np.ndarray, weight: np.ndarray, sigmas: tuple[float, ...], truncate: tuple[float, ...],
                ) -> np.ndarray:
    num = z * weight
    den = weight.astype(np.float64, copy=True)
    for axis, (s, t) in enumerate(zip(sigmas, truncate)):
        if s > 0:
            num = ndi.gaussian_filter1d(num, s, axis=axis, mode="constant", cval=0.0, truncate=t)
            den = ndi.gaussian_filter1d(den, s, axis=axis, mode="constant", cval=0.0, truncate=t)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 1e-12, num / den, np.nan)


def areal_gaussian(height: np.ndarray, nesting_index_nm: float, *, pixel_size_nm: float | tuple[float, float],
                   mask: np.ndarray | None = None, robust: bool = False, name: str = "Gaussian") -> np.ndarray:
    """Areal Gaussian filter (ISO 16610-61), or its robust form (16610-71): the mean surface at ``nesting_index_nm``.

    Parameters
    ----------
    height : (ny, nx) float ndarray, nm
        Heights; NaN pixels are missing.
    nesting_index_nm : float
        Cut-off wavelength: a sinusoid of this wavelength keeps 50 % of its amplitude.
    pixel_size_nm : float or (dy, dx)
        Pixel size.
    mask : (ny, nx) bool ndarray, optional
        True on the pixels to use (default: all finite pixels).
    robust : bool
        Robust Gaussian: pixels far from the mean surface (Tukey biweight) get less weight.
    name : str
        What the filter is called in messages (``S-filter``, ``L-filter``).

    Returns
    -------
    mean_surface : (ny, nx) float ndarray, nm
        The filtered (long-wave) surface, defined wherever the filter saw any valid pixel.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(512) * 1.0
    >>> z = np.tile(np.sin(2 * np.pi * x / 100.0), (8, 1))  # wavelength 100 nm
    >>> mean = areal_gaussian(z, 100.0, pixel_size_nm=1.0)
    >>> round(float(np.ptp(mean[4, 150:350]) / 2), 3)  # half the amplitude stays at the cut-off
    0.5
    """
    z = np.asarray(height, np.float64)
    if z.ndim != 2:
        raise InputError(f"an areal filter needs a 2-D height map; got shape {z.shape}")
    dy, dx = pixel_size_pair(pixel_size_nm, needed_for=f"the {name}")
    _check(nesting_index_nm, (dy, dx), z.shape, name)
    valid = np.isfinite(z)
    if mask is not None:
        mask = np.asarray(mask, bool)
        if mask.shape != z.shape:
            raise InputError(f"mask shape {mask.shape} does not match image shape {z.shape}")
        valid &= mask
    if not valid.any():
        raise InputError(f"the {name} has no valid pixels to filter (all NaN or outside the mask)")
    filled = np.where(valid, z, 0.0)
    sigmas = (sigma_px(nesting_index_nm, dy), sigma_px(nesting_index_nm, dx))
    truncate = tuple(nesting_index_nm / (s * p) for s, p in zip(sigmas, (dy, dx)))
    weight = valid.astype(np.float64)
    mean = _normalised(filled, weight, sigmas, truncate)
    if robust:
        for _ in range(20):
            residual = np.abs(filled - mean)[valid]
            c = TUKEY_C * float(np.median(residual))
            if c <= 0:
                break
            r = np.where(valid, (filled - np.nan_to_num(mean)) / c, 0.0)
            new = np.where(valid & (np.abs(r) < 1), (1 - r**2) ** 2, 0.0)
            if np.max(np.abs(new - weight)) < 1e-4:
                break
            weight = new
            mean = _normalised(filled, weight, sigmas, truncate)
    return mean


def profile_gaussian(profile: np.ndarray, nesting_index_nm: float, *, spacing_nm: float) -> np.ndarray:
    """Profile Gaussian filter (ISO 16610-21): the mean line of a 1-D profile, edges renormalised.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(2000) * 0.5
    >>> line = profile_gaussian(np.sin(2 * np.pi * x / 250.0), 250.0, spacing_nm=0.5)
    >>> round(float(np.ptp(line[600:1400]) / 2), 3)
    0.5
    """
    z = np.asarray(profile, np.float64)
    if z.ndim != 1:
        raise InputError(f"a profile filter needs a 1-D profile; got shape {z.shape}")
    if not (math.isfinite(spacing_nm) and spacing_nm > 0):
        raise InputError(f"the profile spacing must be > 0 nm; got {spacing_nm}")
    _check(nesting_index_nm, (spacing_nm, spacing_nm), z.shape, "profile filter")
    valid = np.isfinite(z)
    s = sigma_px(nesting_index_nm, spacing_nm)
    return _normalised(np.where(valid, z, 0.0), valid.astype(np.float64), (s,), (nesting_index_nm / (s * spacing_nm),))
