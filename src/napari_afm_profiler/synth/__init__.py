"""Virtual AFM data: surfaces with ground truth, simulated imaging with artifacts, paired datasets (nm units)."""

import lazy_loader as _lazy

# Submodules load on first use: importing the package costs nothing (scikit-image's pattern).
__getattr__, _dir, _names = _lazy.attach(
    __name__,
    submod_attrs={
        "artifacts": ["apply_artifacts", "ArtifactSpec"],
        "dataset": ["load_dataset", "save_dataset"],
        "generator": ["KINDS", "Pair", "SynthConfig", "TipSpec", "generate_dataset", "iter_pairs", "make_dataset", "make_pair"],
        "objects": ["place_objects", "OBJECT_KINDS", "ObjectSpec"],
        "scene": ["fractal_surface", "particles_on_substrate"],
    },
)

# kept importable for one release (``from ... import apply_artifacts``), no longer part of the curated namespace
_HIDDEN = {'apply_artifacts', 'place_objects'}
__all__ = [n for n in _names if n not in _HIDDEN]


def __dir__() -> list[str]:
    return list(__all__)
