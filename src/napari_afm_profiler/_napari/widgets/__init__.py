"""Dock widgets, one module per capability."""
