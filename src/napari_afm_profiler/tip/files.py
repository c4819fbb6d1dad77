"""Read and write tips as files: ``.npy`` (heights in nm) or any image format the project reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import AFMFormatError, AfmProfilerError
from napari_afm_profiler.tip.models import Tip, tip_from_array


def load_tip(path: str | Path, *, pixel_size_nm: float | tuple[float, float] | None = None,
             reflect: bool = False) -> Tip:
    """Load a tip saved by us, Gwyddion or another program.

    Parameters
    ----------
    path : str or Path
        ``.npy`` array of heights in nm, or any readable image file (its first channel;
        a TIFF or ``.gwy`` exported from Gwyddion's tip modelling keeps its pixel size).
    pixel_size_nm : float or (dy, dx), optional
        The tip's pixel size when the file has none (``.npy``); overrides nothing else.
    reflect : bool, optional
        Point-reflect the array (Gwyddion's blind estimate is stored reflected).

    Returns
    -------
    Tip
        With the file's pixel size when known.
    """
    path = Path(path)
    if path.suffix.lower() == ".npy":
        try:
            heights = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise AFMFormatError(path, f"not a readable .npy tip ({type(exc).__name__}: {exc})") from exc
        file_pixel = None
    else:
        from napari_afm_profiler.io import read_afm

        scan = read_afm(path)[0]
        heights, file_pixel = scan.data, scan.pixel_size_nm
    try:
        return tip_from_array(heights, pixel_size_nm=file_pixel or pixel_size_nm, reflect=reflect)
    except AfmProfilerError as exc:
        raise AFMFormatError(path, str(exc)) from exc
