"""Sample data: a virtual AFM scene generated in code (no download)."""

from __future__ import annotations

from typing import Any

from napari_afm_profiler.synth import particles_on_substrate

PIXEL_SIZE_NM = 2.0


def make_sample_scene() -> list[tuple[Any, dict[str, Any], str]]:
    """Particles on a rough substrate, 256x256 at 2 nm/px, plus the particle labels."""
    height, labels = particles_on_substrate((256, 256), pixel_size_nm=PIXEL_SIZE_NM, seed=0)
    scale = (PIXEL_SIZE_NM, PIXEL_SIZE_NM)
    meta = {"afm": {"channel": "Height", "z_unit": "nm", "pixel_size_nm": scale, "file_format": "virtual",
                    "file": "virtual scene"}}
    return [
        (height, {"name": "virtual scene · Height", "scale": scale, "units": ("nm", "nm"), "colormap": "afmhot",
                  "metadata": meta}, "image"),
        (labels, {"name": "virtual scene · particles", "scale": scale, "units": ("nm", "nm"), "opacity": 0.3,
                  "visible": False}, "labels"),
    ]
