"""Headless napari: the Train dock trains a model that the Deconvolve dock then applies."""

from __future__ import annotations

import numpy as np
import pytest

napari = pytest.importorskip("napari")
pytest.importorskip("torch")



def test_train_then_deconvolve(make_napari_viewer, qtbot, tmp_path, wait_worker):
    viewer = make_napari_viewer()
    _, trainer = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Train")
    trainer.kinds.value = ["dome", "fractal"]
    trainer.n_train.value = 8
    trainer.epochs.value = 2
    trainer.batch.value = 4
    trainer.output.value = tmp_path / "model"
    wait_worker(trainer.start())
    assert len(trainer.history) == 2 and len(trainer.figure.axes[0].lines) == 2  # live loss plot
    assert (tmp_path / "model" / "weights.safetensors").is_file()
    assert "validation MAE" in trainer.status.value

    image = np.random.default_rng(0).uniform(0, 10, (2, 64, 64))
    layer = viewer.add_image(image, name="frames", scale=(1, 1.0, 1.0), units=("pixel", "nm", "nm"))
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Deconvolve")
    dock.image.value = layer
    dock.model.value = "own model folder…"
    dock.folder.value = tmp_path / "model"
    wait_worker(dock.run())
    result = viewer.layers["frames · deconvolved"]
    assert result.data.shape == image.shape and tuple(result.scale) == tuple(layer.scale)
    assert np.all(result.data <= image)
    removed = viewer.layers["frames · removed by deconvolution"]
    np.testing.assert_allclose(removed.data, image - result.data)
    assert viewer.layers["frames · deconvolution uncertainty"].data.shape == image.shape


def _dome_image():
    from napari_afm_profiler.tip import dilate, make_tip

    yy, xx = np.mgrid[0:64, 0:64] * 1.0
    surface = np.sqrt(np.clip(144 - (yy - 32) ** 2 - (xx - 30) ** 2, 0, None))
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=5.0, half_angle_deg=20.0, height_nm=14.0)
    return dilate(surface, tip), tip.heights


def test_deconvolve_dock_uses_the_chosen_tip_and_says_so(make_napari_viewer, wait_worker):
    viewer = make_napari_viewer()
    image, tip = _dome_image()
    layer = viewer.add_image(image, name="domes", scale=(1.0, 1.0), units=("nm", "nm"))
    tip_layer = viewer.add_image(tip, name="tip", scale=(1.0, 1.0), units=("nm", "nm"))
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Deconvolve")
    dock.image.value = layer
    assert dock.tip_used.value == "the model's nominal tip (no tip given)"
    dock.tip.value = "tip model (parameters below)"
    dock.tip_shape.value, dock.tip_radius.value, dock.tip_half_angle.value = "cone", 5.0, 20.0
    assert not dock.tip_half_angle.native.isHidden() and dock.tip_used.value == "cone, R 5 nm, 20°"
    wait_worker(dock.run())
    result = viewer.layers["domes · deconvolved"]
    assert result.metadata["deconvolution"]["tip"].startswith("the given tip model (cone, apex radius 5 nm")
    assert dock.tip_used.value.startswith("the given tip model")
    assert dock.status.value.startswith("done")
    assert np.all(viewer.layers["domes · consistency (image − tip ⊕ result)"].data >= 0)
    lower, upper = (viewer.layers[f"domes · 90 % interval, {bound} bound"] for bound in ("lower", "upper"))
    assert not lower.visible and np.all(lower.data <= result.data + 1e-5) and np.all(result.data <= upper.data + 1e-5)
    assert lower.contrast_limits == result.contrast_limits  # on the result's scale, to compare by eye
    dock.tip.value = tip_layer
    wait_worker(dock.run())
    assert "given tip of" in viewer.layers[-6].metadata["deconvolution"]["tip"]
    dock.tip.value = "read from the image (tip estimator)"
    wait_worker(dock.run())
    read = viewer.layers[-6].metadata["deconvolution"]
    assert dock.tip_used.value.startswith("the tip read from the image") and "averages the results" in dock.tip_used.value
    assert len(read["tip_read_from_image"]["readings_radius_nm"]) == 3
    assert read["mirror_average"] is False
    dock.mirror.value = True  # the mirror images too: the layer's notes say so
    wait_worker(dock.run())
    mirrored = viewer.layers[-6].metadata["deconvolution"]
    assert mirrored["mirror_average"] is True and any("mirror images" in note for note in mirrored["notes"])


