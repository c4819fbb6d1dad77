"""napari-afm-profiler: AFM images from raw instrument files to trustworthy numbers.

Scripting in the scikit-image style: ``import napari_afm_profiler as ap``, then

- ``ap.read(path)``: every channel of an instrument file, heights in nm (:class:`ap.io.AfmScan`);
- ``ap.level(height, "plane")`` and ``ap.preprocess`` (polynomial backgrounds, scan lines,
  ``align_frames`` for movie drift);
- ``ap.tip``: ``make_tip``, ``dilate``, ``erode``, ``certainty_map``, ``estimate_tip``;
- ``ap.deconvolve(image, pixel_size_nm=...)``: tip deconvolution with a trained network;
- ``ap.particles``: ``segment_particles``, ``measure_particles``, ``line_profile``;
- ``ap.roughness.parameters`` (whole image) and ``ap.roughness.regions`` (per labelled cell);
- ``ap.classify.feature_table`` / ``ap.classify.evaluate``; ``ap.batch.run`` for folders.

Subpackages and functions load on first use (``lazy_loader``): importing the package costs
nothing and never imports napari, Qt or torch.
"""

import lazy_loader as _lazy

__version__ = "0.1.0"

__getattr__, __dir__, _public = _lazy.attach(
    __name__,
    submodules=["batch", "classify", "deconv", "io", "particles", "preprocess", "roughness", "synth", "tip"],
    submod_attrs={
        "errors": ["AFMFormatError", "AfmProfilerError", "InputError"],
        "io.readers": ["read"],
        "preprocess.background": ["level"],
        "preprocess.align": ["align_frames"],
        "deconv.infer": ["deconvolve"],
    },
)
__all__ = [*_public, "__version__"]
