"""Writers: ``.tif`` (float32, nm, calibration in the description), ``.gwy`` and ``.npy``; all atomic."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.errors import AfmProfilerError
from napari_afm_profiler.io.generic import METADATA_KEY


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once at import: os.umask is process-wide, not safe to toggle from threads


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it into place.

    A crash or error never leaves a half-written ``path`` behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def _check_image(data: Any) -> np.ndarray:
    data = np.asarray(data)
    if data.ndim not in (2, 3) or data.size == 0:
        raise AfmProfilerError(f"can only write a 2D image or 3D stack, got shape {data.shape}")
    return data


def write_npy(path: str | Path, data: np.ndarray) -> Path:
    """Write ``data`` as a ``.npy`` array (float64, no calibration)."""
    data = _check_image(data).astype(np.float64)
    return atomic_write(path, lambda tmp: np.save(tmp, data, allow_pickle=False))


def write_tiff(
    path: str | Path,
    data: np.ndarray,
    *,
    pixel_size_nm: tuple[float, float] | None,
    channel: str = "Height",
    z_unit: str = "nm",
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write a float32 TIFF our reader reads back with its exact calibration.

    The pixel size is stored twice: in a JSON image description (exact, read by this plugin)
    and as ImageJ resolution with unit ``nm`` (for Fiji and other tools).
    """
    import tifffile

    data = _check_image(data).astype(np.float32)
    own = {"pixel_size_nm": list(pixel_size_nm) if pixel_size_nm else None, "channel": channel,
           "z_unit": z_unit, "metadata": _jsonable(metadata or {})}
    description = json.dumps({METADATA_KEY: own})
    resolution = None
    if pixel_size_nm:
        resolution = (1.0 / float(pixel_size_nm[1]), 1.0 / float(pixel_size_nm[0]))

    def write(tmp: Path) -> None:
        tifffile.imwrite(tmp, data, description=description, resolution=resolution,
                         resolutionunit=1 if resolution else None, metadata=None)

    return atomic_write(path, write)


class UncalibratedWriteWarning(UserWarning):
    """An image without a pixel size was written without a lateral unit (never as 1 m pixels)."""


def write_gwy(
    path: str | Path,
    data: np.ndarray,
    *,
    pixel_size_nm: tuple[float, float] | None,
    channel: str = "Height",
    z_unit: str = "nm",
) -> Path:
    """Write a Gwyddion ``.gwy`` file (SI units: lengths in m), one data field per frame."""
    from gwyfile.objects import GwyContainer, GwyDataField, GwySIUnit

    data = _check_image(data).astype(np.float64)
    frames = data if data.ndim == 3 else data[np.newaxis]
    if not pixel_size_nm:
        import warnings

        warnings.warn(f"{Path(path).name}: the image has no pixel size, so it is written as uncalibrated (lateral "
                      "unit none, 1 per pixel), not in metres; Gwyddion shows its size in pixels",
                      UncalibratedWriteWarning, stacklevel=2)
    dy, dx = pixel_size_nm if pixel_size_nm else (1.0, 1.0)
    xy_unit = "m" if pixel_size_nm else ""
    scale_xy = 1e-9 if pixel_size_nm else 1.0
    z_si, factor = ("m", 1e-9) if z_unit == "nm" else (z_unit, 1.0)
    container = GwyContainer()
    for i, frame in enumerate(frames):
        ny, nx = frame.shape
        field = GwyDataField(np.ascontiguousarray(frame * factor), xreal=nx * dx * scale_xy, yreal=ny * dy * scale_xy,
                             si_unit_xy=GwySIUnit(unitstr=xy_unit), si_unit_z=GwySIUnit(unitstr=z_si))
        container[f"/{i}/data"] = field
        container[f"/{i}/data/title"] = channel if len(frames) == 1 else f"{channel} {i}"
        container.typecodes[f"/{i}/data/title"] = "s"  # a one-letter title would become a char
    return atomic_write(path, lambda tmp: container.tofile(str(tmp)))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)


WRITERS = {".npy": "npy", ".tif": "tiff", ".tiff": "tiff", ".gwy": "gwy"}


def write_image(
    path: str | Path,
    data: np.ndarray,
    *,
    pixel_size_nm: tuple[float, float] | None,
    channel: str = "Height",
    z_unit: str = "nm",
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write ``data`` in the format given by the suffix of ``path`` (``.npy``, ``.tif``, ``.gwy``)."""
    suffix = Path(path).suffix.lower()
    kind = WRITERS.get(suffix)
    if kind == "npy":
        return write_npy(path, data)
    if kind == "tiff":
        return write_tiff(path, data, pixel_size_nm=pixel_size_nm, channel=channel, z_unit=z_unit, metadata=metadata)
    if kind == "gwy":
        return write_gwy(path, data, pixel_size_nm=pixel_size_nm, channel=channel, z_unit=z_unit)
    raise AfmProfilerError(f"{Path(path).name}: cannot write {suffix!r}; use .npy, .tif or .gwy")
