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


def is_calibrated(layer: Any) -> bool:
    """Whether a layer's two lateral axes are in a length unit (the reader gives uncalibrated files pixels)."""
    return layer is not None and all(str(u) not in ("pixel", "px", "") for u in layer.units[-2:])


def refuse(status: Any, dock: str, message: str) -> None:
    """Say why a dock will not run: in its status line and as a napari notification."""
    from napari.utils.notifications import show_warning

    status.value = message
    show_warning(f"{dock}: {message}")


def snapshot(data: Any, dtype: Any = None) -> Any:
    """Copy of a layer's data taken now, for a worker: later edits of the layer cannot reach it.

    ``np.asarray`` would hand the worker the layer's own buffer when the dtype already
    matches; a lazy (dask) array is read here, once.
    """
    import numpy as np

    return np.array(data, dtype=dtype, copy=True)


def label_of_selected_row(table: Any) -> int | None:
    """Return the label id in the first column of a magicgui Table's selected row (None when none is)."""
    model = table.native.selectionModel()
    rows = model.selectedRows() if model else []
    if not rows:
        return None
    item = table.native.item(rows[0].row(), 0)
    return None if item is None else int(float(item.text()))


def select_row_of_label(table: Any, label: int) -> bool:
    """Select the row whose first column is ``label``; whether one was found."""
    native = table.native
    for r in range(native.rowCount()):
        item = native.item(r, 0)
        if item is not None and int(float(item.text())) == int(label):
            native.selectRow(r)
            return True
    return False


def export_table_csv(frame: Any, path: Any, status: Any, empty_message: str) -> Any:
    """Write a pandas table to ``path`` atomically and say so in ``status``; None when there is no table yet."""
    from pathlib import Path

    from napari_afm_profiler.io.writers import atomic_write

    if frame is None:
        status.value = empty_message
        return None
    out = atomic_write(Path(path), lambda tmp: frame.to_csv(tmp, index=False))
    status.value = f"wrote {out}"
    return out


def make_scrollable(container: Any) -> None:
    """Put a dock's contents into a vertical scroll area, so a tall dock fits a small screen.

    napari docks a magicgui Container's inner widget (so ``Container(scrollable=True)`` is lost);
    the layout, with every control and canvas in it, moves into a widget inside a ``QScrollArea``
    that becomes the dock's only child.  Call it at the end of ``__init__``.
    """
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

    native = container.native
    inner = QWidget()
    inner.setLayout(native.layout())  # Qt takes the layout (and its widgets) from the old owner
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(inner)
    area.setMinimumWidth(inner.minimumSizeHint().width() + 20)
    outer = QVBoxLayout()
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(area)
    native.setLayout(outer)
