"""Headless napari: the Batch dock runs a folder, shows the table, and opens a row's file."""

from __future__ import annotations

import pytest

from napari_afm_profiler.io.writers import write_image
from napari_afm_profiler.synth.scene import fractal_surface

napari = pytest.importorskip("napari")


def test_batch_folder_table_and_open(make_napari_viewer, qtbot, tmp_path, wait_worker):
    src = tmp_path / "scans"
    src.mkdir()
    for i in range(3):
        write_image(src / f"s{i}.tif", fractal_surface((48, 48), rms_nm=1.0 + i, seed=i), pixel_size_nm=(2.0, 2.0),
                    channel="Height")
    (src / "bad.gwy").write_bytes(b"GWYPnonsense")
    (tmp_path / "c.yaml").write_text("roughness:\n  groups: [height]\n")
    viewer = make_napari_viewer()
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Batch")
    dock.folder.value = src
    dock.config.value = tmp_path / "c.yaml"
    dock.output.value = tmp_path / "out"
    dock.scheduler.value = "serial"
    worker = dock.run()
    wait_worker(worker)
    assert len(dock.results) == 3 and dock.table.native.rowCount() == 3
    assert "1 failed" in dock.status.value and "bad.gwy" in dock.status.tooltip
    dock.table.native.selectRow(0)
    layers = dock.open_selected()
    assert layers and layers[0].scale[-1] == pytest.approx(2.0)
    dock.folder.value = tmp_path / "nothing"
    assert dock.run() is None and "is not a folder" in dock.status.value


def test_batch_dock_has_no_default_folder_and_recursion_is_asked_for(make_napari_viewer, tmp_path, wait_worker):
    src = tmp_path / "scans"
    (src / "sub").mkdir(parents=True)
    write_image(src / "top.tif", fractal_surface((32, 32), seed=1), pixel_size_nm=(2.0, 2.0))
    write_image(src / "sub" / "deep.tif", fractal_surface((32, 32), seed=2), pixel_size_nm=(2.0, 2.0))
    viewer = make_napari_viewer()
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Batch")
    dock.output.value = tmp_path / "out"
    assert dock.run() is None and dock.status.value == "error: choose an input folder"
    assert dock.recursive.value is False
    dock.folder.value = src
    dock.scheduler.value = "serial"
    wait_worker(dock.run())
    assert len(dock.results) == 1  # the subfolder is left alone
    dock.recursive.value = True
    dock.output.value = tmp_path / "out2"
    wait_worker(dock.run())
    assert len(dock.results) == 2
