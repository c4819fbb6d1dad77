"""Tip models, simulated imaging (dilation), Villarrubia reconstruction, certainty map, blind estimation."""

from napari_afm_profiler.tip.blind import estimate_tip, estimate_tip_steps
from napari_afm_profiler.tip.models import TIP_SHAPES, Tip, TipResampledWarning, make_tip, tip_for_pixel_size, tip_from_array
from napari_afm_profiler.tip.morphology import certainty_map, check_tip, dilate, erode

__all__ = [
    "TIP_SHAPES",
    "Tip",
    "TipResampledWarning",
    "certainty_map",
    "check_tip",
    "dilate",
    "erode",
    "estimate_tip",
    "estimate_tip_steps",
    "make_tip",
    "tip_for_pixel_size",
    "tip_from_array",
]
