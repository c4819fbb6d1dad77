"""Headless: the Particles dock segments, measures, compares and links the table; the Profile dock plots a line."""

from __future__ import annotations

import numpy as np
import pytest

napari = pytest.importorskip("napari")


def _domes(radius=12.0):
    yy, xx = (np.mgrid[0:100, 0:100] + 0.5) * 1.0
    z = np.zeros((100, 100))
    for cy, cx in ((25, 25), (25, 75), (75, 50)):
        z = np.maximum(z, np.sqrt(np.clip(radius**2 - (yy - cy) ** 2 - (xx - cx) ** 2, 0, None)))
    return z


def test_particles_dock_measures_and_compares(make_napari_viewer, qtbot, tmp_path, wait_worker):
    viewer = make_napari_viewer()
    raw = viewer.add_image(_domes(14.0), name="raw", scale=(1.0, 1.0), units=("nm", "nm"))
    sharp = viewer.add_image(_domes(10.0), name="deconvolved", scale=(1.0, 1.0), units=("nm", "nm"))
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Particles")
    dock.image.value = raw
    dock.compare.value = sharp
    dock.threshold.value = 0.5
    dock.preview.value = True
    assert "particles preview" in viewer.layers and "3 region" in dock.status.value
    wait_worker(dock.run())
    df = dock.table_data
    assert len(df) == 3 and (df["matched_label"] > 0).all()
    assert (df["matched_area_nm2"] < df["area_nm2"]).all()  # the sharper particles are smaller
    labels = viewer.layers["raw · particles"]
    assert labels.data.max() == 3 and "area_nm2" in labels.features
    dock.table.native.selectRow(1)
    assert labels.selected_label == int(float(dock.table.native.item(1, 0).text()))
    dock.csv_path.value = tmp_path / "p.csv"
    assert dock.export_csv().read_text().startswith("label,")
    assert len(dock.figure.axes) >= 3
    labels.selected_label = 2
    along, across = dock.axis_profiles()
    assert set(along.values) == {"raw", "deconvolved"} and max(along.values["raw"]) == pytest.approx(14.0, abs=0.5)


def test_particles_dock_errors_are_shown(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    raw = viewer.add_image(_domes(), name="uncalibrated")
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Particles")
    dock.image.value = raw
    assert dock.run() is None and "no pixel size" in dock.status.value


def test_profile_dock(make_napari_viewer, qtbot, tmp_path):
    viewer = make_napari_viewer()
    a = viewer.add_image(_domes(14.0), name="raw", scale=(2.0, 2.0), units=("nm", "nm"))
    b = viewer.add_image(_domes(10.0), name="deconvolved", scale=(2.0, 2.0), units=("nm", "nm"))
    shapes = viewer.add_shapes([np.array([[50.0, 0.0], [50.0, 100.0]])], shape_type="line", name="line")
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Profile")
    dock.images.value = [a, b]
    dock.shapes.value = shapes
    profile = dock.run()
    assert profile is not None, dock.status.value
    assert profile.distance_nm[-1] == pytest.approx(100.0, abs=0.5)  # world nm, 50 px at 2 nm/px
    assert max(profile.values["raw"]) == pytest.approx(14.0, abs=0.3)
    dock.csv_path.value = tmp_path / "prof.csv"
    assert dock.export_csv().read_text().startswith("distance_nm,raw,deconvolved")


def test_profile_dock_gives_the_iso_21920_parameters_of_a_sinusoid(make_napari_viewer, tmp_path):
    amplitude, wavelength, pixel = 2.0, 40.0, 0.5  # nm
    x = np.arange(1200) * pixel
    image = np.tile(amplitude * np.sin(2 * np.pi * x / wavelength), (40, 1))
    viewer = make_napari_viewer()
    layer = viewer.add_image(image, name="wave", scale=(pixel, pixel), units=("nm", "nm"))
    shapes = viewer.add_shapes([np.array([[10.0, 0.0], [10.0, 480.0]])], shape_type="line", name="line")  # 12 periods
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Profile")
    dock.images.value, dock.shapes.value = [layer], shapes
    dock.profile_level.value = "none"
    assert dock.run() is not None, dock.status.value
    row = dock.parameters.set_index("image").loc["wave"]
    assert row["Ra"] == pytest.approx(2 * amplitude / np.pi, rel=0.01)  # closed forms of a sine
    assert row["Rq"] == pytest.approx(amplitude / np.sqrt(2), rel=0.01)
    assert row["Rt"] == pytest.approx(2 * amplitude, rel=0.01)
    assert row["RSm"] == pytest.approx(wavelength, rel=0.01)
    assert row["F-operator"].startswith("none") and dock.parameter_table.native.rowCount() == 1
    dock.parameters_path.value = tmp_path / "p.csv"
    assert "Ra" in dock.export_parameters().read_text().splitlines()[0]

    dock.l_filter.value = 1.0  # shorter than the S-filter: refused in words, the profile stays
    dock.s_filter.value = 5.0
    assert dock.run() is not None and dock.parameters is None
    assert dock.status.value.startswith("error: profile drawn; no profile parameters")
