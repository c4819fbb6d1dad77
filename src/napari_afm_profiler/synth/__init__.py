"""Virtual AFM data: surfaces with ground truth, simulated imaging with artifacts, paired datasets (nm units)."""

from napari_afm_profiler.synth.artifacts import ArtifactSpec, apply_artifacts
from napari_afm_profiler.synth.dataset import load_dataset, save_dataset
from napari_afm_profiler.synth.generator import (
    KINDS,
    Pair,
    SynthConfig,
    TipSpec,
    generate_dataset,
    iter_pairs,
    make_dataset,
    make_pair,
)
from napari_afm_profiler.synth.objects import OBJECT_KINDS, ObjectSpec, place_objects
from napari_afm_profiler.synth.scene import fractal_surface, particles_on_substrate

__all__ = [
    "KINDS",
    "OBJECT_KINDS",
    "ArtifactSpec",
    "ObjectSpec",
    "Pair",
    "SynthConfig",
    "TipSpec",
    "apply_artifacts",
    "fractal_surface",
    "generate_dataset",
    "iter_pairs",
    "load_dataset",
    "make_dataset",
    "make_pair",
    "particles_on_substrate",
    "place_objects",
    "save_dataset",
]
