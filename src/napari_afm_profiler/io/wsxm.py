"""WSxM images (``.stp``, ``.top`` and other single-image WSxM files)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import array_from, make_scan, parse_float, read_bytes
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.units import parse_unit

MAGIC = b"WSxM file copyright"
_DTYPES = {"double": "<f8", "float": "<f4", "short": "<i2", "integer": "<i4", "int": "<i4"}


def read_wsxm(path: str | Path) -> list[AfmScan]:
    """Read a WSxM image file.

    Parameters
    ----------
    path : str or Path
        A ``.stp``/``.top``/``.ch1`` ... WSxM image.

    Returns
    -------
    scans : list of AfmScan
        One channel. Floating-point data are in the unit of ``Z Amplitude``; integer data are
        scaled so their range equals ``Z Amplitude`` (as Gwyddion's wsxmfile does).
    """
    path = Path(path)
    buf = read_bytes(path)
    if not buf.startswith(MAGIC):
        raise AFMFormatError(path, "not a WSxM file (missing 'WSxM file copyright' line)")
    m = re.search(rb"Image header size:\s*(\d+)", buf[:4096])
    if not m:
        raise AFMFormatError(path, "no 'Image header size' in the header")
    header_size = int(m.group(1))
    if header_size > len(buf):
        raise AFMFormatError(path, "the file is truncated (shorter than its header)")
    header = _parse_header(buf[:header_size].decode("latin-1"))
    try:
        nx = int(header["Number of columns"])
        ny = int(header["Number of rows"])
    except (KeyError, ValueError) as exc:
        raise AFMFormatError(path, "header lacks 'Number of columns/rows'") from exc
    dtype_name = header.get("Image Data Type", "short").strip().lower()
    if dtype_name not in _DTYPES:
        raise AFMFormatError(path, f"unsupported image data type {dtype_name!r}")
    # WSxM stores the image rotated by 180 degrees relative to how Gwyddion displays it
    raw = array_from(buf, header_size, _DTYPES[dtype_name], (ny, nx), path, "WSxM data")[::-1, ::-1]
    raw = raw.astype(np.float64)
    zvalue, zunit = _value_unit(header.get("Z Amplitude", "1 nm"))
    if dtype_name in ("short", "integer", "int"):
        span = float(raw.max() - raw.min())
        raw = raw * (zvalue / span) if span > 0 else raw * 0.0
    xamp, xunit = _value_unit(header.get("X Amplitude", "0 nm"))
    yamp, yunit = _value_unit(header.get("Y Amplitude", "0 nm"))
    pixel = None
    fx, cx = parse_unit(xunit)
    fy, cy = parse_unit(yunit)
    if cx == cy == "nm" and xamp > 0 and yamp > 0:
        pixel = (yamp * fy / ny, xamp * fx / nx)
    name = header.get("Acquisition channel", "") or "Topography"
    return [make_scan(raw, unit=zunit, pixel_size_nm=pixel, channel=name, file_format="wsxm",
                      metadata=header, path=path)]


def _parse_header(text: str) -> dict[str, str]:
    header = {}
    for line in text.splitlines():
        if ":" in line and not line.strip().startswith("["):
            key, value = line.split(":", 1)
            header.setdefault(key.strip(), value.strip())
    return header


def _value_unit(text: str) -> tuple[float, str]:
    parts = text.split()
    try:
        value = parse_float(parts[0])
    except (IndexError, ValueError):
        return 0.0, ""
    return value, parts[1] if len(parts) > 1 else ""
