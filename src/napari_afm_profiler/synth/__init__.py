"""Virtual AFM data: surfaces with ground truth, simulated imaging with artifacts, paired datasets (nm units)."""

import lazy_loader as _lazy

# Submodules load on first use: importing the package costs nothing (scikit-image's pattern).
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "artifacts": ["ArtifactSpec"],
        "dataset": ["load_dataset", "save_dataset"],
        "generator": ["KINDS", "Pair", "SynthConfig", "TipSpec", "generate_dataset", "iter_pairs", "make_dataset", "make_pair"],
        "objects": ["OBJECT_KINDS", "ObjectSpec"],
        "scene": ["fractal_surface", "particles_on_substrate"],
    },
)
