"""The "Deconvolve" dock widget: remove tip convolution from an image layer with the user's tip."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import CheckBox, ComboBox, Container, FileEdit, FloatSpinBox, PushButton
from napari.qt.threading import thread_worker

from napari_afm_profiler._napari.widgets._common import (
    is_calibrated,
    layer_choices,
    make_scrollable,
    refuse,
    removed_tilt_of,
    reports_errors,
    snapshot,
    text_line,
    tip_from_layer,
)
from napari_afm_profiler._napari.widgets._settings import remember_settings
from napari_afm_profiler._napari.widgets._workers import start_worker

if TYPE_CHECKING:
    import napari

DEFAULT = "default (shipped)"
OWN = "own model folder…"
NOMINAL = "the model's nominal tip"
TIP_MODEL = "tip model (parameters below)"
ESTIMATE = "read from the image (tip estimator)"
TIP_SHAPES = ("cone", "pyramid", "paraboloid", "sphere", "cylinder")


class DeconvolveWidget(Container):
    """Deconvolve the selected image (or stack) with a tip into new layers: surface, removed height, checks."""

    def __init__(self, napari_viewer: napari.Viewer) -> None:
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.worker: Any = None
        self.image = ComboBox(label="image", choices=self._image_choices)
        self.model = ComboBox(label="model", choices=[DEFAULT, OWN], value=DEFAULT)
        self.folder = FileEdit(label="model folder", mode="d", visible=False)
        self.tip = ComboBox(label="tip", choices=self._tip_choices)
        self.tip_shape = ComboBox(label="tip shape", choices=list(TIP_SHAPES), value="cone", visible=False)
        self.tip_radius = FloatSpinBox(label="apex radius (nm)", value=10.0, min=0.5, max=1000.0, step=0.5,
                                       visible=False)
        self.tip_half_angle = FloatSpinBox(label="half-angle (°)", value=20.0, min=1.0, max=80.0, step=0.5,
                                           visible=False)
        self.tip_used = text_line(label="tip used", value="")
        self.uncertainty = CheckBox(text="uncertainty map", value=True,
                                    tooltip="calibrated 90 % interval of the true height (older models: 4x slower)")
        self.mirror = CheckBox(text="average over mirror images", value=False,
                               tooltip="run the network on the image and its 3 mirror images and average: about 4x "
                                       "slower, a result closer to the true surface")
        self.dropouts = CheckBox(text="replace dropouts", value=True,
                                 tooltip="pixels lower than the tip can image (scan lines that dropped out or read too "
                                         "low) are replaced by their neighbours' mean first; left in, the erosion digs "
                                         "a trench the tip's shape at each")
        self.run_button = PushButton(text="Deconvolve")
        self.cancel = PushButton(text="Cancel", enabled=False)
        self.status = text_line(value="")
        self.extend([self.image, self.model, self.folder, self.tip, self.tip_shape, self.tip_radius,
                     self.tip_half_angle, self.tip_used, self.uncertainty, self.mirror, self.dropouts, self.run_button,
                     self.cancel, self.status])
        self.model.changed.connect(lambda value: setattr(self.folder, "visible", value == OWN))
        self.tip.changed.connect(self._show_tip_choice)
        for w in (self.tip_shape, self.tip_radius, self.tip_half_angle):
            w.changed.connect(self._show_tip_choice)
        self.run_button.changed.connect(self.run)
        self.cancel.changed.connect(self._cancel)
        for event in (self.viewer.layers.events.inserted, self.viewer.layers.events.removed):
            event.connect(lambda *_: (self.image.reset_choices(), self.tip.reset_choices()))
        self._show_tip_choice()
        remember_settings(self, "deconvolve")
        make_scrollable(self)  # every dock scrolls: nothing off a small screen

    def _image_choices(self, *_: Any) -> list[Any]:
        return layer_choices(self.viewer, "image", (2, 3))

    def _tip_choices(self, *_: Any) -> list[Any]:
        # tip layers: the Tip dock's estimates and any 2-D image layer the user loaded as a tip
        layers = [(f"layer: {name}", layer) for name, layer in layer_choices(self.viewer, "image", (2,))]
        return [(NOMINAL, NOMINAL), (TIP_MODEL, TIP_MODEL), (ESTIMATE, ESTIMATE), *layers]

    def _show_tip_choice(self, *_: Any) -> None:
        modelled = self.tip.value == TIP_MODEL
        for w in (self.tip_shape, self.tip_radius):
            w.visible = modelled
        self.tip_half_angle.visible = modelled and self.tip_shape.value in ("cone", "pyramid")
        self.tip_used.value = self.describe_tip_choice()

    def describe_tip_choice(self) -> str:
        """Say which tip the next run uses."""
        choice = self.tip.value
        if choice == NOMINAL:
            return "the model's nominal tip (no tip given)"
        if choice == ESTIMATE:
            return "read from the image by the tip estimator (model, apex radius, half-angle)"
        if choice == TIP_MODEL:
            angle = f", {self.tip_half_angle.value:g}°" if self.tip_shape.value in ("cone", "pyramid") else ""
            return f"{self.tip_shape.value}, R {self.tip_radius.value:g} nm{angle}"
        return f"tip layer {choice.name!r}" if choice is not None else ""

    def _model(self) -> str | Path:
        return "default" if self.model.value == DEFAULT else Path(self.folder.value)

    def _tip_argument(self, layer: Any) -> tuple[Any, Any]:
        """Return ``(tip, tip_pixel_size_nm)`` for the core from the dock's tip choice."""
        choice = self.tip.value
        if choice == NOMINAL:
            return None, None
        if choice == ESTIMATE:
            return "estimate", None
        if choice == TIP_MODEL:
            angle = self.tip_half_angle.value if self.tip_shape.value in ("cone", "pyramid") else None
            return {"shape": self.tip_shape.value, "radius_nm": self.tip_radius.value, "half_angle_deg": angle}, None
        if choice is layer:
            raise ValueError("the tip layer is the image itself: choose a tip layer (e.g. the Tip dock's estimate)")
        tip_from_layer(choice)  # refuses a layer that is not a tip, naming it
        return snapshot(choice.data, np.float64), (float(choice.scale[-2]), float(choice.scale[-1]))

    def _cancel(self, *_: Any) -> None:
        if self.worker is not None:
            self.worker.quit()
            self.status.value = "cancelled"

    def _refuse(self, message: str) -> None:
        refuse(self.status, "Deconvolve", message)

    @reports_errors("Deconvolve")
    def run(self, *_: Any) -> Any:
        """Deconvolve in a worker with progress and cancel; adds the result and its checks as layers."""
        from napari_afm_profiler.deconv.infer import deconvolve_steps, load_model

        layer = self.image.value
        if layer is None:
            self._refuse("choose an image layer")
            return None
        if not is_calibrated(layer):
            self._refuse(f"{layer.name!r} has no pixel size in nm: deconvolution needs it (set the layer's scale "
                         "and units, or open the instrument file)")
            return None
        try:
            model = load_model(self._model())
            tip, tip_pixel = self._tip_argument(layer)
        except ValueError as exc:
            self._refuse(str(exc))
            return None
        data = snapshot(layer.data, np.float64)
        pixel = (float(layer.scale[-2]), float(layer.scale[-1]))
        uncertainty, mirror = self.uncertainty.value, self.mirror.value
        dropouts = "replace" if self.dropouts.value else "keep"
        tilt = removed_tilt_of(layer)  # recorded by the Level dock: the tip met the sample tilted

        @thread_worker(progress={"total": 0, "desc": "deconvolution"}, ignore_errors=True)
        def work():
            steps = deconvolve_steps(data, pixel_size_nm=pixel, tip=tip, tip_pixel_size_nm=tip_pixel, model=model,
                                     uncertainty=uncertainty, removed_tilt=tilt, mirror_average=mirror,
                                     dropouts=dropouts)
            return (yield from steps)

        def report(step: tuple[str, int, int]) -> None:
            self.status.value = f"{step[0]} {step[1]} / {step[2]}"

        def done(result: Any) -> None:
            self._add_layers(layer, data, model, result)

        self.worker = start_worker(work(), status=self.status, buttons=[self.run_button], cancel=self.cancel,
                                   on_done=done, on_yield=report)
        return self.worker

    def _add_layers(self, layer: Any, data: np.ndarray, model: Any, result: Any) -> None:
        from napari.utils.notifications import show_info, show_warning

        common = {"scale": tuple(layer.scale), "translate": tuple(layer.translate), "units": tuple(layer.units)}
        summary = {k: v for k, v in result.summary.items() if k != "tip_heights"}
        meta = dict(layer.metadata, deconvolution={"model": str(model.path), "notes": list(result.notes), **summary})
        deconvolved = self.viewer.add_image(result.surface, name=f"{layer.name} · deconvolved",
                                            colormap=layer.colormap.name, contrast_limits=layer.contrast_limits,
                                            metadata=meta, **common)
        self.viewer.add_image(data - result.surface, name=f"{layer.name} · removed by deconvolution",
                              colormap="magma", visible=False, **common)
        if result.uncertainty is not None:
            name = "90 % interval half-width" if result.lower is not None else "deconvolution uncertainty"
            self.viewer.add_image(result.uncertainty, name=f"{layer.name} · {name}", colormap="viridis",
                                  visible=False, metadata={"deconvolution": summary}, **common)
            if result.lower is not None:  # the interval is asymmetric about the result: its bounds themselves
                for bound, values in (("lower", result.lower), ("upper", result.upper)):
                    self.viewer.add_image(values, name=f"{layer.name} · 90 % interval, {bound} bound",
                                          colormap=layer.colormap.name, contrast_limits=layer.contrast_limits,
                                          visible=False, metadata={"deconvolution": summary}, **common)
        if result.consistency is not None:
            self.viewer.add_image(result.consistency, name=f"{layer.name} · consistency (image − tip ⊕ result)",
                                  colormap="inferno", visible=False, metadata={"deconvolution": summary}, **common)
        if result.dropouts is not None:
            self.viewer.add_labels(result.dropouts.astype(np.uint8), name=f"{layer.name} · dropouts replaced",
                                   opacity=0.6, visible=False, metadata={"deconvolution": summary}, **common)
        self.viewer.layers.selection.active = deconvolved  # its controls, not the hidden checks'
        self.tip_used.value = summary["tip"]
        words = _in_words(summary)
        self.status.value = words
        (show_warning if summary["flagged"] else show_info)(f"Deconvolve: {words}")


