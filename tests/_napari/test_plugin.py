"""Headless napari: the plugin's reader, sample data and Level widget through the manifest."""

import numpy as np
import pytest

from tests.conftest import SAMPLES

napari = pytest.importorskip("napari")


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")
def test_open_sample_file_through_plugin(make_napari_viewer):
    viewer = make_napari_viewer()
    layers = viewer.open(str(SAMPLES / "kpg20080408.007"), plugin="napari-afm-profiler")
    # the height channel on top (added last) and shown; the other channels loaded but hidden
    assert [layer.name for layer in layers] == ["kpg20080408.007 · Phase (retrace)", "kpg20080408.007 · Height (retrace)"]
    assert viewer.layers[-1] is layers[-1] and layers[-1].visible and not layers[0].visible
    height = layers[-1]
    assert tuple(height.scale) == pytest.approx((3.90625, 3.90625))
    assert height.metadata["afm"]["z_unit"] == "nm"
    assert height.colormap.name == "afmhot"
    assert layers[0].metadata["afm"]["z_unit"] == "deg"
    assert all(str(u) in ("nm", "nanometer") for layer in layers for u in layer.units)


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")
def test_stack_file_opens_as_stack(make_napari_viewer):
    viewer = make_napari_viewer()
    layers = viewer.open(str(SAMPLES / "asd_sample_0.asd"), plugin="napari-afm-profiler")
    assert layers[0].data.shape == (32, 200, 200)
    assert tuple(layers[0].scale)[1:] == pytest.approx((0.5, 0.5))


def test_reader_declines_foreign_files(tmp_path):
    from napari_afm_profiler._napari.reader import napari_get_reader

    (tmp_path / "a.txt").write_text("hello")
    assert napari_get_reader(str(tmp_path / "a.txt")) is None
    assert napari_get_reader(str(tmp_path / "a.xyz")) is None


def test_sample_data_and_level_widget(make_napari_viewer, wait_worker):
    viewer = make_napari_viewer()
    viewer.open_sample("napari-afm-profiler", "virtual_scene")
    image = viewer.layers["virtual scene · Height"]
    assert tuple(image.scale) == (2.0, 2.0)
    yy, xx = np.mgrid[0:image.data.shape[0], 0:image.data.shape[1]]
    image.data = image.data + 0.5 * xx  # add a tilt the widget must remove
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Level")
    widget.image.value = image
    widget.method.value = "plane"
    before = image.data.copy()
    worker = widget.run_level()
    image.data = np.zeros_like(before)  # an edit while the worker runs must not reach it
    wait_worker(worker)
    levelled = viewer.layers["virtual scene · Height · levelled (plane)"]
    assert tuple(levelled.scale) == (2.0, 2.0)
    # the levelled substrate has no tilt left: a plane fit to it is flat, and it is the old data's
    from napari_afm_profiler.preprocess import level_plane, polynomial_background

    background = polynomial_background(levelled.data, 1)
    assert np.ptp(background) < 1e-6
    np.testing.assert_allclose(levelled.data, level_plane(before), atol=1e-9)
    # the tilt it took out is recorded for deconvolution, per pixel: the added 0.5 nm/px plus the scene's own
    own = polynomial_background(before - 0.5 * xx, 1)
    dy, dx = levelled.metadata["removed_tilt_nm_per_px"]
    assert dx == pytest.approx(0.5 + own[0, 1] - own[0, 0], abs=1e-9)
    assert dy == pytest.approx(own[1, 0] - own[0, 0], abs=1e-9)


def test_level_dock_aligns_a_drifting_movie(make_napari_viewer, wait_worker, tmp_path):
    from scipy import ndimage as ndi

    scene = ndi.gaussian_filter(np.random.default_rng(2).normal(size=(120, 120)), 2.5)
    truth = np.array([[0, 0], [2, -1], [4, -3], [5, -4]])
    movie = np.stack([scene[20 + dy:100 + dy, 20 + dx:100 + dx] for dy, dx in truth])
    viewer = make_napari_viewer()
    layer = viewer.add_image(movie, scale=(1.0, 3.0, 3.0), units=("s", "nm", "nm"), name="movie")
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Level")
    widget.image.value = layer
    wait_worker(widget.run_align())
    aligned = viewer.layers["movie · drift corrected"]
    # frame k shows the scene moved by -truth[k]; the dock moves it back by +truth[k]
    np.testing.assert_allclose(aligned.metadata["drift_shifts_px"], truth, atol=0.1)
    np.testing.assert_allclose(widget.shifts["dx_nm"], 3.0 * truth[:, 1], atol=0.3)
    assert widget.table.shape == (4, 7)
    np.testing.assert_allclose(aligned.data[3, 10:-10, 10:-10], movie[0, 10:-10, 10:-10], atol=0.02 * movie.std())
    widget.csv_path.value = tmp_path / "shifts.csv"
    widget.export_shifts()
    lines = (tmp_path / "shifts.csv").read_text().splitlines()
    assert lines[0] == "frame,dy_px,dx_px,dy_nm,dx_nm,error,registered" and len(lines) == 5
    widget.image.value = viewer.add_image(movie[0], name="one frame")
    assert widget.run_align() is None and "movie" in widget.status.value


