"""Headless napari: the Roughness dock on two channels and a labels layer."""

from __future__ import annotations

import numpy as np
import pytest

napari = pytest.importorskip("napari")



def _scene():
    yy, xx = np.mgrid[0:128, 0:128]
    height = 2.0 * np.sin(2 * np.pi * xx / 16)
    height[:, 64:] *= 3.0  # region 2 is three times rougher
    labels = np.zeros((128, 128), np.int32)
    labels[8:56, 8:56] = 1
    labels[8:56, 72:120] = 2
    labels[80:120, 30:90] = 3
    return height, labels


def test_per_label_table_features_csv_and_plot(make_napari_viewer, qtbot, tmp_path, wait_worker):
    viewer = make_napari_viewer()
    height, labels = _scene()
    h = viewer.add_image(height, name="Height", scale=(2.0, 2.0), units=("nm", "nm"))
    a = viewer.add_image(height * 10, name="Adhesion", scale=(2.0, 2.0), units=("nm", "nm"))
    lab = viewer.add_labels(labels, name="cells", scale=(2.0, 2.0))
    lab.features = {"index": [1, 2, 3], "class": ["smooth", "rough", "smooth"]}
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Roughness")
    dock.images.value = [h, a]
    dock.labels_layer.value = lab
    dock.groups.value = ["height", "hybrid"]
    dock.level.value = "none"
    wait_worker(dock.run())
    df = dock.table_data
    assert df["region"].tolist() == [1, 2, 3]
    sq = df.set_index("region")["Height:Sq"]
    assert sq[1] == pytest.approx(2.0 / np.sqrt(2), rel=0.01)
    assert sq[2] == pytest.approx(3 * sq[1], rel=0.01)
    assert df["Adhesion:Sq"].tolist() == pytest.approx((10 * df["Height:Sq"]).tolist())
    # features keyed by label, the class column kept, shown on hover
    assert lab.features["index"].tolist() == [1, 2, 3]
    assert lab.features["class"].tolist() == ["smooth", "rough", "smooth"]
    assert "Height:Sdq" in lab.features
    # the dock's table: one row per label, rows select labels
    assert dock.table.native.rowCount() == 3
    dock.table.native.selectRow(1)
    assert lab.selected_label == int(dock.table.native.item(1, 0).text())
    lab.selected_label = 3
    assert int(dock.table.native.item(dock.table.native.currentRow(), 0).text()) == 3
    # export and the per-class plot
    dock.csv_path.value = tmp_path / "r.csv"
    out = dock.export_csv()
    assert out.read_text().splitlines()[0].startswith("region,area_nm2")
    dock.plot_parameter.value = "Height:Sq"
    dock.plot_classes.value = "class"
    ticks = [t.get_text() for t in dock.figure.axes[0].get_xticklabels()]
    assert ticks == ["rough", "smooth"]


def test_whole_image_tiles_and_errors(make_napari_viewer, qtbot, wait_worker):
    viewer = make_napari_viewer()
    height, _ = _scene()
    h = viewer.add_image(height, name="Height", scale=(2.0, 2.0), units=("nm", "nm"))
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Roughness")
    dock.images.value = [h]
    dock.tiles.value = "2x2"
    dock.groups.value = ["height"]
    dock.level.value = "none"
    wait_worker(dock.run())
    assert dock.table_data["region"].tolist() == [0]
    assert dock.table_data["Sq"][0] == pytest.approx((np.sqrt(2) + 3 * np.sqrt(2)) / 2, rel=0.01)
    dock.tile_rows.value = True  # quadrants as samples: one row each
    wait_worker(dock.run())
    assert dock.table_data["region"].tolist() == [1, 2, 3, 4]
    assert dock.table_data["Sq"].mean() == pytest.approx((np.sqrt(2) + 3 * np.sqrt(2)) / 2, rel=0.01)
    other = viewer.add_image(height, name="other", scale=(1.0, 1.0), units=("nm", "nm"))
    dock.images.value = [h, other]
    assert dock.run() is None and "pixel sizes differ" in dock.status.value
    raw = viewer.add_image(height, name="uncalibrated")
    dock.images.value = [raw]
    assert dock.run() is None and "no pixel size" in dock.status.value


def test_parameter_arguments_reach_the_core(make_napari_viewer, qtbot, wait_worker):
    viewer = make_napari_viewer()
    height, _ = _scene()
    h = viewer.add_image(height, name="Height", scale=(2.0, 2.0), units=("nm", "nm"))
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Roughness")
    dock.images.value = [h]
    dock.groups.value = ["functional"]
    dock.level.value = "none"
    dock.smr_c.value = 100.0  # above every height: nothing is material there
    wait_worker(dock.run())
    assert dock.table_data["Smr"][0] == 0.0


def test_filters_reach_the_core_and_every_output_names_the_surface(make_napari_viewer, wait_worker, tmp_path):
    viewer = make_napari_viewer()
    x = np.arange(256) * 1.0
    height = np.tile(np.sin(2 * np.pi * x / 16) + 4 * np.sin(2 * np.pi * x / 256), (64, 1))
    h = viewer.add_image(height, name="Height", scale=(1.0, 1.0), units=("nm", "nm"))
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Roughness")
    dock.images.value = [h]
    dock.groups.value = ["height"]
    dock.level.value = "none"
    dock.l_filter.value = 60.0
    wait_worker(dock.run())
    assert dock.table_data["Sq"][0] < 0.9  # the 256 nm wave is filtered out; the 16 nm one (Sq 0.71) stays
    assert dock.surface_label.value.startswith("surface: S-L; S-filter: none; F-operator: none")
    dock.csv_path.value = tmp_path / "r.csv"
    text = dock.export_csv().read_text()
    assert "surface,operators" in text.splitlines()[0] and "S-L" in text.splitlines()[1]
    dock.s_filter.value = 100.0  # longer than the L-filter: refused in words
    assert dock.run() is None and "shorter than the L-filter" in dock.status.value
