"""The "Train" dock widget: train a deconvolution model with a live loss plot, cancel and resume."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from magicgui.widgets import CheckBox, ComboBox, Container, FileEdit, FloatSpinBox, PushButton, Select, SpinBox
from napari.qt.threading import thread_worker

from napari_afm_profiler._napari.widgets._common import (
    add_plot_canvas,
    check_pair,
    layer_choices,
    make_scrollable,
    refuse,
    reports_errors,
    text_line,
)
from napari_afm_profiler._napari.widgets._settings import remember_settings
from napari_afm_profiler._napari.widgets._workers import start_worker
from napari_afm_profiler.deconv.names import TRAINING_KINDS

if TYPE_CHECKING:
    import napari

SOURCES = ("virtual pairs (made on the fly)", "paired dataset (.npz)", "paired layers (image + ground truth)")


class TrainWidget(Container):
    """Train on virtual pairs, an exported dataset or two layers; the model folder feeds the Deconvolve dock."""

    def __init__(self, napari_viewer: napari.Viewer) -> None:
        super().__init__(labels=True, scrollable=True)
        self.viewer = napari_viewer
        self.worker: Any = None
        self.source = ComboBox(label="train on", choices=list(SOURCES), value=SOURCES[0])
        self.kinds = Select(label="virtual kinds", choices=list(TRAINING_KINDS), value=list(TRAINING_KINDS))
        self.n_train = SpinBox(label="training pairs", value=4000, min=2, max=10**6)
        self.dataset = FileEdit(label="dataset", mode="r", filter="*.npz", visible=False)
        self.image = ComboBox(label="AFM image", choices=self._image_choices, visible=False)
        self.truth = ComboBox(label="ground truth", choices=self._image_choices, visible=False)
        self.crop = SpinBox(label="crop (px)", value=128, min=32, max=2048, visible=False)
        self.epochs = SpinBox(label="epochs", value=30, min=1, max=10000)
        self.batch = SpinBox(label="batch size", value=16, min=1, max=512)
        self.rate = FloatSpinBox(label="learning rate", value=2e-3, min=1e-6, max=1.0, step=1e-4)
        self.seed = SpinBox(label="seed", value=0, min=0, max=2**31 - 1)
        self.output = FileEdit(label="model folder", mode="d", value=Path.home() / "afm_deconvolution_model")
        self.resume = CheckBox(text="resume from the folder's checkpoint", value=False)
        self.train_button = PushButton(text="Train")
        self.cancel = PushButton(text="Cancel", enabled=False)
        self.status = text_line(value="")
        self.extend([self.source, self.kinds, self.n_train, self.dataset, self.image, self.truth, self.crop, self.epochs,
                     self.batch, self.rate, self.seed, self.output, self.resume, self.train_button, self.cancel,
                     self.status])
        self._add_plot()
        self.source.changed.connect(self._show_source)
        self.train_button.changed.connect(self.start)
        self.cancel.changed.connect(self._cancel)
        self.history: list[tuple[int, float, float]] = []
        for event in (self.viewer.layers.events.inserted, self.viewer.layers.events.removed):
            event.connect(lambda *_: (self.image.reset_choices(), self.truth.reset_choices()))
        remember_settings(self, "train")
        make_scrollable(self)  # every dock scrolls: nothing off a small screen

    def _image_choices(self, *_: Any) -> list[Any]:
        return layer_choices(self.viewer, "image")
    def _show_source(self, value: str) -> None:
        virtual, dataset, layers = (value == s for s in SOURCES)
        self.kinds.visible = self.n_train.visible = virtual
        self.dataset.visible = dataset
        self.image.visible = self.truth.visible = self.crop.visible = layers

    def _add_plot(self) -> None:
        self.figure, self.canvas = add_plot_canvas(self, (5.0, 2.6), 200)
    def _plot(self) -> None:
        self.figure.clear()
        ax = self.figure.add_subplot(1, 1, 1)
        if self.history:
            epochs, train, val = zip(*self.history)
            ax.plot([e + 1 for e in epochs], train, "o-", label="training L1")
            ax.plot([e + 1 for e in epochs], val, "s-", label="validation MAE")
            ax.legend()
        ax.set_xlabel("epoch")
        ax.set_ylabel("error (nm)")
        self.figure.tight_layout()
        self.canvas.draw_idle()

    def _layers_dataset(self) -> str:
        from napari_afm_profiler.synth import save_dataset
        from napari_afm_profiler.synth.pairs import align_truth, pairs_dataset, tile_origins

        image, truth = self.image.value, self.truth.value
        check_pair(image, truth)
        pixel = (float(image.scale[-2]), float(image.scale[-1]))
        aligned = align_truth(image.data, truth.data, image_pixel_nm=pixel,
                              truth_pixel_nm=(float(truth.scale[-2]), float(truth.scale[-1])))
        origins = tile_origins(aligned.truth.shape, self.crop.value, self.crop.value // 2)
        ny, nx = aligned.truth.shape
        data = pairs_dataset(image.data[:ny, :nx], aligned.truth, origins, self.crop.value, pixel_size_nm=pixel[1])
        return str(save_dataset(Path(tempfile.mkdtemp(prefix="afm_pairs_")) / "pairs.npz", data))

    def config(self) -> Any:
        """Return the training configuration the controls describe."""
        from dataclasses import replace

        from napari_afm_profiler.deconv.training import TrainConfig

        base = TrainConfig()
        dataset = None
        if self.source.value == SOURCES[1]:
            dataset = str(self.dataset.value)
            if not Path(dataset).is_file() or Path(dataset).suffix.lower() != ".npz":
                raise ValueError(f"{dataset!r} is not a .npz dataset file: choose the .npz that the Virtual data "
                                 "or Training pairs dock exported")
        elif self.source.value == SOURCES[2]:
            dataset = self._layers_dataset()
        kinds = tuple(self.kinds.value) or base.kinds
        return replace(base, kinds=kinds, dataset=dataset, n_train=self.n_train.value, n_val=max(1, self.n_train.value // 10),
                       epochs=self.epochs.value, batch_size=self.batch.value, learning_rate=self.rate.value,
                       seed=self.seed.value, augment=dataset is None, small_fraction=base.small_fraction)

    def _cancel(self, *_: Any) -> None:
        if self.worker is not None:
            self.worker.quit()
            self.status.value = "cancelled (the best epoch so far is saved; tick resume to continue)"

    @reports_errors("Train")
    def start(self, *_: Any) -> Any:
        """Train in a worker: live loss plot per epoch, progress per batch, cancel between batches."""
        from napari_afm_profiler.deconv.training import train_steps

        try:
            config = self.config()
        except ValueError as exc:
            refuse(self.status, "Train", str(exc))
            return None
        out = Path(self.output.value)
        checkpoint = out / "checkpoint.pt"
        resume = checkpoint if self.resume.value and checkpoint.exists() else None
        self.history = []

        @thread_worker(progress={"total": 0, "desc": "training"}, ignore_errors=True)
        def work():
            return (yield from train_steps(config, out, resume=resume, command="napari Train dock"))

        def report(p: dict[str, Any]) -> None:
            if p["stage"] == "step":
                self.status.value = f"epoch {p['epoch'] + 1}: batch {p['step']}/{p['steps']}, L1 {p['loss']:.3f} nm"
            elif p["stage"] == "epoch":
                self.history.append((p["epoch"], p["train_loss"], p["val_loss"]))
                self._plot()
            else:
                self.status.value = p.get("message", "")

        def done(card: dict[str, Any]) -> None:
            if card:
                self.status.value = f"saved {out.name}: validation MAE {card['validation']['mae_nm']:.3f} nm"

        self.worker = start_worker(work(), status=self.status, buttons=[self.train_button], cancel=self.cancel,
                                   on_done=done, on_yield=report)
        return self.worker
