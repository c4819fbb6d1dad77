"""Bruker/Veeco Nanoscope files (``.spm``, ``.000``-``.999``, v4 to v9+, 2- and 4-byte data)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import array_from, make_scan, parse_float, read_bytes
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.units import parse_unit

MAGICS = (b"\\*File list", b"\\*EC File list", b"?*File list")
_SCALE = re.compile(
    r"^\s*V\s*\[(?P<sens>[^\]]*)\]\s*\((?P<lsb>[-+0-9.eE]+)\s*(?P<lsbunit>[^)]*)\)"
    r"\s*(?P<hard>[-+0-9.eE]+)\s*(?P<unit>\S*)"
)
_FIELD = re.compile(r"^\\(?P<key>@?(?:\d+:)?[^:]+):(?P<value>.*)$")
_SENS = re.compile(r"^\s*V\s+(?P<value>[-+0-9.eE]+)\s*(?P<unit>.*)$")


def is_nanoscope(head: bytes) -> bool:
    """Whether a file starts like a Nanoscope file."""
    return head.lstrip(b"\r\n").startswith(MAGICS)


def read_nanoscope(path: str | Path) -> list[AfmScan]:
    """Read every image channel of a Nanoscope file.

    Values are ``raw * full_scale_V / 2**(8*bytes_per_pixel) * sensitivity``, where the full
    scale is the hard value of ``@2:Z scale`` and the sensitivity is the ``@Sens.`` entry it
    names (e.g. nm/V for height). Images are flipped vertically so that they appear as in
    NanoScope Analysis and Gwyddion (the file stores the bottom line first).

    Parameters
    ----------
    path : str or Path
        The Nanoscope file.

    Returns
    -------
    scans : list of AfmScan
        One per image in the file.
    """
    path = Path(path)
    buf = read_bytes(path)
    if not is_nanoscope(buf[:64]):
        raise AFMFormatError(path, "not a Nanoscope file (no '\\*File list' header)")
    end = buf.find(b"\\*File list end")
    if end < 0:
        raise AFMFormatError(path, "header has no '\\*File list end': truncated or corrupt")
    sections = _sections(buf[:end].decode("latin-1"))
    globals_: dict[str, str] = {}
    for name, fields in sections:
        if "image list" not in name.lower():
            globals_.update(fields)
    images = [f for name, f in sections if "image list" in name.lower()]
    if not images:
        raise AFMFormatError(path, "no image sections ('\\*Ciao image list') in the header")
    scans = []
    for index, image in enumerate(images):
        scans.append(_read_image(buf, path, index, image, globals_))
    return scans


def _sections(text: str) -> list[tuple[str, dict[str, str]]]:
    sections: list[tuple[str, dict[str, str]]] = []
    current: dict[str, str] = {}
    for line in text.replace("\r", "").split("\n"):
        line = line.strip()
        if line.startswith("\\*"):
            current = {}
            sections.append((line[2:], current))
        elif line.startswith("\\") and ":" in line:
            m = _FIELD.match(line)
            if m:
                current.setdefault(m.group("key").strip(), m.group("value").strip())
    return sections


def _get(fields: dict[str, str], *names: str) -> str | None:
    lower = {k.lower(): v for k, v in fields.items()}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    return None


def _read_image(buf: bytes, path: Path, index: int, img: dict[str, str], glob: dict[str, str]) -> AfmScan:
    what = f"image {index}"
    try:
        offset = int(_get(img, "Data offset") or "")
        length = int(_get(img, "Data length") or "")
        nx = int(_get(img, "Samps/line") or "")
        ny = int(_get(img, "Number of lines") or "")
    except ValueError as exc:
        raise AFMFormatError(path, f"{what}: missing data offset/length/size in the header") from exc
    bpp = int(_get(img, "Bytes/pixel") or _get(glob, "Bytes/pixel") or max(1, length // max(nx * ny, 1)))
    if bpp not in (2, 4):
        raise AFMFormatError(path, f"{what}: unsupported {bpp} bytes per pixel")
    if offset + nx * ny * bpp > len(buf):
        raise AFMFormatError(
            path, f"{what}: the file is too short for its data (needs {offset + nx * ny * bpp} bytes, has {len(buf)})"
        )
    raw = array_from(buf, offset, f"<i{bpp}", (ny, nx), path, what).astype(np.float64)
    name, sens_key, full_scale, hard_unit = _channel_and_scale(img)
    factor, unit = _sensitivity(glob, sens_key, hard_unit)
    values = raw * (full_scale / 2.0 ** (8 * bpp)) * factor
    values = values[::-1]
    direction = _get(img, "Line Direction")
    if direction and direction.lower() == "retrace":
        name = f"{name} (retrace)"
    pixel = _pixel_size(img, glob, nx, ny)
    meta: dict[str, Any] = {"image": dict(img), "header": dict(glob), "bytes_per_pixel": bpp}
    return make_scan(values, unit=unit, pixel_size_nm=pixel, channel=name, file_format="nanoscope",
                     metadata=meta, path=path)


def _channel_and_scale(img: dict[str, str]) -> tuple[str, str, float, str]:
    image_data = _get(img, "@2:Image Data", "Image Data", "Image data") or ""
    quoted = re.search(r'"([^"]+)"', image_data)
    bracket = re.search(r"\[([^\]]+)\]", image_data)
    name = quoted.group(1) if quoted else (bracket.group(1) if bracket else image_data.split()[-1] if image_data else "Data")
    scale = _get(img, "@2:Z scale", "@Z scale", "Z scale") or ""
    m = _SCALE.match(scale)
    if not m:
        return name, "", 1.0, "V"
    return name, m.group("sens").strip(), float(m.group("hard")), m.group("unit") or "V"


def _sensitivity(glob: dict[str, str], sens_key: str, hard_unit: str) -> tuple[float, str]:
    """Sensitivity factor and resulting unit (``nm/V`` -> ``nm``; none -> the hard unit)."""
    if not sens_key:
        return 1.0, hard_unit
    entry = _get(glob, "@" + sens_key, sens_key)
    if entry is None:
        return 1.0, hard_unit
    m = _SENS.match(entry)
    if not m:
        return 1.0, hard_unit
    value = float(m.group("value"))
    unit = m.group("unit").strip()
    if not unit:
        return value, hard_unit
    numerator, _, denominator = (part.strip() for part in unit.partition("/"))
    # The sensitivity is per denominator unit (nm/V); a hard scale in another prefix of that
    # unit (mV) must be brought to it first, or the result is off by the prefix.
    hard_factor, hard_base = parse_unit(hard_unit)
    per_factor, per_base = parse_unit(denominator)
    if denominator and hard_base == per_base and per_factor:
        value *= hard_factor / per_factor
    if numerator.lower() in ("arb", "1", ""):
        return value, ""
    return value, numerator


def _pixel_size(img: dict[str, str], glob: dict[str, str], nx: int, ny: int) -> tuple[float, float] | None:
    text = _get(img, "Scan Size", "Scan size") or _get(glob, "Scan Size", "Scan size")
    if not text:
        return None
    parts = text.split()
    try:
        if len(parts) >= 3:
            xsize, ysize, unit = parse_float(parts[0]), parse_float(parts[1]), parts[2]
        else:
            xsize, unit = parse_float(parts[0]), parts[1] if len(parts) > 1 else "nm"
            ysize = xsize * ny / nx * _aspect(img, glob)
    except ValueError:
        return None
    factor, canonical = parse_unit(unit)
    if canonical != "nm":
        return None
    return (ysize * factor / ny, xsize * factor / nx)


def _aspect(img: dict[str, str], glob: dict[str, str]) -> float:
    text = _get(img, "Aspect Ratio", "Aspect ratio") or _get(glob, "Aspect Ratio", "Aspect ratio") or "1:1"
    try:
        a, b = (parse_float(t) for t in text.split(":"))
        return (b / a) * 1.0 if a > 0 and b > 0 else 1.0
    except ValueError:
        return 1.0
