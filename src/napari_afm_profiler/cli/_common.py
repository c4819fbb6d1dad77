"""Helpers every sub-command shares: loading an input file, value statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from napari_afm_profiler.errors import AfmProfilerError


def load_scans(path: str, pixel_size: float | None, channel: str | None = None) -> Any:
    """Read ``path`` (a ``.npy`` holds heights in nm, calibrated by ``pixel_size``); optionally one channel."""
    from napari_afm_profiler.io import read_afm
    from napari_afm_profiler.io.generic import read_npy

    if Path(path).suffix.lower() == ".npy":
        # the CLI contract: a .npy image holds heights in nm, the pixel size comes from --pixel-size
        scans = read_npy(path, pixel_size_nm=(pixel_size, pixel_size) if pixel_size else None, z_unit="nm")
    else:
        scans = read_afm(path)
    if channel is None:
        return scans
    for scan in scans:
        if scan.channel == channel:
            return [scan]
    names = ", ".join(repr(s.channel) for s in scans)
    raise AfmProfilerError(f"{Path(path).name}: no channel {channel!r}; channels are {names}")


def finite_stats(data: Any) -> tuple[float | None, float | None, float | None]:
    """Minimum, maximum and mean of the finite values (None for an all-NaN channel)."""
    import numpy as np

    finite = data[np.isfinite(data)]
    if finite.size == 0:
        return None, None, None
    return float(finite.min()), float(finite.max()), float(finite.mean())
