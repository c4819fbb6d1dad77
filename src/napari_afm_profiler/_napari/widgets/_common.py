"""Small pieces several docks share: layer choices and an embedded matplotlib canvas."""

from __future__ import annotations

from typing import Any


def layer_choices(viewer: Any, kind: str, ndims: tuple[int, ...] = (2,)) -> list[tuple[str, Any]]:
    """``(name, layer)`` pairs of the viewer's ``"image"`` or ``"labels"`` layers with ``ndims`` dimensions."""
    import napari

    cls = napari.layers.Image if kind == "image" else napari.layers.Labels
    return [(ly.name, ly) for ly in viewer.layers if isinstance(ly, cls) and ly.ndim in ndims]


def add_plot_canvas(container: Any, size: tuple[float, float], min_height: int) -> tuple[Any, Any]:
    """Append a matplotlib canvas to a magicgui container; return ``(figure, canvas)``."""
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size)
    canvas = FigureCanvasQTAgg(figure)
    canvas.setMinimumHeight(min_height)
    container.native.layout().addWidget(canvas)
    return figure, canvas


def snapshot(data: Any, dtype: Any = None) -> Any:
    """Copy of a layer's data taken now, for a worker: later edits of the layer cannot reach it.

    ``np.asarray`` would hand the worker the layer's own buffer when the dtype already
    matches; a lazy (dask) array is read here, once.
    """
    import numpy as np

    return np.array(data, dtype=dtype, copy=True)
