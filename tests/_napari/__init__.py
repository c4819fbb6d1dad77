"""Headless napari tests."""
