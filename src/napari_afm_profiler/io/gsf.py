"""Gwyddion Simple Field (``.gsf``): a text header, NUL padding, little-endian float32 data."""

from __future__ import annotations

from pathlib import Path

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import array_from, make_scan, read_bytes
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.units import parse_unit

MAGIC = b"Gwyddion Simple Field 1.0\n"


def read_gsf(path: str | Path) -> list[AfmScan]:
    """Read a Gwyddion Simple Field file (one channel).

    Parameters
    ----------
    path : str or Path
        The ``.gsf`` file.

    Returns
    -------
    scans : list of AfmScan
        A single channel, heights in nm.
    """
    path = Path(path)
    buf = read_bytes(path)
    if not buf.startswith(MAGIC):
        raise AFMFormatError(path, "not a Gwyddion Simple Field file (missing 'Gwyddion Simple Field 1.0' line)")
    nul = buf.find(b"\0", len(MAGIC))
    if nul < 0:
        raise AFMFormatError(path, "header is not terminated (no NUL padding): truncated?")
    header: dict[str, str] = {}
    for line in buf[len(MAGIC):nul].decode("utf-8", errors="replace").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            header[key.strip()] = value.strip()
    try:
        xres, yres = int(header["XRes"]), int(header["YRes"])
    except (KeyError, ValueError) as exc:
        raise AFMFormatError(path, "header lacks valid XRes/YRes") from exc
    offset = (nul // 4 + 1) * 4  # data start at the next multiple of 4 after the header
    data = array_from(buf, offset, "<f4", (yres, xres), path, "GSF data")
    xy_unit = header.get("XYUnits", "m")
    pixel = None
    factor, canonical = parse_unit(xy_unit)
    try:
        xreal, yreal = float(header["XReal"]), float(header["YReal"])
        if canonical == "nm":
            pixel = (yreal * factor / yres, xreal * factor / xres)
    except (KeyError, ValueError):
        pixel = None
    name = header.get("Title", "") or "Topography"
    return [make_scan(data, unit=header.get("ZUnits", ""), pixel_size_nm=pixel, channel=name,
                      file_format="gsf", metadata=header, path=path)]
