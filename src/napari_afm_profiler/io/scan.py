"""The one data structure every reader returns: a calibrated channel of an AFM file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class AfmScan:
    """One channel of an AFM file, calibrated.

    Attributes
    ----------
    data : (ny, nx) or (n_frames, ny, nx) float64 ndarray
        Values in ``z_unit``; heights (any length channel) are in nm.  A movie read with
        ``read_afm(..., lazy=True)`` is a float64 dask array instead, one chunk per frame
        (``np.asarray(scan.data[k])`` reads frame ``k``).
    pixel_size_nm : tuple of float
        ``(dy, dx)`` in nm. ``None`` only when the file holds no lateral calibration
        (then ``metadata["pixel_size_missing"]`` is True and readers warn).
    channel : str
        Channel name as the instrument calls it (trace/retrace/direction appended).
    z_unit : str
        ``"nm"`` for length channels, otherwise the SI unit (``"V"``, ``"A"``, ``"deg"`` ...),
        ``""`` when the file states none.
    file_format : str
        Short name of the format (``"gwy"``, ``"nanoscope"`` ...).
    metadata : dict
        Original instrument metadata (header fields) plus reader notes.
    """

    data: np.ndarray
    pixel_size_nm: tuple[float, float] | None
    channel: str
    z_unit: str
    file_format: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def is_height(self) -> bool:
        """Whether this channel is a length (height) channel, in nm."""
        return self.z_unit == "nm"

    @property
    def is_stack(self) -> bool:
        """Whether the data are a stack of frames ``(n, ny, nx)``."""
        return self.data.ndim == 3


HEIGHT_WORDS = ("height", "topo", "zsensor", "z-axis", "z sensor", "z (", "z fwd", "z bwd")


def order_channels(scans: list[AfmScan]) -> list[AfmScan]:
    """Put height channels first, keeping the file order otherwise.

    Among length channels, the ones whose names say height/topography come first
    (an amplitude in nm is a length but not the topography).
    """

    def rank(scan: AfmScan) -> int:
        name = scan.channel.lower()
        if scan.is_height and (any(w in name for w in HEIGHT_WORDS) or name in ("z", "tp")):
            return 0
        if scan.is_height:
            return 1
        return 2

    return sorted(scans, key=rank)
