"""The "Classifier" dock widget: annotate cells, evaluate the paper's pipeline, save and apply models.

Rows are the labels of the chosen labels layers (or whole images, or a loaded CSV); their
parameters come from the roughness core on the chosen channels; classes are annotated into
each labels layer's ``features["class"]``. The science is in ``napari_afm_profiler.classify``.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import (
    ComboBox,
    Container,
    FileEdit,
    FloatSpinBox,
    LineEdit,
    PushButton,
    Select,
    SpinBox,
)
from napari.qt.threading import thread_worker

from napari_afm_profiler._napari.widgets._common import (
    add_plot_canvas,
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

FROM_LAYERS = "labelled cells in layers"
FROM_CSV = "CSV table"
NO_GROUP = "(none)"
BY_LAYER = "labels layer (cells of one image stay together)"
CLASS_COLUMN = "class"
ROW_CHOICES = [("one per label (cell)", None), ("one per tile 2x2 of the image", (2, 2)),
               ("one per tile 3x3 of the image", (3, 3))]
AGGREGATE_CHOICES = [("mean of its labels' probabilities", "mean"), ("vote of its labels", "vote")]
PLOT_NAMES = {"ROC curves": "roc", "AUC: true vs shuffled": "auc", "permutation test": "permutation",
              "parameter selection": "importance", "confusion matrix": "confusion"}


def class_colours(n: int) -> list[str]:
    """``n`` distinct colours (hex) for predicted classes: matplotlib's tab10, then tab20."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    palette = colormaps["tab10" if n <= 10 else "tab20"]
    return [to_hex(palette(k % palette.N)) for k in range(n)]


def _class_colormap(colours: list[str]) -> Any:
    """Labels colormap: class k (1-based) in ``colours[k - 1]``, background transparent."""
    from napari.utils.colormaps import DirectLabelColormap

    mapping: dict[Any, Any] = {None: "transparent", 0: "transparent"}
    mapping.update({k + 1: c for k, c in enumerate(colours)})
    return DirectLabelColormap(color_dict=mapping)


def _short(name: str) -> str:
    """Channel part of a layer name ``"<file> · <channel>"`` (so columns match across files)."""
    return name.split(" · ", 1)[-1]