def _domes_deconvolved_with_a_cone(make_napari_viewer, wait_worker, name, pixel_nm, radius_nm, half_angle_deg):
    """Deconvolve the domes (imaged by a 5 nm cone) in the dock with a cone model of the given size; return the dock."""
    image, _ = _dome_image()
    viewer = make_napari_viewer()
    layer = viewer.add_image(image, name=name, scale=(pixel_nm, pixel_nm), units=("nm", "nm"))
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Deconvolve")
    dock.image.value = layer
    dock.tip.value = "tip model (parameters below)"
    dock.tip_shape.value, dock.tip_radius.value, dock.tip_half_angle.value = "cone", radius_nm, half_angle_deg
    wait_worker(dock.run())
    return viewer, dock


def test_a_tip_too_blunt_for_the_image_is_named_as_the_cause(make_napari_viewer, wait_worker):
    """The domes were imaged by a 5 nm cone; a 30 nm, 35 deg cone cannot have made them, whatever the network does."""
    viewer, dock = _domes_deconvolved_with_a_cone(make_napari_viewer, wait_worker, "domes", 1.0, 30.0, 35.0)
    assert dock.status.value.startswith("done, but check the result")
    assert "so it is not the network: the tip may be too blunt for this image" in dock.status.value
    summary = viewer.layers["domes · deconvolved"].metadata["deconvolution"]
    assert summary["flagged"] and summary["tip_unexplained_share"] > 0.05


def test_a_coarse_scan_in_the_dock_says_it_got_the_erosion(make_napari_viewer, wait_worker):
    viewer, dock = _domes_deconvolved_with_a_cone(make_napari_viewer, wait_worker, "survey", 20.0, 10.0, 20.0)
    assert dock.status.value.startswith("pixels this coarse get the erosion by the tip")
    result = viewer.layers["survey · deconvolved"]
    assert result.metadata["deconvolution"]["method"] == "erosion" and result.data.shape == _dome_image()[0].shape


def test_level_then_deconvolve_puts_the_removed_tilt_back(make_napari_viewer, wait_worker):
    """The Level dock records the tilt it took out; the Deconvolve dock gives it to the network and says so."""
    from napari_afm_profiler.tip import dilate, make_tip

    yy, xx = np.mgrid[0:64, 0:64] * 1.0
    surface = np.sqrt(np.clip(144 - (yy - 32) ** 2 - (xx - 30) ** 2, 0, None))
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=5.0, half_angle_deg=20.0, height_nm=14.0)
    viewer = make_napari_viewer()
    layer = viewer.add_image(dilate(surface + 0.2 * xx, tip), name="tilted", scale=(1.0, 1.0), units=("nm", "nm"))
    _, leveller = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Level")
    leveller.image.value, leveller.method.value = layer, "plane"
    wait_worker(leveller.run_level())
    levelled = viewer.layers["tilted · levelled (plane)"]
    assert levelled.metadata["removed_tilt_nm_per_px"][1] == pytest.approx(0.2, abs=0.03)
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Deconvolve")
    dock.image.value = levelled
    dock.tip.value = "tip model (parameters below)"
    dock.tip_shape.value, dock.tip_radius.value, dock.tip_half_angle.value = "cone", 5.0, 20.0
    wait_worker(dock.run())
    notes = viewer.layers["tilted · levelled (plane) · deconvolved"].metadata["deconvolution"]["notes"]
    assert any(note.startswith("removed tilt") and "deg along x" in note for note in notes)


