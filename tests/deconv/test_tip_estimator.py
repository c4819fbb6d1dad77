"""The learned tip estimator: its inputs, its accuracy on unseen pairs, training and resuming, and its use."""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from napari_afm_profiler.deconv.tip_estimator import (  # noqa: E402
    HEIGHT_SCALE,
    estimator_inputs,
    guess_tip,
    load_tip_estimator,
)
from napari_afm_profiler.deconv.tip_estimator_training import (  # noqa: E402
    TipEstimatorConfig,
    train_tip_estimator_steps,
)
from napari_afm_profiler.errors import AFMFormatError, InputError  # noqa: E402
from napari_afm_profiler.synth.wide import WideSpec, make_wide_pair, pairs_per_scene  # noqa: E402
from napari_afm_profiler.tip import dilate, make_tip  # noqa: E402
from napari_afm_profiler.tip.models import Tip  # noqa: E402

#: seed of the accuracy test's pairs: used by no training, validation, calibration or benchmark
TEST_SEED = 99_991


def test_inputs_are_heights_in_pixels_above_the_substrate_plane():
    yy, xx = np.mgrid[0:64, 0:64] * 0.5
    box = np.zeros((64, 64))
    box[20:30, 20:30] = 4.0
    x, scalars = estimator_inputs(box + 0.1 * xx - 0.05 * yy, 0.5)
    np.testing.assert_allclose(x[0][25, 25], 4.0 / 0.5 / HEIGHT_SCALE, atol=1e-3)  # 4 nm box = 8 px
    assert abs(float(np.median(x))) < 1e-6 and abs(float(x[0][50, 50])) < 1e-3  # the tilt is gone
    assert scalars[0] == pytest.approx(math.log(0.5))


def test_the_shipped_estimator_reads_the_apex_radius_of_unseen_pairs():
    """Three pairs of every scene kind from a seed never used: truth from the generator's own tip."""
    estimator = load_tip_estimator()
    errors = []
    for pair in pairs_per_scene(WideSpec(noise_nm=(0.005, 0.5), tilt_probability=0.2), TEST_SEED, 3):
        guess = guess_tip(pair.image, pair.pixel_size_nm, estimator)
        errors.append(math.log(guess.radius_nm() / pair.parameters["tip"]["radius_nm"]))
    errors = np.abs(errors)
    # a guess of the range's geometric mean (7.7 nm) is off by a median factor of about 2
    assert math.exp(float(np.median(errors))) < 1.45
    assert float(np.mean(errors < math.log(2.0))) > 0.75


def test_a_sharper_tip_reads_sharper_on_the_same_surface():
    pair = make_wide_pair(WideSpec(scenes=("rods",), tilt_probability=0.0), 5)
    px = pair.pixel_size_nm
    radii = []
    for radius in (3.0, 20.0):
        tip = make_tip("cone", pixel_size_nm=px, radius_nm=radius, half_angle_deg=20.0, height_nm=60.0)
        image = dilate(pair.surface, tip) + np.random.default_rng(1).normal(0, 0.05, pair.surface.shape)
        radii.append(guess_tip(image, px).radius_nm())
    assert radii[0] < radii[1]
    assert 3.0 / 2 < radii[0] < 3.0 * 2 and 20.0 / 2 < radii[1] < 20.0 * 2


def test_a_mirrored_image_reads_the_same_tip():
    """Each window is read in all 8 orientations of the square, so mirroring the image changes nothing."""
    pair = make_wide_pair(WideSpec(scenes=("caps",), tilt_probability=0.0), 21)
    estimator = load_tip_estimator()
    guess = guess_tip(pair.image, pair.pixel_size_nm, estimator)
    for mirrored in (pair.image[:, ::-1], pair.image[::-1, :]):
        other = guess_tip(np.ascontiguousarray(mirrored), pair.pixel_size_nm, estimator)
        assert other.log_radius_nm == pytest.approx(guess.log_radius_nm, abs=1e-4)
        assert other.half_angle_deg == pytest.approx(guess.half_angle_deg, abs=1e-3)


def test_a_large_image_and_an_odd_pixel_size_are_read_in_windows_of_the_trained_grid():
    pair = make_wide_pair(WideSpec(scenes=("caps",), shape=(300, 260)), 2)
    guess = guess_tip(pair.image, 4 * pair.pixel_size_nm)  # outside 0.5-2 nm/px: resampled into it
    assert 0.1 < guess.radius_nm() < 500 and abs(sum(guess.shape_probabilities.values()) - 1) < 1e-6


