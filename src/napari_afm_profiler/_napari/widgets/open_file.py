"""The "Open AFM file" dock: any file the readers know, including those napari is not offered.

napari's File › Open lets the plugin claim only AFM-specific suffixes, so that ordinary
microscopy TIFFs and ``.npy`` arrays are not routed through it. A Park Systems or JPK TIFF,
a TIFF exported by this plugin under a plain ``.tif`` name, or a ``.npy`` height map with a
known pixel size open here, calibrated.
"""

from __future__ import annotations

import pathlib
from pathlib import Path
from typing import TYPE_CHECKING

from magicgui import magic_factory

from napari_afm_profiler.io import read_afm
from napari_afm_profiler.io.generic import read_npy

if TYPE_CHECKING:
    import napari


@magic_factory(
    call_button="Open",
    path={"label": "file", "mode": "r"},
    pixel_size_nm={"label": "pixel size (nm), .npy only", "min": 0.0, "max": 1e7, "step": 0.001,
                   "tooltip": "0: uncalibrated (pixels)"},
    npy_heights_in_nm={"label": ".npy values are heights in nm"},
)
def open_afm_file(
    path: pathlib.Path = Path(),
    pixel_size_nm: float = 0.0,
    npy_heights_in_nm: bool = True,
) -> list[napari.types.LayerDataTuple]:
    """Open ``path`` with the plugin's readers: one calibrated layer per channel, height first."""
    from napari_afm_profiler._napari.reader import scan_to_layer

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"choose a file to open ({path} is not a file)")
    if path.suffix.lower() == ".npy":
        pixel = (pixel_size_nm, pixel_size_nm) if pixel_size_nm > 0 else None
        scans = read_npy(path, pixel_size_nm=pixel, z_unit="nm" if npy_heights_in_nm else "")
    else:
        scans = read_afm(path)
    return [scan_to_layer(scan, path.name) for scan in scans]
