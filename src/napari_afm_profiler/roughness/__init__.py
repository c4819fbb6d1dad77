"""ISO 25178 areal surface parameters per image, per tile and per labelled region.

The core is pure numpy/scipy/numba; nothing here imports Qt or napari.
"""

from napari_afm_profiler.roughness.compute import RoughnessResult, resolve_groups, surface_parameters
from napari_afm_profiler.roughness.regions import (
    RoughnessTable,
    channel_table_steps,
    region_geometry,
    region_table,
    region_table_steps,
    tile_parameters,
)
from napari_afm_profiler.roughness.registry import GEOMETRY_COLUMNS, GROUPS, PARAMETERS, Parameter
from napari_afm_profiler.roughness.settings import RoughnessSettings

__all__ = [
    "GEOMETRY_COLUMNS",
    "GROUPS",
    "PARAMETERS",
    "Parameter",
    "RoughnessResult",
    "RoughnessSettings",
    "RoughnessTable",
    "channel_table_steps",
    "region_geometry",
    "region_table",
    "region_table_steps",
    "resolve_groups",
    "surface_parameters",
    "tile_parameters",
]
