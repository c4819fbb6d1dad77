"""The "Tip" dock widget: model a tip, preview it, and dilate / erode / map certainty / estimate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import (
    CheckBox,
    ComboBox,
    Container,
    FloatSpinBox,
    PushButton,
    SpinBox,
)
from napari.qt.threading import thread_worker

from napari_afm_profiler._napari.widgets._common import (
    is_calibrated,
    make_scrollable,
    refuse,
    reports_errors,
    snapshot,
    text_line,
    tip_from_layer,
)
from napari_afm_profiler._napari.widgets._settings import remember_settings
from napari_afm_profiler._napari.widgets._workers import start_worker
from napari_afm_profiler.tip import TIP_SHAPES, certainty_map, dilate, erode, estimate_tip_steps, make_tip

if TYPE_CHECKING:
    import napari

MODEL = "model (parameters above)"
OPERATIONS = {"dilate": (dilate, "dilated (simulated image)"), "erode": (erode, "eroded (reconstruction)"),
              "certainty": (certainty_map, "certainty map")}


class TipWidget(Container):
    """Model or pick a tip, preview it, and apply the tip operations to an image layer."""

    def __init__(self, napari_viewer: napari.Viewer) -> None:
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.worker: Any = None
        self.shape = ComboBox(label="shape", choices=list(TIP_SHAPES), value="cone")
        self.radius = FloatSpinBox(label="apex radius (nm)", value=10.0, min=0.0, max=1e4, step=0.5)
        self.half_angle = FloatSpinBox(label="half-angle (°)", value=20.0, min=0.5, max=89.5, step=0.5)
        self.auto_size = CheckBox(label="size to the image's height range", value=True)
        self.size = SpinBox(label="size (px, odd)", value=21, min=1, max=2049, step=2)
        self.image = ComboBox(label="image", choices=self._image_layers)
        self.tip_source = ComboBox(label="tip", choices=self._tip_sources)
        self.threshold = FloatSpinBox(label="noise threshold (nm)", value=0.0, min=0.0, max=1e4, step=0.01)
        self.full = CheckBox(label="full estimate", value=False)
        self.preview = PushButton(text="Show tip")
        self.buttons = {name: PushButton(text=name.capitalize()) for name in (*OPERATIONS, "estimate")}
        self.buttons["read"] = PushButton(text="Read tip from image (tip estimator)")
        self.cancel = PushButton(text="Cancel", enabled=False)
        self.status = text_line(value="")
        self.source_label = text_line(label="preview of", value="")
        self.extend([self.shape, self.radius, self.half_angle, self.auto_size, self.size, self.image, self.tip_source,
                     self.source_label, self.preview,
                     *[self.buttons[k] for k in OPERATIONS], self.threshold, self.full, self.buttons["estimate"],
                     self.buttons["read"], self.cancel, self.status])
        self._add_canvas()
        self.preview.changed.connect(self.show_tip)
        for name in OPERATIONS:
            self.buttons[name].changed.connect(lambda *_, op=name: self.apply(op))
        self.buttons["estimate"].changed.connect(self.estimate)
        self.buttons["read"].changed.connect(self.read_tip)
        self.cancel.changed.connect(self._cancel)
        self.size.changed.connect(self._make_odd)
        for w in (self.shape, self.radius, self.half_angle, self.size, self.auto_size, self.image, self.tip_source):
            w.changed.connect(self._redraw)
        self.viewer.layers.events.inserted.connect(self._refresh_choices)
        self.viewer.layers.events.removed.connect(self._refresh_choices)
        remember_settings(self, "tip")
        make_scrollable(self)  # taller than a 1280 x 800 screen otherwise

    # -- choices ------------------------------------------------------------------------
    def _image_layers(self, *_: Any) -> list[Any]:
        import napari

        return [(layer.name, layer) for layer in self.viewer.layers if isinstance(layer, napari.layers.Image)]

    def _tip_sources(self, *_: Any) -> list[Any]:
        return [(MODEL, None), *self._image_layers()]

    def _refresh_choices(self, *_: Any) -> None:
        self.image.reset_choices()
        self.tip_source.reset_choices()

    # -- the tip ------------------------------------------------------------------------
    def _make_odd(self, value: int) -> None:
        if value % 2 == 0:  # a tip needs a centre pixel: a typed even size goes to the next odd one
            self.size.value = value + 1

    def _size(self) -> int | None:
        return None if self.auto_size.value else int(self.size.value)

    def _refuse(self, message: str) -> None:
        refuse(self.status, "Tip", message)

    def _checked_image(self) -> Any:
        """Return the selected image, or None (with a message) when there is none or it has no pixel size in nm."""
        layer = self.image.value
        if layer is None:
            self._refuse("choose an image layer")
            return None
        if not is_calibrated(layer):
            self._refuse(f"{layer.name!r} has no pixel size in nm: tips are modelled in nm (set the layer's scale "
                         "and units, or open the instrument file)")
            return None
        return layer

    def _source_name(self) -> str:
        source = self.tip_source.value
        if source is not None:
            return f"tip layer {source.name!r}"
        return f"{self.shape.value} model, R {self.radius.value:g} nm" + (
            f", {self.half_angle.value:g}°" if "half_angle_deg" in TIP_SHAPES[self.shape.value][1] else "")

    def _pixel_size(self) -> tuple[float, float]:
        layer = self.image.value
        return (1.0, 1.0) if layer is None else (float(layer.scale[-2]), float(layer.scale[-1]))

    def current_tip(self) -> np.ndarray:
        """Return the tip on the selected image's grid: the model, or a chosen tip layer (resampled if needed)."""
        from napari_afm_profiler.tip import tip_for_pixel_size

        source = self.tip_source.value
        if source is not None:
            if source is self.image.value:
                raise ValueError(f"the tip layer {source.name!r} is the image itself: choose a tip layer (a model "
                                 "shown with 'Show tip', an estimate, or a tip file)")
            return tip_for_pixel_size(tip_from_layer(source), self._pixel_size()).heights
        layer = self.image.value
        height = None
        if layer is not None and self._size() is None:
            finite = np.asarray(layer.data)[np.isfinite(layer.data)]
            height = float(np.ptp(finite)) if finite.size else None
        half_angle = self.half_angle.value if "half_angle_deg" in TIP_SHAPES[self.shape.value][1] else None
        return make_tip(self.shape.value, pixel_size_nm=self._pixel_size(), radius_nm=self.radius.value,
                        half_angle_deg=half_angle, size=self._size(), height_nm=height if height else None).heights

    def _add_canvas(self) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(6.0, 2.8))
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumHeight(240)
        self.native.layout().addWidget(self.canvas)
        self._redraw()

    def _redraw(self, *_: Any) -> None:
        from napari_afm_profiler.tip.plots import tip_figure

        if not hasattr(self, "canvas"):
            return
        self.source_label.value = self._source_name()
        try:
            tip = self.current_tip()
        except ValueError as exc:
            self.status.value = str(exc)
            return
        tip_figure(tip, self._pixel_size(), title=f"{self._source_name()}: {tip.shape[0]}×{tip.shape[0]} px",
                   figure=self.figure)
        self.canvas.draw_idle()

    @reports_errors("Tip")
    def show_tip(self, *_: Any) -> Any:
        """Add the current tip as an image layer with the image's pixel size (save it to reuse it)."""
        if self._checked_image() is None:
            return None
        try:
            tip = self.current_tip()
        except ValueError as exc:
            self._refuse(str(exc))
            return None
        self._redraw()
        name = f"tip · {self.shape.value} R={self.radius.value:g} nm"
        units = tuple(self.image.value.units[-2:]) if self.image.value is not None else None
        return self.viewer.add_image(tip, name=name, scale=self._pixel_size(), units=units, colormap="viridis",
                                     metadata={"tip": {"shape": self.shape.value, "radius_nm": self.radius.value,
                                                       "half_angle_deg": self.half_angle.value}})

    # -- operations ---------------------------------------------------------------------
    def _start(self, worker: Any, on_done: Any, on_yield: Any = None) -> Any:
        self.worker = start_worker(worker, status=self.status, buttons=list(self.buttons.values()), cancel=self.cancel,
                                   on_done=on_done, on_yield=on_yield)
        return self.worker

    def _cancel(self, *_: Any) -> None:
        if self.worker is not None:
            self.worker.quit()
            self.status.value = "cancelled"

    @reports_errors("Tip")
    def apply(self, op: str) -> Any:
        """Run dilate / erode / certainty on the selected image in a worker; the result becomes a layer."""
        layer = self._checked_image()
        if layer is None:
            return None
        func, label = OPERATIONS[op]
        try:
            tip = self.current_tip()
        except ValueError as exc:
            self._refuse(str(exc))
            return None
        data = snapshot(layer.data, np.float64)

        @thread_worker(progress={"total": 0, "desc": f"tip {op}"}, ignore_errors=True)
        def work() -> np.ndarray:
            return func(data, tip)

        def done(result: np.ndarray) -> None:
            kwargs: dict[str, Any] = {"name": f"{layer.name} · {label}", "scale": tuple(layer.scale),
                                      "units": tuple(layer.units), "metadata": dict(layer.metadata, tip_operation=op)}
            if op == "certainty":
                kwargs.update(colormap="gray", contrast_limits=(0, 1), blending="additive", opacity=0.6)
            else:
                kwargs.update(colormap=layer.colormap.name, contrast_limits=layer.contrast_limits)
            self.viewer.add_image(result, **kwargs)
            self.status.value = f"{op}: done"

        return self._start(work(), done)

    @reports_errors("Tip")
    def estimate(self, *_: Any) -> Any:
        """Blind tip estimation from the selected image, with progress and cancel."""
        layer = self._checked_image()
        if layer is None:
            return None
        size = self._size() or 15
        data = snapshot(layer.data, np.float64)
        frame = data if data.ndim == 2 else data[int(self.viewer.dims.current_step[0])]
        threshold, full = self.threshold.value, self.full.value

        @thread_worker(progress={"total": 0, "desc": "blind tip estimation"}, ignore_errors=True)
        def work():
            steps = estimate_tip_steps(frame, size, threshold, full)
            return (yield from steps)

        def report(step: tuple[str, int, int]) -> None:
            self.status.value = f"{step[0]} sweep {step[1]}: {step[2]} pixels lowered"

        def done(tip: np.ndarray) -> None:
            self.viewer.add_image(tip, name=f"tip · blind estimate from {layer.name}", scale=tuple(layer.scale[-2:]),
                                  units=tuple(layer.units[-2:]), colormap="viridis",
                                  metadata={"tip": {"threshold_nm": threshold, "full": full}})
            self.status.value = f"estimated a {size}×{size} px tip"

        return self._start(work(), done, report)

    @reports_errors("Tip")
    def read_tip(self, *_: Any) -> Any:
        """Read the tip's model, apex radius and half-angle from the selected image (the tip estimator) into the model."""
        layer = self._checked_image()
        if layer is None:
            return None
        data = snapshot(layer.data, np.float64)
        frame = data if data.ndim == 2 else data[int(self.viewer.dims.current_step[0])]
        pixel_size = self._pixel_size()

        @thread_worker(progress={"total": 0, "desc": "reading the tip from the image"}, ignore_errors=True)
        def work():
            from napari_afm_profiler.deconv.tip_estimator import guess_tip

            return guess_tip(frame, pixel_size)

        def done(guess: Any) -> None:
            reason = guess.unreadable()
            if reason:  # the model fields keep what they held
                self.status.value = (f"could not read the tip from {layer.name}: {reason}. Give the tip as a model "
                                     "or a layer, or press Estimate for its blind bound")
                return
            self.tip_source.value = None
            self.shape.value = guess.shape
            self.radius.value = round(guess.radius_nm(), 2)
            if guess.shape in ("cone", "pyramid"):
                self.half_angle.value = round(guess.angle_deg(), 1)
            lo, hi = guess.radius_nm(-1.645), guess.radius_nm(1.645)
            self.status.value = (f"read from {layer.name}: {guess.shape} ({guess.shape_probabilities[guess.shape]:.0%} "
                                 f"probable), apex radius {guess.radius_nm():.2g} nm (90 % range {lo:.2g}-{hi:.2g} nm)"
                                 + (f", half-angle {guess.angle_deg():.0f}°" if guess.shape != "paraboloid" else ""))

        return self._start(work(), done)
