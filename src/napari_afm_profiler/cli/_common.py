"""Helpers every sub-command shares: loading an input file, value statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from napari_afm_profiler.errors import AfmProfilerError


def load_scans(path: str, pixel_size: float | None, channel: str | None = None, *, lazy: bool = False) -> Any:
    """Read ``path`` (a ``.npy`` holds heights in nm, calibrated by ``pixel_size``); optionally one channel.

    ``lazy`` reads movies as dask stacks (frames read when used), for commands that go frame by frame.
    """
    from napari_afm_profiler.io import read_afm
    from napari_afm_profiler.io.generic import read_npy

    if Path(path).suffix.lower() == ".npy":
        # the CLI contract: a .npy image holds heights in nm, the pixel size comes from --pixel-size
        scans = read_npy(path, pixel_size_nm=(pixel_size, pixel_size) if pixel_size else None, z_unit="nm")
    else:
        scans = read_afm(path, lazy=lazy)
    if channel is None:
        return scans
    for scan in scans:
        if scan.channel == channel:
            return [scan]
    names = ", ".join(repr(s.channel) for s in scans)
    raise AfmProfilerError(f"{Path(path).name}: no channel {channel!r}; channels are {names}")


def finite_stats(data: Any) -> tuple[float | None, float | None, float | None]:
    """Minimum, maximum and mean of the finite values (None for an all-NaN channel).

    A stack is reduced one frame at a time, so a lazy movie of any size needs one frame of memory.
    """
    import numpy as np

    lo, hi, total, count = np.inf, -np.inf, 0.0, 0
    frames = (data,) if np.ndim(data) == 2 else (data[k] for k in range(np.shape(data)[0]))
    for frame in frames:
        frame = np.asarray(frame)
        finite = frame[np.isfinite(frame)]
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
            total, count = total + float(finite.sum(dtype=np.float64)), count + finite.size
    if count == 0:
        return None, None, None
    return lo, hi, total / count
