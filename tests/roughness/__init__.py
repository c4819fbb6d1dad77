"""Tests of napari_afm_profiler.roughness."""
