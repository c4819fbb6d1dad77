"""Text matrices (``.txt``): the Gwyddion ASCII export, ``key=value`` headers, and bare matrices.

Three layouts are read, told apart by their first lines:

* Gwyddion's export: ``# Channel: ...``, ``# Width: 10.00 µm``, ``# Height: ...``,
  ``# Value units: m`` and then the matrix.
* A ``key=value`` header (interferometer and profilometer exports, as SurfaceTopography's
  AscReader reads them): ``h=650 w=650``, ``pixel size=3.69862e-007 m``, ``data unit=rad``,
  ``height conversion factor (-> m)=6.30079e-008``; the values times the conversion factor
  are in the unit named in the key (metres by default).
* A bare numeric matrix: opened in pixels with its values in an unknown unit, and saying so
  in the metadata (``calibration``), never as nm.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import make_scan, parse_float, read_bytes
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.units import parse_unit

_GWY_HEADER = re.compile(r"^#\s*([^:]+):\s*(.*)$")
_KEY_VALUE = re.compile(r"([A-Za-z][A-Za-z _\-()>]*?)\s*=\s*(\S+(?:\s+[A-Za-zµ°]+\b(?!\s*=))?)")
_NUMBER_LINE = re.compile(r"^[\s,;]*[-+]?(\d|\.\d|nan|inf)", re.IGNORECASE)
_ROWS_KEYS = ("h", "rows", "ny", "yres", "y-pixels", "lines", "height pixels")
_COLS_KEYS = ("w", "columns", "cols", "nx", "xres", "x-pixels", "points", "width pixels")


def layout(head: bytes) -> str | None:
    r"""Tell which text-matrix layout ``head`` (a file's first bytes) has: ``"gwyddion"``, ``"key=value"``, ``"bare"``.

    Returns None when the text is none of them.

    Examples
    --------
    >>> layout(b"# Channel: Height\n# Width: 1 um\n1 2\n"), layout(b"h=2 w=2\n1 2\n3 4\n")
    ('gwyddion', 'key=value')
    >>> layout(b"1.0 2.0\n3.0 4.0\n"), layout(b"Hello, world\n")
    ('bare', None)
    """
    text = head.decode("utf-8", errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    if lines[0].startswith("#"):
        return "gwyddion" if ("Width" in text or "Channel" in text) else None
    if "=" in lines[0] and _KEY_VALUE.search(lines[0]):
        return "key=value"
    return "bare" if _NUMBER_LINE.match(lines[0]) and _is_numeric(lines[0]) else None


def is_ascii_matrix(head: bytes) -> bool:
    """Whether the first bytes look like one of the text-matrix layouts this reader knows."""
    return layout(head) is not None


def read_ascii_matrix(path: str | Path) -> list[AfmScan]:
    """Read a text matrix (``.txt``) in any of the three layouts of this module.

    Parameters
    ----------
    path : str or Path
        The text file.

    Returns
    -------
    scans : list of AfmScan
        A single channel. Without a lateral calibration in the header the pixel size is None
        (the layer opens in pixels); a bare matrix's values keep an unknown unit (``""``).

    Raises
    ------
    AFMFormatError
        If the text is not a matrix, naming the first line that is neither header nor numbers,
        or if the matrix disagrees with the size its header declares.
    """
    path = Path(path)
    buf = read_bytes(path)
    kind = layout(buf[:4096])
    text = buf.decode("utf-8", errors="replace")
    if kind is None:
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        raise AFMFormatError(path, "not a text matrix: the first line is neither a Gwyddion '# key: value' header, "
                                   f"a 'key=value' header nor numbers ({first[:60]!r})")
    if kind == "gwyddion":
        return [_read_gwyddion(text, path)]
    if kind == "key=value":
        return [_read_key_value(text, path)]
    data = _matrix(text.splitlines(), path, 0)
    return [make_scan(data, unit="", pixel_size_nm=None, channel="Data", file_format="ascii-matrix",
                      metadata={"layout": "bare", "calibration": "none in file: pixels, values in an unknown unit"},
                      path=path)]


def _read_gwyddion(text: str, path: Path) -> AfmScan:
    header: dict[str, str] = {}
    body = []
    for line in text.splitlines():
        m = _GWY_HEADER.match(line.strip())
        if m:
            header[m.group(1).strip()] = m.group(2).strip()
        elif line.strip():
            body.append(line)
    data = _matrix(body, path, 0)
    ny, nx = data.shape
    try:
        pixel = (_length_nm(header["Height"]) / ny, _length_nm(header["Width"]) / nx)
    except (KeyError, ValueError):
        pixel = None
    unit = header.get("Value units", header.get("Value unit", ""))
    return make_scan(data, unit=unit, pixel_size_nm=pixel, channel=header.get("Channel", "Data"),
                     file_format="ascii-matrix", metadata=dict(header, layout="gwyddion"), path=path)


def _read_key_value(text: str, path: Path) -> AfmScan:
    lines = text.splitlines()
    header: dict[str, str] = {}
    start = 0
    for start, line in enumerate(lines):  # noqa: B007 - the header ends at the first numeric line
        if _NUMBER_LINE.match(line.strip()) and _is_numeric(line):
            break
        for key, value in _KEY_VALUE.findall(line):
            header[key.strip().lower()] = value.strip()
    else:
        start = len(lines)
    data = _matrix(lines[start:], path, start)
    ny, nx = data.shape
    rows, cols = _declared(header, _ROWS_KEYS, path), _declared(header, _COLS_KEYS, path)
    if (rows is not None and rows != ny) or (cols is not None and cols != nx):
        raise AFMFormatError(path, f"the header declares {rows} x {cols} (h x w) values but the matrix is {ny} x {nx}")
    pixel = None
    size = header.get("pixel size")
    if size:
        try:
            step = _length_nm(size)
            pixel = (step, step)
        except ValueError:
            pixel = None
    unit = header.get("data unit", header.get("unit", ""))
    factor_key = next((k for k in header if k.startswith("height conversion factor")), None)
    if factor_key is not None:
        target = re.search(r"->\s*([^)\s]+)", factor_key)
        try:
            factor = parse_float(header[factor_key].split()[0])
        except ValueError as exc:
            raise AFMFormatError(path, f"header field {factor_key!r} is not a number") from exc
        data *= factor
        unit = target.group(1) if target else "m"
    meta = dict(header, layout="key=value")
    if pixel is None:
        meta["calibration"] = "no pixel size in the header: pixels"
    return make_scan(data, unit=unit, pixel_size_nm=pixel, channel=header.get("channel", "Default"),
                     file_format="ascii-matrix", metadata=meta, path=path)


def _declared(header: dict[str, str], keys: tuple[str, ...], path: Path) -> int | None:
    for key in keys:
        if key in header:
            try:
                return int(float(header[key]))
            except ValueError as exc:
                raise AFMFormatError(path, f"header field {key}={header[key]!r} is not a number") from exc
    return None


def _is_numeric(line: str) -> bool:
    try:
        [float(v) for v in re.split(r"[\s;]+", line.strip().replace(",", ".")) if v]
    except ValueError:
        return False
    return True


def _matrix(lines: list[str], path: Path, first_line: int) -> np.ndarray:
    body = [line for line in lines if line.strip()]
    if not body:
        raise AFMFormatError(path, "no data rows after the header")
    try:
        data = np.loadtxt(io.StringIO("\n".join(body).replace(",", ".").replace(";", " ")), dtype=np.float64,
                          ndmin=2)
    except ValueError as exc:
        raise AFMFormatError(path, f"the data rows after line {first_line} are not a rectangular numeric matrix "
                                   f"({exc})") from exc
    return data


def _length_nm(text: str) -> float:
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(text)
    factor, canonical = parse_unit(parts[1])
    if canonical != "nm":
        raise ValueError(text)
    return parse_float(parts[0]) * factor
