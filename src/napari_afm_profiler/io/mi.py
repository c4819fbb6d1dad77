"""Molecular Imaging / Agilent PicoView images (``.mi``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import array_from, make_scan, parse_float, read_bytes
from napari_afm_profiler.io.scan import AfmScan

MAGIC = b"fileType      Image"


def read_mi(path: str | Path) -> list[AfmScan]:
    """Read every buffer (channel) of a PicoView ``.mi`` image.

    Integer data are scaled as ``raw * bufferRange / 2**(bits-1)`` in ``bufferUnit``.

    Parameters
    ----------
    path : str or Path
        The ``.mi`` file (binary image data; ASCII-data and spectroscopy files are refused).

    Returns
    -------
    scans : list of AfmScan
        One per buffer.
    """
    path = Path(path)
    buf = read_bytes(path)
    if not buf.startswith(b"fileType"):
        raise AFMFormatError(path, "not a PicoView .mi file (no 'fileType' header)")
    pos = buf.find(b"\ndata ")
    if pos < 0:
        raise AFMFormatError(path, "no 'data' line: truncated header")
    eol = buf.find(b"\n", pos + 1)
    if eol < 0:
        raise AFMFormatError(path, "truncated after the 'data' line")
    header_text = buf[:pos].decode("latin-1")
    data_kind = buf[pos + 1:eol].decode("latin-1").split(None, 1)[1].strip() if b" " in buf[pos + 1:eol] else ""
    glob, buffers = _parse(header_text)
    if glob.get("fileType", "").lower() != "image":
        raise AFMFormatError(path, f"file type {glob.get('fileType')!r} is not an image")
    bits = {"BINARY": 16, "BINARY_32": 32}.get(data_kind.upper())
    if bits is None:
        raise AFMFormatError(path, f"unsupported data encoding {data_kind!r}")
    try:
        nx, ny = int(glob["xPixels"]), int(glob["yPixels"])
        xlen, ylen = parse_float(glob["xLength"]), parse_float(glob["yLength"])
    except (KeyError, ValueError) as exc:
        raise AFMFormatError(path, "header lacks xPixels/yPixels/xLength/yLength") from exc
    pixel = (ylen * 1e9 / ny, xlen * 1e9 / nx)
    dtype = "<i2" if bits == 16 else "<i4"
    offset = eol + 1
    scans = []
    for k, b in enumerate(buffers):
        raw = array_from(buf, offset, dtype, (ny, nx), path, f"buffer {k}").astype(np.float64)
        offset += nx * ny * (bits // 8)
        scale = parse_float(b.get("bufferRange", "1")) / 2.0 ** (bits - 1)
        name = b.get("bufferLabel", f"Buffer {k}")
        if b.get("trace"):
            name = f"{name} ({b['trace'].lower()})"
        # PicoView stores the bottom line first
        scans.append(make_scan(raw[::-1] * scale, unit=b.get("bufferUnit", ""), pixel_size_nm=pixel,
                               channel=name, file_format="mi", metadata={"header": glob, "buffer": b}, path=path))
    if not scans:
        raise AFMFormatError(path, "no image buffers in the header")
    return scans


def _parse(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    glob: dict[str, str] = {}
    buffers: list[dict[str, str]] = []
    for line in text.splitlines():
        if len(line) < 14:
            key, value = line.strip(), ""
        else:
            key, value = line[:14].strip(), line[14:].strip()
        if not key:
            continue
        if key == "bufferLabel":
            buffers.append({})
        target = buffers[-1] if buffers else glob
        target.setdefault(key, value)
    return glob, buffers
