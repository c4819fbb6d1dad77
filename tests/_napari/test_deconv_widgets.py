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
