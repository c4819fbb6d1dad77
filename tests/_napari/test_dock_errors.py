"""Headless napari: every bad input a dock meets becomes a sentence, never a traceback.

Each case drives a dock the way a user would and checks both places a user reads: the dock's
status line ("error: …") and a napari notification with the same message.  An exception that
escaped into napari would fail the test (the action would raise instead of returning None).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from napari_afm_profiler.synth.scene import fractal_surface

napari = pytest.importorskip("napari")


@pytest.fixture
def notices(monkeypatch):
    """Messages the docks sent to napari's notification area."""
    import napari.utils.notifications as notifications

    sent: list[str] = []
    monkeypatch.setattr(notifications, "show_warning", lambda message: sent.append(str(message)))
    monkeypatch.setattr(notifications, "show_error", lambda message: sent.append(str(message)))
    return sent


def _dock(viewer, name):
    return viewer.window.add_plugin_dock_widget("napari-afm-profiler", name)[1]


def _height(viewer, shape=(64, 64), name="scan · Height", seed=0):
    return viewer.add_image(fractal_surface(shape, rms_nm=2.0, seed=seed), name=name, scale=(1.0, 1.0),
                            units=("nm", "nm"))


def _said(dock, notices, *words):
    """The status line and the last notification both carry every one of ``words``."""
    status = dock.status.value
    assert status.startswith("error: "), status
    assert notices, "no napari notification was shown"
    for word in words:
        assert word in status, status
        assert word in notices[-1], notices[-1]


def test_level_mask_of_the_wrong_shape(make_napari_viewer, notices):
    viewer = make_napari_viewer()
    image = _height(viewer)
    mask = viewer.add_labels(np.zeros((32, 48), np.int32), name="particles")
    dock = _dock(viewer, "Level")
    dock.image.value, dock.mask.value = image, mask
    assert dock.run_level() is None
    _said(dock, notices, "mask shape (32, 48)", "(64, 64)")


def test_training_pairs_mask_of_the_wrong_shape_and_the_same_layer_twice(make_napari_viewer, notices):
    viewer = make_napari_viewer()
    image, truth = _height(viewer), _height(viewer, name="truth", seed=1)
    viewer.add_labels(np.zeros((10, 10), np.int32), name="objects")
    dock = _dock(viewer, "Training pairs")
    dock.image.value, dock.truth.value = image, truth
    dock.mask.value = viewer.layers["objects"]
    assert dock.check_alignment() is None
    _said(dock, notices, "object mask", "(10, 10)")
    dock.mask.value = None
    dock.truth.value = image
    for action in (dock.check_alignment, dock.register_truth, dock.make_tiles, dock.export_pairs):
        notices.clear()
        assert action() is None
        _said(dock, notices, "same layer")


def test_a_dataset_that_is_not_npz(make_napari_viewer, notices, tmp_path):
    viewer = make_napari_viewer()
    not_npz = tmp_path / "scan.tif"
    not_npz.write_bytes(b"II*\x00 not a dataset")
    pairs = _dock(viewer, "Training pairs")
    pairs.load_path.value = not_npz
    assert pairs.load_pairs() is None
    _said(pairs, notices, "scan.tif", "not a .npz dataset")

    train = _dock(viewer, "Train")
    train.source.value = "paired dataset (.npz)"
    train.dataset.value = not_npz
    assert train.start() is None
    _said(train, notices, "not a .npz dataset")


def test_train_on_the_same_layer_twice(make_napari_viewer, notices):
    viewer = make_napari_viewer()
    image = _height(viewer)
    train = _dock(viewer, "Train")
    train.source.value = "paired layers (image + ground truth)"
    train.image.value = train.truth.value = image
    assert train.start() is None
    _said(train, notices, "same layer")


def test_a_layer_that_is_not_a_tip(make_napari_viewer, notices):
    viewer = make_napari_viewer()
    image = _height(viewer)
    even = viewer.add_image(np.zeros((20, 20)), name="even tip", scale=(1.0, 1.0), units=("nm", "nm"))
    tip_dock = _dock(viewer, "Tip")
    tip_dock.image.value = image
    tip_dock.tip_source.value = even
    assert tip_dock.apply("dilate") is None
    _said(tip_dock, notices, "'even tip' cannot be a tip", "odd square")
    tip_dock.tip_source.value = image
    assert tip_dock.apply("erode") is None
    _said(tip_dock, notices, "is the image itself")

    deconvolve = _dock(viewer, "Deconvolve")
    deconvolve.image.value = image
    deconvolve.tip.value = even
    notices.clear()
    assert deconvolve.run() is None
    _said(deconvolve, notices, "'even tip' cannot be a tip", "(20, 20)")


def test_evaluate_before_any_class_is_assigned(make_napari_viewer, notices):
    viewer = make_napari_viewer()
    image = _height(viewer)
    cells = viewer.add_labels(np.repeat(np.arange(1, 5), 16 * 64).reshape(64, 64).astype(np.int32), name="scan · cells")
    dock = _dock(viewer, "Classifier")
    dock.images.value, dock.labels_layers.value = [image], [cells]
    assert dock.run() is None and dock.worker is None  # refused before any roughness is computed
    _said(dock, notices, "no label has a class yet")
    dock.class_name.value = "A"
    dock.assign_to_layers()
    assert dock.run() is None
    _said(dock, notices, "only one class is assigned ('A')")


def test_batch_with_a_missing_config_file(make_napari_viewer, notices, tmp_path):
    viewer = make_napari_viewer()
    dock = _dock(viewer, "Batch")
    dock.folder.value = tmp_path
    dock.output.value = tmp_path / "out"
    dock.config.value = tmp_path / "missing.yaml"
    assert dock.run() is None
    _said(dock, notices, "missing.yaml does not exist")


def test_cancelling_blind_estimation_takes_effect_within_a_second(make_napari_viewer, qtbot, wait_worker):
    from napari_afm_profiler.tip import dilate, make_tip

    viewer = make_napari_viewer()
    surface = fractal_surface((1024, 1024), rms_nm=3.0, hurst=0.7, seed=2)
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=5.0, half_angle_deg=20.0, size=41).heights
    noisy = dilate(surface, tip) + np.random.default_rng(0).normal(0, 0.3, surface.shape)
    layer = viewer.add_image(noisy, name="noisy", scale=(1.0, 1.0), units=("nm", "nm"))
    dock = _dock(viewer, "Tip")
    dock.image.value = layer
    dock.auto_size.value = False
    dock.size.value = 41
    dock.full.value = True
    worker = dock.estimate()
    qtbot.waitUntil(lambda: "sweep" in dock.status.value, timeout=60000)  # running (compiled kernels loaded)
    began = time.perf_counter()
    dock.cancel.changed.emit(True)
    wait_worker(worker, timeout=10000)
    assert time.perf_counter() - began < 1.0
    qtbot.wait(100)
    assert dock.status.value == "cancelled"
    assert not any(ly.name.startswith("tip · blind estimate") for ly in viewer.layers)
