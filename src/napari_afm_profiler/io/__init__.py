"""Readers for AFM instrument files, writers, and levelling (pure core, no Qt)."""

from napari_afm_profiler.io.readers import FORMATS, detect_format, read_afm, supported_suffixes
from napari_afm_profiler.io.scan import AfmScan

__all__ = ["FORMATS", "AfmScan", "detect_format", "read_afm", "supported_suffixes"]
