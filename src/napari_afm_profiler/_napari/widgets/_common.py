"""Small pieces several docks share: layer choices and an embedded matplotlib canvas."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


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


REMOVED_TILT_KEY = "removed_tilt_nm_per_px"
"""Layer metadata: the tilt (dz/dy, dz/dx per frame, nm per pixel) that levelling took out, summed over levellings."""


def removed_tilt_of(layer: Any) -> Any:
    """Return the tilt levelling took out of ``layer`` in nm per nm (for ``deconvolve``), or None if unrecorded."""
    import numpy as np

    tilt = layer.metadata.get(REMOVED_TILT_KEY)
    if tilt is None:
        return None
    pixel = np.asarray(layer.scale[-2:], dtype=np.float64)
    return np.asarray(tilt, dtype=np.float64) / pixel


def is_calibrated(layer: Any) -> bool:
    """Whether a layer's two lateral axes are in a length unit (the reader gives uncalibrated files pixels)."""
    return layer is not None and all(str(u) not in ("pixel", "px", "") for u in layer.units[-2:])


def tip_from_layer(layer: Any) -> Any:
    """Return the :class:`~napari_afm_profiler.tip.Tip` a layer holds; a ``ValueError`` names a layer that is none.

    A tip layer must be calibrated (its pixel size in nm) and hold an odd square array whose
    apex is the centre pixel (the Tip dock's model or estimate, or a tip file).
    """
    from napari_afm_profiler.tip import tip_from_array

    if layer.ndim != 2:
        raise ValueError(f"the layer {layer.name!r} cannot be a tip: it has {layer.ndim} dimensions, a tip has 2")
    if not is_calibrated(layer):
        raise ValueError(f"the tip layer {layer.name!r} has no pixel size in nm; set its scale and units")
    try:
        return tip_from_array(snapshot(layer.data, float), pixel_size_nm=(float(layer.scale[-2]), float(layer.scale[-1])))
    except ValueError as exc:
        raise ValueError(f"the layer {layer.name!r} cannot be a tip: {exc}") from exc


def check_pair(image: Any, truth: Any) -> None:
    """Refuse (``ValueError``) a missing AFM image or ground truth, or one layer chosen as both."""
    if image is None or truth is None:
        raise ValueError("choose the AFM image and its ground truth")
    if image is truth:
        raise ValueError(f"the AFM image and the ground truth are the same layer ({image.name!r}): choose the "
                         "layer of the same scene imaged with a sharper tip (or a corrected one)")


def text_line(value: str = "", **kwargs: Any) -> Any:
    """Make a magicgui ``Label`` for messages (status, summaries) that wraps: long text never widens the dock.

    An unwrapped label asks for the width of its whole text; one long message (a consistency
    warning, an error naming a file) would push the dock beyond the screen and the canvas to nothing.
    """
    from magicgui.widgets import Label
    from qtpy.QtWidgets import QSizePolicy

    label = Label(value=value, **kwargs)
    label.native.setWordWrap(True)
    # a wrapped label still *prefers* the width of its whole text; let the dock's width decide
    label.native.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


def refuse(status: Any, dock: str, message: str) -> None:
    """Say why a dock will not run: ``"error: <message>"`` in its status line and as a napari notification."""
    from napari.utils.notifications import show_warning

    message = str(message).removeprefix("error: ")
    status.value = f"error: {message}"
    show_warning(f"{dock}: {message}")


def reports_errors(dock: str) -> Callable[[F], F]:
    """Decorate a dock's action so that bad input becomes a sentence, never napari's bare red notice.

    A ``ValueError`` (the project's input and format errors are ones) or ``OSError`` raised by
    the action is shown with :func:`refuse` in the dock's ``status`` line and as a notification;
    the action then returns None.  Programming errors (anything else) still raise.
    """

    def decorate(action: F) -> F:
        @functools.wraps(action)
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return action(self, *args, **kwargs)
            except (ValueError, OSError) as exc:
                refuse(self.status, dock, str(exc) or type(exc).__name__)
                return None

        return run  # type: ignore[return-value]

    return decorate


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
    layout = native.layout()
    layout.addStretch(1)  # controls stay packed at the top when the dock is taller than they need
    inner.setLayout(layout)  # Qt takes the layout (and its widgets) from the old owner
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
