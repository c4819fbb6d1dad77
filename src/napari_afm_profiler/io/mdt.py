"""NT-MDT ``.mdt`` files: MDA (multidimensional array) image frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import array_from, make_scan, read_bytes, unpack
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.units import parse_unit

MAGIC = b"\x01\xb0\x04\xe1"
_FILE_HEADER = 33
_FRAME_HEADER = 22
_FRAME_SCANNED, _FRAME_MDA = 0, 106
_MDA_DTYPES = {-1: "<i1", 1: "<u1", -2: "<i2", 2: "<u2", -4: "<i4", 4: "<u4", -8: "<i8", 8: "<u8",
               -5892: "<f4", -13320: "<f8"}


def is_mdt(head: bytes) -> bool:
    """Whether the bytes start with the NT-MDT signature (first byte 0x01, then 0xb0)."""
    return len(head) >= 4 and head[0] == 0x01 and head[1] == 0xB0


def read_mdt(path: str | Path) -> list[AfmScan]:
    """Read every 2D image frame (MDA frames) of an NT-MDT ``.mdt`` file.

    Parameters
    ----------
    path : str or Path
        The ``.mdt`` file.

    Returns
    -------
    scans : list of AfmScan
        One per 2D MDA image frame; text, curve and spectroscopy frames are skipped.
    """
    path = Path(path)
    buf = read_bytes(path)
    if not is_mdt(buf[:4]):
        raise AFMFormatError(path, "not an NT-MDT file (wrong signature)")
    (last_frame,) = unpack("<H", buf, 12, path, "file header")
    pos = _FILE_HEADER
    scans = []
    skipped_scanned = 0
    for index in range(last_frame + 1):
        (size, ftype) = unpack("<IH", buf, pos, path, f"frame {index} header")
        if size < _FRAME_HEADER or pos + size > len(buf):
            raise AFMFormatError(path, f"frame {index} is truncated (declares {size} bytes at {pos}, file has {len(buf)})")
        if ftype == _FRAME_MDA:
            scan = _read_mda(buf, pos, size, index, path)
            if scan is not None:
                scans.append(scan)
        elif ftype == _FRAME_SCANNED:
            skipped_scanned += 1
        pos += size
    if not scans:
        if skipped_scanned:
            raise AFMFormatError(path, "holds only classic 'scanned data' frames, which this reader does not decode yet")
        raise AFMFormatError(path, "no image frames (only text/curve/spectroscopy frames)")
    return scans


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
    raw = array_from(buf, data_pos, dtype, (ny, nx, n_meas), path, what)[:, :, 0].astype(np.float64)
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
