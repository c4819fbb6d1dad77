"""Shared helpers for readers: bounds-checked binary access and scan construction."""

from __future__ import annotations

import logging
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.units import to_canonical

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
) -> AfmScan:
    """Build an :class:`AfmScan`, converting values to nm / SI and validating shape and pixel size.

    ``raw`` may be the stored integers (or a flipped view of them) with the linear calibration
    ``scale * raw + offset`` into ``unit``: cast, calibration and unit conversion are one pass,
    written into ``out`` where given.
    """
    shape = np.shape(raw)
    if len(shape) not in (2, 3) or 0 in shape:
        raise AFMFormatError(path or Path("file"), f"channel {channel!r} holds no image (data of shape {shape})")
    data, z_unit = to_canonical(raw, unit, scale=scale, offset=offset, out=out)
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
