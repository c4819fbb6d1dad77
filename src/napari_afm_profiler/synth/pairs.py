"""Training pairs from the user's own data: align an image with its ground truth, register, tile, export.

Ground truth is anything of the same scene that is closer to the true surface: a scan with a
sharper tip or at higher resolution, or a deconvolved result the user corrected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from napari_afm_profiler.errors import InputError


@dataclass(frozen=True)
class Alignment:
    """Result of :func:`align_truth`: the truth on the image's grid and what was done to it."""

    truth: np.ndarray
    mask: np.ndarray | None
    notes: tuple[str, ...]


def align_truth(image: np.ndarray, truth: np.ndarray, *, image_pixel_nm: tuple[float, float],
                truth_pixel_nm: tuple[float, float], mask: np.ndarray | None = None, rtol: float = 1e-3) -> Alignment:
    """Bring ``truth`` (and an optional mask on its grid) onto the image's pixel grid.

    A different pixel size is resampled explicitly (linear for heights, nearest for the mask)
    and stated in the notes; the overlap is then cropped to the common size.

    Raises
    ------
    InputError
        If an array is not 2-D, a pixel size is not positive, or nothing overlaps.
    """
    image, truth = np.asarray(image, float), np.asarray(truth, float)
    if image.ndim != 2 or truth.ndim != 2:
        raise InputError(f"image and ground truth must be 2-D height maps; got {image.shape} and {truth.shape}")
    if mask is not None and np.shape(mask) != truth.shape:
        raise InputError(f"mask {np.shape(mask)} does not match the ground truth {truth.shape}")
    if min(*image_pixel_nm, *truth_pixel_nm) <= 0:
        raise InputError(f"pixel sizes must be > 0 nm; got image {image_pixel_nm}, truth {truth_pixel_nm}")
    notes = []
    factor = (truth_pixel_nm[0] / image_pixel_nm[0], truth_pixel_nm[1] / image_pixel_nm[1])
    if not np.allclose(factor, 1.0, rtol=rtol):
        truth = ndi.zoom(truth, factor, order=1, mode="nearest", grid_mode=True)
        if mask is not None:
            mask = ndi.zoom(np.asarray(mask), factor, order=0, mode="nearest", grid_mode=True)
        notes.append(f"ground truth resampled from {truth_pixel_nm[0]:.4g} x {truth_pixel_nm[1]:.4g} to "
                     f"{image_pixel_nm[0]:.4g} x {image_pixel_nm[1]:.4g} nm/px")
    ny, nx = min(image.shape[0], truth.shape[0]), min(image.shape[1], truth.shape[1])
    if ny < 2 or nx < 2:
        raise InputError("image and ground truth do not overlap")
    if (ny, nx) != truth.shape or (ny, nx) != image.shape:
        notes.append(f"cropped to the common {ny} x {nx} px")
    return Alignment(truth=truth[:ny, :nx], mask=None if mask is None else np.asarray(mask)[:ny, :nx],
                     notes=tuple(notes))


def register_truth(image: np.ndarray, truth: np.ndarray, *, upsample: int = 10) -> tuple[np.ndarray, tuple[float, float]]:
    """Shift ``truth`` onto ``image`` by cross-correlation (sub-pixel).

    Plain (not phase-normalised) correlation: a tip-broadened image keeps the low spatial
    frequencies of the truth but not the high ones that phase correlation weights most.

    Returns
    -------
    shifted : ndarray
        ``truth`` moved by the shift (edges repeated).
    shift : (dy, dx)
        The shift in pixels that was applied.
    """
    from skimage.registration import phase_cross_correlation

    a, b = np.nan_to_num(np.asarray(image, float)), np.nan_to_num(np.asarray(truth, float))
    if a.shape != b.shape:
        raise InputError(f"register needs equal shapes; got {a.shape} and {b.shape} (align them first)")
    shift, _, _ = phase_cross_correlation(a - a.mean(), b - b.mean(), upsample_factor=upsample, normalization=None)
    return ndi.shift(np.asarray(truth, float), shift, order=1, mode="nearest"), (float(shift[0]), float(shift[1]))


def tile_origins(shape: tuple[int, int], crop: int, stride: int | None = None) -> list[tuple[int, int]]:
    """Top-left corners of ``crop`` x ``crop`` tiles covering ``shape`` (the last row/column flush with the edge)."""
    stride = stride or crop
    if crop < 8 or stride < 1:
        raise InputError(f"crop must be >= 8 px and stride >= 1; got crop {crop}, stride {stride}")
    if crop > min(shape):
        raise InputError(f"crop of {crop} px is larger than the image ({shape[0]} x {shape[1]} px)")

    def starts(n: int) -> list[int]:
        out = list(range(0, n - crop + 1, stride))
        return out if out[-1] == n - crop else [*out, n - crop]

    return [(y, x) for y in starts(shape[0]) for x in starts(shape[1])]


def pairs_dataset(image: np.ndarray, truth: np.ndarray, origins: list[tuple[int, int]], crop: int, *,
                  pixel_size_nm: float, keep: list[bool] | None = None, mask: np.ndarray | None = None,
                  source: dict[str, Any] | None = None) -> dict[str, Any]:
    """Crop the kept tiles into a paired dataset (same format as the virtual generator's).

    Raises
    ------
    InputError
        When no tile is kept.
    """
    keep = [True] * len(origins) if keep is None else list(keep)
    chosen = [o for o, k in zip(origins, keep) if k]
    if not chosen:
        raise InputError("no pair is kept; mark at least one pair to keep")

    def crops(a: np.ndarray) -> np.ndarray:
        return np.stack([a[y:y + crop, x:x + crop] for y, x in chosen])

    return {
        "surface": crops(np.asarray(truth, float)),
        "image": crops(np.asarray(image, float)),
        "mask": crops(np.asarray(mask)).astype(np.int32) if mask is not None else np.zeros((len(chosen), crop, crop),
                                                                                           np.int32),
        "pixel_size_nm": float(pixel_size_nm),
        "kind": "layers",
        "origins": np.array(chosen, dtype=np.int32),
        "parameters": json.dumps({"generator": "training pairs from layers", "crop": crop, **(source or {})}),
    }
