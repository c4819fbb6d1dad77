"""Igor binary waves (``.ibw``), as written by Asylum Research instruments (read with igor2)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import make_scan, quiet_logger, read_bytes
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.units import parse_unit

_MAX_LENGTH_M = 1e-3
_HUGE_PAGE_BYTES = 4 << 20  # numpy's threshold for madvise(MADV_HUGEPAGE)

# Asylum stores every channel of a wave with one data unit; the real unit follows from the
# channel name (the convention Gwyddion's igorfile module uses too).
_NAME_UNITS = (
    (("height", "zsensor", "amplitude", "deflection", "nap", "zsnsr", "z sensor"), "m"),
    (("phase",), "deg"),
    (("current",), "A"),
    (("frequency", "freq"), "Hz"),
    (("potential", "bias", "userin", "voltage", "lateral", "inputi", "inputq"), "V"),
)


# Byte layout of the binary headers (Igor Technical Note PTN003): offsets of the 32-bit size fields
_SIZE_FIELDS = {1: (2,), 2: (2, 6, 10), 3: (2, 6, 10, 14), 5: tuple(range(4, 64, 4))}
_HEADER_BYTES = {1: 8, 2: 16, 3: 20, 5: 64}
_TYPE_BYTES = {2: 4, 3: 8, 4: 8, 8: 1, 16: 2, 32: 4, 0x48: 1, 0x50: 2, 0x60: 4, 0x40: 1, 0x42: 1}


def check_declared_sizes(buf: bytes, path: Path) -> None:
    """Refuse a wave whose header declares more bytes than the file holds (before igor2 allocates them)."""
    for order in ("<", ">"):
        version = int(np.frombuffer(buf, dtype=f"{order}i2", count=1)[0])
        if version in _SIZE_FIELDS:
            break
    else:
        raise AFMFormatError(path, "not an Igor binary wave (unknown header version)")
    sizes = [int(np.frombuffer(buf, dtype=f"{order}i4", count=1, offset=o)[0]) for o in _SIZE_FIELDS[version]]
    if version == 5:
        # optionsSize1/2 are reserved and may hold anything; the rest must fit in the file
        sizes = sizes[:-2]
    if min(sizes) < 0 or _HEADER_BYTES[version] + sum(sizes) > len(buf):
        raise AFMFormatError(path, f"header declares {_HEADER_BYTES[version] + sum(max(s, 0) for s in sizes)} bytes "
                                   f"(or a negative size) but the file has {len(buf)}; truncated or corrupt")
    if version == 5 and len(buf) >= 64 + 84:
        npnts = int(np.frombuffer(buf, dtype=f"{order}i4", count=1, offset=64 + 12)[0])
        kind = int(np.frombuffer(buf, dtype=f"{order}i2", count=1, offset=64 + 16)[0])
        dims = np.frombuffer(buf, dtype=f"{order}i4", count=4, offset=64 + 68).astype(np.int64)
        item = _TYPE_BYTES.get(kind & ~0x01, 8) * (2 if kind & 0x01 else 1)
        used = dims[dims > 0]
        if npnts < 0 or np.any(dims < 0) or (used.size and int(np.prod(used)) != npnts) or npnts * item > sizes[0]:
            raise AFMFormatError(path, f"wave header declares {npnts} points of {item} bytes in dimensions "
                                       f"{dims.tolist()}, which do not fit its {sizes[0]}-byte wave record")


def read_ibw(path: str | Path) -> list[AfmScan]:
    """Read every layer (channel) of an Igor binary wave.

    The pixel size is the wave's own x/y scaling (``sfA``), as in Igor and Gwyddion; Asylum's
    ``ScanSize / ScanPoints`` from the note is kept in the metadata as ``scan_size_pixel_nm``.

    Parameters
    ----------
    path : str or Path
        The ``.ibw`` file.

    Returns
    -------
    scans : list of AfmScan
        One per channel (third wave dimension).
    """
    path = Path(path)
    buf = read_bytes(path)
    if len(buf) < 64:
        raise AFMFormatError(path, f"too short for an Igor binary wave ({len(buf)} bytes)")
    check_declared_sizes(buf, path)
    try:
        from igor2 import binarywave

        # igor2 logs whole data buffers at ERROR level on corrupt input; we raise instead
        with quiet_logger("igor2.binarywave"):
            wave = binarywave.load(io.BytesIO(buf))["wave"]  # the bytes already read: one read of the file
    except Exception as exc:  # igor2 raises ValueError/TypeError/struct.error on bad input
        raise AFMFormatError(path, f"not a valid Igor binary wave or truncated ({type(exc).__name__}: {exc})") from exc
    data = np.asarray(wave["wData"])
    if data.ndim == 2:
        data = data[:, :, np.newaxis]
    if data.ndim != 3 or data.size == 0:
        raise AFMFormatError(path, f"wave has shape {data.shape}, not an image (x, y[, channel])")
    if data.dtype.kind not in "iuf":
        raise AFMFormatError(path, f"wave holds {data.dtype} values, not real numbers (complex or text wave)")
    header = wave["wave_header"]
    note = _parse_note(wave.get("note", b""))
    data_unit = _join(header.get("dataUnits")) or _decode(wave.get("data_units", b""))
    xy_units = [_join(u) for u in header.get("dimUnits", [])] or ["", ""]
    sf = [float(v) for v in header.get("sfA", [1.0, 1.0])]
    pixel = _pixel_size(sf, xy_units)
    labels = _labels(wave.get("labels"), data.shape[2])
    raw_note = _decode(wave.get("note", b""))
    named_by_note = not any(labels) and bool(_MATRIX_CHANNEL.search(raw_note))
    if named_by_note:
        labels = _matrix_names(raw_note, _decode(header.get("bname", b"")), data.shape[2])
    meta_common: dict[str, Any] = {"note": note, "wave_name": _decode(header.get("bname", b""))}
    scan_size = note.get("ScanSize")
    if scan_size:
        try:
            meta_common["scan_size_pixel_nm"] = float(scan_size) * 1e9 / data.shape[0]
        except ValueError:
            pass
    units = []
    for k in range(data.shape[2]):
        unit = data_unit if named_by_note else _unit_for(labels[k] or f"Channel {k + 1}", data_unit)
        channel = data[:, :, k]
        if unit == "m" and max(np.nanmax(channel, initial=0.0), -np.nanmin(channel, initial=0.0)) > _MAX_LENGTH_M:
            # a "length" channel spanning more than a millimetre is not in metres (e.g. an
            # uncalibrated sensor in volts): keep the numbers, do not pretend they are nm
            unit = ""
        units.append(unit)
    # Small channels go into one float64 block: numpy asks the kernel for huge pages only for
    # allocations of 4 MiB or more, and filling fresh 4 KiB pages costs more than the copy.
    # Large channels get one array each, so that deleting a layer frees its memory.
    shape = (data.shape[1], data.shape[0])
    block = np.empty((data.shape[2], *shape)) if 8 * shape[0] * shape[1] < _HUGE_PAGE_BYTES else None
    scans = []
    for k, unit in enumerate(units):
        # Igor stores [x, y]; row 0 of the wave's y axis is the bottom of the image.
        scans.append(make_scan(data[:, :, k].T[::-1], unit=unit, pixel_size_nm=pixel,
                               channel=labels[k] or f"Channel {k + 1}", file_format="ibw",
                               metadata=dict(meta_common, data_unit=data_unit), path=path,
                               out=block[k] if block is not None else None))
    return scans


_MATRIX_CHANNEL = re.compile(r"Channel name and data unit:\s*(?P<name>.*?)\s*\[(?P<unit>[^\]]*)\]")
_MATRIX_AXIS = re.compile(r"points per curve\s*=\s*(?P<n>\d+),\s*axis start\s*=\s*(?P<start>[-+0-9.eE]+),"
                          r"\s*end\s*=\s*(?P<end>[-+0-9.eE]+),\s*unit\s*=\s*(?P<unit>\S+)")
_DIRECTIONS = ("forward", "backward")


def _matrix_names(note: str, wave_name: str, n: int) -> list[str]:
    """Channel names of a wave exported from Scienta Omicron MATRIX (the note names the channel).

    ``"Channel name and data unit: I 3 [A]"`` gives ``"I 3"``; the direction comes from the wave
    name (``"I 3 37-1 Backward Down"``); the planes of a spectroscopy volume are named by their
    value on the spectroscopy axis (``"Aux2(V) 3 (forward) @ -0.5 V"``).
    """
    name = _MATRIX_CHANNEL.search(note).group("name").strip() or wave_name or "Channel"
    first_line = note.replace("\n", "\r").split("\r", 1)[0]
    direction = next((d for d in _DIRECTIONS if d in (wave_name + " " + first_line).lower()), "")
    base = f"{name} ({direction})" if direction else name
    if n == 1:
        return [base]
    axis = _MATRIX_AXIS.search(note)
    if axis and int(axis.group("n")) == n:
        values = np.linspace(float(axis.group("start")), float(axis.group("end")), n)
        return [f"{base} @ {v:.6g} {axis.group('unit')}" for v in values]
    return [f"{base} plane {k + 1}" for k in range(n)]


def _decode(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1").strip("\0 ")
    return str(value or "")


def _join(chars: Any) -> str:
    if chars is None:
        return ""
    if isinstance(chars, (bytes, str)):
        return _decode(chars)
    return "".join(_decode(c) for c in np.asarray(chars).ravel())


def _labels(labels: Any, n: int) -> list[str]:
    out = [""] * n
    if labels and len(labels) > 2 and labels[2]:
        names = [_decode(v) for v in labels[2]]
        # index 0 is the label of the whole dimension; channel labels follow
        names = names[1:] if len(names) == n + 1 else names
        for i, name in enumerate(names[:n]):
            out[i] = name
    return out


def _unit_for(name: str, data_unit: str) -> str:
    lower = name.lower()
    for words, unit in _NAME_UNITS:
        if any(w in lower for w in words):
            return unit
    return data_unit


def _pixel_size(sf: list[float], units: list[str]) -> tuple[float, float] | None:
    ux = units[0] if units else ""
    uy = units[1] if len(units) > 1 else ux
    fx, cx = parse_unit(ux)
    fy, cy = parse_unit(uy or ux)
    if cx != "nm" or cy != "nm":
        return None
    return (abs(sf[1]) * fy, abs(sf[0]) * fx)


def _parse_note(note: Any) -> dict[str, str]:
    text = _decode(note) if not isinstance(note, str) else note
    out = {}
    for line in text.replace("\n", "\r").split("\r"):
        if ":" in line:
            key, value = line.split(":", 1)
            out[key.strip()] = value.strip()
    return out
