"""Gwyddion ASCII matrix export: ``#`` header lines (Channel, Width, Height, Value units) + a text matrix."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import make_scan, parse_float, read_bytes
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.units import parse_unit

_HEADER = re.compile(r"^#\s*([^:]+):\s*(.*)$")


def is_ascii_matrix(head: bytes) -> bool:
    """Whether the first bytes look like a Gwyddion ASCII export with a ``#`` header."""
    text = head.decode("utf-8", errors="replace")
    return text.lstrip().startswith("#") and ("Width" in text or "Channel" in text)


def read_ascii_matrix(path: str | Path) -> list[AfmScan]:
    """Read a Gwyddion ASCII matrix export (``.txt``) with its ``#`` header.

    Parameters
    ----------
    path : str or Path
        The text file. ``# Width: 10.00 µm``, ``# Height: ...`` and ``# Value units: m``
        give the calibration; without Width/Height the pixel size stays unknown.

    Returns
    -------
    scans : list of AfmScan
        A single channel.
    """
    path = Path(path)
    text = read_bytes(path).decode("utf-8", errors="replace")
    header: dict[str, str] = {}
    body = []
    for line in text.splitlines():
        m = _HEADER.match(line.strip())
        if m:
            header[m.group(1).strip()] = m.group(2).strip()
        elif line.strip():
            body.append(line)
    if not body:
        raise AFMFormatError(path, "no data rows after the header")
    try:
        data = np.loadtxt(io.StringIO("\n".join(body).replace(",", ".")), dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise AFMFormatError(path, f"data rows are not a rectangular numeric matrix ({exc})") from exc
    ny, nx = data.shape
    pixel = None
    try:
        width = _length_nm(header["Width"])
        height = _length_nm(header["Height"])
        pixel = (height / ny, width / nx)
    except (KeyError, ValueError):
        pixel = None
    unit = header.get("Value units", header.get("Value unit", ""))
    return [make_scan(data, unit=unit, pixel_size_nm=pixel, channel=header.get("Channel", "Data"),
                      file_format="ascii-matrix", metadata=header, path=path)]


def _length_nm(text: str) -> float:
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(text)
    factor, canonical = parse_unit(parts[1])
    if canonical != "nm":
        raise ValueError(text)
    return parse_float(parts[0]) * factor
