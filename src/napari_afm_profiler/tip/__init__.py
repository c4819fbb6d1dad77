"""Tip models, simulated imaging (dilation), Villarrubia reconstruction, certainty map, blind estimation, dropouts."""

import lazy_loader as _lazy

# Submodules load on first use: importing the package costs nothing (scikit-image's pattern).
__getattr__, _dir, _names = _lazy.attach(
    __name__,
    submod_attrs={
        "blind": ["estimate_tip", "estimate_tip_steps"],
        "dropouts": ["find_dropouts", "replace_dropouts"],
        "models": ["TIP_SHAPES", "Tip", "TipResampledWarning", "make_tip", "tip_for_pixel_size", "tip_from_array"],
        "morphology": ["check_tip", "certainty_map", "dilate", "erode"],
    },
)

# kept importable for one release (``from ... import check_tip``), no longer part of the curated namespace
_HIDDEN = {'check_tip'}
__all__ = [n for n in _names if n not in _HIDDEN]


def __dir__() -> list[str]:
    return list(__all__)
