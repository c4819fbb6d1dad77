"""ISO 25178 areal surface parameters per image, per tile and per labelled region.

The core is pure numpy/scipy/numba; nothing here imports Qt or napari.
"""

import lazy_loader as _lazy

# Submodules load on first use: importing the package costs nothing (scikit-image's pattern).
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "compute": ["RoughnessResult", "parameters", "surface_parameters"],
        "tables": ["RoughnessTable", "channel_table", "channel_table_steps", "regions", "region_table",
                   "region_table_steps", "tile_labels", "tile_parameters"],
        "registry": ["GEOMETRY_COLUMNS", "GROUPS", "PARAMETERS", "Parameter"],
        "settings": ["RoughnessSettings"],
    },
)
