"""The "Deconvolve" dock widget: remove tip convolution from an image layer with the default or an own model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import CheckBox, ComboBox, Container, FileEdit, Label, PushButton
from napari.qt.threading import thread_worker

from napari_afm_profiler._napari.widgets._common import layer_choices, snapshot
from napari_afm_profiler._napari.widgets._workers import start_worker

if TYPE_CHECKING:
    import napari

DEFAULT = "default (shipped)"
OWN = "own model folder…"


class DeconvolveWidget(Container):
    """Deconvolve the selected image (or stack) into new layers: surface, removed height, uncertainty."""

    def __init__(self, napari_viewer: napari.Viewer) -> None:
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.worker: Any = None
        self.image = ComboBox(label="image", choices=self._image_choices)
        self.model = ComboBox(label="model", choices=[DEFAULT, OWN], value=DEFAULT)
        self.folder = FileEdit(label="model folder", mode="d", visible=False)
        self.uncertainty = CheckBox(text="uncertainty map (4x slower)", value=True)
        self.run_button = PushButton(text="Deconvolve")
        self.cancel = PushButton(text="Cancel", enabled=False)
        self.status = Label(value="")
        self.extend([self.image, self.model, self.folder, self.uncertainty, self.run_button, self.cancel, self.status])
        self.model.changed.connect(lambda value: setattr(self.folder, "visible", value == OWN))
        self.run_button.changed.connect(self.run)
        self.cancel.changed.connect(self._cancel)
        for event in (self.viewer.layers.events.inserted, self.viewer.layers.events.removed):
            event.connect(lambda *_: self.image.reset_choices())

    def _image_choices(self, *_: Any) -> list[Any]:
        return layer_choices(self.viewer, "image", (2, 3))
    def _model(self) -> str | Path:
        return "default" if self.model.value == DEFAULT else Path(self.folder.value)

    def _cancel(self, *_: Any) -> None:
        if self.worker is not None:
            self.worker.quit()
            self.status.value = "cancelled"

    def run(self, *_: Any) -> Any:
        """Deconvolve in a worker with progress and cancel; adds three layers with the image's scale."""
        from napari_afm_profiler.deconv.infer import deconvolve_steps, load_model

        layer = self.image.value
        if layer is None:
            self.status.value = "choose an image layer"
            return None
        try:
            model = load_model(self._model())
        except ValueError as exc:
            self.status.value = f"error: {exc}"
            return None
        data = snapshot(layer.data, np.float64)
        pixel = (float(layer.scale[-2]), float(layer.scale[-1]))
        calibrated = any(u != "pixel" for u in map(str, layer.units[-2:]))
        uncertainty = self.uncertainty.value

        @thread_worker(progress={"total": 0, "desc": "deconvolution"}, ignore_errors=True)
        def work():
            steps = deconvolve_steps(data, pixel_size_nm=pixel if calibrated else None, model=model,
                                     uncertainty=uncertainty)
            return (yield from steps)

        def report(step: tuple[str, int, int]) -> None:
            self.status.value = f"{step[0]} {step[1]} / {step[2]}"

        def done(result: Any) -> None:
            common = {"scale": tuple(layer.scale), "translate": tuple(layer.translate), "units": tuple(layer.units)}
            meta = dict(layer.metadata, deconvolution={"model": str(model.path), "notes": list(result.notes)})
            self.viewer.add_image(result.surface, name=f"{layer.name} · deconvolved", colormap=layer.colormap.name,
                                  contrast_limits=layer.contrast_limits, metadata=meta, **common)
            self.viewer.add_image(data - result.surface, name=f"{layer.name} · removed by deconvolution",
                                  colormap="magma", visible=False, **common)
            if result.uncertainty is not None:
                self.viewer.add_image(result.uncertainty, name=f"{layer.name} · deconvolution uncertainty",
                                      colormap="viridis", visible=False, **common)
            self.status.value = "done" + (": " + "; ".join(result.notes) if result.notes else "")

        self.worker = start_worker(work(), status=self.status, buttons=[self.run_button], cancel=self.cancel,
                                   on_done=done, on_yield=report)
        return self.worker
