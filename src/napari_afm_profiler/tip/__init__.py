"""Tip models, simulated imaging (dilation), Villarrubia reconstruction, certainty map, blind estimation."""

import lazy_loader as _lazy

# Submodules load on first use: importing the package costs nothing (scikit-image's pattern).
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "blind": ["estimate_tip", "estimate_tip_steps"],
        "models": ["TIP_SHAPES", "Tip", "TipResampledWarning", "make_tip", "tip_for_pixel_size", "tip_from_array"],
        "morphology": ["certainty_map", "dilate", "erode"],
    },
)
