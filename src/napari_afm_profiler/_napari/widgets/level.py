"""The "Level" dock widget: plane/polynomial/scan-line levelling into a new layer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from magicgui import magic_factory

from napari_afm_profiler.io.level import level

if TYPE_CHECKING:
    import napari

METHOD_CHOICES = [
    ("Plane", "plane"),
    ("Polynomial, order 2", "poly2"),
    ("Polynomial, order 3", "poly3"),
    ("Scan lines: median", "lines"),
    ("Scan lines: match neighbours", "lines-match"),
    ("Scan lines: polynomial", "lines-poly"),
]


@magic_factory(
    call_button="Level",
    method={"choices": METHOD_CHOICES},
    mask={"label": "ignore (labels)"},
)
def level_widget(
    image: napari.layers.Image,
    method: str = "plane",
    mask: napari.layers.Labels | None = None,
) -> napari.types.LayerDataTuple:
    """Level ``image`` with ``method`` into a new layer with the same scale (mask pixels ignored)."""
    if image is None:
        raise ValueError("choose an image layer to level")
    ignore = None
    if mask is not None:
        ignore = mask.data.astype(bool)
        if ignore.shape != image.data.shape[-2:]:
            raise ValueError(f"mask shape {ignore.shape} does not match image {image.data.shape[-2:]}")
    result = level(image.data, method, mask=ignore)
    meta: dict[str, Any] = dict(image.metadata)
    meta["levelling"] = method
    return (
        result,
        {"name": f"{image.name} · levelled ({method})", "scale": tuple(image.scale), "units": tuple(image.units),
         "colormap": image.colormap.name, "metadata": meta},
        "image",
    )
