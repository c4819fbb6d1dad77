"""The one normaliser of pixel sizes: a scalar or a ``(dy, dx)`` pair in nm, checked."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from napari_afm_profiler.errors import InputError


def pixel_size_pair(pixel_size_nm: float | Sequence[float] | None, *, needed_for: str = "this step") -> tuple[float, float]:
    """Return ``(dy, dx)`` in nm from a scalar or a pair, refusing missing, non-finite or non-positive sizes.

    Parameters
    ----------
    pixel_size_nm : float or (dy, dx)
        Pixel size in nm; a scalar means square pixels.
    needed_for : str, optional
        What needs the pixel size, for the message when it is missing.

    Returns
    -------
    (dy, dx) : tuple of float

    Raises
    ------
    InputError
        When the size is missing, not one or two numbers, not finite or not positive.

    Examples
    --------
    >>> pixel_size_pair(2.5)
    (2.5, 2.5)
    >>> pixel_size_pair((1.0, 2.0))
    (1.0, 2.0)
    """
    if pixel_size_nm is None:
        raise InputError(f"{needed_for} needs the pixel size in nm (the image is uncalibrated)")
    try:
        values = (pixel_size_nm, pixel_size_nm) if np.ndim(pixel_size_nm) == 0 else tuple(pixel_size_nm)
        dy, dx = (float(v) for v in values)
    except (TypeError, ValueError):
        raise InputError(f"pixel size must be one number or a (dy, dx) pair in nm; got {pixel_size_nm!r}") from None
    if not (math.isfinite(dy) and math.isfinite(dx) and dy > 0 and dx > 0):
        raise InputError(f"pixel size must be positive and finite; got {pixel_size_nm!r}")
    return dy, dx


MAX_RESAMPLED_SIDE_PX = 8192
"""Largest frame (side, px) a network step resamples an image to: 8192^2 deconvolves within 8 GB
(benchmarks/RESULTS.md, "Large images").  A coarse scan is upsampled to a network's grid, so a
300^2 px scan at 267 nm/px would need 40 000^2 px at 2 nm/px: refused by name, not left to exhaust memory."""


def check_resampled_size(shape: Sequence[int], pixel_size_nm: tuple[float, float], target_nm: float, *,
                         step: str, alternative: str) -> tuple[int, int]:
    """Return the shape of an image resampled to ``target_nm`` pixels, refusing one beyond :data:`MAX_RESAMPLED_SIDE_PX`.

    Parameters
    ----------
    shape : (..., ny, nx)
        The image's shape.
    pixel_size_nm : (dy, dx)
        Its pixel size.
    target_nm : float
        The pixel size it is resampled to.
    step : str
        What resamples it ("a deconvolution"), for the message.
    alternative : str
        What the user can do instead, for the message.

    Returns
    -------
    (ny, nx) : tuple of int

    Raises
    ------
    InputError
        Naming both sizes, the limit and the alternative.

    Examples
    --------
    >>> check_resampled_size((1024, 1024), (4.0, 4.0), 2.0, step="a deconvolution", alternative="crop it")
    (2048, 2048)
    >>> check_resampled_size((300, 300), (266.7, 266.7), 2.0, step="a deconvolution", alternative="crop it")
    Traceback (most recent call last):
    ...
    napari_afm_profiler.errors.InputError: the image (300 x 300 px at 266.7 x 266.7 nm/px) would be resampled to \
40005 x 40005 px at 2 nm/px, beyond the 8192 x 8192 px a deconvolution is sized for (8 GB of memory): crop it
    """
    ny, nx = int(shape[-2]), int(shape[-1])
    out = (round(ny * pixel_size_nm[0] / target_nm), round(nx * pixel_size_nm[1] / target_nm))
    if out[0] * out[1] <= MAX_RESAMPLED_SIDE_PX**2:
        return out
    raise InputError(f"the image ({ny} x {nx} px at {pixel_size_nm[0]:.4g} x {pixel_size_nm[1]:.4g} nm/px) would be "
                     f"resampled to {out[0]} x {out[1]} px at {target_nm:g} nm/px, beyond the {MAX_RESAMPLED_SIDE_PX} x "
                     f"{MAX_RESAMPLED_SIDE_PX} px {step} is sized for (8 GB of memory): {alternative}")
