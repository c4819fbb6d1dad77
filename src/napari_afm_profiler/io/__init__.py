"""Readers for AFM instrument files and writers (pure core, no Qt)."""

import lazy_loader as _lazy

# Submodules load on first use: importing the package costs nothing (scikit-image's pattern).
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "readers": ["FORMATS", "detect_format", "read", "read_afm", "supported_suffixes"],
        "scan": ["AfmScan"],
        "unscanned": ["mask_unscanned", "unscanned_lines", "unscanned_to_nan"],
    },
)
