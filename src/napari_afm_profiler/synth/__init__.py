"""Virtual AFM surfaces (seeded, nm units)."""

from napari_afm_profiler.synth.scene import fractal_surface, particles_on_substrate

__all__ = ["fractal_surface", "particles_on_substrate"]
