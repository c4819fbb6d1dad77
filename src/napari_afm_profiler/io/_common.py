"""Shared helpers for readers: bounds-checked binary access and scan construction."""

from __future__ import annotations

import logging
import os
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.units import parse_unit, to_canonical

# An AFM image larger than this many pixels per channel is certainly a corrupt header.
MAX_PIXELS = 2**31


def read_bytes(path: Path) -> bytes:
    """Read a whole file, refusing empty files with a clear message."""
    try:
        buf = Path(path).read_bytes()
    except OSError as exc:
        raise AFMFormatError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if not buf:
        raise AFMFormatError(path, "the file is empty (0 bytes)")
    return buf


def map_bytes(path: Path) -> Any:
    """Memory-map a whole file read-only (pages are read when touched), refusing empty files.

    The map supports ``len``, slicing, ``struct.unpack_from`` and ``np.frombuffer`` like
    ``bytes``; arrays viewing it keep it open.  Large movies are read this way so that only the
    frames used are ever read from disk.
    """
    import mmap

    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                raise AFMFormatError(path, "the file is empty (0 bytes)")
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise AFMFormatError(path, f"cannot be read ({exc.strerror or exc})") from exc


class _CalibratedFrames:
    """Slicing access to stored frames that returns ``multiplier * values + shift`` as float64.

    ``dask.array.from_array`` copies anything with a ``copy`` method (for a memory-mapped movie
    that means reading all of it); this wrapper only hands out the slices asked for.  The
    calibration happens here, so the dask graph is one layer of one task per frame.
    """

    def __init__(self, frames: Any, multiplier: float, shift: float) -> None:
        self._frames, self._multiplier, self._shift = frames, multiplier, shift
        self.shape, self.ndim, self.dtype = tuple(frames.shape), len(frames.shape), np.dtype(np.float64)

    def __getitem__(self, key: Any) -> np.ndarray:
        out = np.multiply(np.asarray(self._frames[key]), self._multiplier, dtype=np.float64)
        if self._shift:
            out += self._shift
        return out


def lazy_frames(frames: Any, multiplier: float, shift: float) -> Any:
    """Return a dask stack, one chunk per frame, of ``multiplier * frames + shift`` in float64.

    ``frames`` is anything with ``shape``, ``dtype`` and numpy-style slicing (a strided view
    of a memory map, an HDF5 frame source); nothing is read until a frame is asked for.
    """
    import uuid

    import dask.array as da

    source = _CalibratedFrames(frames, multiplier, shift)
    # a name of our own: dask would otherwise hash the whole array, i.e. read the whole movie
    return da.from_array(source, chunks=(1, *source.shape[1:]), name=f"afm-frames-{uuid.uuid4().hex}",
                         meta=np.empty((0,) * source.ndim, dtype=np.float64))


def array_from(
    buf: bytes, offset: int, dtype: str | np.dtype, shape: tuple[int, ...], path: Path, what: str
) -> np.ndarray:
    """Return a copy of ``shape`` items of ``dtype`` at ``offset``, checking the file is long enough.

    The declared size is checked against the buffer before anything is allocated, so an
    absurd header cannot make us allocate gigabytes.
    """
    dt = np.dtype(dtype)
    count = 1
    for n in shape:
        if int(n) <= 0:
            raise AFMFormatError(path, f"{what}: invalid dimensions {tuple(shape)}")
        count *= int(n)
    if count > MAX_PIXELS:
        raise AFMFormatError(path, f"{what}: declared size {tuple(shape)} is implausibly large")
    need = offset + count * dt.itemsize
    if offset < 0 or need > len(buf):
        raise AFMFormatError(
            path,
            f"{what}: the file is truncated (needs {need} bytes, has {len(buf)})",
        )
    return np.frombuffer(buf, dtype=dt, count=count, offset=offset).reshape(shape).copy()


def unpack(fmt: str, buf: bytes, offset: int, path: Path, what: str) -> tuple:
    """``struct.unpack_from`` that raises the project's format error when out of bounds."""
    try:
        return struct.unpack_from(fmt, buf, offset)
    except struct.error as exc:
        raise AFMFormatError(path, f"{what}: the file is truncated or corrupt") from exc


def make_scan(
    raw: np.ndarray,
    *,
    unit: str | None,
    pixel_size_nm: tuple[float, float] | None,
    channel: str,
    file_format: str,
    metadata: dict[str, Any] | None = None,
    path: Path | None = None,
    scale: float = 1.0,
    offset: float = 0.0,
    out: np.ndarray | None = None,
    lazy: bool = False,
) -> AfmScan:
    """Build an :class:`AfmScan`, converting values to nm / SI and validating shape and pixel size.

    ``raw`` may be the stored integers (or a flipped view of them) with the linear calibration
    ``scale * raw + offset`` into ``unit``: cast, calibration and unit conversion are one pass,
    written into ``out`` where given.  With ``lazy``, a stack becomes a dask array read one
    frame at a time (:func:`lazy_frames`).
    """
    shape = tuple(raw.shape) if hasattr(raw, "shape") else np.shape(raw)
    if len(shape) not in (2, 3) or 0 in shape:
        raise AFMFormatError(path or Path("file"), f"channel {channel!r} holds no image (data of shape {shape})")
    if lazy and len(shape) == 3:
        factor, z_unit = parse_unit(unit)
        data = lazy_frames(raw, factor * float(scale), factor * float(offset))
    else:
        data, z_unit = to_canonical(np.asarray(raw), unit, scale=scale, offset=offset, out=out)
    meta = dict(metadata or {})
    meta.setdefault("original_unit", "" if unit is None else str(unit))
    if pixel_size_nm is not None:
        dy, dx = (float(pixel_size_nm[0]), float(pixel_size_nm[1]))
        if not (np.isfinite(dy) and np.isfinite(dx) and dy > 0 and dx > 0):
            where = path.name if path is not None else "file"
            warnings.warn(
                f"{where}: channel {channel!r} has an invalid pixel size {pixel_size_nm!r}; "
                "it is left uncalibrated (scale 1 px), not silently 1 nm",
                stacklevel=3,
            )
            pixel_size_nm = None
        else:
            pixel_size_nm = (dy, dx)
    if pixel_size_nm is None:
        meta["pixel_size_missing"] = True
    return AfmScan(
        data=data,
        pixel_size_nm=pixel_size_nm,
        channel=channel or "unnamed",
        z_unit=z_unit,
        file_format=file_format,
        metadata=meta,
    )


@contextmanager
def quiet_logger(name: str) -> Iterator[None]:
    """Silence a library's logger while it parses a file (we raise clear errors instead)."""
    logger = logging.getLogger(name)
    previous = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = previous


@contextmanager
def open_tiff(path: Path) -> Iterator[Any]:
    """Open a TIFF once with tifffile, its warnings silenced, failures as :class:`AFMFormatError`."""
    import tifffile

    with quiet_logger("tifffile"), quiet_logger("tifffile.tifffile"):
        try:
            tif = tifffile.TiffFile(str(path))
        except Exception as exc:
            raise AFMFormatError(path, f"not a readable TIFF ({type(exc).__name__}: {exc})") from exc
        with tif:
            yield tif


def parse_float(text: str) -> float:
    """Parse a float that may use a comma as decimal separator."""
    return float(text.strip().replace(",", "."))
