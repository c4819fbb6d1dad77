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