def _in_words(summary: dict[str, Any]) -> str:
    replaced = summary.get("dropout_pixels", 0)
    words = _check_in_words(summary)
    if replaced:
        words += (f" {replaced} pixels lower than the tip can image (dropped scan lines) were replaced by their "
                  "neighbours first (the 'dropouts replaced' layer).")
    from napari_afm_profiler.deconv.infer import LINE_NOISE_NOTE_RATIO

    widening, ratio = summary.get("line_noise_widening_nm", 0.0), summary.get("line_noise_ratio", 1.0)
    if widening and (ratio is None or ratio >= LINE_NOISE_NOTE_RATIO):  # None: infinite (no noise along lines)
        reading = (f"the noise is {ratio:.2g} times higher across them than along them" if ratio is not None
                   and np.isfinite(ratio) else "noise across them, none along them")
        words += (f" The scan lines wander on their own ({reading}): the 90 % interval was widened by "
                  f"{widening:.2g} nm for it.")
    steep = summary.get("steps_steeper_than_tip_nm", 0.0)
    if steep:
        words += (f" The image has steps steeper than the tip read from it allows: the result may lie up to "
                  f"{steep:.3g} nm below their tops; give a measured or modelled tip if you can.")
    return words


def _check_in_words(summary: dict[str, Any]) -> str:
    share = summary["share_above_3_noise"]
    # pixels coarser than the model's calibrated range: the result is the erosion, not the network's
    how = ("pixels this coarse get the erosion by the tip, not the network (it gains nothing there); "
           if summary.get("method") == "erosion" else "")
    if summary["flagged"]:
        from napari_afm_profiler.deconv.infer import tip_is_the_cause

        failed = (f"{how}done, but check the result: in {share:.0%} of the image the deconvolved surface does not "
                  "reproduce the image when imaged by the tip (see the consistency layer).")
        if tip_is_the_cause(summary):
            return (f"{failed} The erosion by the tip does not reproduce {summary['tip_unexplained_share']:.0%} of "
                    "it either, so it is not the network: the tip may be too blunt for this image, or the image has "
                    "artifacts sharper than its noise (correct scan lines first).")
        return (f"{failed} The erosion by the tip does reproduce it there: the image may have features the network "
                "has not seen, or the tip is wrong; trust the erosion there.")
    return (f"{how}done: the result, imaged by the tip, reproduces the image within the noise in {1 - share:.0%} of "
            "pixels")
