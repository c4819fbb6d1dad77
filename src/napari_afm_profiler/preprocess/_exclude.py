"""One meaning of ``mask`` in the project: the pixels to *use*.  Levelling names what it leaves out ``exclude``.

Levelling once took ``mask=`` for the pixels to ignore, the opposite of roughness, particles
and the filters; that keyword still works for one release, with a warning.
"""

from __future__ import annotations

import warnings

import numpy as np

from napari_afm_profiler.errors import InputError


def excluded_pixels(exclude: np.ndarray | None, mask: np.ndarray | None, shape: tuple[int, ...],
                    ) -> np.ndarray | None:
    """Return the boolean array of pixels left out of a fit (None: none), from ``exclude`` or the old ``mask``."""
    if mask is not None:
        if exclude is not None:
            raise InputError("give exclude= (the pixels the fit ignores) only; mask= is its deprecated old name")
        warnings.warn("levelling's mask= is deprecated: it meant the pixels to ignore, the opposite of mask= "
                      "elsewhere in napari-afm-profiler; pass the same array as exclude=", FutureWarning, stacklevel=3)
        exclude = mask
    if exclude is None:
        return None
    exclude = np.asarray(exclude, dtype=bool)
    if exclude.shape != tuple(shape[-2:]):
        raise InputError(f"exclude (mask) shape {exclude.shape} does not match image shape {tuple(shape[-2:])}")
    return exclude
