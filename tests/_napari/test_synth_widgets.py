"""Headless napari: the Virtual data and Training pairs docks export datasets that load back."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

napari = pytest.importorskip("napari")



def test_virtual_data_preview_and_export(make_napari_viewer, qtbot, tmp_path, wait_worker):
    from napari_afm_profiler.synth import load_dataset

    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Virtual data")
    widget.kind.value = "mixed"
    widget.mixed_kinds.value = ["dome", "prism"]
    widget.size.value = 64
    widget.obj_min.value, widget.obj_max.value = 8.0, 10.0
    widget.h_min.value, widget.h_max.value = 4.0, 6.0
    widget.artifacts.value = "paper"
    widget.preview_n.value = 2
    wait_worker(widget.show_preview())
    surface, image = viewer.layers["virtual · true surface"], viewer.layers["virtual · AFM image"]
    assert surface.data.shape == image.data.shape == (2, 64, 64)
    assert tuple(surface.scale) == tuple(image.scale) == (1.0, 1.0, 1.0)
    assert image.translate[-1] > 64  # side by side
    widget.n.value = 5
    widget.path.value = tmp_path / "virtual.npz"
    wait_worker(widget.export_dataset())
    data = load_dataset(tmp_path / "virtual.npz")
    assert data["image"].shape == (5, 64, 64) and data["kind"] == "mixed"
    assert set(data["objects_kind"]) <= {"dome", "prism"}
    assert data["parameters"]["config"]["artifacts"]["line_probability"] == 0.05
    # the preview pairs are the first pairs of the exported dataset (same seed)
    np.testing.assert_allclose(data["surface"][:2], surface.data)


def test_training_pairs_register_tile_review_export_reload(make_napari_viewer, tmp_path):
    from napari_afm_profiler.synth import fractal_surface, load_dataset
    from napari_afm_profiler.tip import dilate, make_tip

    viewer = make_napari_viewer()
    truth = fractal_surface((96, 96), rms_nm=3.0, hurst=0.6, seed=5)
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=3.0, half_angle_deg=30, size=9)
    image = ndi.shift(dilate(truth, tip), (2.0, -3.0), order=1, mode="nearest")  # scan offset by (2, -3) px
    viewer.add_image(image, name="scan", scale=(1.0, 1.0))
    viewer.add_image(truth, name="sharp scan", scale=(1.0, 1.0))
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Training pairs")
    widget.image.value = viewer.layers["scan"]
    widget.truth.value = viewer.layers["sharp scan"]
    widget.register_truth()
    shift = [float(v) for v in widget.status.value.split("by ")[1].removesuffix(" px").split(",")]
    assert shift == pytest.approx([2.0, -3.0], abs=0.5)
    widget.crop.value, widget.stride.value = 32, 32
    origins = widget.make_tiles()
    assert len(origins) == 9 and "pair · image" in viewer.layers
    widget.index.value = 4
    widget.keep.value = False
    widget.path.value = tmp_path / "pairs.npz"
    widget.export_pairs()
    data = load_dataset(tmp_path / "pairs.npz")
    assert data["image"].shape == (8, 32, 32)
    assert data["parameters"]["truth"] == "sharp scan · registered"
    widget.load_path.value = tmp_path / "pairs.npz"
    layers = widget.load_pairs()
    assert layers[0].data.shape == (8, 32, 32) and layers[1].translate[-1] > 32


def test_mismatched_pixel_sizes_are_resampled_explicitly(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((64, 64)), name="coarse", scale=(2.0, 2.0))
    viewer.add_image(np.zeros((128, 128)), name="fine", scale=(1.0, 1.0))
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Training pairs")
    widget.image.value = viewer.layers["coarse"]
    widget.truth.value = viewer.layers["fine"]
    aligned = widget.check_alignment()
    assert aligned.truth.shape == (64, 64)
    assert "resampled" in widget.status.value
