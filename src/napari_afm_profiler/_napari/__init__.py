"""Everything napari-facing: reader, writers, sample data and dock widgets (no science here)."""
