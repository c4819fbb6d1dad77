"""The "Training pairs" dock widget: pair an image layer with its ground truth, tile, review, export, reload."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import CheckBox, ComboBox, Container, FileEdit, PushButton, SpinBox

from napari_afm_profiler._napari.widgets._common import check_pair, layer_choices, make_scrollable, reports_errors, text_line
from napari_afm_profiler._napari.widgets._settings import remember_settings
from napari_afm_profiler.synth import load_dataset, save_dataset
from napari_afm_profiler.synth.pairs import align_truth, pairs_dataset, register_truth, tile_origins

if TYPE_CHECKING:
    import napari

NO_MASK = "none"
DOCK = "Training pairs"


class TrainingPairsWidget(Container):
    """Build a paired dataset from two layers of the same scene, pair by pair."""

    def __init__(self, napari_viewer: napari.Viewer) -> None:
        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.image = ComboBox(label="AFM image", choices=self._image_choices)
        self.truth = ComboBox(label="ground truth", choices=self._image_choices)
        self.mask = ComboBox(label="object mask", choices=self._labels_choices)
        self.check = PushButton(text="Check alignment")
        self.register = PushButton(text="Register truth onto image")
        self.crop = SpinBox(label="crop (px)", value=128, min=8, max=4096)
        self.stride = SpinBox(label="stride (px)", value=128, min=1, max=4096)
        self.tile = PushButton(text="Tile into pairs")
        self.index = SpinBox(label="pair", value=0, min=0, max=0)
        self.keep = CheckBox(text="keep this pair", value=True)
        self.path = FileEdit(label="dataset", mode="w", filter="*.npz", value=Path.home() / "training_pairs.npz")
        self.export = PushButton(text="Export kept pairs")
        self.load_path = FileEdit(label="review dataset", mode="r", filter="*.npz")
        self.load = PushButton(text="Load dataset as layers")
        self.status = text_line(value="")
        self.extend([self.image, self.truth, self.mask, self.check, self.register, self.crop, self.stride, self.tile,
                     self.index, self.keep, self.path, self.export, self.load_path, self.load, self.status])
        self.origins: list[tuple[int, int]] = []
        self.kept: list[bool] = []
        self._aligned: Any = None
        self.check.changed.connect(self.check_alignment)
        self.register.changed.connect(self.register_truth)
        self.tile.changed.connect(self.make_tiles)
        self.index.changed.connect(self._show_pair)
        self.keep.changed.connect(self._mark)
        self.export.changed.connect(self.export_pairs)
        self.load.changed.connect(self.load_pairs)
        for event in (self.viewer.layers.events.inserted, self.viewer.layers.events.removed):
            event.connect(self._refresh)
        remember_settings(self, "training-pairs", exclude=(self.index, self.keep))  # which pair: state, not a setting
        make_scrollable(self)  # every dock scrolls: nothing off a small screen

    def _image_choices(self, *_: Any) -> list[Any]:
        return [(name, ly) for name, ly in layer_choices(self.viewer, "image") if not name.startswith("pair ·")]

    def _labels_choices(self, *_: Any) -> list[Any]:
        return [(NO_MASK, None), *layer_choices(self.viewer, "labels")]

    def _refresh(self, *_: Any) -> None:
        for combo in (self.image, self.truth, self.mask):
            combo.reset_choices()

    @staticmethod
    def _pixel(layer: Any) -> tuple[float, float]:
        return float(layer.scale[-2]), float(layer.scale[-1])

    @reports_errors(DOCK)
    def check_alignment(self, *_: Any) -> Any:
        """Put the truth (and mask) on the image's grid; report resampling and cropping."""
        return self._align()

    def _align(self) -> Any:
        image, truth, mask = self.image.value, self.truth.value, self.mask.value
        check_pair(image, truth)
        if mask is not None and mask.data.shape != truth.data.shape:
            raise ValueError(f"the object mask {mask.name!r} {mask.data.shape} does not have the shape of the "
                             f"ground truth {truth.name!r} {truth.data.shape}")
        self._aligned = align_truth(image.data, truth.data, image_pixel_nm=self._pixel(image),
                                    truth_pixel_nm=self._pixel(truth), mask=None if mask is None else mask.data)
        self.status.value = "; ".join(self._aligned.notes) or "aligned: same pixel size and shape"
        return self._aligned

    @reports_errors(DOCK)
    def register_truth(self, *_: Any) -> Any:
        """Shift the truth onto the image by cross-correlation; adds the registered truth as a layer."""
        aligned = self._align()
        image = np.asarray(self.image.value.data, float)[:aligned.truth.shape[0], :aligned.truth.shape[1]]
        shifted, shift = register_truth(image, aligned.truth)
        name = f"{self.truth.value.name} · registered"
        layer = self.viewer.add_image(shifted, name=name, scale=self._pixel(self.image.value),
                                      units=tuple(self.image.value.units[-2:]), colormap="afmhot")
        self.truth.reset_choices()
        self.truth.value = layer
        self.status.value = f"registered: shifted by {shift[0]:+.2f}, {shift[1]:+.2f} px"
        return layer

    @reports_errors(DOCK)
    def make_tiles(self, *_: Any) -> list[tuple[int, int]]:
        """Cut both layers into crops; every pair starts as kept."""
        return self._tile()

    def _tile(self) -> list[tuple[int, int]]:
        aligned = self._align()
        self.origins = tile_origins(aligned.truth.shape, self.crop.value, self.stride.value)
        self.kept = [True] * len(self.origins)
        self.index.max = len(self.origins) - 1
        self.index.value = 0
        self._show_pair()
        return self.origins

    def _crops(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        y, x = self.origins[i]
        c = self.crop.value
        image = np.asarray(self.image.value.data, float)
        return image[y:y + c, x:x + c], self._aligned.truth[y:y + c, x:x + c]

    def _show_pair(self, *_: Any) -> None:
        if not self.origins:
            return
        i = self.index.value
        image, truth = self._crops(i)
        px = self._pixel(self.image.value)
        gap = image.shape[1] * px[1] * 1.05
        for name, data, dx in (("pair · image", image, 0.0), ("pair · truth", truth, gap)):
            if name in self.viewer.layers:
                self.viewer.layers[name].data = data
            else:
                self.viewer.add_image(data, name=name, scale=px, translate=(0, dx), units=tuple(self.image.value.units[-2:]),
                                      colormap="afmhot")
        self.keep.value = self.kept[i]
        self.status.value = f"pair {i + 1} of {len(self.origins)}; {sum(self.kept)} kept"

    def _mark(self, value: bool) -> None:
        if self.origins:
            self.kept[self.index.value] = bool(value)
            self.status.value = f"pair {self.index.value + 1} of {len(self.origins)}; {sum(self.kept)} kept"

    @reports_errors(DOCK)
    def export_pairs(self, *_: Any) -> Path:
        """Write the kept pairs as a ``.npz`` dataset."""
        if not self.origins:
            self._tile()
        image = self.image.value
        data = pairs_dataset(np.asarray(image.data, float)[:self._aligned.truth.shape[0], :self._aligned.truth.shape[1]],
                             self._aligned.truth, self.origins, self.crop.value, pixel_size_nm=self._pixel(image)[1],
                             keep=self.kept, mask=self._aligned.mask,
                             source={"image": image.name, "truth": self.truth.value.name,
                                     "notes": list(self._aligned.notes)})
        out = save_dataset(Path(self.path.value), data)
        self.status.value = f"wrote {out.name}: {len(data['image'])} pairs"
        return out

    @reports_errors(DOCK)
    def load_pairs(self, *_: Any) -> list[Any]:
        """Load a dataset (ours or virtual) as paired stacks for review: image | truth side by side."""
        data = load_dataset(Path(self.load_path.value))
        px = data["pixel_size_nm"]
        gap = data["image"].shape[-1] * px * 1.05
        name = Path(self.load_path.value).stem
        units = ("pixel", "nm", "nm")  # pair index, then nm
        layers = [self.viewer.add_image(data["image"], name=f"{name} · image", scale=(1, px, px), units=units,
                                        colormap="afmhot"),
                  self.viewer.add_image(data["surface"], name=f"{name} · truth", scale=(1, px, px), translate=(0, 0, gap),
                                        units=units, colormap="afmhot")]
        if data["mask"].any():
            layers.append(self.viewer.add_labels(data["mask"], name=f"{name} · mask", scale=(1, px, px),
                                                 translate=(0, 0, gap), units=units, opacity=0.4))
        self.status.value = f"loaded {len(data['image'])} pairs ({data['kind']})"
        return layers
