"""Deprecated: levelling moved to :mod:`napari_afm_profiler.preprocess` (kept for one release)."""

from __future__ import annotations

import warnings

from napari_afm_profiler.preprocess.background import (  # noqa: F401 - re-exported names
    LEVEL_METHODS,
    level,
    level_plane,
    level_polynomial,
    polynomial_background,
)
from napari_afm_profiler.preprocess.lines import LINE_METHODS, correct_lines  # noqa: F401

warnings.warn("napari_afm_profiler.io.level is deprecated; use napari_afm_profiler.preprocess "
              "(or ap.level) instead", DeprecationWarning, stacklevel=2)
