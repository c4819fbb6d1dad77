"""Particles (grains): segmentation above a robust substrate level and per-particle measurements in nm."""

import lazy_loader as _lazy

# Submodules load on first use: importing the package costs nothing (scikit-image's pattern).
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "measure": ["PARTICLE_COLUMNS", "ParticleTable", "match_particles", "measure_particles"],
        "profile": ["Profile", "line_profile", "particle_axis_profiles"],
        "segment": ["THRESHOLD_METHODS", "Segmentation", "segment_particles", "substrate_level"],
    },
)
