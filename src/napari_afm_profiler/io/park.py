"""Park Systems TIFF (``.tiff``/``.tif`` with private tags 50432-50440)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import array_from, make_scan, open_tiff
from napari_afm_profiler.io.scan import AfmScan

PARK_MAGIC = 0x0E031301
_TAG_MAGIC, _TAG_VERSION, _TAG_DATA, _TAG_HEADER = 50432, 50433, 50434, 50435
_HEADER_V1 = [
    ("image_type", "I"), ("source_name", "64s"), ("image_mode", "16s"), ("lpf_strength", "d"),
    ("auto_flatten", "I"), ("ac_track", "I"), ("nx", "I"), ("ny", "I"), ("angle", "d"),
    ("sine_scan", "I"), ("overscan_rate", "d"), ("forward", "I"), ("scan_up", "I"), ("swap_xy", "I"),
    ("x_size", "d"), ("y_size", "d"), ("x_offset", "d"), ("y_offset", "d"), ("scan_rate", "d"),
    ("set_point", "d"), ("set_point_unit", "16s"), ("tip_bias", "d"), ("sample_bias", "d"),
    ("data_gain", "d"), ("z_scale", "d"), ("z_offset", "d"), ("z_unit", "16s"), ("data_min", "i"),
    ("data_max", "i"), ("data_avg", "i"), ("compression", "I"), ("logscale", "I"), ("square", "I"),
]
_HEADER_V2 = [
    ("z_servo_gain", "d"), ("z_scanner_range", "d"), ("xy_voltage_mode", "16s"),
    ("z_voltage_mode", "16s"), ("xy_servo_mode", "16s"), ("data_type", "I"),
]
_DTYPES = {0: "<i2", 1: "<i4", 2: "<f4"}


def is_park_tiff(tif: Any) -> bool:
    """Whether an open ``tifffile.TiffFile`` carries the Park Systems magic tag."""
    tag = tif.pages[0].tags.get(_TAG_MAGIC) if len(tif.pages) else None
    try:
        return tag is not None and int(tag.value) == PARK_MAGIC
    except (TypeError, ValueError):
        return False


def read_park(path: str | Path) -> list[AfmScan]:
    """Read a Park Systems TIFF.

    Values are ``data_gain * (z_scale * raw + z_offset)`` in the header's z unit (µm if none);
    the RGB preview in the ordinary TIFF image is ignored.

    Parameters
    ----------
    path : str or Path
        The Park ``.tiff`` file.

    Returns
    -------
    scans : list of AfmScan
        One channel.
    """
    path = Path(path)
    with open_tiff(path) as tif:
        return read_park_tiff(tif, path)


def read_park_tiff(tif: Any, path: Path) -> list[AfmScan]:
    """Read a Park Systems image from an already open ``tifffile.TiffFile``."""
    if not is_park_tiff(tif):
        raise AFMFormatError(path, "not a Park Systems TIFF (no Park magic tag 50432)")
    try:
        tags = tif.pages[0].tags
        version = int(tags[_TAG_VERSION].value) if _TAG_VERSION in tags else 1
        header_bytes = bytes(tags[_TAG_HEADER].value)
        data_bytes = bytes(tags[_TAG_DATA].value)
    except Exception as exc:
        raise AFMFormatError(path, f"corrupt Park TIFF ({type(exc).__name__}: {exc})") from exc
    header = _unpack_header(header_bytes, version, path)
    if header["image_type"] != 0:
        raise AFMFormatError(path, f"Park image type {header['image_type']} is a profile/spectroscopy, not an image")
    dtype = _DTYPES.get(int(header.get("data_type", 0)))
    if dtype is None:
        raise AFMFormatError(path, f"unsupported Park data type {header.get('data_type')}")
    nx, ny = int(header["nx"]), int(header["ny"])
    raw = array_from(data_bytes, 0, dtype, (ny, nx), path, "Park data")
    scale = header["z_scale"] or 1.0
    gain = header["data_gain"]
    z_unit = header["z_unit"] or "um"
    xy = 1000.0  # x/y sizes are in µm
    pixel = (header["y_size"] * xy / ny, header["x_size"] * xy / nx)
    name = header["source_name"] or "Topography"
    if header["image_mode"]:
        name = f"{name} ({header['image_mode']})"
    # the first stored line is the bottom of the image (Gwyddion's psia module flips it too)
    return [make_scan(raw[::-1], unit=z_unit, pixel_size_nm=pixel, channel=name, file_format="park",
                      metadata={"header": header, "version": version}, path=path,
                      scale=gain * scale, offset=gain * header["z_offset"])]


def _unpack_header(buf: bytes, version: int, path: Path) -> dict:
    fields = _HEADER_V1 + (_HEADER_V2 if version >= 2 else [])
    fmt = "<" + "".join(f for _, f in fields)
    if struct.calcsize(fmt) > len(buf):
        fields = _HEADER_V1
        fmt = "<" + "".join(f for _, f in fields)
    try:
        values = struct.unpack_from(fmt, buf, 0)
    except struct.error as exc:
        raise AFMFormatError(path, "Park header tag is truncated") from exc
    header = {}
    for (name, code), value in zip(fields, values):
        if code.endswith("s"):
            value = value.decode("utf-16-le", errors="replace").split("\0", 1)[0].strip()
        header[name] = value
    return header