class ClassifierWidget(Container):
    """Annotate, evaluate (repeated splits + shuffled control), save, and predict cell classes."""

    def __init__(self, napari_viewer: napari.Viewer) -> None:
        from napari_afm_profiler.classify import CLASSIFIERS

        super().__init__(labels=True)
        self.viewer = napari_viewer
        self.worker: Any = None
        self.evaluation: Any = None
        self.model: Any = None
        self.source = ComboBox(label="rows from", choices=[FROM_LAYERS, FROM_CSV], value=FROM_LAYERS)
        self.images = Select(label="channels (images)", choices=self._image_choices)
        self.labels_layers = Select(label="labels layers", choices=self._labels_choices)
        self.csv = FileEdit(label="table (CSV)", mode="r", filter="*.csv", visible=False)
        self.csv_class = LineEdit(label="class column", value=CLASS_COLUMN, visible=False)
        self.csv_group = LineEdit(label="group column", value="", visible=False,
                                  tooltip="rows with the same value (donor, patient, dish) stay on one side "
                                          "of every split; empty = none")
        self.class_name = LineEdit(label="class name", value="A")
        self.assign_label = PushButton(text="Assign class to the selected label")
        self.assign_layer = PushButton(text="Assign class to whole layers",
                                       tooltip="every label of the chosen labels layers gets the class")
        self.rows = ComboBox(label="rows", choices=ROW_CHOICES, value=None)
        self.group = ComboBox(label="groups", choices=[NO_GROUP, BY_LAYER], value=BY_LAYER)
        self.aggregate = ComboBox(label="diagnose per group", choices=AGGREGATE_CHOICES, value=None, nullable=True)
        self.classifier = ComboBox(label="classifier", choices=list(CLASSIFIERS), value="gpc")
        self.splits = SpinBox(label="random splits", min=2, max=5000, value=200)
        # a valid p-value costs permutations x 10 fits: 199 resolves p = 0.005 (the CLI defaults to 999)
        self.permutations = SpinBox(label="permutations", min=0, max=100000, value=199,
                                   tooltip="class permutations of the p-value test (0 = no test)")
        self.top_k = SpinBox(label="parameters kept", min=1, max=100, value=10)
        self.test_fraction = FloatSpinBox(label="test fraction", min=0.05, max=0.9, step=0.05, value=0.3)
        self.seed = SpinBox(label="seed", min=0, max=2**31 - 1, value=0)
        self.run_button = PushButton(text="Evaluate")
        self.cancel = PushButton(text="Cancel", enabled=False)
        self.status = text_line(value="")
        self.summary = text_line(value="")
        self.plot_choice = ComboBox(label="plot", choices=list(PLOT_NAMES), value="ROC curves")
        self.report_dir = FileEdit(label="report folder", mode="d")
        self.report_button = PushButton(text="Export report (PNG + CSV + JSON)")
        self.model_dir = FileEdit(label="model folder", mode="d")
        self.save_button = PushButton(text="Save model")
        self.load_button = PushButton(text="Load model")
        self.target = ComboBox(label="predict on labels", choices=self._labels_choices)
        self.predict_button = PushButton(text="Predict classes")
        self.legend = text_line(label="predicted", value="", visible=False)  # colour of each class in the class layer
        self.extend([self.source, self.images, self.labels_layers, self.csv, self.csv_class, self.csv_group,
                     self.class_name,
                     self.assign_label, self.assign_layer, self.rows, self.group, self.aggregate, self.classifier, self.splits,
                     self.permutations, self.top_k, self.test_fraction, self.seed, self.run_button, self.cancel,
                     self.status, self.summary, self.plot_choice])
        self._add_plot()
        self.extend([self.report_dir, self.report_button, self.model_dir, self.save_button, self.load_button,
                     self.target, self.predict_button, self.legend])
        self.source.changed.connect(self._show_source)
        self.assign_label.changed.connect(self.assign_to_selected_label)
        self.assign_layer.changed.connect(self.assign_to_layers)
        self.run_button.changed.connect(self.run)
        self.cancel.changed.connect(self._cancel)
        self.plot_choice.changed.connect(self.plot)
        self.report_button.changed.connect(self.export_report)
        self.save_button.changed.connect(self.save_model)
        self.load_button.changed.connect(self.load_model)
        self.predict_button.changed.connect(self.predict)
        for event in (self.viewer.layers.events.inserted, self.viewer.layers.events.removed):
            event.connect(lambda *_: self.reset_choices())
        remember_settings(self, "classifier")
        make_scrollable(self)  # taller than a 1280 x 800 screen otherwise

    # choices and annotation ----------------------------------------------------------------
    def _image_choices(self, *_: Any) -> list[Any]:
        return layer_choices(self.viewer, "image")
    def _labels_choices(self, *_: Any) -> list[Any]:
        return layer_choices(self.viewer, "labels")
    def _show_source(self, value: str) -> None:
        layers = value == FROM_LAYERS
        for w in (self.images, self.labels_layers, self.class_name, self.assign_label, self.assign_layer, self.group):
            w.visible = layers
        self.csv.visible = self.csv_class.visible = self.csv_group.visible = not layers

    def _set_classes(self, layer: Any, labels: list[int], name: str) -> None:
        features = layer.features
        table = {int(i): c for i, c in zip(features["index"], features[CLASS_COLUMN])} if (
            "index" in features and CLASS_COLUMN in features) else {}
        for lab in labels:
            table[int(lab)] = name
        import pandas as pd

        new = pd.DataFrame({"index": sorted(table), CLASS_COLUMN: [table[k] for k in sorted(table)]})
        old = features.drop(columns=[CLASS_COLUMN], errors="ignore")
        layer.features = new.merge(old, on="index", how="left") if "index" in old else new

    @reports_errors("Classifier")
    def assign_to_selected_label(self, *_: Any) -> None:
        """Give the class name to the label selected in each chosen labels layer."""
        for layer in self.labels_layers.value:
            if layer.selected_label > 0:
                self._set_classes(layer, [layer.selected_label], self.class_name.value.strip())
        self.status.value = f"label(s) assigned to class {self.class_name.value!r}"

    @reports_errors("Classifier")
    def assign_to_layers(self, *_: Any) -> None:
        """Give the class name to every label of the chosen labels layers (one class per image)."""
        for layer in self.labels_layers.value:
            ids = np.unique(np.asarray(layer.data))
            self._set_classes(layer, [int(i) for i in ids if i > 0], self.class_name.value.strip())
        self.status.value = f"every label of {len(self.labels_layers.value)} layer(s) is class {self.class_name.value!r}"

    # rows -----------------------------------------------------------------------------------
    def _channels_for(self, labels_layer: Any) -> dict[str, np.ndarray]:
        images = [ly for ly in self.images.value if ly.data.shape == labels_layer.data.shape]
        prefix = labels_layer.name.split(" · ", 1)[0]
        same_file = [ly for ly in images if ly.name.split(" · ", 1)[0] == prefix]
        chosen = same_file or images
        if not chosen:
            raise ValueError(f"no chosen image layer has the shape of {labels_layer.name} {labels_layer.data.shape}")
        return {_short(ly.name): snapshot(ly.data, np.float64) for ly in chosen}

    def _rows_steps(self, labels_layers: list[Any], with_classes: bool,  # noqa: ANN202 - generator
                    tiles: tuple[int, int] | None = None):
        """Roughness rows of every label of ``labels_layers``, or of every tile of their images (a generator).

        With ``tiles`` each row is one tile of the image a labels layer belongs to, with that
        layer's class (all its labels must share one) and the layer as its group.
        """
        import pandas as pd

        from napari_afm_profiler.roughness import GEOMETRY_COLUMNS, channel_table_steps

        frames = []
        for layer in labels_layers:
            channels = self._channels_for(layer)
            pixel = (float(layer.scale[-2]), float(layer.scale[-1]))
            if tiles is None:
                table = yield from channel_table_steps(channels, pixel_size_nm=pixel, labels=snapshot(layer.data))
            else:
                table = yield from channel_table_steps(channels, pixel_size_nm=pixel, tiles=tiles, tile_rows=True)
            df = table.to_pandas()
            if len(channels) == 1:  # keep the channel in the column names, so tables of any files match
                name = next(iter(channels))
                df = df.rename(columns={c: f"{name}:{c}" for c in df.columns if c != "region"
                                        and c not in GEOMETRY_COLUMNS})
            df.insert(0, "layer", layer.name)
            if with_classes:
                features = layer.features
                lookup = dict(zip(features["index"], features[CLASS_COLUMN])) if CLASS_COLUMN in features else {}
                if tiles is None:
                    df.insert(1, CLASS_COLUMN, [lookup.get(r) for r in df["region"]])
                else:
                    classes = {c for c in lookup.values() if isinstance(c, str) and c}
                    if len(classes) > 1:
                        raise ValueError(f"{layer.name} holds labels of several classes ({sorted(classes)}): tiles "
                                         "take the class of the whole image; assign one class to the layer")
                    df.insert(1, CLASS_COLUMN, [next(iter(classes), None)] * len(df))
            frames.append(df)
        return pd.concat(frames, ignore_index=True)

    @staticmethod
    def _assigned_classes(layers: list[Any]) -> list[str]:
        """Distinct class names annotated on the labels of ``layers`` (empty names do not count)."""
        found: set[str] = set()
        for layer in layers:
            if CLASS_COLUMN in layer.features:
                found.update(str(c) for c in layer.features[CLASS_COLUMN] if isinstance(c, str) and c.strip())
        return sorted(found)

    # evaluation -----------------------------------------------------------------------------
    def _cancel(self, *_: Any) -> None:
        if self.worker is not None:
            self.worker.quit()
            self.status.value = "cancelled"

    def _settings(self) -> Any:
        from napari_afm_profiler.classify import PipelineSettings

        return PipelineSettings(classifier=self.classifier.value, top_k=self.top_k.value, seed=self.seed.value)

    @reports_errors("Classifier")
    def run(self, *_: Any) -> Any:
        """Compute the rows (roughness per label) and evaluate, in a worker with progress and cancel."""
        from napari_afm_profiler.classify import TrainedClassifier, evaluate_steps, feature_table, read_table

        from_csv = self.source.value == FROM_CSV
        layers = list(self.labels_layers.value)
        if not from_csv and not layers:
            self.status.value = "choose at least one labels layer (or load a CSV table)"
            return None
        settings, n_splits, fraction = self._settings(), self.splits.value, self.test_fraction.value
        n_permutations = self.permutations.value
        aggregate = self.aggregate.value
        if from_csv:
            group = self.csv_group.value.strip() or None
        else:
            group = None if self.group.value == NO_GROUP else "layer"
            classes = self._assigned_classes(layers)
            if len(classes) < 2:
                refuse(self.status, "Classifier", (
                    "no label has a class yet" if not classes else f"only one class is assigned ({classes[0]!r})")
                    + ": type a class name, select labels (or layers) and press an Assign button, for at least "
                    "two classes")
                return None
        tiles = None if from_csv else self.rows.value
        if tiles is not None and group is None and not from_csv:
            refuse(self.status, "Classifier", "tiles of one image must stay on one side of a split: choose groups: by layer")
            return None
        if aggregate is not None and group is None:
            refuse(self.status, "Classifier", "a diagnosis per group needs groups (choose groups: by layer, or "
                   "name the group column of the CSV table)")
            return None
        label_column = self.csv_class.value.strip() if from_csv else CLASS_COLUMN
        csv_path = Path(self.csv.value) if from_csv else None

        @thread_worker(progress={"total": 0, "desc": "classifier"}, ignore_errors=True)
        def work():
            df = read_table(csv_path) if from_csv else (yield from self._rows_steps(layers, True, tiles))
            table = feature_table(df, label_column, group_column=group)
            ev = yield from evaluate_steps(table, settings=settings, n_splits=n_splits, test_fraction=fraction,
                                           n_permutations=n_permutations, aggregate=aggregate)
            return ev, TrainedClassifier.from_evaluation(ev), table

        def report(step: tuple[str, int, int]) -> None:
            self.status.value = f"{step[0]}: {step[1]} / {step[2]}"

        def done(result: Any) -> None:
            self.evaluation, self.model, self._table = result
            self.summary.value = self.evaluation.summary_line()
            notes = "; ".join(self.evaluation.warnings)
            self.status.value = f"{len(self._table.y)} rows, {len(self._table.feature_names)} parameters" + (
                f" ({notes})" if notes else "")
            self.plot()

        self.worker = start_worker(work(), status=self.status, buttons=[self.run_button, self.predict_button],
                                   cancel=self.cancel, on_done=done, on_yield=report)
        return self.worker

    # plots, report, model -------------------------------------------------------------------
    def _add_plot(self) -> None:
        self.figure, self.canvas = add_plot_canvas(self, (4.6, 3.6), 280)
    def plot(self, *_: Any) -> None:
        """Draw the chosen evaluation figure into the dock."""
        from napari_afm_profiler.classify.plots import PLOTS

        if self.evaluation is None:
            return
        PLOTS[PLOT_NAMES[self.plot_choice.value]](self.evaluation, figure=self.figure)
        self.canvas.draw_idle()

    @reports_errors("Classifier")
    def export_report(self, *_: Any) -> list[Path] | None:
        """Write the plots, per-split CSV and summary JSON of the last evaluation."""
        from napari_afm_profiler.classify.report import write_report

        if self.evaluation is None:
            self.status.value = "nothing to export yet: press Evaluate"
            return None
        files = write_report(Path(self.report_dir.value), self.evaluation)
        self.status.value = f"wrote {len(files)} files to {self.report_dir.value}"
        return files

    @reports_errors("Classifier")
    def save_model(self, *_: Any) -> Path | None:
        """Save the model trained on all rows (a folder of JSON + arrays, no pickle)."""
        from napari_afm_profiler.classify import save_classifier

        if self.model is None:
            self.status.value = "no model yet: press Evaluate (or load one)"
            return None
        out = save_classifier(Path(self.model_dir.value), self.model, self._table)
        self.status.value = f"saved model to {out}"
        return out

    @reports_errors("Classifier")
    def load_model(self, *_: Any) -> None:
        """Load a saved model folder (refitted and verified; see ``classify.model_io``)."""
        from napari_afm_profiler.classify import load_classifier

        try:
            self.model = load_classifier(Path(self.model_dir.value))
        except ValueError as exc:
            refuse(self.status, "Classifier", str(exc))
            return
        self.summary.value = self.model.summary.get("summary_line", "")
        self.status.value = f"loaded {self.model.settings.classifier} on {', '.join(self.model.selected)}"

    @reports_errors("Classifier")
    def predict(self, *_: Any) -> Any:
        """Predict every label of the target layer: features get the class and probability, plus a class layer."""
        from napari_afm_profiler.classify import predict_table

        layer, model = self.target.value, self.model
        if layer is None or model is None:
            self.status.value = "choose a labels layer and evaluate or load a model first"
            return None

        @thread_worker(progress={"total": 0, "desc": "prediction"}, ignore_errors=True)
        def work():
            df = yield from self._rows_steps([layer], False)
            return predict_table(model, df)

        def done(out: Any) -> None:
            self.show_prediction(layer, out)

        self.worker = start_worker(work(), status=self.status, buttons=[self.run_button, self.predict_button],
                                   cancel=self.cancel, on_done=done,
                                   on_yield=lambda s: setattr(self.status, "value", f"{s[0]}: {s[1]} / {s[2]}"))
        return self.worker

    def show_prediction(self, layer: Any, out: Any) -> None:
        """Write predictions into ``layer.features`` and add a labels layer coloured by predicted class."""
        classes = list(self.model.classes)
        kept = layer.features.drop(columns=["predicted_class", "probability"], errors="ignore")
        pred = out[["region", "predicted_class", "probability"]].rename(columns={"region": "index"})
        layer.features = pred.merge(kept, on="index", how="left") if "index" in kept else pred
        lut = np.zeros(int(np.max(layer.data)) + 1, dtype=np.int32)
        for region, cls in zip(out["region"], out["predicted_class"]):
            lut[int(region)] = classes.index(cls) + 1
        colours = class_colours(len(classes))
        counts = out["predicted_class"].value_counts().to_dict()
        by_class = self.viewer.add_labels(lut[np.asarray(layer.data)], name=f"{layer.name} · predicted class",
                                          scale=layer.scale, translate=layer.translate, units=tuple(layer.units),
                                          opacity=0.6, colormap=_class_colormap(colours),
                                          metadata={"legend": {str(k): c for k, c in zip(classes, colours)}})
        by_class.features = {"index": list(range(1, len(classes) + 1)), "predicted_class": classes}
        self.legend.value = " &nbsp; ".join(
            f'<span style="color:{c}">&#9632;</span> {html.escape(str(k))} ({counts.get(k, 0)})'
            for k, c in zip(classes, colours))
        self.legend.visible = True
        notes = out.attrs.get("warnings", [])
        self.status.value = "predicted " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + (
            f" ({notes[0]})" if notes else "")
