"""Nanosurf ``.nid`` images (read with Nanosurf's NSFopen)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import make_scan, parse_float, read_bytes
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.units import parse_unit

_DATASET = re.compile(r"^DataSet-(\d+):(\d+)$")


_COUNT = re.compile(rb"^([^=\r\n]*Count)=([^\r\n]*)\r?$", re.MULTILINE)
_SIZE = re.compile(rb"^(Points|Lines|SaveBits)=([^\r\n]*)\r?$", re.MULTILINE)
MAX_COUNT = 100_000


def check_header_counts(buf: bytes, path: Path) -> None:
    """Refuse absurd counts and data sizes in the INI header before NSFopen loops over or allocates them."""
    header, block = buf.split(b"#!", 1)
    for key, value in _COUNT.findall(header):
        try:
            count = int(value.strip())
        except ValueError:
            raise AFMFormatError(path, f"header field {key.decode(errors='replace')} is not a number") from None
        if not 0 <= count <= MAX_COUNT:
            raise AFMFormatError(path, f"header field {key.decode(errors='replace')}={count} is out of range")
    sections = re.split(rb"^\[", header, flags=re.MULTILINE)
    declared = 0
    for section in sections:
        fields = dict(_SIZE.findall(section))
        if len(fields) == 3:
            try:
                nx, ny, bits = (int(fields[k].strip()) for k in (b"Points", b"Lines", b"SaveBits"))
            except ValueError:
                raise AFMFormatError(path, "a data set's size fields are not numbers") from None
            if min(nx, ny, bits) < 0:
                raise AFMFormatError(path, "a data set declares a negative size")
            declared += nx * ny * max(bits, 0) // 8
    if declared > len(block):
        raise AFMFormatError(path, f"the header declares {declared} data bytes but the file holds {len(block)}; "
                                   "truncated or corrupt")


def read_nid(path: str | Path) -> list[AfmScan]:
    """Read every image channel of a Nanosurf ``.nid`` file.

    Parameters
    ----------
    path : str or Path
        The ``.nid`` file.

    Returns
    -------
    scans : list of AfmScan
        One per image channel and scan direction (spectroscopy groups are skipped).
    """
    path = Path(path)
    buf = read_bytes(path)
    if not buf.lstrip().startswith(b"[DataSet]"):
        raise AFMFormatError(path, "not a Nanosurf NID file (no '[DataSet]' section)")
    if b"#!" not in buf:
        raise AFMFormatError(path, "no binary data block ('#!'): truncated")
    check_header_counts(buf, path)
    try:
        from NSFopen.read import read

        with contextlib.redirect_stdout(io.StringIO()):
            nid = read(str(path))
        data, dump = nid.data, nid.param["HeaderDump"]
    except Exception as exc:
        raise AFMFormatError(path, f"corrupt or truncated NID file ({type(exc).__name__}: {exc})") from exc
    scans = []
    for key in sorted((k for k in dump.index if _DATASET.match(str(k))), key=_dataset_order):
        section = dict(dump[key])
        frame = str(section.get("Frame", "")).strip()
        if not frame.lower().startswith("scan"):
            continue  # spectroscopy and point-measurement groups: their Dim2Name may repeat an image channel's
        direction = frame.split()[-1].capitalize()
        name = str(section.get("Dim2Name", ""))
        lookup = ("Image", direction, name)
        if lookup not in data.index:
            continue
        values = np.asarray(data[lookup], dtype=np.float64)
        if values.ndim != 2 or values.size == 0:
            continue
        scans.append(_scan(values, section, f"{name} ({direction.lower()})", path, dump))
    if not scans:
        raise AFMFormatError(path, "no image channels found")
    return scans


def fix_utf8(text: str) -> str:
    """Undo UTF-8 read as Latin-1 (NSFopen decodes the UTF-8 header so: ``"Â°"`` -> ``"°"``, ``"Âµm"`` -> ``"µm"``).

    Examples
    --------
    >>> fix_utf8("Â°"), fix_utf8("µm")
    ('°', 'µm')
    """
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _dataset_order(key: Any) -> tuple[int, int]:
    m = _DATASET.match(str(key))
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _scan(values: np.ndarray, section: dict[str, Any], name: str, path: Path, dump: Any) -> AfmScan:
    ny, nx = values.shape
    pixel = None
    try:
        fx, cx = parse_unit(fix_utf8(str(section.get("Dim0Unit", "m"))))
        fy, cy = parse_unit(fix_utf8(str(section.get("Dim1Unit", "m"))))
        if cx == cy == "nm":
            pixel = (parse_float(section["Dim1Range"]) * fy / ny, parse_float(section["Dim0Range"]) * fx / nx)
    except (KeyError, ValueError):
        pixel = None
    info = dict(dump["DataSet-Info"]) if "DataSet-Info" in dump.index else {}
    # The first stored line is the bottom of the image whatever the scan direction: Nanosurf's
    # own software, Gwyddion's ezdfile module and SurfaceTopography all display it so.
    values = values[::-1]
    meta = {"dataset": {k: fix_utf8(str(v)) for k, v in section.items()},
            "info": {k: fix_utf8(str(v)) for k, v in info.items()}}
    return make_scan(values, unit=fix_utf8(str(section.get("Dim2Unit", ""))), pixel_size_nm=pixel, channel=name,
                     file_format="nid", metadata=meta, path=path)
