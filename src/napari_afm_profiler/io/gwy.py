"""Gwyddion native files: ``.gwy`` (GWYP) and legacy GWYO (Gwyddion 1.x).

Both are read by one bounds-checked walker of Gwyddion's serialisation. GWYP used to go through
gwyfile, but fuzzing showed gwyfile running for minutes on truncated or bit-flipped files; the
walker refuses them at once and gives identical channels on valid files (tested).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import array_from, make_scan, read_bytes, unpack
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.units import parse_unit

_CHANNEL_KEY = re.compile(r"^/(\d+)/data$")


def read_gwy(path: str | Path) -> list[AfmScan]:
    """Read every data field (channel) of a Gwyddion ``.gwy`` file.

    Parameters
    ----------
    path : str or Path
        A GWYP (Gwyddion 2) or GWYO (Gwyddion 1.x) file.

    Returns
    -------
    scans : list of AfmScan
        One per ``/N/data`` field, in channel-number order; heights in nm.
    """
    path = Path(path)
    buf = read_bytes(path)
    magic = buf[:4]
    if magic == b"GWYP":
        container = _GwyWalker(buf, path).gwyp()
        legacy = False
    elif magic == b"GWYO":
        container = _GwyWalker(buf, path).container()
        legacy = True
    else:
        raise AFMFormatError(path, f"not a Gwyddion file (magic {magic!r}, expected b'GWYP' or b'GWYO')")
    return _container_to_scans(container, path, legacy=legacy)


def _unit_str(unit: Any) -> str:
    if isinstance(unit, dict):
        return str(unit.get("unitstr", "") or "")
    return "" if unit is None else str(unit)


def _container_to_scans(container: dict[str, Any], path: Path, *, legacy: bool) -> list[AfmScan]:
    ids = sorted(int(m.group(1)) for k in container if (m := _CHANNEL_KEY.match(k)))
    scans = []
    for i in ids:
        field = container[f"/{i}/data"]
        if not isinstance(field, dict) or "data" not in field:
            continue
        try:
            xres, yres = int(field["xres"]), int(field["yres"])
        except (KeyError, TypeError, ValueError) as exc:
            raise AFMFormatError(path, f"channel {i} has no valid xres/yres") from exc
        data = np.asarray(field["data"], dtype=np.float64)
        if data.size != xres * yres:
            raise AFMFormatError(path, f"channel {i}: {data.size} values for {yres}x{xres} pixels (truncated?)")
        data = data.reshape(yres, xres)
        # An explicit empty lateral unit is a unitless field (Gwyddion shows it in pixels); only
        # a field with no unit object at all (old files) is taken to be in metres.
        xy_object = field.get("si_unit_xy")
        xy_unit = "m" if xy_object is None else _unit_str(xy_object)
        z_unit = _unit_str(field.get("si_unit_z"))
        if legacy:
            # Gwyddion 1.x stored values in base SI units; the unit string carried a display
            # prefix only (file values ~1e-5 with unitstr "µm" are metres, not µm).
            xy_unit = _strip_prefix(xy_unit)
            z_unit = _strip_prefix(z_unit)
        xreal = float(field.get("xreal", 0.0))
        yreal = float(field.get("yreal", 0.0))
        pixel = _pixel_size_nm(xreal, yreal, xres, yres, xy_unit)
        title = container.get(f"/{i}/data/title")
        name = str(title) if title else f"Channel {i}"
        meta = _meta_dict(container.get(f"/{i}/meta"))
        meta.update({"gwy_channel_id": i, "xreal": xreal, "yreal": yreal, "si_unit_xy": xy_unit,
                     "xoff": float(field.get("xoff", 0.0) or 0.0), "yoff": float(field.get("yoff", 0.0) or 0.0)})
        scans.append(make_scan(data, unit=z_unit, pixel_size_nm=pixel, channel=name,
                               file_format="gwy-legacy" if legacy else "gwy", metadata=meta, path=path))
    if not scans:
        raise AFMFormatError(path, "no image channels (/N/data fields) found")
    return scans


def _pixel_size_nm(xreal: float, yreal: float, xres: int, yres: int, unit: str) -> tuple[float, float] | None:
    factor, canonical = parse_unit(unit)
    if canonical != "nm" or xreal <= 0 or yreal <= 0:
        return None
    return (yreal * factor / yres, xreal * factor / xres)


def _strip_prefix(unit: str) -> str:
    factor, canonical = parse_unit(unit)
    if canonical == "nm":
        return "m"
    if factor != 1.0 and canonical:
        return canonical
    return unit


def _meta_dict(meta: Any) -> dict[str, Any]:
    if not isinstance(meta, dict):
        return {}
    return {str(k): v for k, v in meta.items() if not str(k).startswith("__") and isinstance(v, (str, int, float))}


class _GwyWalker:
    r"""Bounds-checked reader of Gwyddion's serialisation (GWYP, and the legacy GWYO).

    GWYP is one object: ``name\\0, size, components``, each component ``key\\0, type letter,
    value``. GWYO containers store items as ``GType (uint32), key\\0, value`` and serialise the
    objects inside as GWYP does. Every size is checked against the file before it is used.
    """

    # GLib fundamental type ids shifted by 2, as stored by Gwyddion 1.x
    _GTYPES = {12: "c", 20: "b", 24: "i", 40: "q", 60: "d", 64: "s", 80: "o"}

    def __init__(self, buf: bytes, path: Path) -> None:
        self.buf, self.path = buf, path

    def gwyp(self) -> dict[str, Any]:
        """Parse a GWYP file: its top-level object must be a GwyContainer ending at the end of the file."""
        obj, end = self._object(4)
        if obj.get("__type__") != "GwyContainer":
            raise AFMFormatError(self.path, f"the file does not hold a GwyContainer (got {obj.get('__type__')!r})")
        if end != len(self.buf):
            raise AFMFormatError(self.path, f"truncated or corrupt: the container ends at byte {end}, the file at "
                                            f"{len(self.buf)}")
        return obj

    def container(self) -> dict[str, Any]:
        name, pos = self._cstr(4)
        if name != "GwyContainer":
            raise AFMFormatError(self.path, f"legacy file does not start with a GwyContainer (got {name!r})")
        (size,) = unpack("<I", self.buf, pos, self.path, "container size")
        pos += 4
        end = pos + size
        if end > len(self.buf):
            raise AFMFormatError(self.path, f"the file is truncated (container needs {end} bytes, has {len(self.buf)})")
        out: dict[str, Any] = {"__type__": "GwyContainer"}
        while pos < end:
            (gtype,) = unpack("<I", self.buf, pos, self.path, "container item")
            key, pos = self._cstr(pos + 4)
            code = self._GTYPES.get(gtype)
            if code is None:
                raise AFMFormatError(self.path, f"unknown item type {gtype} for {key!r}")
            out[key], pos = self._value(code, pos)
        return out

    def _cstr(self, pos: int) -> tuple[str, int]:
        end = self.buf.find(b"\0", pos)
        if end < 0:
            raise AFMFormatError(self.path, "the file is truncated (unterminated string)")
        raw = self.buf[pos:end]
        try:
            return raw.decode("utf-8"), end + 1
        except UnicodeDecodeError:  # Gwyddion 1.x wrote the locale's 8-bit encoding
            return raw.decode("latin-1"), end + 1

    def _object(self, pos: int) -> tuple[dict[str, Any], int]:
        name, pos = self._cstr(pos)
        (size,) = unpack("<I", self.buf, pos, self.path, f"{name} size")
        pos += 4
        end = pos + size
        if end > len(self.buf):
            raise AFMFormatError(self.path, f"the file is truncated inside {name}")
        obj: dict[str, Any] = {"__type__": name}
        while pos < end:
            key, pos = self._cstr(pos)
            if pos >= len(self.buf):
                raise AFMFormatError(self.path, f"the file is truncated inside {name}")
            code = chr(self.buf[pos])
            obj[key], pos = self._value(code, pos + 1)
        return obj, end

    def _value(self, code: str, pos: int) -> tuple[Any, int]:
        scalar = {"b": ("<?", 1), "c": ("<c", 1), "i": ("<i", 4), "q": ("<q", 8), "d": ("<d", 8)}
        if code in scalar:
            fmt, n = scalar[code]
            (v,) = unpack(fmt, self.buf, pos, self.path, "value")
            return v, pos + n
        if code == "s":
            return self._cstr(pos)
        if code == "o":
            return self._object(pos)
        arrays = {"C": "u1", "I": "<i4", "Q": "<i8", "D": "<f8"}
        if code in arrays:
            (n,) = unpack("<I", self.buf, pos, self.path, "array length")
            arr = array_from(self.buf, pos + 4, arrays[code], (n,), self.path, "array")
            return arr, pos + 4 + n * np.dtype(arrays[code]).itemsize
        if code in ("S", "O"):
            (n,) = unpack("<I", self.buf, pos, self.path, "array length")
            pos += 4
            items = []
            for _ in range(n):
                item, pos = self._cstr(pos) if code == "S" else self._object(pos)
                items.append(item)
            return items, pos
        raise AFMFormatError(self.path, f"unknown component type {code!r} at byte {pos}")


