"""npe2 writers for image layers: calibrated TIFF, Gwyddion and NumPy files."""

from __future__ import annotations

from typing import Any

from napari_afm_profiler.io import writers


def _calibration(meta: dict[str, Any], scale: Any) -> tuple[tuple[float, float] | None, str, str]:
    afm = (meta or {}).get("afm", {})
    pixel = afm.get("pixel_size_nm")
    if pixel is None and scale is not None and len(scale) >= 2:
        pixel = (float(scale[-2]), float(scale[-1]))
    return (tuple(pixel) if pixel else None), afm.get("channel", "Height"), afm.get("z_unit", "nm")


def write_tiff(path: str, data: Any, meta: dict[str, Any]) -> list[str]:
    """Write an image layer as float32 TIFF in nm with its pixel size."""
    pixel, channel, unit = _calibration(meta.get("metadata", {}), meta.get("scale"))
    return [str(writers.write_tiff(path, data, pixel_size_nm=pixel, channel=channel, z_unit=unit))]


def write_gwy(path: str, data: Any, meta: dict[str, Any]) -> list[str]:
    """Write an image layer as a Gwyddion ``.gwy`` file."""
    pixel, channel, unit = _calibration(meta.get("metadata", {}), meta.get("scale"))
    return [str(writers.write_gwy(path, data, pixel_size_nm=pixel, channel=channel, z_unit=unit))]


def write_npy(path: str, data: Any, meta: dict[str, Any]) -> list[str]:
    """Write an image layer as a ``.npy`` array."""
    return [str(writers.write_npy(path, data))]