def test_bad_input_to_the_estimator_is_refused_with_the_reason(tmp_path):
    with pytest.raises(InputError, match="at least 16 x 16"):
        guess_tip(np.zeros((8, 40)), 1.0)
    with pytest.raises(InputError, match="no finite pixel"):
        guess_tip(np.full((32, 32), np.nan), 1.0)
    with pytest.raises(AFMFormatError, match="tip estimator file missing"):
        load_tip_estimator(tmp_path)
    import shutil

    shipped = load_tip_estimator().path
    for broken, damage in (("garbage", "weights"), ("misfit", "card")):
        folder = tmp_path / broken
        shutil.copytree(shipped, folder)
        if damage == "weights":
            (folder / "weights.safetensors").write_bytes(b"\x00" * 100)
        else:
            (folder / "config.json").write_text('{"model": {"base": 5}}')
        with pytest.raises(AFMFormatError, match="not a readable safetensors" if damage == "weights" else "fit"):
            load_tip_estimator(folder)
    with pytest.raises(InputError, match="n_train"):
        TipEstimatorConfig(n_train=0).check()


def test_training_writes_a_loadable_estimator_and_a_stopped_run_resumes_to_the_same_weights(tmp_path):
    tiny = TipEstimatorConfig(n_train=24, n_val=8, epochs=2, batch_size=8, base=8, workers=1,
                              wide=replace(WideSpec(), shape=(32, 32)))
    torch.manual_seed(0)
    cards = []
    for name in ("whole", "stopped"):
        steps = train_tip_estimator_steps(tiny, tmp_path / name, command="pytest")
        if name == "stopped":
            next(steps)  # one epoch, then the run is dropped; its checkpoint stays
            steps = train_tip_estimator_steps(tiny, tmp_path / name, command="pytest")
        try:
            while True:
                next(steps)
        except StopIteration as stop:
            cards.append(stop.value)
    assert cards[0]["sha256"] == cards[1]["sha256"]
    assert [h["epoch"] for h in cards[1]["history"]] == [1, 2]
    loaded = load_tip_estimator(tmp_path / "whole")
    guess = guess_tip(np.random.default_rng(0).normal(0, 1, (40, 40)), 1.0, loaded)
    assert guess.radius_nm() > 0 and loaded.card["training"]["n_train"] == 24


