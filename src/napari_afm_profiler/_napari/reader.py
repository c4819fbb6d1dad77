"""npe2 reader: AFM files -> one Image layer per channel, calibrated in nm."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.io import detect_format, read_afm
from napari_afm_profiler.io.readers import carries_afm_metadata, is_generic
from napari_afm_profiler.io.scan import AfmScan
from napari_afm_profiler.io.unscanned import mask_unscanned

LayerData = tuple[Any, dict[str, Any], str]

# AFM-style colormaps: heights get the classic "afmhot", other channels a neutral map
HEIGHT_COLORMAP = "afmhot"
OTHER_COLORMAP = "gray"


def napari_get_reader(path: str | list[str]) -> Callable[[str | list[str]], list[LayerData]] | None:
    """Return a reader for files we recognise, None otherwise (so other plugins can try).

    Never raises and never opens dialogs.
    """
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    if not paths:
        return None
    try:
        if any(detect_format(p) is None for p in paths):
            return None
        # a TIFF or .npy is an AFM file only when its content says so (Park, JPK, our export)
        if any(is_generic(p) and not carries_afm_metadata(p) for p in paths):
            return None
    except Exception:
        return None
    return read_layers


def read_layers(path: str | list[str]) -> list[LayerData]:
    """Read one or several files into layer data tuples: per file the main height channel on top, shown; the rest hidden."""
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    layers: list[LayerData] = []
    for p in paths:
        # movies come as dask stacks: napari reads the frame on screen, not the whole file
        scans = read_afm(p, lazy=True)
        main = next((i for i, scan in enumerate(scans) if scan.is_height), 0)
        file_layers = [scan_to_layer(scan, Path(p).name, visible=i == main) for i, scan in enumerate(scans)]
        # napari stacks later layers on top: the main height channel goes last, the others stay
        # loaded but hidden, in the file's order below it
        layers.extend([layer for i, layer in enumerate(file_layers) if i != main] + [file_layers[main]])
    return layers


def _units(scan: AfmScan) -> tuple[str, ...]:
    lateral = ("pixel", "pixel") if scan.pixel_size_nm is None else ("nm", "nm")
    return lateral if scan.data.ndim == 2 else ("pixel", *lateral)


def scan_to_layer(scan: AfmScan, file_name: str, *, visible: bool = True) -> LayerData:
    """Turn an :class:`AfmScan` into an Image ``LayerDataTuple`` with nm scale and metadata.

    Lines an interrupted scan never measured are shown as missing (NaN; see
    :func:`~napari_afm_profiler.io.unscanned.mask_unscanned`), so no tool of the viewer takes
    their stored constant for heights; ``metadata["afm"]["unscanned_lines"]`` counts them.
    """
    scan = mask_unscanned(scan)
    pixel = scan.pixel_size_nm or (1.0, 1.0)
    scale = tuple(pixel) if scan.data.ndim == 2 else (1.0, *pixel)
    metadata = {
        "afm": {
            "channel": scan.channel,
            "z_unit": scan.z_unit,
            "pixel_size_nm": scan.pixel_size_nm,
            "file_format": scan.file_format,
            "file": file_name,
            "unscanned_lines": scan.metadata.get("unscanned_lines", 0),
        },
        "instrument": scan.metadata,
    }
    kwargs = {
        "name": f"{file_name} · {scan.channel}",
        "scale": scale,
        "units": _units(scan),
        "colormap": HEIGHT_COLORMAP if scan.is_height else OTHER_COLORMAP,
        "metadata": metadata,
        "visible": visible,
    }
    if isinstance(scan.data, np.ndarray) and scan.metadata.get("unscanned_lines"):
        finite = scan.data[np.isfinite(scan.data)]  # the measured lines' range, whatever napari does with NaN
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        kwargs["contrast_limits"] = (lo, hi if hi > lo else lo + 1.0)
    if not isinstance(scan.data, np.ndarray):
        # a lazy stack: contrast from the first frame, so that opening never reads the whole movie
        first = np.asarray(scan.data[0])
        finite = first[np.isfinite(first)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        kwargs["contrast_limits"] = (lo, hi if hi > lo else lo + 1.0)
    return scan.data, kwargs, "image"
