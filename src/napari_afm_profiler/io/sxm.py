"""Nanonis scan files (``.sxm``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import array_from, make_scan, read_bytes
from napari_afm_profiler.io.scan import AfmScan

MAGIC = b":NANONIS_VERSION:"
_END = b":SCANIT_END:"


def read_sxm(path: str | Path) -> list[AfmScan]:
    """Read every channel and direction of a Nanonis ``.sxm`` file.

    Backward images are mirrored back into the forward orientation; ``SCAN_DIR up`` images
    are flipped so that row 0 is the top of the image, as in the Nanonis software and Gwyddion.

    Parameters
    ----------
    path : str or Path
        The ``.sxm`` file.

    Returns
    -------
    scans : list of AfmScan
        One per channel and direction (e.g. ``Z (forward)``, ``Z (backward)``).
    """
    path = Path(path)
    buf = read_bytes(path)
    if not buf.startswith(MAGIC):
        raise AFMFormatError(path, "not a Nanonis SXM file (missing ':NANONIS_VERSION:')")
    end = buf.find(_END)
    if end < 0:
        raise AFMFormatError(path, "header has no ':SCANIT_END:': truncated or corrupt")
    header = _parse_header(buf[:end].decode("latin-1"))
    start = buf.find(b"\x1a\x04", end)
    if start < 0:
        raise AFMFormatError(path, "no data marker after the header: truncated")
    start += 2
    try:
        nx, ny = (int(float(v)) for v in header["SCAN_PIXELS"].split()[:2])
    except (KeyError, ValueError) as exc:
        raise AFMFormatError(path, "header lacks SCAN_PIXELS") from exc
    pixel = None
    try:
        xr, yr = (float(v) for v in header["SCAN_RANGE"].split()[:2])
        pixel = (yr * 1e9 / ny, xr * 1e9 / nx)
    except (KeyError, ValueError):
        pixel = None
    order = ">f4" if "MSBFIRST" in header.get("SCANIT_TYPE", "MSBFIRST") else "<f4"
    scan_up = header.get("SCAN_DIR", "").strip().lower() == "up"
    channels = _data_info(header.get("DATA_INFO", ""))
    if not channels:
        raise AFMFormatError(path, "no channels in DATA_INFO")
    scans = []
    offset = start
    frame_bytes = nx * ny * 4
    for name, unit, direction in channels:
        directions = ("forward", "backward") if direction == "both" else (direction or "forward",)
        for d in directions:
            values = array_from(buf, offset, order, (ny, nx), path, f"channel {name} ({d})").astype(np.float64)
            offset += frame_bytes
            if d == "backward":
                values = values[:, ::-1]
            if scan_up:
                values = values[::-1]
            scans.append(make_scan(values, unit=unit, pixel_size_nm=pixel, channel=f"{name} ({d})",
                                   file_format="sxm", metadata=header, path=path))
    return scans


def _parse_header(text: str) -> dict[str, str]:
    header: dict[str, str] = {}
    key = None
    lines: list[str] = []
    for line in text.split("\n"):
        if line.startswith(":") and line.endswith(":") and len(line) > 2:
            if key is not None:
                header[key] = "\n".join(lines).strip()
            key, lines = line[1:-1], []
        else:
            lines.append(line)
    if key is not None:
        header[key] = "\n".join(lines).strip()
    return header


def _data_info(text: str) -> list[tuple[str, str, str]]:
    rows = [r.strip().split("\t") for r in text.split("\n") if r.strip()]
    if not rows:
        return []
    head = [c.strip().lower() for c in rows[0]]
    out = []
    for row in rows[1:]:
        cells = dict(zip(head, (c.strip() for c in row)))
        if cells.get("name"):
            out.append((cells["name"], cells.get("unit", ""), cells.get("direction", "both").lower()))
    return out
