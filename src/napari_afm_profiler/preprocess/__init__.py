"""Preprocessing: polynomial backgrounds, scan-line levelling, movie drift correction (pure core, no Qt)."""

import lazy_loader as _lazy

# Submodules load on first use: importing the package costs nothing (scikit-image's pattern).
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "align": ["Drift", "align_frames", "apply_drift", "estimate_drift", "estimate_drift_steps"],
        "background": ["LEVEL_METHODS", "level", "level_plane", "level_polynomial", "polynomial_background",
                       "removed_tilt"],
        "fit": ["GridPolynomial", "fit_polynomial"],
        "lines": ["LINE_METHODS", "correct_lines"],
    },
)
