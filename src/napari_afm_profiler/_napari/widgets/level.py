"""The "Level" dock: background and scan-line levelling, and drift correction of movies, in a worker.

Both actions copy the layer data when they start, run off the GUI thread with progress and
cancel, and add a new layer (the input layer is never changed).  Drift correction shows the
measured shifts as a table in the dock, keeps them in the new layer's metadata, and saves
them to CSV.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import ComboBox, Container, FileEdit, PushButton, SpinBox, Table
from napari.qt.threading import thread_worker

from napari_afm_profiler._napari.widgets._common import (
    REMOVED_TILT_KEY,
    is_calibrated,
    layer_choices,
    make_scrollable,
    refuse,
    reports_errors,
    snapshot,
    text_line,
)
from napari_afm_profiler._napari.widgets._settings import remember_settings
from napari_afm_profiler._napari.widgets._workers import start_worker

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
REFERENCE_CHOICES = [("previous frame", "previous"), ("first frame", "first")]


class LevelWidget(Container):
    """Level an image or movie into a new layer; drift-correct a movie, with its shifts as a table."""

    def __init__(self, napari_viewer: napari.Viewer) -> None:
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.worker: Any = None
        self.shifts: dict[str, np.ndarray] | None = None
        self.drift: Any = None
        self._pixel: tuple[float, float] | None = None
        self.image = ComboBox(label="image", choices=lambda *_: layer_choices(self.viewer, "image", (2, 3)))
        self.method = ComboBox(label="method", choices=METHOD_CHOICES, value="plane")
        self.mask = ComboBox(label="ignore (labels)", nullable=True, value=None,
                             choices=lambda *_: layer_choices(self.viewer, "labels", (2,)))
        self.level_button = PushButton(text="Level")
        self.reference = ComboBox(label="drift reference", choices=REFERENCE_CHOICES, value="previous")
        self.max_step = SpinBox(label="max shift (px)", min=0, max=10000, value=0,
                                tooltip="largest drift between two frames; 0 = a quarter of the frame")
        self.align_button = PushButton(text="Align frames (drift)")
        self.cancel = PushButton(text="Cancel", enabled=False)
        self.status = text_line(value="")
        self.table = Table()
        self.table.native.setMinimumHeight(120)
        self.csv_path = FileEdit(label="shifts CSV", mode="w", filter="*.csv", value="drift_shifts.csv")
        self.export_button = PushButton(text="Save shifts CSV")
        for w in (self.table, self.csv_path, self.export_button):  # drift results: shown once there are some
            w.visible = False
        self.extend([self.image, self.method, self.mask, self.level_button, self.reference, self.max_step,
                     self.align_button, self.cancel, self.status, self.table, self.csv_path,
                     self.export_button])
        self.level_button.changed.connect(self.run_level)
        self.align_button.changed.connect(self.run_align)
        self.cancel.changed.connect(self._cancel)
        self.export_button.changed.connect(self.export_shifts)
        self.viewer.layers.events.inserted.connect(self._refresh)
        self.viewer.layers.events.removed.connect(self._refresh)
        remember_settings(self, "level")
        make_scrollable(self)  # every dock scrolls: nothing off a small screen

    def _refresh(self, *_: Any) -> None:
        self.image.reset_choices()
        self.mask.reset_choices()

    def _cancel(self, *_: Any) -> None:
        if self.worker is not None:
            self.worker.quit()
            self.status.value = "cancelling…"

    def _start(self, work: Any, done: Any) -> Any:
        def report(step: tuple[str, int, int]) -> None:
            self.status.value = f"{step[0]}: frame {step[1]} / {step[2]}"

        self.worker = start_worker(work, status=self.status, buttons=[self.level_button, self.align_button],
                                   cancel=self.cancel, on_done=done, on_yield=report)
        return self.worker

    def _add_result(self, layer: Any, data: np.ndarray, suffix: str, meta: dict[str, Any]) -> None:
        self.viewer.add_image(data, name=f"{layer.name} · {suffix}", scale=tuple(layer.scale),
                              units=tuple(layer.units), colormap=layer.colormap.name,
                              metadata=dict(layer.metadata, **meta))

    @reports_errors("Level")
    def run_level(self, *_: Any) -> Any:
        """Level the chosen layer (frame by frame for a movie) into a new layer, in a worker."""
        from napari_afm_profiler.preprocess import LEVEL_METHODS, removed_tilt

        layer, method = self.image.value, self.method.value
        if layer is None:
            refuse(self.status, "Level", "choose an image layer to level")
            return None
        ignore = None
        if self.mask.value is not None:
            ignore = snapshot(self.mask.value.data).astype(bool)
            if ignore.shape != layer.data.shape[-2:]:
                refuse(self.status, "Level", f"mask shape {ignore.shape} does not match image {layer.data.shape[-2:]}")
                return None
        data = snapshot(layer.data, np.float64)
        self.status.value = f"levelling ({method})…"

        @thread_worker(progress={"total": 0, "desc": "level"}, ignore_errors=True)
        def work():
            frames = data if data.ndim == 3 else data[np.newaxis]
            out = np.empty(frames.shape)
            for k, frame in enumerate(frames):
                out[k] = LEVEL_METHODS[method](frame, exclude=ignore)
                yield "level", k + 1, len(frames)
            # the sample's tilt, which the tip met: deconvolution of the levelled layer puts it back
            tilt = removed_tilt(frames, out)
            return (out, tilt) if data.ndim == 3 else (out[0], tilt[0])

        def done(result: tuple[np.ndarray, np.ndarray]) -> None:
            levelled, tilt = result
            earlier = layer.metadata.get(REMOVED_TILT_KEY)
            if earlier is not None and np.shape(earlier) == tilt.shape:
                tilt = tilt + np.asarray(earlier, dtype=np.float64)
            self._add_result(layer, levelled, f"levelled ({method})",
                             {"levelling": method, REMOVED_TILT_KEY: tilt.tolist()})
            self.status.value = f"levelled ({method})"

        return self._start(work(), done)

    @reports_errors("Level")
    def run_align(self, *_: Any) -> Any:
        """Measure and remove the lateral drift of the chosen movie, in a worker; shifts go to the table."""
        from napari_afm_profiler.preprocess import apply_drift, estimate_drift_steps

        layer = self.image.value
        if layer is None or layer.ndim != 3:
            refuse(self.status, "Level", "choose a movie (a stack of frames) to align")
            return None
        data = snapshot(layer.data, np.float64)
        reference, max_step = self.reference.value, (int(self.max_step.value) or None)
        pixel = (float(layer.scale[-2]), float(layer.scale[-1]))
        calibrated = is_calibrated(layer)

        @thread_worker(progress={"total": 0, "desc": "drift"}, ignore_errors=True)
        def work():
            drift = yield from estimate_drift_steps(data, reference=reference, max_step_px=max_step)
            return apply_drift(data, drift), drift

        def done(result: tuple[np.ndarray, Any]) -> None:
            aligned, drift = result
            self.drift, self._pixel = drift, (pixel if calibrated else None)
            self.shifts = drift.table(self._pixel)
            self.table.value = {name: [bool(v) if name == "registered" else round(float(v), 4) for v in values]
                                for name, values in self.shifts.items()}
            for w in (self.table, self.csv_path, self.export_button):
                w.visible = True
            self._add_result(layer, aligned, "drift corrected",
                             {"drift_shifts_px": drift.shifts_px.tolist(), "drift_reference": reference})
            worst = float(np.abs(drift.shifts_px).max()) if len(drift.shifts_px) else 0.0
            failed = int((~drift.registered).sum())
            self.status.value = (f"aligned {len(drift.shifts_px)} frames; largest shift {worst:.2f} px"
                                 + (f"; {failed} frame(s) could not be registered (shift held)" if failed else ""))

        return self._start(work(), done)

    @reports_errors("Level")
    def export_shifts(self, *_: Any) -> None:
        """Write the last drift table to the CSV path (atomically)."""
        if self.drift is None:
            refuse(self.status, "Level", "align a movie first")
            return
        self.status.value = f"wrote {self.drift.write_csv(self.csv_path.value, self._pixel)}"