def test_the_tips_read_from_the_image_are_the_estimators_parametric_tips_checked_against_the_blind_bound():
    """One tip per reading of the card, the estimator's model at that quantile; a blind bound is reported, not applied."""
    from napari_afm_profiler.deconv.tips import tips_read_from_image

    pair = make_wide_pair(WideSpec(scenes=("terraces",), tilt_probability=0.0), 3)
    px = pair.pixel_size_nm
    estimator = load_tip_estimator()
    guess = guess_tip(pair.image, px, estimator)
    readings = sorted(estimator.readings_z)
    shape = guess.shape
    expected = [make_tip(shape, pixel_size_nm=px, radius_nm=guess.radius_nm(z),
                         half_angle_deg=guess.angle_deg(z) if shape != "paraboloid" else None, size=41).heights
                for z in readings]
    flat = Tip(heights=np.zeros((41, 41)), pixel_size_nm=(px, px), shape="array")
    tips, words, note = tips_read_from_image(flat, pair.image, estimator)
    assert [t.parameters["reading_z"] for t in tips] == readings
    for tip, heights in zip(tips, expected):
        np.testing.assert_allclose(tip.heights, heights, atol=1e-9)
    central = readings[len(readings) // 2]
    assert words.startswith("the tip read from the image") and f"{guess.radius_nm(central):.2g} nm" in words
    assert note is None and tips[0].parameters["read_from_image"]["blind_bound_below_share"] == 0.0
    sharp = make_tip("cone", pixel_size_nm=px, radius_nm=0.5, half_angle_deg=5.0, size=41)
    same, _, note = tips_read_from_image(sharp, pair.image, estimator)
    np.testing.assert_allclose(same[0].heights, expected[0], atol=1e-9)  # the bound does not change the tips
    assert note.startswith("the blind (Villarrubia) bound from the image lies below the tip read")
    assert same[0].parameters["read_from_image"]["blind_bound_below_share"] > 0.5


def test_a_deconvolution_with_several_readings_averages_their_results():
    """The result for the readings -1, 0, +1 SD is the mean of the three single-tip results, and so are its bounds."""
    from napari_afm_profiler.deconv.infer import deconvolve, load_model
    from napari_afm_profiler.deconv.tips import estimate_from_image, tips_read_from_image

    pair = make_wide_pair(WideSpec(scenes=("rods",), tilt_probability=0.0, shape=(64, 64)), 9)
    px = pair.pixel_size_nm
    estimator = load_tip_estimator()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tips, _, _ = tips_read_from_image(estimate_from_image(pair.image, (px, px)), pair.image, estimator)
        singles = [deconvolve(pair.image, pixel_size_nm=px, tip=t) for t in tips]
        result = deconvolve(pair.image, pixel_size_nm=px, tip="estimate", tip_estimator=estimator)
    assert len(tips) == len(estimator.readings_z) == 3
    surface = np.mean([r.surface for r in singles], axis=0)
    np.testing.assert_allclose(result.surface, surface, atol=1e-5)
    # the mean bounds, scaled about the mean surface by the card's blind factors (1 without them)
    scale = (load_model("default").card["intervals"].get("blind") or {}).get("scale", {})
    f90, f50 = scale.get("0.9", 1.0), scale.get("0.5", 1.0)
    lower = surface - f90 * (surface - np.mean([r.lower for r in singles], axis=0))
    upper = surface + f90 * (np.mean([r.upper for r in singles], axis=0) - surface)
    np.testing.assert_allclose(result.lower, lower, atol=1e-4)
    np.testing.assert_allclose(result.upper50, surface + f50 * (np.mean([r.upper50 for r in singles], axis=0) - surface),
                               atol=1e-4)
    np.testing.assert_allclose(result.uncertainty, 0.5 * (upper - lower), atol=1e-4)
    assert (result.lower <= result.surface + 1e-4).all() and (result.surface <= result.upper + 1e-4).all()
    assert any("averages the results for apex radii" in note for note in result.notes)
    assert any(note.startswith(f"uncertainty: with the tip read from the image, the interval's bounds are scaled by "
                               f"{f90:.3g}") for note in result.notes) == ("0.9" in scale)
    # the consistency map is that of the mean surface with the bluntest reading
    expected = np.maximum(pair.image - dilate(result.surface, tips[-1].heights), 0)
    np.testing.assert_allclose(result.consistency, expected, atol=1e-5)
    assert result.summary["tip_read_from_image"]["readings_radius_nm"] == pytest.approx(
        [t.parameters["read_from_image"]["readings_radius_nm"][i] for i, t in enumerate(tips)])


def test_deconvolving_with_a_blind_tip_reports_the_tip_read_from_the_image():
    from napari_afm_profiler.deconv.infer import deconvolve

    pair = make_wide_pair(WideSpec(scenes=("caps",)), 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = deconvolve(pair.image, pixel_size_nm=pair.pixel_size_nm, tip="estimate")
    read = result.summary["tip_read_from_image"]
    assert read["shape"] in ("cone", "pyramid", "paraboloid") and read["radius_90_nm"][0] < read["radius_nm"]


def test_without_the_estimator_the_blind_tip_applied_is_the_one_reported():
    """tip_estimator=None: the limited blind estimate is both used and reported (summary's tip_heights)."""
    from napari_afm_profiler.deconv.infer import deconvolve

    pair = make_wide_pair(WideSpec(scenes=("boxes",), tilt_probability=0.0, shape=(64, 64)), 2)
    px = pair.pixel_size_nm
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        blind = deconvolve(pair.image, pixel_size_nm=px, tip="estimate", tip_estimator=None)
        given = deconvolve(pair.image, pixel_size_nm=px, tip=blind.summary["tip_heights"])
    np.testing.assert_allclose(blind.surface, given.surface, atol=1e-6)


def test_a_reading_far_more_uncertain_than_any_on_validation_falls_back_to_the_limited_blind_bound(monkeypatch):
    """A test image once gave a log-radius SD of 6e25, whose exponential overflowed: now it is named and not used."""
    from napari_afm_profiler.deconv import tip_estimator
    from napari_afm_profiler.deconv.infer import deconvolve
    from napari_afm_profiler.deconv.tips import estimate_from_image, tips_read_from_image

    wild = tip_estimator.TipGuess({"cone": 0.2, "pyramid": 0.3, "paraboloid": 0.5}, (11.4, 6.2e25), (-26.0, 3e6))
    assert math.isfinite(wild.radius_nm(1.645)) and wild.radius_nm(-1.645) == pytest.approx(1e-3)
    assert "more than 1e+10" in wild.unreadable()
    assert "not finite" in tip_estimator.TipGuess({"cone": 1.0}, (math.nan, 0.3), (20.0, 5.0)).unreadable()
    assert "half-angle" in tip_estimator.TipGuess({"cone": 1.0}, (2.0, 0.3), (20.0, 45.0)).unreadable()
    monkeypatch.setattr(tip_estimator, "guess_tip", lambda *args, **kwargs: wild)
    pair = make_wide_pair(WideSpec(scenes=("boxes",), tilt_probability=0.0, shape=(64, 64)), 2)
    px = pair.pixel_size_nm
    with pytest.raises(tip_estimator.TipUnreadableError, match="could not read the tip from this image"):
        tips_read_from_image(estimate_from_image(pair.image, (px, px)), pair.image, "default")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = deconvolve(pair.image, pixel_size_nm=px, tip="estimate")
        limited = deconvolve(pair.image, pixel_size_nm=px, tip="estimate", tip_estimator=None)
    assert any("could not read the tip" in note and "limited by the model's typical training tip" in note
               for note in result.notes)
    assert "tip_read_from_image" not in result.summary
    np.testing.assert_array_equal(result.surface, limited.surface)
