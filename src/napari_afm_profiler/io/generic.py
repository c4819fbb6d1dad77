"""Non-AFM containers: plain/ImageJ/OME TIFF (tifffile, bioio), ``.npy`` and other microscopy formats.

Generic microscopy formats go through bioio (the maintained successor of aicsimageio); when
only aicsimageio is installed, it is used instead.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import make_scan, open_tiff
from napari_afm_profiler.io.scan import AfmScan

METADATA_KEY = "napari_afm_profiler"


def read_npy(path: str | Path, *, pixel_size_nm: tuple[float, float] | None = None,
             z_unit: str = "") -> list[AfmScan]:
    """Read a ``.npy`` array (2D image or 3D stack).

    A ``.npy`` file has no calibration and no unit: pass ``pixel_size_nm`` or the layer stays in
    pixels, and ``z_unit="nm"`` when the values are heights in nm (the CLI's contract for
    ``.npy`` input); otherwise the channel is ``"Data"`` in an unknown unit, never "Height, nm".
    """
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise AFMFormatError(path, f"not a readable .npy array ({type(exc).__name__}: {exc})") from exc
    if data.ndim not in (2, 3) or data.size == 0 or not np.issubdtype(data.dtype, np.number):
        raise AFMFormatError(path, f"expected a numeric 2D image or 3D stack, got shape {data.shape} {data.dtype}")
    channel = "Height" if z_unit == "nm" else "Data"
    return [make_scan(data, unit=z_unit, pixel_size_nm=pixel_size_nm, channel=channel, file_format="npy",
                      metadata={"calibration": "none in file" if pixel_size_nm is None else "given",
                                "z_unit_source": "given" if z_unit else "unknown (a .npy file holds no unit)"},
                      path=path)]


def read_tiff(path: str | Path) -> list[AfmScan]:
    """Read any TIFF, opening it once: Park Systems, JPK, our own export, ImageJ, else bioio.

    Parameters
    ----------
    path : str or Path
        A ``.tif``/``.tiff`` file.

    Returns
    -------
    scans : list of AfmScan
        One per channel.
    """
    from napari_afm_profiler.io import jpk, park

    path = Path(path)
    try:
        with open_tiff(path) as tif:
            kind = afm_tiff_kind(tif)
            if kind == "park":
                return park.read_park_tiff(tif, path)
            if kind == "jpk":
                return jpk.read_jpk_tiff(tif, path)
            if kind == "own":
                own = own_metadata(tif)
                data = tif.asarray()
                return [make_scan(data, unit=own.get("z_unit", "nm"), pixel_size_nm=tuple(own["pixel_size_nm"])
                                  if own.get("pixel_size_nm") else None, channel=own.get("channel", "Height"),
                                  file_format="tiff", metadata=own.get("metadata", {}), path=path)]
            if tif.is_imagej and not tif.is_ome:
                return _imagej(tif, path)
    except AFMFormatError:
        raise
    except Exception as exc:
        raise AFMFormatError(path, f"not a readable TIFF ({type(exc).__name__}: {exc})") from exc
    return read_bioimage(path)


def afm_tiff_kind(tif: Any) -> str | None:
    """Tell which AFM TIFF an open TIFF is: ``"park"``, ``"jpk"``, ``"own"`` (this plugin's export), or None."""
    from napari_afm_profiler.io import jpk, park

    if park.is_park_tiff(tif):
        return "park"
    if jpk.is_jpk_tiff(tif):
        return "jpk"
    return "own" if own_metadata(tif) is not None else None


def own_metadata(tif: Any) -> dict | None:
    """Return the plugin's own metadata from a TIFF's first page description, or None."""
    description = tif.pages[0].description or ""
    if METADATA_KEY not in description:
        return None
    try:
        return json.loads(description)[METADATA_KEY]
    except (ValueError, KeyError, TypeError):
        return None


def _imagej(tif: Any, path: Path) -> list[AfmScan]:
    meta = tif.imagej_metadata or {}
    data = tif.asarray()
    page = tif.pages[0]
    pixel = None
    unit = str(meta.get("unit", "")).replace("\\u00B5", "µ")
    try:
        xres = page.tags["XResolution"].value
        yres = page.tags["YResolution"].value
        dx, dy = xres[1] / xres[0], yres[1] / yres[0]
        from napari_afm_profiler.io.units import parse_unit

        factor, canonical = parse_unit(unit)
        if canonical == "nm":
            pixel = (dy * factor, dx * factor)
    except (KeyError, ZeroDivisionError, TypeError):
        pixel = None
    if data.ndim == 2:
        planes = [("Channel 0", data)]
    else:
        planes = [(f"Channel {i}", plane) for i, plane in enumerate(data.reshape(-1, *data.shape[-2:]))]
    return [make_scan(p, unit="", pixel_size_nm=pixel, channel=name, file_format="imagej-tiff",
                      metadata={"imagej": {k: str(v) for k, v in meta.items()}}, path=path) for name, p in planes]


def read_bioimage(path: str | Path) -> list[AfmScan]:
    """Read a generic microscopy image with bioio (or aicsimageio when only that is installed).

    Each channel becomes a scan; time points (or z planes) become a stack. Pixel sizes are
    converted from µm to nm; the intensity unit is unknown (``""``).
    """
    path = Path(path)
    image = _open_bioimage(path)
    try:
        data = np.asarray(image.data)  # TCZYX
        sizes = image.physical_pixel_sizes
        channel_names = list(image.channel_names or [])
    except Exception as exc:
        raise AFMFormatError(path, f"cannot read image data ({type(exc).__name__}: {exc})") from exc
    if data.ndim != 5:
        raise AFMFormatError(path, f"unexpected dimensions {data.shape}")
    pixel = None
    # a plain TIFF read by bioio-tifffile reports 1 µm when the file says nothing: not a calibration
    trusted = "tifffile" not in type(image.reader).__module__ if hasattr(image, "reader") else True
    if trusted and sizes is not None and sizes.Y and sizes.X:
        pixel = (float(sizes.Y) * 1000.0, float(sizes.X) * 1000.0)
    t, c, z = data.shape[:3]
    scans = []
    for ci in range(c):
        frames = data[:, ci].reshape(t * z, *data.shape[-2:])
        plane = frames[0] if frames.shape[0] == 1 else frames
        name = channel_names[ci] if ci < len(channel_names) else f"Channel {ci}"
        scans.append(make_scan(plane, unit="", pixel_size_nm=pixel, channel=str(name), file_format="bioimage",
                               metadata={"reader": type(image).__module__}, path=path))
    return scans


def _open_bioimage(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from bioio import BioImage

            return BioImage(str(path))
        except ImportError:
            pass
        except Exception as exc:
            raise AFMFormatError(path, f"not a supported microscopy image ({type(exc).__name__}: {exc})") from exc
        try:
            from aicsimageio import AICSImage

            return AICSImage(str(path))
        except ImportError as exc:
            raise AFMFormatError(path, "generic images need bioio (pip install bioio bioio-tifffile)") from exc
        except Exception as exc:
            raise AFMFormatError(path, f"not a supported microscopy image ({type(exc).__name__}: {exc})") from exc
