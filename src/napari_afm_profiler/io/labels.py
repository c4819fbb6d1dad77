"""Labels images (0 = background, 1.. = regions) from .npy or .tif files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import AfmProfilerError, InputError

LABEL_SUFFIXES = (".npy", ".tif", ".tiff")


def load_labels(path: str) -> np.ndarray:
    """Read a labels image from ``.npy`` or ``.tif``, keeping its integer values.

    Parameters
    ----------
    path : str
        File name.

    Returns
    -------
    labels : (ny, nx) ndarray
    """
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            labels = np.load(p, allow_pickle=False)
        elif suffix in (".tif", ".tiff"):
            import tifffile

            labels = tifffile.imread(p)
        else:
            raise InputError(f"{p.name}: labels must be a .npy or .tif file")
    except (OSError, ValueError) as exc:
        if isinstance(exc, AfmProfilerError):
            raise
        raise InputError(f"{p.name}: cannot read labels ({exc})") from exc
    labels = np.squeeze(labels)
    if labels.ndim != 2:
        raise InputError(f"{p.name}: labels must be a 2D image; got shape {labels.shape}")
    return labels
