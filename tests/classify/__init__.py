"""Tests of napari_afm_profiler.classify."""
