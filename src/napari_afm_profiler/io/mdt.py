"""NT-MDT ``.mdt`` files: classic scanned-data frames and MDA (multidimensional array) image frames.

Rows are returned in the order Gwyddion displays them (the file's last stored row first):
NT-MDT software stores the first scanned line at the bottom of the image.  The layout of the
classic frame follows NT-MDT's public format description; it was checked against Gwyddion's
reader on files written to that description (``benchmarks/compare_readers_gwyddion.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import array_from, make_scan, read_bytes, unpack
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.units import parse_unit

_FILE_HEADER = 33
_FRAME_HEADER = 22
_AXIS = "<ffh"  # offset, step, unit code
_SCAN_VARS_MIN = 3 * 10 + 6  # three axis scales, channel code, mode, x and y resolution
# unit codes of classic frames (NT-MDT's table; codes absent here are dimensionless or unknown)
_UNITS = {-5: "m", -4: "cm", -3: "mm", -2: "µm", -1: "nm", 0: "Å", 1: "nA", 2: "V", 4: "kHz", 5: "deg",
          6: "%", 7: "°C", 8: "V", 9: "s", 10: "ms", 11: "µs", 12: "ns", 20: "A", 21: "mA", 22: "µA", 23: "nA",
          24: "pA", 25: "V", 26: "mV", 27: "µV", 28: "nV", 29: "pV", 30: "N", 31: "mN", 32: "µN", 33: "nN",
          34: "pN"}
# what a classic frame measured (its channel code); the frame title is used when present
_SIGNALS = {0: "Height", 1: "Deflection", 2: "Lateral force", 3: "Bias", 4: "Current", 5: "Feedback output",
            6: "Mag", 7: "Mag sin", 8: "Mag cos", 9: "RMS", 10: "Calc mag", 11: "Phase 1", 12: "Phase 2",
            13: "Calc phase", 14: "Ex 1", 15: "Ex 2", 16: "HV x", 17: "HV y", 18: "Snap back"}
_FRAME_SCANNED, _FRAME_MDA = 0, 106
_MDA_DTYPES = {-1: "<i1", 1: "<u1", -2: "<i2", 2: "<u2", -4: "<i4", 4: "<u4", -8: "<i8", 8: "<u8",
               -5892: "<f4", -13320: "<f8"}


def is_mdt(head: bytes) -> bool:
    """Whether the bytes start with the NT-MDT signature (first byte 0x01, then 0xb0)."""
    return len(head) >= 4 and head[0] == 0x01 and head[1] == 0xB0


def read_mdt(path: str | Path) -> list[AfmScan]:
    """Read every 2D image frame (classic scanned-data and MDA frames) of an NT-MDT ``.mdt`` file.

    Parameters
    ----------
    path : str or Path
        The ``.mdt`` file.

    Returns
    -------
    scans : list of AfmScan
        One per 2D image frame; text, curve and spectroscopy frames are skipped.
    """
    path = Path(path)
    buf = read_bytes(path)
    if not is_mdt(buf[:4]):
        raise AFMFormatError(path, "not an NT-MDT file (wrong signature)")
    (last_frame,) = unpack("<H", buf, 12, path, "file header")
    pos = _FILE_HEADER
    scans = []
    for index in range(last_frame + 1):
        (size, ftype) = unpack("<IH", buf, pos, path, f"frame {index} header")
        if size < _FRAME_HEADER or pos + size > len(buf):
            raise AFMFormatError(path, f"frame {index} is truncated (declares {size} bytes at {pos}, file has {len(buf)})")
        scan = None
        if ftype == _FRAME_MDA:
            scan = _read_mda(buf, pos, size, index, path)
        elif ftype == _FRAME_SCANNED:
            scan = _read_scanned(buf, pos, size, index, path)
        if scan is not None:
            scans.append(scan)
        pos += size
    if not scans:
        raise AFMFormatError(path, "no image frames (only text/curve/spectroscopy frames)")
    return scans


def _read_scanned(buf: bytes, frame_pos: int, frame_size: int, index: int, path: Path) -> AfmScan | None:
    """Decode a classic frame: axis scales and scan settings, a frame-mode block, optional dots, int16 data."""
    what = f"scanned frame {index}"
    (var_size,) = unpack("<H", buf, frame_pos + 20, path, what)
    if var_size < _SCAN_VARS_MIN:
        raise AFMFormatError(path, f"{what}: scan settings block of {var_size} bytes is too short")
    end = frame_pos + frame_size
    start = frame_pos + _FRAME_HEADER
    x_axis, y_axis, z_axis = (unpack(_AXIS, buf, start + 10 * i, path, what) for i in range(3))
    code, mode = unpack("<BB", buf, start + 30, path, what)
    pos = start + var_size
    _fm_mode, nx, ny, n_dots = unpack("<4H", buf, pos, path, what)
    pos += 8
    if n_dots:
        # marked points: a header of declared size, then 16 bytes of coordinates per point
        (dots_head,) = unpack("<i", buf, pos, path, what)
        if dots_head < 0:
            raise AFMFormatError(path, f"{what}: negative marked-point header size {dots_head}")
        pos += 4 + dots_head + 16 * n_dots
    if nx == 0 or ny == 0:
        return None
    if pos + 2 * nx * ny > end:
        raise AFMFormatError(path, f"{what}: {ny}x{nx} int16 data run past the frame end")
    raw = array_from(buf, pos, "<i2", (ny, nx), path, what)[::-1].astype(np.float64)
    pos += 2 * nx * ny
    title = ""
    if pos + 4 <= end:
        (title_len,) = unpack("<I", buf, pos, path, what)
        if pos + 4 + title_len <= end:
            title = buf[pos + 4:pos + 4 + title_len].decode("cp1251", errors="replace").strip("\0 ")
    z_unit = _UNITS.get(z_axis[2])
    values = raw * z_axis[1] + z_axis[0]
    pixel = None
    x_unit, y_unit = _UNITS.get(x_axis[2]), _UNITS.get(y_axis[2])
    if x_unit and y_unit and _is_length(x_unit) and _is_length(y_unit):
        pixel = (abs(y_axis[1]) * parse_unit(y_unit)[0], abs(x_axis[1]) * parse_unit(x_unit)[0])
    signal = _SIGNALS.get(code, f"Channel {code}")
    meta = {"frame": index, "frame_type": "scanned", "signal": signal, "mode": {0: "STM", 1: "AFM"}.get(mode, mode),
            "x_offset": x_axis[0], "y_offset": y_axis[0], "x_unit": x_unit or str(x_axis[2])}
    return make_scan(values, unit=z_unit, pixel_size_nm=pixel, channel=title or signal, file_format="mdt",
                     metadata=meta, path=path)


def _read_mda(buf: bytes, frame_pos: int, frame_size: int, index: int, path: Path) -> AfmScan | None:
    start = frame_pos + _FRAME_HEADER
    what = f"MDA frame {index}"
    head_size, total = unpack("<II", buf, start, path, what)
    name_len, comm_len, view_len, spec_len, src_len, var_len = unpack("<6I", buf, start + 44, path, what)
    name_pos = start + head_size
    name = buf[name_pos:name_pos + name_len].decode("utf-8", errors="replace").strip("\0 ")
    var = name_pos + name_len + comm_len + view_len + spec_len + src_len
    if var + var_len > frame_pos + frame_size or var_len < 36:
        raise AFMFormatError(path, f"{what}: array description runs past the frame")
    _tot, arr_head, array_size, cell_size, n_dims, n_meas = unpack("<IIQIII", buf, var, path, what)
    if n_dims != 2 or n_meas < 1:
        return None  # curves, spectra and 3D data are not images
    pos = var + 8 + arr_head
    calibrations = []
    for _ in range(n_dims + n_meas):
        calib, pos = _calibration(buf, pos, path, what)
        calibrations.append(calib)
    (xdim, ydim), meas = calibrations[:2], calibrations[2]
    nx, ny = xdim["n"], ydim["n"]
    dtype = _MDA_DTYPES.get(meas["dtype"])
    if dtype is None:
        raise AFMFormatError(path, f"{what}: unsupported data type code {meas['dtype']}")
    if nx * ny != array_size or np.dtype(dtype).itemsize * n_meas != cell_size:
        raise AFMFormatError(path, f"{what}: array size {array_size} does not match {ny}x{nx}")
    data_pos = start + total
    raw = array_from(buf, data_pos, dtype, (ny, nx, n_meas), path, what)[::-1, :, 0].astype(np.float64)
    values = raw * meas["scale"] + meas["bias"]
    pixel = None
    if _is_length(xdim["unit"]) and _is_length(ydim["unit"]):
        pixel = (abs(ydim["scale"]) * parse_unit(ydim["unit"])[0], abs(xdim["scale"]) * parse_unit(xdim["unit"])[0])
    meta = {"frame": index, "x_offset": xdim["bias"], "y_offset": ydim["bias"], "x_unit": xdim["unit"]}
    return make_scan(values, unit=meas["unit"], pixel_size_nm=pixel, channel=name or f"Frame {index}",
                     file_format="mdt", metadata=meta, path=path)


def _calibration(buf: bytes, pos: int, path: Path, what: str) -> tuple[dict, int]:
    total, head, name_len, comm_len, unit_len = unpack("<5I", buf, pos, path, what)
    bias, scale, min_index, max_index, dtype, _author_len = unpack("<ddQQiI", buf, pos + 44, path, what)
    strings = pos + 8 + head
    unit_pos = strings + name_len + comm_len
    unit = buf[unit_pos:unit_pos + unit_len].decode("utf-8", errors="replace").strip("\0 ")
    n = int(max_index - min_index + 1) if max_index >= min_index and max_index < 2**31 else 0
    if total <= 0:
        raise AFMFormatError(path, f"{what}: invalid calibration block")
    return {"bias": bias, "scale": scale, "n": n, "dtype": dtype, "unit": unit}, pos + total


def _is_length(unit: str) -> bool:
    return parse_unit(unit)[1] == "nm"