def test_writer_round_trip(make_napari_viewer, tmp_path):
    from napari_afm_profiler.io import read_afm

    viewer = make_napari_viewer()
    layer = viewer.add_image(np.random.default_rng(0).random((20, 30)), scale=(1.5, 2.5), name="h")
    out = tmp_path / "h.tif"
    viewer.layers.save(str(out), selected=False, plugin="napari-afm-profiler")
    scan = read_afm(out)[0]
    assert scan.pixel_size_nm == pytest.approx((1.5, 2.5))
    assert np.allclose(scan.data, layer.data, atol=1e-6)


def test_reader_claims_generic_files_only_with_afm_metadata(tmp_path):
    """A plain TIFF or .npy goes to other readers; our own export (and Park/JPK TIFFs) is ours."""
    import tifffile

    from napari_afm_profiler._napari.reader import napari_get_reader
    from napari_afm_profiler.io.writers import write_tiff

    plain = tmp_path / "cells.tif"
    tifffile.imwrite(plain, np.zeros((8, 8), np.uint16))
    np.save(tmp_path / "array.npy", np.zeros((8, 8)))
    assert napari_get_reader(str(plain)) is None
    assert napari_get_reader(str(tmp_path / "array.npy")) is None
    own = write_tiff(tmp_path / "scan.afm.tif", np.ones((8, 8)), pixel_size_nm=(2.0, 2.0))
    layers = napari_get_reader(str(own))(str(own))
    assert layers[0][1]["scale"] == (2.0, 2.0) and layers[0][1]["metadata"]["afm"]["z_unit"] == "nm"


def test_unknown_npy_is_never_labelled_height_in_nm(tmp_path):
    from napari_afm_profiler.io import read_afm

    np.save(tmp_path / "array.npy", np.arange(12.0).reshape(3, 4))
    (scan,) = read_afm(tmp_path / "array.npy")
    assert scan.channel == "Data" and scan.z_unit == "" and scan.pixel_size_nm is None


def test_open_afm_file_dock_reads_what_napari_is_not_offered(make_napari_viewer, tmp_path):
    from napari_afm_profiler.io.writers import write_tiff

    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Open AFM file")
    own = write_tiff(tmp_path / "plain-name.tif", np.full((6, 7), 3.0), pixel_size_nm=(1.5, 1.5))
    widget.path.value = own
    widget()
    layer = viewer.layers[-1]
    assert tuple(layer.scale) == (1.5, 1.5) and layer.metadata["afm"]["z_unit"] == "nm"
    np.save(tmp_path / "heights.npy", np.zeros((5, 5)))
    widget.path.value = tmp_path / "heights.npy"
    widget.pixel_size_nm.value = 0.5
    widget()
    assert tuple(viewer.layers[-1].scale) == (0.5, 0.5) and viewer.layers[-1].metadata["afm"]["z_unit"] == "nm"


def test_movie_opens_lazily_with_first_frame_contrast(make_napari_viewer, tmp_path):
    import dask.array as da

    from tests.io.test_asd_versions import asd_bytes

    counts = np.random.default_rng(1).integers(0, 4096, (12, 40, 50)).astype(np.int16)
    counts[0] = np.clip(counts[0], 1000, 3000)  # the first frame has a narrower range than the movie
    path = tmp_path / "movie.asd"
    path.write_bytes(asd_bytes(1, counts))
    viewer = make_napari_viewer()
    (layer,) = viewer.open(str(path), plugin="napari-afm-profiler")
    assert isinstance(layer.data, da.Array) and layer.data.shape == (12, 40, 50)
    first = np.asarray(layer.data[0])
    assert layer.contrast_limits == pytest.approx([first.min(), first.max()])
    assert tuple(layer.scale) == pytest.approx((1.0, 2.0, 2.0))


def test_gui_docks_the_main_widgets_tabified(make_napari_viewer):
    from qtpy.QtWidgets import QDockWidget

    from napari_afm_profiler._napari.launch import MAIN_WIDGETS, dock_main_widgets

    viewer = make_napari_viewer()
    docks = dock_main_widgets(viewer)
    assert len(docks) == len(MAIN_WIDGETS) >= 5
    tabbed = viewer.window._qt_window.tabifiedDockWidgets(docks[0])
    assert set(map(id, tabbed)) == set(map(id, docks[1:]))
    assert all(isinstance(d, QDockWidget) for d in docks)


def test_reader_shows_lines_never_scanned_as_missing():
    from napari_afm_profiler._napari.reader import scan_to_layer
    from napari_afm_profiler.io.scan import AfmScan

    data = np.random.default_rng(3).normal(10.0, 1.0, (30, 20))
    data[:25] = 0.0  # the scan was stopped after its first 5 lines (scanned bottom up)
    layer_data, kwargs, kind = scan_to_layer(AfmScan(data, (2.0, 2.0), "Height", "nm", "test"), "partial.nid")
    assert kind == "image" and np.isnan(layer_data[:25]).all() and np.isfinite(layer_data[25:]).all()
    assert kwargs["metadata"]["afm"]["unscanned_lines"] == 25
    assert kwargs["contrast_limits"] == pytest.approx((data[25:].min(), data[25:].max()))
