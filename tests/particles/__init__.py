"""Particle segmentation, measurement and profile tests."""
