"""Headless napari: the Tip dock widget on a real instrument file (dilation then erosion round trip)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SAMPLES

napari = pytest.importorskip("napari")


def _dock(viewer):
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Tip")
    return widget


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")
def test_dilate_then_erode_round_trip_on_a_real_file(make_napari_viewer, qtbot, wait_worker):
    viewer = make_napari_viewer()
    height = viewer.open(str(SAMPLES / "kpg20080408.007"), plugin="napari-afm-profiler")[-1]  # height on top
    widget = _dock(viewer)
    widget.image.value = height
    widget.shape.value = "cone"
    widget.radius.value = 8.0
    widget.half_angle.value = 25.0
    widget.auto_size.value = True
    tip = widget.current_tip()
    assert tip.shape[0] % 2 == 1 and tip[tip.shape[0] // 2, tip.shape[0] // 2] == 0.0
    wait_worker(widget.apply("dilate"))
    dilated = viewer.layers[f"{height.name} · dilated (simulated image)"]
    assert tuple(dilated.scale) == tuple(height.scale)
    widget.image.value = dilated
    wait_worker(widget.apply("erode"))
    eroded = viewer.layers[f"{dilated.name} · eroded (reconstruction)"]
    surface = np.asarray(height.data, float)
    # Villarrubia: S <= erode(dilate(S)) <= dilate(S)
    assert np.all(eroded.data >= surface - 1e-9)
    assert np.all(eroded.data <= dilated.data + 1e-9)
    assert tuple(eroded.scale) == tuple(height.scale)


def test_preview_estimate_and_reuse_of_the_estimated_tip(make_napari_viewer, qtbot, wait_worker):
    from napari_afm_profiler.tip import dilate, make_tip

    viewer = make_napari_viewer()
    true_tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=3.0, size=9).heights
    surface = np.zeros((96, 96))
    rng = np.random.default_rng(1)
    surface[rng.integers(8, 88, 25), rng.integers(8, 88, 25)] = 25.0
    image = viewer.add_image(dilate(surface, true_tip), name="spikes", scale=(1.0, 1.0), units=("nm", "nm"))
    widget = _dock(viewer)
    widget.image.value = image
    widget.shape.value = "paraboloid"
    widget.radius.value = 3.0
    widget.auto_size.value = False
    widget.size.value = 9
    shown = widget.show_tip()
    np.testing.assert_allclose(shown.data, true_tip)
    assert len(widget.figure.axes) >= 2  # 3-D surface and apex profile drawn
    worker = widget.estimate()
    wait_worker(worker)
    estimated = viewer.layers["tip · blind estimate from spikes"]
    np.testing.assert_allclose(estimated.data, true_tip, atol=1e-9)
    # the estimated tip can be chosen as the tip for the operations
    widget.tip_source.reset_choices()
    widget.tip_source.value = estimated
    np.testing.assert_allclose(widget.current_tip(), true_tip, atol=1e-9)


def test_tip_sizes_stay_odd_the_preview_names_its_source_and_uncalibrated_layers_are_refused(make_napari_viewer):
    viewer = make_napari_viewer()
    raw = viewer.add_image(np.zeros((40, 40)), name="raw")
    cal = viewer.add_image(np.zeros((40, 40)), name="cal", scale=(2.0, 2.0), units=("nm", "nm"))
    widget = _dock(viewer)
    widget.auto_size.value = False
    widget.size.value = 10
    assert widget.size.value == 11 and widget.current_tip().shape == (11, 11)
    widget.image.value = cal
    widget.shape.value = "paraboloid"
    assert widget.source_label.value == "paraboloid model, R 10 nm"
    titles = [ax.get_title() for ax in widget.figure.axes] + [t.get_text() for t in widget.figure.texts]
    if widget.figure._suptitle is not None:
        titles.append(widget.figure._suptitle.get_text())
    assert any("paraboloid model" in t for t in titles)
    widget.tip_source.value = cal
    assert widget.source_label.value == "tip layer 'cal'"
    widget.tip_source.value = None
    widget.image.value = raw
    assert widget.apply("dilate") is None and "no pixel size in nm" in widget.status.value
    assert widget.estimate() is None and "no pixel size in nm" in widget.status.value


def test_reading_the_tip_from_the_image_fills_the_model_with_what_the_estimator_reads(make_napari_viewer, wait_worker):
    pytest.importorskip("torch")
    from napari_afm_profiler.deconv.tip_estimator import guess_tip
    from napari_afm_profiler.synth.wide import WideSpec, make_wide_pair

    viewer = make_napari_viewer()
    pair = make_wide_pair(WideSpec(scenes=("rods",)), 11)
    px = pair.pixel_size_nm
    layer = viewer.add_image(pair.image, name="rods", scale=(px, px), units=("nm", "nm"))
    widget = _dock(viewer)
    widget.image.value = layer
    wait_worker(widget.read_tip())
    guess = guess_tip(pair.image, px)
    assert widget.tip_source.value is None and widget.shape.value == guess.shape
    assert widget.radius.value == pytest.approx(guess.radius_nm(), abs=0.01)
    assert widget.status.value.startswith("read from rods:") and "90 % range" in widget.status.value
    viewer.add_image(np.zeros((40, 40)), name="raw")
    widget.image.value = viewer.layers["raw"]
    assert widget.read_tip() is None and "no pixel size in nm" in widget.status.value


def test_a_tip_the_estimator_cannot_read_is_named_and_leaves_the_model_as_it_was(make_napari_viewer, wait_worker,
                                                                                 monkeypatch):
    pytest.importorskip("torch")
    from napari_afm_profiler.deconv import tip_estimator

    wild = tip_estimator.TipGuess({"cone": 0.2, "pyramid": 0.3, "paraboloid": 0.5}, (11.4, 2219.0), (24.0, 42.0))
    monkeypatch.setattr(tip_estimator, "guess_tip", lambda *args, **kwargs: wild)
    viewer = make_napari_viewer()
    layer = viewer.add_image(np.zeros((64, 64)), name="flat", scale=(0.3, 0.3), units=("nm", "nm"))
    widget = _dock(viewer)
    widget.image.value = layer
    before = (widget.shape.value, widget.radius.value)
    wait_worker(widget.read_tip())
    assert widget.status.value.startswith("could not read the tip from flat: its apex radius is uncertain")
    assert (widget.shape.value, widget.radius.value) == before
