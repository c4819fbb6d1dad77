"""JPK/Bruker image files: ``.jpk`` and ``.jpk-qi-image`` (TIFF with JPK tags, read with tifffile)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import make_scan, open_tiff
from napari_afm_profiler.io.scan import AfmScan

_ULENGTH, _VLENGTH, _ILENGTH, _JLENGTH = 32834, 32835, 32838, 32839
_CHANNEL, _RETRACE, _FANCY_NAME = 32848, 32849, 32850
_NSLOTS, _DEFAULT_SLOT = 32896, 32897
_SLOT_BASE, _SLOT_STRIDE = 32912, 48
# offsets inside a slot's tag block
_SLOT_NAME, _SCALE_UNIT, _SCALE_TYPE, _SCALE_MULT, _SCALE_OFFSET = 0, 18, 19, 20, 21


def read_jpk(path: str | Path) -> list[AfmScan]:
    """Read every channel of a JPK image (``.jpk``, ``.jpk-qi-image``).

    Each channel page carries calibration slots; the default slot's linear scaling maps the
    stored integers straight to physical values (as in Gwyddion's jpkscan module).

    Parameters
    ----------
    path : str or Path
        The JPK TIFF file.

    Returns
    -------
    scans : list of AfmScan
        One per channel page.
    """
    path = Path(path)
    with open_tiff(path) as tif:
        return read_jpk_tiff(tif, path)


def is_jpk_tiff(tif: Any) -> bool:
    """Whether an open ``tifffile.TiffFile`` carries the JPK grid tags on its first page."""
    return len(tif.pages) > 0 and _ULENGTH in tif.pages[0].tags and _ILENGTH in tif.pages[0].tags


def read_jpk_tiff(tif: Any, path: Path) -> list[AfmScan]:
    """Read every JPK channel page from an already open ``tifffile.TiffFile``."""
    if not is_jpk_tiff(tif):
        raise AFMFormatError(path, "not a JPK image (no JPK grid tags on the first page)")
    pages = list(tif.pages)
    first = pages[0].tags
    glob = {code: first[code].value for code in (_ULENGTH, _VLENGTH, _ILENGTH, _JLENGTH) if code in first}
    meta_common = {str(tag.code): _plain(tag.value) for tag in first.values() if tag.code >= 32768}
    scans = []
    for index, page in enumerate(pages[1:], start=1):
        tags = page.tags
        if _CHANNEL not in tags:
            continue
        try:
            raw = page.asarray()
        except Exception as exc:
            raise AFMFormatError(path, f"channel page {index} is truncated or corrupt ({exc})") from exc
        scans.append(_channel(raw, tags, glob, meta_common, path))
    if not scans:
        raise AFMFormatError(path, "no channel pages could be read")
    return scans


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


def _channel(raw: np.ndarray, tags: Any, glob: dict[int, Any], meta_common: dict[str, Any], path: Path) -> AfmScan:
    name = str(tags[_FANCY_NAME].value) if _FANCY_NAME in tags else str(tags[_CHANNEL].value)
    if _RETRACE in tags and int(tags[_RETRACE].value) == 1:
        name = f"{name} (retrace)"
    nslots = int(tags[_NSLOTS].value) if _NSLOTS in tags else 0
    default = str(tags[_DEFAULT_SLOT].value) if _DEFAULT_SLOT in tags else ""
    multiplier, offset, unit = 1.0, 0.0, ""
    for k in range(nslots):
        base = _SLOT_BASE + k * _SLOT_STRIDE
        slot_name = str(tags[base + _SLOT_NAME].value) if base + _SLOT_NAME in tags else ""
        if slot_name != default:
            continue
        if base + _SCALE_MULT in tags:
            multiplier = float(tags[base + _SCALE_MULT].value)
            offset = float(tags[base + _SCALE_OFFSET].value) if base + _SCALE_OFFSET in tags else 0.0
        unit = str(tags[base + _SCALE_UNIT].value) if base + _SCALE_UNIT in tags else ""
    pixel = None
    try:
        ny, nx = raw.shape
        pixel = (float(glob[_VLENGTH]) * 1e9 / ny, float(glob[_ULENGTH]) * 1e9 / nx)
    except (KeyError, ValueError, TypeError):
        pixel = None
    meta = dict(meta_common)
    meta.update({"calibration_slot": default, "multiplier": multiplier, "offset": offset})
    # JPK stores the first scan line at the bottom of the image
    return make_scan(raw[::-1], unit=unit, pixel_size_nm=pixel, channel=name, file_format="jpk",
                     metadata=meta, path=path, scale=multiplier, offset=offset)
