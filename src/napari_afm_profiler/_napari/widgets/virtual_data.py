"""The "Virtual data" dock widget: configure the generator, preview pairs as layers, export a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import ComboBox, Container, FileEdit, FloatSpinBox, PushButton, Select, SpinBox
from napari.qt.threading import thread_worker

from napari_afm_profiler._napari.widgets._common import make_scrollable, refuse, reports_errors, text_line
from napari_afm_profiler._napari.widgets._settings import remember_settings
from napari_afm_profiler._napari.widgets._workers import start_worker
from napari_afm_profiler.synth import (
    KINDS,
    OBJECT_KINDS,
    ArtifactSpec,
    ObjectSpec,
    SynthConfig,
    TipSpec,
    generate_dataset,
    save_dataset,
)
from napari_afm_profiler.tip import TIP_SHAPES

if TYPE_CHECKING:
    import napari

MODEL = "model (parameters above)"


def _float(label: str, value: float, lo: float = 0.0, hi: float = 1e4, step: float = 0.5) -> FloatSpinBox:
    return FloatSpinBox(label=label, value=value, min=lo, max=hi, step=step)


class VirtualDataWidget(Container):
    """Virtual surfaces, their simulated AFM images and ground truth: preview and export."""

    def __init__(self, napari_viewer: napari.Viewer) -> None:
        super().__init__(labels=True, scrollable=True)
        self.viewer = napari_viewer
        self.worker: Any = None
        self.kind = ComboBox(label="kind", choices=list(KINDS), value="dome")
        self.mixed_kinds = Select(label="classes in mixed scenes", choices=list(OBJECT_KINDS), value=list(OBJECT_KINDS))
        self.size = SpinBox(label="image size (px)", value=128, min=16, max=4096, step=16)
        self.pixel = _float("pixel size (nm)", 1.0, 0.01, 1e3, 0.1)
        self.obj_min, self.obj_max = _float("object size min (nm)", 16.0), _float("object size max (nm)", 20.0)
        self.h_min, self.h_max = _float("object height min (nm)", 16.0), _float("object height max (nm)", 20.0)
        self.count_min = SpinBox(label="objects min", value=3, min=0, max=500)
        self.count_max = SpinBox(label="objects max", value=6, min=0, max=500)
        self.overlap = _float("max overlap (fraction)", 0.0, 0.0, 1.0, 0.05)
        self.rms, self.hurst = _float("fractal RMS (nm)", 5.0, 0.01), _float("fractal Hurst", 0.5, 0.01, 0.99, 0.05)
        self.tip_shape = ComboBox(label="tip shape", choices=list(TIP_SHAPES), value="cone")
        self.tip_radius = _float("tip radius (nm)", 10.0)
        self.tip_angle = _float("tip half-angle (°)", 20.0, 0.5, 89.5)
        self.tip_variation = _float("tip variation (fraction)", 0.0, 0.0, 0.9, 0.05)
        self.tip_layer = ComboBox(label="tip", choices=self._tip_choices)
        self.artifacts = ComboBox(label="artifacts", choices=["none", "paper"], value="none")
        self.noise = _float("noise SD (nm)", 0.0, 0.0, 100.0, 0.05)
        self.tilt = _float("tilt up to (°)", 0.0, 0.0, 45.0, 0.5)
        self.seed = SpinBox(label="seed", value=0, min=0, max=2**31 - 1)
        self.preview_n = SpinBox(label="pairs to preview", value=3, min=1, max=50)
        self.preview = PushButton(text="Preview")
        self.n = SpinBox(label="pairs to export", value=1000, min=1, max=10**7)
        self.path = FileEdit(label="dataset", mode="w", filter="*.npz", value=Path.home() / "virtual_pairs.npz")
        self.export = PushButton(text="Export dataset")
        self.cancel = PushButton(text="Cancel", enabled=False)
        self.status = text_line(value="")
        self.extend([
            self.kind, self.mixed_kinds, self.size, self.pixel, self.obj_min, self.obj_max, self.h_min, self.h_max,
            self.count_min, self.count_max, self.overlap, self.rms, self.hurst, self.tip_layer, self.tip_shape,
            self.tip_radius, self.tip_angle, self.tip_variation, self.artifacts, self.noise, self.tilt, self.seed,
            self.preview_n, self.preview, self.n, self.path, self.export, self.cancel, self.status,
        ])
        self.preview.changed.connect(self.show_preview)
        self.export.changed.connect(self.export_dataset)
        self.cancel.changed.connect(self._cancel)
        self.viewer.layers.events.inserted.connect(lambda *_: self.tip_layer.reset_choices())
        self.viewer.layers.events.removed.connect(lambda *_: self.tip_layer.reset_choices())
        remember_settings(self, "virtual-data")
        make_scrollable(self)  # taller than a 1280 x 800 screen otherwise

    def _tip_choices(self, *_: Any) -> list[Any]:
        import napari

        return [(MODEL, None), *[(ly.name, ly) for ly in self.viewer.layers if isinstance(ly, napari.layers.Image)
                                 and ly.ndim == 2 and ly.data.shape[0] == ly.data.shape[1] and ly.data.shape[0] % 2]]

    def config(self) -> SynthConfig:
        """Return the generator configuration the controls describe (checked)."""
        base = ArtifactSpec.paper() if self.artifacts.value == "paper" else ArtifactSpec()
        artifacts = ArtifactSpec(**{**base.to_dict(), "noise_nm": self.noise.value or base.noise_nm,
                                    "tilt_deg": self.tilt.value})
        config = SynthConfig(
            kind=self.kind.value, shape=(self.size.value, self.size.value), pixel_size_nm=self.pixel.value,
            objects=ObjectSpec(size_nm=(self.obj_min.value, self.obj_max.value),
                               height_nm=(self.h_min.value, self.h_max.value),
                               count=(self.count_min.value, self.count_max.value), max_overlap=self.overlap.value),
            mixed_kinds=tuple(self.mixed_kinds.value), fractal_rms_nm=self.rms.value, fractal_hurst=self.hurst.value,
            tip=TipSpec(shape=self.tip_shape.value, radius_nm=self.tip_radius.value,
                        half_angle_deg=self.tip_angle.value, variation=self.tip_variation.value),
            artifacts=artifacts)
        config.check()
        return config

    def _tip_array(self) -> np.ndarray | None:
        layer = self.tip_layer.value
        if layer is None:
            return None
        from napari_afm_profiler.tip import tip_for_pixel_size, tip_from_array

        tip = tip_from_array(layer.data, pixel_size_nm=(float(layer.scale[-2]), float(layer.scale[-1])))
        return tip_for_pixel_size(tip, self.pixel.value).heights

    def _run(self, n: int, on_done: Any) -> Any:
        try:
            config, tip = self.config(), self._tip_array()
        except ValueError as exc:
            refuse(self.status, "Virtual data", str(exc))
            return None
        seed = self.seed.value

        @thread_worker(progress={"total": n, "desc": "virtual pairs"}, ignore_errors=True)
        def work():
            steps = generate_dataset(config, n, seed, tip=tip)
            return (yield from steps)

        self.worker = start_worker(work(), status=self.status, buttons=[self.export, self.preview], cancel=self.cancel,
                                   on_done=on_done,
                                   on_yield=lambda step: setattr(self.status, "value", f"{step[1]} / {step[2]} pairs"))
        return self.worker

    def _cancel(self, *_: Any) -> None:
        if self.worker is not None:
            self.worker.quit()
            self.status.value = "cancelled"

    @reports_errors("Virtual data")
    def show_preview(self, *_: Any) -> Any:
        """Make a few pairs and show surface | image | mask side by side, with the same scale."""
        def done(data: dict[str, Any]) -> None:
            px = data["pixel_size_nm"]
            width = data["surface"].shape[-1] * px * 1.05
            scale = (1.0, px, px)
            layers = [("virtual · true surface", data["surface"], 0.0), ("virtual · AFM image", data["image"], width)]
            for name, stack, dx in layers:
                if name in self.viewer.layers:
                    self.viewer.layers.remove(name)
                self.viewer.add_image(stack, name=name, scale=scale, translate=(0, 0, dx), colormap="afmhot",
                                      units=("pixel", "nm", "nm"), contrast_limits=(float(data["surface"].min()),
                                                                                     float(data["image"].max())))
            if "virtual · mask" in self.viewer.layers:
                self.viewer.layers.remove("virtual · mask")
            self.viewer.add_labels(data["mask"], name="virtual · mask", scale=scale, opacity=0.4,
                                   units=("pixel", "nm", "nm"))
            self.viewer.reset_view()
            self.status.value = f"{len(data['image'])} pairs: {len(data['objects_kind'])} objects"

        return self._run(self.preview_n.value, done)

    @reports_errors("Virtual data")
    def export_dataset(self, *_: Any) -> Any:
        """Make the dataset in a worker (progress, cancel) and write it atomically."""
        path = Path(self.path.value)

        def done(data: dict[str, Any]) -> None:
            out = save_dataset(path, data)
            self.status.value = f"wrote {out.name}: {len(data['image'])} pairs"

        return self._run(self.n.value, done)
