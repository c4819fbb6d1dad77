"""ISO 25178 areal surface parameters per image, per tile and per labelled region.

The core is pure numpy/scipy/numba; nothing here imports Qt or napari.
"""

import lazy_loader as _lazy

# Submodules load on first use: importing the package costs nothing (scikit-image's pattern).
__getattr__, _dir, _names = _lazy.attach(
    __name__,
    submod_attrs={
        "compute": ["resolve_groups", "RoughnessResult", "parameters", "surface_parameters", "surface_parameters_steps"],
        "tables": ["region_geometry", "RoughnessTable", "channel_table", "channel_table_steps", "regions", "region_table",
                   "region_table_steps", "tile_labels", "tile_parameters"],
        "profiles": ["PROFILE_PARAMETERS", "ProfileResult", "profile_parameters", "profiles_parameters"],
        "registry": ["GEOMETRY_COLUMNS", "GROUPS", "PARAMETERS", "Parameter"],
        "settings": ["RoughnessSettings"],
    },
)

# kept importable for one release (``from ... import region_geometry``), no longer part of the curated namespace
_HIDDEN = {'region_geometry', 'resolve_groups'}
__all__ = [n for n in _names if n not in _HIDDEN]


def __dir__() -> list[str]:
    return list(__all__)