def test_deconvolve_dock_refuses_in_words(make_napari_viewer):
    viewer = make_napari_viewer()
    image, _ = _dome_image()
    raw = viewer.add_image(image, name="uncalibrated")
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Deconvolve")
    dock.image.value = raw
    assert dock.run() is None and "no pixel size in nm" in dock.status.value
    calibrated = viewer.add_image(image, name="cal", scale=(1.0, 1.0), units=("nm", "nm"))
    dock.image.value = calibrated
    dock.tip.value = calibrated
    assert dock.run() is None and "the tip layer is the image itself" in dock.status.value
    dock.tip.value = raw
    assert dock.run() is None and "has no pixel size" in dock.status.value


def test_cancel_stays_in_the_status_line(make_napari_viewer, qtbot, wait_worker):
    viewer = make_napari_viewer()
    image, _ = _dome_image()
    stack = np.stack([image] * 12)
    layer = viewer.add_image(stack, name="movie", scale=(1.0, 1.0, 1.0), units=("pixel", "nm", "nm"))
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Deconvolve")
    dock.image.value = layer
    worker = dock.run()
    qtbot.waitUntil(lambda: dock.status.value.startswith(("frame", "tiles")), timeout=60000)
    dock.cancel.changed.emit(True)
    wait_worker(worker)
    qtbot.wait(200)  # let late progress signals arrive: they must not overwrite the word
    assert dock.status.value == "cancelled"
    assert "movie · deconvolved" not in viewer.layers


def test_dropped_lines_are_replaced_and_shown(make_napari_viewer, wait_worker):
    image, tip = _dome_image()
    image[40, :] -= 20.0  # a scan line that dropped out
    viewer = make_napari_viewer()
    layer = viewer.add_image(image, name="domes", scale=(1.0, 1.0), units=("nm", "nm"))
    viewer.add_image(tip, name="tip", scale=(1.0, 1.0), units=("nm", "nm"))
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Deconvolve")
    dock.image.value, dock.tip.value = layer, viewer.layers["tip"]
    assert dock.dropouts.value  # on by default
    wait_worker(dock.run())
    shown = viewer.layers["domes · dropouts replaced"]
    np.testing.assert_array_equal(np.nonzero(shown.data.any(axis=1))[0], [40])
    assert "64 pixels lower than the tip can image" in dock.status.value
    assert viewer.layers["domes · deconvolved"].metadata["deconvolution"]["dropout_pixels"] == 64
    dock.dropouts.value = False
    wait_worker(dock.run())
    assert viewer.layers[-1].name != "domes · dropouts replaced" and "lower than the tip" not in dock.status.value


def test_steps_too_steep_for_the_tip_are_put_in_words():
    from napari_afm_profiler._napari.widgets.deconvolve import _in_words

    summary = {"share_above_3_noise": 0.01, "flagged": False, "dropout_pixels": 0, "steps_steeper_than_tip_nm": 1259.0}
    words = _in_words(summary)
    assert words.startswith("done") and "may lie up to 1.26e+03 nm below their tops" in words
    assert "steeper" not in _in_words(dict(summary, steps_steeper_than_tip_nm=0.0))


def test_scan_line_noise_and_its_widening_are_put_in_words():
    from napari_afm_profiler._napari.widgets.deconvolve import _in_words

    summary = {"share_above_3_noise": 0.01, "flagged": False, "dropout_pixels": 0, "line_noise_ratio": 3.1,
               "line_noise_widening_nm": 0.42}
    assert "3.1 times higher across them than along them): the 90 % interval was widened by 0.42 nm" in _in_words(summary)
    assert "none along them" in _in_words(dict(summary, line_noise_ratio=float("inf")))
    assert "wander" not in _in_words(dict(summary, line_noise_ratio=1.02, line_noise_widening_nm=0.001))
    assert "wander" not in _in_words(dict(summary, line_noise_widening_nm=0.0))  # a card without the calibration
