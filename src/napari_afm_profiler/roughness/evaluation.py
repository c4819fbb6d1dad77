"""Shared state of one evaluation: the area, the settings, results, warnings and cached sorts."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from napari_afm_profiler.roughness.settings import RoughnessSettings
from napari_afm_profiler.roughness.surface import EvaluationArea

# heights per block of the running sums behind the volume parameters
_BLOCK = 4096


class Evaluation:
    """Values and warnings of one evaluation area, filled group by group.

    Parameters
    ----------
    area : EvaluationArea
        The levelled area.
    settings : RoughnessSettings
        Arguments of the parameters.
    """

    def __init__(self, area: EvaluationArea, settings: RoughnessSettings) -> None:
        self.area = area
        self.settings = settings
        self.values: dict[str, float | None] = {}
        self.warnings: list[str] = []

    def undefined(self, symbols: tuple[str, ...] | list[str], reason: str) -> None:
        """Set ``symbols`` to None and record why."""
        for s in symbols:
            self.values[s] = None
        if symbols:
            self.warnings.append(f"{', '.join(symbols)}: {reason}")

    def set(self, **values: float | None) -> None:
        """Record values, turning non-finite numbers into None (with a warning)."""
        for key, value in values.items():
            if value is not None and not np.isfinite(value):
                self.undefined([key], "not finite for this area")
            else:
                self.values[key] = None if value is None else float(value)

    @cached_property
    def _sorted(self) -> tuple[np.ndarray, np.ndarray]:
        from napari_afm_profiler.roughness.sorting import sort_descending

        flat = self.area.z.ravel()
        if self.area.full:
            return sort_descending(flat)
        inside = np.flatnonzero(self.area.mask)
        order, ascending = sort_descending(flat[inside])
        return inside[order].astype(order.dtype, copy=False), ascending

    @property
    def descending_order(self) -> np.ndarray:
        """Flat indices of the area's pixels, highest first (shared by the material ratio and the features)."""
        return self._sorted[0]

    @property
    def ascending(self) -> np.ndarray:
        """Heights of the area sorted in ascending order."""
        return self._sorted[1]

    @cached_property
    def spectrum(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Windowed power spectrum of the area's bounding box (see ``spatial.power_spectrum``)."""
        from napari_afm_profiler.roughness.spatial import power_spectrum

        z, mask = self.area.cropped()
        return power_spectrum(z, mask, self.area.pixel_size_nm)

    @cached_property
    def annuli(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Rings of the power spectrum: power sum and bin count per annulus, and the ring width (1/nm)."""
        from napari_afm_profiler.roughness.spatial import ring_sums, ring_width

        psd, fy, fx = self.spectrum
        dq = ring_width(fy, fx)
        return (*ring_sums(psd, fy, fx, dq), dq)

    @cached_property
    def _block_sums(self) -> np.ndarray:
        """Running sums of ``ascending`` at every ``_BLOCK``-th height, with a leading 0.

        Volumes need the sum of the heights below a few levels only: a full running sum would
        be one more array as large as the image.
        """
        a = self.ascending
        whole = a.size // _BLOCK
        sums = a[:whole * _BLOCK].reshape(whole, _BLOCK).sum(axis=1)
        return np.concatenate([[0.0], np.cumsum(np.append(sums, a[whole * _BLOCK:].sum()))])

    def sum_below(self, k: int) -> float:
        """Sum of the ``k`` lowest heights of the area."""
        block = k // _BLOCK
        return float(self._block_sums[block] + self.ascending[block * _BLOCK:k].sum())

    @cached_property
    def sq(self) -> float:
        """Root-mean-square height of the area."""
        v = self.area.values
        return float(np.sqrt(np.dot(v, v) / v.size)) if v.size else 0.0

    @cached_property
    def highest(self) -> float:
        """Largest height of the area (0 for an empty area)."""
        v = self.area.values
        return float(v.max()) if v.size else 0.0

    @cached_property
    def lowest(self) -> float:
        """Smallest height of the area (0 for an empty area)."""
        v = self.area.values
        return float(v.min()) if v.size else 0.0

    @cached_property
    def sz(self) -> float:
        """Maximum height Sp + Sv of the area."""
        return self.highest - self.lowest

    @property
    def flat(self) -> bool:
        """Whether the area has no height variation (every ratio to Sq is then undefined)."""
        return self.sq <= 1e-12 * max(1.0, abs(self.highest), abs(self.lowest))

    def height_at(self, mr_pct: float | np.ndarray) -> float | np.ndarray:
        """Height at material ratio ``mr_pct`` (%), the inverse of the areal material ratio curve."""
        a = self.ascending
        n = a.size
        # the i-th highest of n pixels sits at material ratio (i + 1/2) / n: interpolate linearly
        # between the two neighbours of the wanted rank (constant beyond the first and last)
        rank = np.clip(np.asarray(mr_pct, dtype=np.float64) / 100.0 * n - 0.5, 0.0, n - 1.0)
        lower = np.floor(rank).astype(np.int64)
        upper = np.minimum(lower + 1, n - 1)
        frac = rank - lower
        value = a[n - 1 - lower] * (1.0 - frac) + a[n - 1 - upper] * frac
        return float(value) if value.ndim == 0 else value

    def material_ratio(self, c: float) -> float:
        """Areal material ratio Smr(c), %: share of the area at or above height ``c``."""
        a = self.ascending
        return 100.0 * (a.size - np.searchsorted(a, c, side="left")) / a.size

    def material_volume(self, c: float) -> float:
        """Material volume per unit area above height ``c`` (same unit as heights)."""
        a = self.ascending
        k = int(np.searchsorted(a, c, side="right"))
        return float((self.sum_below(a.size) - self.sum_below(k)) - (a.size - k) * c) / a.size

    def void_volume(self, c: float) -> float:
        """Void volume per unit area below height ``c`` (same unit as heights)."""
        a = self.ascending
        k = int(np.searchsorted(a, c, side="left"))
        return float(k * c - self.sum_below(k)) / a.size
