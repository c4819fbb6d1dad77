"""The tip-conditioned network: the user's tip goes in, the output is physically consistent, tiles match, intervals calibrate."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from napari_afm_profiler.deconv.calibration import (  # noqa: E402
    conformal_interval,
    coverage,
    fit_margins,
    fit_scale,
    interval,
)
from napari_afm_profiler.deconv.conditioning import CERTAINTY_TOLERANCE, N_CONDITION, tip_profile, usable_tip  # noqa: E402,E501
from napari_afm_profiler.deconv.infer import deconvolve, load_model  # noqa: E402
from napari_afm_profiler.deconv.training import TrainConfig, train, train_steps  # noqa: E402
from napari_afm_profiler.errors import InputError  # noqa: E402
from napari_afm_profiler.synth.wide import WideSpec  # noqa: E402
from napari_afm_profiler.tip import certainty_map, dilate, erode, make_tip  # noqa: E402

TINY = TrainConfig(architecture="tip-conditioned-unet", model={"n_condition": N_CONDITION, "base": 4, "depth": 2},
                   generator="wide", wide=WideSpec(shape=(48, 48)), n_train=8, n_val=6, epochs=2, batch_size=4,
                   patience=5, edge_weight=1.0)


@pytest.fixture(scope="module")
def conditioned(tmp_path_factory):
    out = tmp_path_factory.mktemp("conditioned")
    card = train(TINY, out, command="pytest")
    return out, card


def _scene():
    yy, xx = np.mgrid[0:96, 0:96] * 1.0
    surface = np.zeros((96, 96))
    for cy, cx, r in ((30, 30, 9), (60, 66, 12), (20, 75, 6)):
        surface = np.maximum(surface, np.sqrt(np.clip(r**2 - (yy - cy) ** 2 - (xx - cx) ** 2, 0, None)))
    return surface


def test_card_records_the_conditioning_the_pixel_range_and_calibrated_intervals(conditioned):
    out, card = conditioned
    stored = json.loads((out / "config.json").read_text())
    assert stored["architecture"] == "tip-conditioned-unet" and stored["tip_conditioned"] is True
    assert stored["pixel_size_range_nm"] == [0.5, 2.0]
    assert stored["training"]["generator"] == "wide" and stored["training"]["wide"]["scenes"]
    for level in ("0.9", "0.5"):
        entry = stored["intervals"][level]
        assert entry["scale"] > 0 and set(entry["coverage_by_kind"]) and 0 <= entry["coverage_uncalibrated"] <= 1
    assert stored["intervals"]["calibration_seed"] not in (TINY.seed, TINY.seed + 1_000_003)


def test_training_resumed_after_an_epoch_is_bit_identical(conditioned, tmp_path):
    _, card = conditioned
    first = tmp_path / "first"
    for p in train_steps(TINY, first):
        if p["stage"] == "epoch":
            break
    resumed = train(TINY, first, resume=first / "checkpoint.pt", command="pytest")
    assert resumed["history"] == card["history"]
    assert resumed["sha256"] == card["sha256"]


def test_output_never_lies_above_the_erosion_and_equals_it_where_the_tip_touched(conditioned):
    out, _ = conditioned
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=4.0, half_angle_deg=20.0, height_nm=15.0)
    image = dilate(_scene(), tip)
    result = deconvolve(image, pixel_size_nm=1.0, tip=tip, model=load_model(out))
    eroded = erode(image, usable_tip(tip.heights, image))
    certain = certainty_map(image, usable_tip(tip.heights, image), tolerance=CERTAINTY_TOLERANCE) > 0.5
    assert np.all(result.surface <= eroded + 1e-6)
    np.testing.assert_allclose(result.surface[certain], eroded[certain], atol=1e-6)
    assert certain.sum() > 10
    # consistency: image - dilate(result) is never negative and summarised
    assert np.all(result.consistency >= 0) and result.consistency.shape == image.shape
    assert {"consistency_median_nm", "consistency_p99_nm", "share_above_3_noise", "flagged", "noise_nm"} \
        <= set(result.summary)
    assert np.all(result.lower <= result.surface) and np.all(result.surface <= result.upper)
    np.testing.assert_allclose(result.uncertainty, 0.5 * (result.upper - result.lower))
    assert any(note.startswith("tip: cone, apex radius 4 nm") for note in result.notes)


def test_tiled_inference_equals_whole_image_inference(conditioned):
    out, _ = conditioned
    model = load_model(out)
    image = dilate(np.tile(_scene(), (3, 3))[:270, :250], make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=5.0))
    whole = deconvolve(image, pixel_size_nm=1.0, tip={"shape": "paraboloid", "radius_nm": 5.0}, model=model)
    tiled = deconvolve(image, pixel_size_nm=1.0, tip={"shape": "paraboloid", "radius_nm": 5.0}, model=model, tile=128)
    assert np.abs(tiled.surface - whole.surface).max() < 0.05
    assert np.abs(tiled.upper - whole.upper).max() < 0.05


def test_mirror_averaging_makes_the_result_mirror_the_image_and_the_tip():
    """Averaged over the four mirror images, mirroring the image and the tip mirrors the result (a group average)."""
    from napari_afm_profiler.tip.models import Tip

    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=6.0, half_angle_deg=20.0, size=21).heights.copy()
    tip[:, :10] -= 0.8 * np.arange(10, 0, -1)  # steeper on the left: only a mirrored tip explains the mirrored image
    image = dilate(_scene()[:64, :64] * 1.5, tip) + np.random.default_rng(0).normal(0.0, 0.05, (64, 64))

    def run(img, heights, mirror):
        return deconvolve(img, pixel_size_nm=1.0, tip=Tip(heights=heights, pixel_size_nm=(1.0, 1.0)),
                          mirror_average=mirror)

    one = run(image, tip, False)
    for flip in (np.fliplr, np.flipud):
        single = flip(run(flip(image), flip(tip), False).surface)
        assert np.abs(single - one.surface).max() > 0.01  # one pass sees a mirrored image differently
        averaged = run(image, tip, True)
        back = run(flip(image), flip(tip), True)
        np.testing.assert_allclose(flip(back.surface), averaged.surface, atol=2e-3)
        np.testing.assert_allclose(flip(back.upper), averaged.upper, atol=2e-3)
    assert averaged.summary["mirror_average"] and not one.summary["mirror_average"]
    assert any("3 mirror images" in note for note in averaged.notes)
    assert np.all(averaged.surface <= erode(image, usable_tip(tip, image)) + 0.2)  # still bounded by the erosion


def test_every_way_of_giving_the_tip(conditioned, tmp_path):
    out, _ = conditioned
    model = load_model(out)
    fine = make_tip("paraboloid", pixel_size_nm=0.5, radius_nm=6.0, size=41)
    image = dilate(_scene(), make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=6.0, size=21))
    np.save(tmp_path / "tip.npy", fine.heights)
    by_model = deconvolve(image, pixel_size_nm=1.0, tip={"shape": "paraboloid", "radius_nm": 6.0}, model=model)
    by_array = deconvolve(image, pixel_size_nm=1.0, tip=fine.heights, tip_pixel_size_nm=0.5, model=model)
    by_file = deconvolve(image, pixel_size_nm=1.0, tip=tmp_path / "tip.npy", tip_pixel_size_nm=0.5, model=model)
    assert "resampled from 0.5 nm/px" in by_array.notes[0] and "file tip.npy" in by_file.notes[0]
    np.testing.assert_allclose(by_array.surface, by_file.surface)
    # the resampled measured tip and the model are the same paraboloid on the image's grid
    assert np.abs(by_array.surface - by_model.surface).max() < 0.5
    nominal = deconvolve(image, pixel_size_nm=1.0, model=model)
    assert "nominal tip" in nominal.notes[0] and "no tip was given" in nominal.notes[0]
    estimated = deconvolve(image, pixel_size_nm=1.0, tip="estimate", model=model)
    assert "read from the image by the tip estimator" in estimated.notes[0]
    assert np.all(estimated.surface <= image + 1e-9)
    blind = deconvolve(image, pixel_size_nm=1.0, tip="estimate", model=model, tip_estimator=None)
    assert "estimated blindly" in blind.notes[0] and np.all(blind.surface <= image + 1e-9)


def test_missing_pixel_size_and_bad_tips_are_refused(conditioned):
    out, _ = conditioned
    model = load_model(out)
    image = _scene()
    with pytest.raises(InputError, match="pixel size"):
        deconvolve(image, pixel_size_nm=None, model=model)
    with pytest.raises(InputError, match="radius_nm"):
        deconvolve(image, pixel_size_nm=1.0, tip={"shape": "cone"}, model=model)
    with pytest.raises(InputError, match="odd square"):
        deconvolve(image, pixel_size_nm=1.0, tip=np.zeros((4, 4)), model=model)


def test_a_coarse_scan_whose_resampled_copy_would_not_fit_is_refused_by_name(conditioned):
    """An 80 um scan at 267 nm/px would be upsampled to 40 000^2 px for the network (tens of GB):
    refused at once, naming the sizes and the erosion as the alternative."""
    out, _ = conditioned
    model = load_model(out)
    scan = np.random.default_rng(0).normal(0.0, 5.0, (300, 300))
    lo, hi = model.pixel_size_range
    px = 80_000.0 / 300
    side = round(300 * px / hi)
    with pytest.raises(InputError, match=rf"resampled to {side} x {side} px .* beyond the 8192 x 8192 px .*tip erode"):
        deconvolve(scan, pixel_size_nm=px, model=model)
    # the tip estimator, which the Tip dock calls directly, refuses it the same way
    from napari_afm_profiler.deconv.tip_estimator import guess_tip

    with pytest.raises(InputError, match=r"resampled to \d+ x \d+ px .* the tip estimator .*far below one pixel"):
        guess_tip(scan, px)


def test_a_wrong_tip_is_flagged_by_the_consistency_check(conditioned):
    """Deconvolving with a far blunter tip than the one that imaged the scene digs where the image says nothing."""
    out, _ = conditioned
    image = dilate(_scene(), make_tip("cone", pixel_size_nm=1.0, radius_nm=2.0, half_angle_deg=10.0, height_nm=15))
    sharp = deconvolve(image, pixel_size_nm=1.0, tip={"shape": "cone", "radius_nm": 2.0, "half_angle_deg": 10.0},
                       model=load_model(out))
    blunt = deconvolve(image, pixel_size_nm=1.0, tip={"shape": "cone", "radius_nm": 25.0, "half_angle_deg": 35.0},
                       model=load_model(out))
    assert not sharp.summary["flagged"] and blunt.summary["flagged"]
    assert any(note.startswith("check failed") for note in blunt.notes)
    # the blunt tip cannot image this scene at all: its own erosion fails there too, and the note says it is the tip
    assert sharp.summary["tip_unexplained_share"] == 0.0  # only computed for a frame that fails the check
    assert blunt.summary["tip_unexplained_share"] >= 0.5 * blunt.summary["share_above_3_noise"]
    assert any("so the cause is not the network" in note and "too blunt" in note for note in blunt.notes)


def test_the_opening_explains_an_image_made_by_the_tip_and_not_one_made_by_a_sharper_tip():
    """An image dilated by a tip is open under that tip (morphology), not under a blunter one."""
    from napari_afm_profiler.deconv.infer import _unexplained_by_tip

    sharp = make_tip("cone", pixel_size_nm=1.0, radius_nm=2.0, half_angle_deg=10.0, height_nm=15)
    blunt = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=20.0)
    image = dilate(_scene(), sharp)
    assert _unexplained_by_tip(image, sharp, 0.0) == 0
    assert _unexplained_by_tip(image, blunt, 0.0) > 0.05 * image.size
    with_nan = image.copy()
    with_nan[:5] = np.nan  # NaN pixels are not counted
    assert _unexplained_by_tip(with_nan, blunt, 0.0) <= _unexplained_by_tip(image, blunt, 0.0)


def test_the_failed_check_names_its_cause_in_words():
    from napari_afm_profiler.deconv.infer import consistency_sentence

    base = {"share_above_3_noise": 0.2, "noise_nm": 0.1, "flagged": True, "consistency_median_nm": 0.0}
    network = consistency_sentence(dict(base, tip_unexplained_share=0.02))
    tip = consistency_sentence(dict(base, tip_unexplained_share=0.15))
    assert network.startswith("check failed: in 20.0% of pixels") and "trust the erosion there" in network
    assert "so the cause is not the network" in tip and "15.0% of pixels either" in tip
    assert consistency_sentence(dict(base, flagged=False, share_above_3_noise=0.01)).startswith("consistent")


def test_tip_profile_grows_with_bluntness_and_is_clipped_to_the_image():
    sharp = tip_profile(make_tip("cone", pixel_size_nm=1.0, radius_nm=2.0, half_angle_deg=10.0, size=61).heights, 1.0)
    blunt = tip_profile(make_tip("cone", pixel_size_nm=1.0, radius_nm=20.0, half_angle_deg=30.0, size=61).heights, 1.0)
    assert np.all(sharp[:-1] >= blunt[:-1]) and sharp[-1] == blunt[-1] == 0.0
    image = np.zeros((40, 40))
    image[20, 20] = 3.0
    clipped = usable_tip(make_tip("cone", pixel_size_nm=1.0, radius_nm=2.0, half_angle_deg=10.0, size=61).heights, image)
    assert clipped.shape == (39, 39) and np.nanmin(clipped) == pytest.approx(-4.0)


def test_conformal_scale_reaches_the_nominal_coverage():
    rng = np.random.default_rng(0)
    truth = rng.normal(0, 2.0, (40, 32, 32))
    z = np.array([-1.645, -0.674, 0.0, 0.674, 1.645])
    quantiles = np.broadcast_to(z[None, :, None, None] * 1.0, (40, 5, 32, 32))  # SD 1 predicted, 2 true
    assert coverage(quantiles, truth, 0.9, 1.0) < 0.75
    scale = fit_scale(quantiles, truth, 0.9)
    assert scale == pytest.approx(2.0, rel=0.03) and coverage(quantiles, truth, 0.9, scale) == pytest.approx(0.9, abs=0.01)
    lower, upper = interval(quantiles, 0.5, 2.0)
    assert float(upper.max()) == pytest.approx(2 * 0.674)


def test_conformal_margins_reach_the_nominal_coverage_in_each_group_on_fresh_draws():
    """Where the tip touched the network is over-cautious, elsewhere over-confident: one margin each fixes both."""
    z = np.array([-1.645, -0.674, 0.0, 0.674, 1.645])
    quantiles = np.broadcast_to(z[None, :, None, None], (30, 5, 32, 32))  # SD 1 predicted everywhere
    certain = np.zeros((30, 32, 32))
    certain[:, :, :12] = 1.0

    def draw(seed):  # truth: SD 0.2 where certain, a skewed spread (exponential tail below) elsewhere
        rng = np.random.default_rng(seed)
        return np.where(certain > 0.5, rng.normal(0, 0.2, certain.shape), 1.0 - rng.exponential(1.5, certain.shape))

    margins = fit_margins(quantiles, draw(1), certain, 0.9)
    assert margins["certain"] < 0 < margins["uncertain"]
    fresh = draw(2)
    lower, upper = conformal_interval(quantiles, 0.9, margins, certain)
    inside = (lower <= fresh) & (fresh <= upper)
    assert inside[certain > 0.5].mean() == pytest.approx(0.9, abs=0.01)
    assert inside[certain < 0.5].mean() == pytest.approx(0.9, abs=0.01)
    assert coverage(quantiles, fresh, 0.9, margins=margins, certain=certain) == pytest.approx(0.9, abs=0.01)
    # one factor about the median reaches 90 % overall but not per group
    scale = fit_scale(quantiles, draw(1), 0.9)
    lower, upper = interval(quantiles, 0.9, scale)
    inside = (lower <= fresh) & (fresh <= upper)
    assert abs(inside[certain > 0.5].mean() - 0.9) > 0.05


def test_the_wide_generator_is_refused_for_the_single_tip_network_and_trains_the_paper_baseline(tmp_path):
    with pytest.raises(InputError, match="tip-conditioned"):
        replace(TINY, architecture="bounded-unet", model={"in_channels": 2, "base": 4, "depth": 2}).check()
    baseline = replace(TINY, architecture="paper-encoder-decoder", model={"in_channels": 1, "base": 4, "depth": 2},
                       epochs=1)
    card = train(baseline, tmp_path / "baseline", command="pytest")
    assert card["training"]["generator"] == "wide" and "intervals" not in card
    image = dilate(_scene(), make_tip("cone", pixel_size_nm=1.0, radius_nm=4.0, half_angle_deg=20.0, height_nm=15.0))
    result = deconvolve(image, pixel_size_nm=1.0, model=load_model(tmp_path / "baseline"))
    assert result.surface.shape == image.shape and result.lower is None


def test_a_blind_estimate_is_limited_by_the_typical_training_tip_only_where_blunter():
    """Geometric-mean radius and middle half-angle of the trained ranges; sharper estimates pass untouched."""
    from napari_afm_profiler.deconv.tips import limit_blind_estimate
    from napari_afm_profiler.tip.models import Tip

    card = {"training": {"wide": {"tip_shapes": ["cone"], "tip_radius_nm": [2.0, 18.0],
                                  "tip_half_angle_deg": [10.0, 30.0]}}}
    typical = make_tip("cone", pixel_size_nm=0.5, radius_nm=6.0, half_angle_deg=20.0, size=31).heights
    sharp = make_tip("cone", pixel_size_nm=0.5, radius_nm=2.0, half_angle_deg=10.0, size=31)
    assert limit_blind_estimate(sharp, card) == (sharp, None)
    flat = Tip(heights=np.zeros((31, 31)), pixel_size_nm=(0.5, 0.5), shape="array")
    limited, note = limit_blind_estimate(flat, card)
    np.testing.assert_allclose(limited.heights, typical, atol=1e-9)
    assert "typical training tip" in note
    assert limit_blind_estimate(flat, {"training": {"generator": "paper"}}) == (flat, None)


def test_a_blind_estimate_the_image_barely_constrains_is_limited_and_does_not_dig():
    """Straight terraces fix the tip across the steps only: the flat rest would make the network dig."""
    import warnings

    yy, xx = np.mgrid[0:128, 0:128]
    truth = 2.0 * (xx // 32)
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=10.0, half_angle_deg=20.0, height_nm=10.0)
    image = dilate(truth, tip) + np.random.default_rng(0).normal(0, 0.05, truth.shape)
    from napari_afm_profiler.deconv.tips import estimate_from_image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = deconvolve(image, pixel_size_nm=1.0, tip="estimate", tip_estimator=None)
        read = deconvolve(image, pixel_size_nm=1.0, tip="estimate").surface  # the tip estimator's tip
        uncapped = deconvolve(image, pixel_size_nm=1.0, tip=estimate_from_image(image, (1.0, 1.0))).surface
    assert any(note.startswith("the image constrains the tip little") for note in result.notes)

    def rmse(a):
        return float(np.sqrt(np.mean((a - truth) ** 2)))

    assert rmse(result.surface) < 0.7 * rmse(uncapped)  # 0.57 x: 1.32 x the image's RMSE instead of 2.3 x
    assert rmse(result.surface) < 1.5 * rmse(image)
    assert rmse(read) < 0.5 * rmse(uncapped) and rmse(read) < 1.2 * rmse(image)  # 0.38 x and 0.88 x


def test_a_saturated_frame_gets_a_narrow_interval_with_the_tip_read():
    """A frame stored at one value everywhere (the z range at its limit while the tip approached).

    Its certainty map was empty, a flat image no training scene had, and the 90 % interval with
    the tip read from the image spanned -792 to 10 281 nm around a result of 450 nm.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = deconvolve(np.full((128, 128), 450.0), pixel_size_nm=1.953125, tip="estimate")
    assert np.all(result.surface == 450.0)
    assert np.nanmax(result.upper - result.lower) < 1.0
