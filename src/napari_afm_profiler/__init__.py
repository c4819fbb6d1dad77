"""napari-afm-profiler: AFM images from raw instrument files to trustworthy numbers.

The package root is Qt-free: importing it never imports napari, Qt or torch.
"""

from napari_afm_profiler.errors import AFMFormatError, AfmProfilerError

__version__ = "0.1.0"
__all__ = ["AFMFormatError", "AfmProfilerError", "__version__"]
