"""Test suite of napari-afm-profiler."""
