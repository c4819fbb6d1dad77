"""Headless napari: annotate cells of four images, evaluate, export, save, load, predict."""

from __future__ import annotations

import json

import matplotlib.colors
import numpy as np
import pytest

from napari_afm_profiler.synth.scene import fractal_surface

napari = pytest.importorskip("napari")



def _cells(seed):
    """Labels of 9 round cells on a 192 x 192 image."""
    labels = np.zeros((192, 192), np.int32)
    yy, xx = np.mgrid[0:192, 0:192]
    for k in range(9):
        cy, cx = 32 + 64 * (k // 3), 32 + 64 * (k % 3)
        labels[(yy - cy) ** 2 + (xx - cx) ** 2 <= 26**2] = k + 1
    return labels


def _add_field(viewer, name, hurst, seed):
    z = fractal_surface((192, 192), rms_nm=3.0, hurst=hurst, seed=seed)
    z += np.random.default_rng(seed).normal(0, 0.1, z.shape)
    image = viewer.add_image(z, name=f"{name} · Height", scale=(2.0, 2.0), units=("nm", "nm"))
    labels = viewer.add_labels(_cells(seed), name=f"{name} · cells", scale=(2.0, 2.0))
    return image, labels


def test_annotate_evaluate_export_save_load_predict(make_napari_viewer, qtbot, tmp_path, wait_worker):
    viewer = make_napari_viewer()
    fields = [_add_field(viewer, f"f{i}", h, i) for i, h in enumerate([0.4, 0.4, 0.9, 0.9])]
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Classifier")
    dock.images.value = [im for im, _ in fields]
    for (_, labels), cls in zip(fields, ["rough", "rough", "smooth", "smooth"]):
        dock.labels_layers.value = [labels]
        dock.class_name.value = cls
        dock.assign_layer.changed.emit(True)
    assert fields[0][1].features["class"].tolist() == ["rough"] * 9
    # per-label annotation overrides one cell
    labels0 = fields[0][1]
    labels0.selected_label = 4
    dock.labels_layers.value = [labels0]
    dock.class_name.value = "smooth"
    dock.assign_to_selected_label()
    assert labels0.features.set_index("index").loc[4, "class"] == "smooth"
    dock.class_name.value = "rough"
    dock.assign_to_selected_label()

    dock.labels_layers.value = [lab for _, lab in fields]
    dock.splits.value = 12
    dock.permutations.value = 9
    dock.classifier.value = "logreg"
    dock.aggregate.value = "mean"  # each labels layer (image) is diagnosed from its cells
    wait_worker(dock.run())
    ev = dock.evaluation
    assert ev is not None and len(ev.real) == 12
    assert ev.aucs().mean() > 0.9 and ev.aggregate == "mean"
    assert dock.summary.value.startswith("accuracy") and "per group" in dock.summary.value
    assert "(permutation test)" in dock.summary.value
    assert "36 rows" in dock.status.value
    for name in ("AUC: true vs shuffled", "permutation test", "parameter selection", "confusion matrix", "ROC curves"):
        dock.plot_choice.value = name
        assert dock.figure.axes
    dock.report_dir.value = tmp_path / "report"
    files = dock.export_report()
    assert json.loads((tmp_path / "report" / "summary.json").read_text())["n_splits"] == 12
    assert any(f.name == "roc.png" for f in files)
    dock.model_dir.value = tmp_path / "model"
    dock.save_model()
    dock.model = None
    dock.load_model()
    assert dock.model is not None and dock.model.classes == ("rough", "smooth")

    new_image, new_labels = _add_field(viewer, "new", 0.9, 11)
    dock.images.value = [new_image]
    dock.target.value = new_labels
    wait_worker(dock.predict())
    predicted = new_labels.features.set_index("index")["predicted_class"]
    assert (predicted == "smooth").mean() >= 0.8
    coloured = viewer.layers["new · cells · predicted class"]
    assert set(np.unique(coloured.data)) <= {0, 1, 2}
    # the legend names each class in the colour the class layer paints it
    legend = coloured.metadata["legend"]
    assert list(legend) == ["rough", "smooth"] and not dock.legend.native.isHidden()
    for k, (name, colour) in enumerate(legend.items(), start=1):
        assert name in dock.legend.value and colour in dock.legend.value
        assert np.allclose(coloured.colormap.map(np.array([k]))[0][:3], matplotlib.colors.to_rgb(colour), atol=1e-3)
    assert tuple(coloured.scale) == tuple(new_labels.scale)


def test_errors_are_shown_not_raised(make_napari_viewer, qtbot, wait_worker):
    viewer = make_napari_viewer()
    image, labels = _add_field(viewer, "only", 0.5, 0)
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Classifier")
    assert dock.run() is None and "labels layer" in dock.status.value
    dock.images.value = [image]
    dock.labels_layers.value = [labels]
    dock.class_name.value = "A"
    dock.assign_to_layers()
    assert dock.run() is None and "only one class" in dock.status.value


def test_evaluate_a_csv_table(make_napari_viewer, qtbot, tmp_path, wait_worker):
    rng = np.random.default_rng(0)
    y = np.repeat(["A", "B"], 25)
    import pandas as pd

    pd.DataFrame({"Sa": rng.normal(size=50) + 3 * (y == "B"), "Sq": rng.normal(size=50), "type": y}).to_csv(
        tmp_path / "t.csv", index=False)
    viewer = make_napari_viewer()
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Classifier")
    dock.source.value = "CSV table"
    assert not dock.csv.native.isHidden() and dock.images.native.isHidden()
    dock.csv.value = tmp_path / "t.csv"
    dock.csv_class.value = "type"
    assert not dock.csv_group.native.isHidden()
    dock.splits.value = 6
    dock.permutations.value = 0
    dock.classifier.value = "logreg"
    wait_worker(dock.run())
    assert dock.evaluation.aucs().mean() > 0.95 and dock.evaluation.selection_frequency()["Sa"] == 1.0
    assert dock._table.groups is None


def test_csv_rows_of_one_donor_stay_together(make_napari_viewer, qtbot, tmp_path, wait_worker):
    import pandas as pd

    from napari_afm_profiler.classify.evaluation import random_splits

    rng = np.random.default_rng(1)
    donors = np.repeat([f"d{k}" for k in range(10)], 5)  # 10 donors, 5 cells each
    y = np.where(np.isin(donors, [f"d{k}" for k in range(5)]), "A", "B")
    pd.DataFrame({"Sa": rng.normal(size=50) + 3 * (y == "B"), "Sq": rng.normal(size=50), "type": y,
                  "donor": donors}).to_csv(tmp_path / "t.csv", index=False)
    viewer = make_napari_viewer()
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Classifier")
    dock.source.value = "CSV table"
    dock.csv.value, dock.csv_class.value, dock.csv_group.value = tmp_path / "t.csv", "type", "donor"
    dock.splits.value, dock.permutations.value, dock.classifier.value = 6, 0, "logreg"
    wait_worker(dock.run())
    assert dock.evaluation is not None, dock.status.value
    assert sorted(set(dock._table.groups)) == sorted(set(donors))
    groups = dock._table.groups
    for train, test in random_splits(dock._table, 6, dock.test_fraction.value, dock.seed.value):
        assert not set(groups[train]) & set(groups[test])  # no donor on both sides of a split


def test_tiles_of_each_image_as_rows_grouped_by_image(make_napari_viewer, qtbot, wait_worker):
    viewer = make_napari_viewer()
    fields = [_add_field(viewer, f"f{i}", h, 10 + i) for i, h in enumerate([0.4, 0.4, 0.4, 0.9, 0.9, 0.9])]
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Classifier")
    dock.images.value = [im for im, _ in fields]
    for (_, labels), cls in zip(fields, ["rough"] * 3 + ["smooth"] * 3):
        dock.labels_layers.value = [labels]
        dock.class_name.value = cls
        dock.assign_layer.changed.emit(True)
    dock.labels_layers.value = [lab for _, lab in fields]
    dock.rows.value = (2, 2)
    dock.splits.value = 6
    dock.permutations.value = 0
    dock.classifier.value = "logreg"
    wait_worker(dock.run())
    ev = dock.evaluation
    assert ev is not None, dock.status.value
    assert "24 rows" in dock.status.value  # six images x four quadrants
    assert ev.aucs().mean() > 0.9
    dock.group.value = "(none)"
    assert dock.run() is None and "one side of a split" in dock.status.value
