"""The evaluation area: a height map, the pixels that belong to it, levelled to its mean plane."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.pixels import pixel_size_pair
from napari_afm_profiler.preprocess.fit import fit_polynomial
from napari_afm_profiler.roughness.settings import LEVEL_CHOICES, f_operator_order


@dataclass(frozen=True)
class EvaluationArea:
    """A levelled height map restricted to an evaluation area.

    Attributes
    ----------
    z : (ny, nx) float ndarray
        Heights about the mean plane of the area; 0 outside the area.
    mask : (ny, nx) bool ndarray
        True on the pixels of the area (finite and inside the region).
    pixel_size_nm : (dy, dx)
        Pixel size, nm.
    """

    z: np.ndarray
    mask: np.ndarray
    pixel_size_nm: tuple[float, float]

    @cached_property
    def values(self) -> np.ndarray:
        """Heights of the pixels of the area, 1D (a view when the area is the whole rectangle)."""
        return self.z.ravel() if self.full else self.z[self.mask]

    @cached_property
    def n(self) -> int:
        """Number of pixels in the area."""
        return int(np.count_nonzero(self.mask))

    def cropped(self) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
        """Heights and mask cut to the bounding box of the area (None, None when it is empty)."""
        rows = np.flatnonzero(self.mask.any(axis=1))
        cols = np.flatnonzero(self.mask.any(axis=0))
        if rows.size == 0:
            return None, None
        box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        return self.z[box], self.mask[box]

    @cached_property
    def full(self) -> bool:
        """Whether the area is the whole rectangle."""
        return self.n == self.mask.size


def check_pixel_size(pixel_size_nm: float | tuple[float, float] | None) -> tuple[float, float]:
    """Return ``(dy, dx)`` in nm from a scalar or pair, refusing missing or non-positive sizes.

    Parameters
    ----------
    pixel_size_nm : float or (dy, dx)
        Pixel size in nm.

    Returns
    -------
    pixel_size_nm : (dy, dx) tuple of float
    """
    return pixel_size_pair(pixel_size_nm, needed_for="roughness")


def evaluation_area(
    height: np.ndarray,
    *,
    pixel_size_nm: float | tuple[float, float],
    mask: np.ndarray | None = None,
    level: str = "plane",
    s_filter_nm: float | None = None,
    l_filter_nm: float | None = None,
    l_filter_robust: bool = False,
) -> EvaluationArea:
    """Restrict a height map to an area and apply the ISO 25178-3 operators there: S-filter, F-operator, L-filter.

    Parameters
    ----------
    height : (ny, nx) float ndarray, nm
        Height map; NaN pixels are left out of the area.
    pixel_size_nm : float or (dy, dx)
        Pixel size, nm.
    mask : (ny, nx) bool ndarray, optional
        True on the pixels to evaluate (default: all finite pixels).
    level : {"plane", "none", "poly2", ..., "poly6"}
        The F-operator: ``"plane"`` subtracts the least-squares plane fitted to the area's
        pixels only, ``"polyN"`` a polynomial of order N, ``"none"`` only the mean.  Heights are
        always about the mean plane (ISO 25178-2).
    s_filter_nm, l_filter_nm : float, optional
        Nesting indices of the S-filter (applied first) and the L-filter (applied after the
        F-operator; its mean surface is subtracted).  Both are Gaussian filters on the area's own
        pixels (:func:`~napari_afm_profiler.roughness.filters.areal_gaussian`).
    l_filter_robust : bool
        Robust Gaussian L-filter.

    Returns
    -------
    EvaluationArea
    """
    height = np.asarray(height, dtype=np.float64)
    if height.ndim != 2:
        raise InputError(f"roughness needs a 2D height map; got shape {height.shape}")
    if level not in LEVEL_CHOICES:
        raise InputError(f"level must be one of {LEVEL_CHOICES}; got {level!r}")
    dy, dx = check_pixel_size(pixel_size_nm)
    inside = np.isfinite(height)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != height.shape:
            raise InputError(f"mask shape {mask.shape} does not match image shape {height.shape}")
        inside &= mask
    z = np.where(inside, height, 0.0)
    n = np.count_nonzero(inside)
    if n == 0:
        return EvaluationArea(z, inside, (dy, dx))
    if s_filter_nm:
        from napari_afm_profiler.roughness.filters import areal_gaussian

        z = np.where(inside, areal_gaussian(z, s_filter_nm, pixel_size_nm=(dy, dx), mask=inside, name="S-filter"), 0.0)
    order = f_operator_order(level)
    if order and n > (order + 1) * (order + 2) // 2:
        z = fit_polynomial(z, order, use=inside).subtract_from(z, out=z)
    if l_filter_nm:
        from napari_afm_profiler.roughness.filters import areal_gaussian

        z = np.where(inside, z - areal_gaussian(z, l_filter_nm, pixel_size_nm=(dy, dx), mask=inside,
                                                robust=l_filter_robust, name="L-filter"), 0.0)
    # in place: large images should not hold several full-size copies at once
    z -= np.sum(z, where=inside) / n
    z[~inside] = 0.0
    return EvaluationArea(z, inside, (dy, dx))

