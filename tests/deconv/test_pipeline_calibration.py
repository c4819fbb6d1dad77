"""Intervals calibrated on the whole pipeline: broadening bins, the reported interval's scores, the card and the CLI."""

from __future__ import annotations

import json
import shutil
import warnings
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from napari_afm_profiler.cli import main  # noqa: E402
from napari_afm_profiler.deconv.calibration import (  # noqa: E402
    broadening_nm,
    conformal_interval,
    fit_margins,
    group_index,
    group_names,
    pixel_regime,
    relative_width,
    width_floor,
)
from napari_afm_profiler.deconv.conditioning import N_CONDITION  # noqa: E402
from napari_afm_profiler.deconv.infer import deconvolve, frame_quantiles, load_model  # noqa: E402
from napari_afm_profiler.deconv.pipeline_calibration import calibrate_pipeline, calibrate_pipeline_steps  # noqa: E402
from napari_afm_profiler.deconv.training import TrainConfig, train  # noqa: E402
from napari_afm_profiler.errors import InputError  # noqa: E402
from napari_afm_profiler.progress import drain  # noqa: E402
from napari_afm_profiler.synth.wide import WideSpec, make_wide_pair  # noqa: E402
from napari_afm_profiler.tip.dropouts import noise_levels  # noqa: E402
from napari_afm_profiler.tip.models import Tip  # noqa: E402

Z = np.array([-1.645, -0.674, 0.0, 0.674, 1.645])
"""Standard-normal quantiles at the network's levels: a network that predicts SD 1 everywhere."""


def test_group_index_splits_certainty_by_the_frame_broadening_bins():
    certain = np.array([[[1.0, 0.0]], [[1.0, 0.0]], [[0.0, 1.0]]])
    index = group_index(certain, np.array([0.05, 0.5, 2.0]), [0.1, 1.0])
    names = group_names([0.1, 1.0])
    assert [[names[i] for i in row] for row in index[:, 0]] == [
        ["certain 0", "uncertain 0"], ["certain 1", "uncertain 1"], ["uncertain 2", "certain 2"]]
    assert broadening_nm(np.array([[3.0, np.nan]]), np.array([[1.0, 0.0]])) == pytest.approx(2.0)


def test_broadening_bins_reach_the_nominal_coverage_in_each_bin_on_fresh_draws():
    """Frames the tip broadened more miss the truth by more: one margin per bin fixes what one margin cannot."""
    n = 60
    broadening = np.linspace(0.0, 3.0, n)
    quantiles = np.broadcast_to(Z[None, :, None, None], (n, 5, 24, 24))
    certain = np.zeros((n, 24, 24))
    spread = np.where(broadening < 1.0, 0.4, 2.5)[:, None, None]

    def draw(seed):
        return np.random.default_rng(seed).normal(0, 1, certain.shape) * spread

    edges = [1.0]
    margins = fit_margins(quantiles, draw(1), certain, 0.9, broadening=broadening, edges=edges)
    assert margins["uncertain 0"] < 0 < margins["uncertain 1"]
    fresh = draw(2)
    lower, upper = conformal_interval(quantiles, 0.9, margins, certain, broadening, edges)
    inside = (lower <= fresh) & (fresh <= upper)
    for low in (True, False):
        frames = (broadening < 1.0) == low
        assert inside[frames].mean() == pytest.approx(0.9, abs=0.015)
    plain = fit_margins(quantiles, draw(1), certain, 0.9)
    lower, upper = conformal_interval(quantiles, 0.9, plain, certain)
    inside = (lower <= fresh) & (fresh <= upper)
    assert inside[broadening < 1.0].mean() > 0.97 and inside[broadening >= 1.0].mean() < 0.85


def test_relative_width_bins_cover_pixels_that_claim_too_narrow_an_interval():
    """Pixels that predict a narrow interval in a broadened frame (unreached pit floors) miss more than their width says.

    Half the pixels predict SD 0.2 nm but miss by SD 0.6 nm; the others predict and miss by SD 2 nm.  One margin
    per certainty group over-covers the honest pixels and under-covers the over-confident ones; a margin per bin
    of the predicted width over the frame's broadening covers 90 % of each on fresh draws.
    """
    n, size = 40, 24
    broadening = np.full(n, 1.0)
    narrow = (np.arange(size)[None, None, :] < size // 2) & np.ones((n, size, 1), bool)
    predicted = np.where(narrow, 0.2, 2.0)
    quantiles = Z[None, :, None, None] * predicted[:, None]
    certain = np.zeros((n, size, size))
    actual = np.where(narrow, 0.6, 2.0)

    def draw(seed):
        return np.random.default_rng(seed).normal(0, 1, certain.shape) * actual

    relative = relative_width(quantiles, broadening)
    width_edges = [float(np.median(relative))]
    assert relative[narrow].max() < width_edges[0] <= relative[~narrow].min()
    margins = fit_margins(quantiles, draw(1), certain, 0.9, broadening=broadening, width_edges=width_edges)
    assert margins["uncertain 0 w0"] > 0.5 > margins["uncertain 0 w1"]
    fresh = draw(2)
    lower, upper = conformal_interval(quantiles, 0.9, margins, certain, broadening, (), width_edges)
    inside = (lower <= fresh) & (fresh <= upper)
    assert inside[narrow].mean() == pytest.approx(0.9, abs=0.015)
    assert inside[~narrow].mean() == pytest.approx(0.9, abs=0.015)
    # one frame at a time (scalar broadening, as deconvolve applies it) gives the same interval
    one_lower, one_upper = conformal_interval(quantiles[3], 0.9, margins, certain[3], 1.0, (), width_edges)
    np.testing.assert_array_equal(one_lower, lower[3])
    np.testing.assert_array_equal(one_upper, upper[3])
    plain = fit_margins(quantiles, draw(1), certain, 0.9)
    lower, upper = conformal_interval(quantiles, 0.9, plain, certain)
    inside = (lower <= fresh) & (fresh <= upper)
    assert inside[narrow].mean() < 0.85 and inside[~narrow].mean() > 0.93


def test_a_floor_that_grows_with_the_noise_covers_clean_and_noisy_frames_alike():
    """Where the network is sure (zero width) the result still misses by the image's noise.

    Half the frames have noise SD 0.15 nm, half 0.45 nm.  With the constant 0.1 nm floor one margin
    per group must cover both: the clean frames are over-covered, the noisy ones under-covered.
    With 3 noise SDs added to the floor the scores are nearly free of the noise level, and each
    half is covered close to 90 % on fresh draws.
    """
    n, size = 60, 24
    noise = np.where(np.arange(n) % 2 == 0, 0.15, 0.45)
    quantiles = np.zeros((n, 5, size, size))
    certain = np.ones((n, size, size))

    def draw(seed):
        return np.random.default_rng(seed).normal(0, 1, certain.shape) * noise[:, None, None]

    fresh = draw(2)

    def covered(factor):
        margins = fit_margins(quantiles, draw(1), certain, 0.9, noise_nm=noise, noise_factor=factor)
        lower, upper = conformal_interval(quantiles, 0.9, margins, certain, noise_nm=noise, noise_factor=factor)
        inside = (lower <= fresh) & (fresh <= upper)
        return inside[noise < 0.3].mean(), inside[noise > 0.3].mean(), lower

    clean, noisy, _ = covered(0.0)
    assert clean > 0.98 and noisy < 0.84
    clean, noisy, lower = covered(3.0)
    assert clean == pytest.approx(0.9, abs=0.03) and noisy == pytest.approx(0.9, abs=0.03)
    # one frame at a time (a scalar noise level, as deconvolve applies it) gives the same interval
    margins = fit_margins(quantiles, draw(1), certain, 0.9, noise_nm=noise, noise_factor=3.0)
    one, _ = conformal_interval(quantiles[1], 0.9, margins, certain[1], noise_nm=float(noise[1]), noise_factor=3.0)
    np.testing.assert_allclose(one, lower[1])
    assert width_floor(np.nan, 3.0) == pytest.approx(0.1) and width_floor(0.2) == 0.1


def test_pixel_regimes_give_resampled_frames_their_own_margins():
    """Frames coarser than the trained pixel range (resampled for the network) miss by more: their own margins fix it."""
    n, size = 60, 16
    px = np.where(np.arange(n) % 3 == 0, 3.0, 1.0)  # a third of the frames at 3 nm/px, outside 0.5-2 nm
    regime = np.array([pixel_regime(p, (0.5, 2.0)) for p in px])
    assert set(regime) == {0, 2}
    quantiles = np.broadcast_to(Z[None, :, None, None], (n, 5, size, size))
    certain = np.zeros((n, size, size))
    spread = np.where(px > 2.0, 2.5, 1.0)[:, None, None]

    def draw(seed):
        return np.random.default_rng(seed).normal(0, 1, certain.shape) * spread

    margins = fit_margins(quantiles, draw(1), certain, 0.9, regime=regime)
    assert sorted(margins) == sorted(group_names(regimes=True))
    assert margins["uncertain coarser"] > margins["uncertain"]
    assert margins["uncertain finer"] == max(margins.values())  # no finer frames: the largest margin
    fresh = draw(2)
    lower, upper = conformal_interval(quantiles, 0.9, margins, certain, 0.0, (), (), regime)
    inside = (lower <= fresh) & (fresh <= upper)
    for r in (0, 2):
        assert inside[regime == r].mean() == pytest.approx(0.9, abs=0.015)
    one_lower, _ = conformal_interval(quantiles[0], 0.9, margins, certain[0], 0.0, (), (), int(regime[0]))
    np.testing.assert_array_equal(one_lower, lower[0])
    plain = fit_margins(quantiles, draw(1), certain, 0.9)
    lower, upper = conformal_interval(quantiles, 0.9, plain, certain)
    inside = (lower <= fresh) & (fresh <= upper)
    assert inside[regime == 2].mean() < 0.8


def test_the_finest_frames_get_margins_of_their_own_and_older_margins_still_apply():
    """Frames finer than the calibration pairs miss by more: the finest regime fixes it; cards without it still work."""
    n, size = 60, 16
    px = np.where(np.arange(n) % 3 == 0, 0.1, 1.0)
    regime = np.array([pixel_regime(p, (0.5, 2.0), finest_below=0.25) for p in px])
    assert set(regime) == {0, 3}
    quantiles = np.broadcast_to(Z[None, :, None, None], (n, 5, size, size))
    certain = np.zeros((n, size, size))
    spread = np.where(px < 0.25, 3.0, 1.0)[:, None, None]

    def draw(seed):
        return np.random.default_rng(seed).normal(0, 1, certain.shape) * spread

    margins = fit_margins(quantiles, draw(1), certain, 0.9, regime=regime)
    assert sorted(margins) == sorted(group_names(regimes=True, finest=True))
    assert margins["uncertain finest"] > margins["uncertain"]
    fresh = draw(2)
    lower, upper = conformal_interval(quantiles, 0.9, margins, certain, 0.0, (), (), regime)
    inside = (lower <= fresh) & (fresh <= upper)
    for r in (0, 3):
        assert inside[regime == r].mean() == pytest.approx(0.9, abs=0.015)
    # margins fitted without the finest regime (older cards) apply to frames of regimes 0-2 as before
    older = fit_margins(quantiles[regime == 0], draw(1)[regime == 0], certain[regime == 0], 0.9,
                        regime=regime[regime == 0])
    assert not any(name.endswith("finest") for name in older)
    one, _ = conformal_interval(quantiles[1], 0.9, older, certain[1], 0.0, (), (), 0)
    assert np.all(one < 0)


def test_margins_fitted_on_the_reported_interval_cover_the_nominal_share_of_it():
    """The pipeline reports [min(lower, result), max(upper, result)]; margins fitted on that reach 90 % of it."""
    rng = np.random.default_rng(3)
    quantiles = np.broadcast_to(Z[None, :, None, None], (40, 5, 32, 32))
    certain = np.zeros((40, 32, 32))
    surface = np.where(rng.random(certain.shape) < 0.5, 8.0, -8.0)  # the result far above or below the quantiles

    def draw(seed):
        return np.random.default_rng(seed).normal(0, 2.0, certain.shape)

    def reported(margins):
        lower, upper = conformal_interval(quantiles, 0.9, margins, certain)
        return np.minimum(lower, surface), np.maximum(upper, surface)

    fresh = draw(2)
    lower, upper = reported(fit_margins(quantiles, draw(1), certain, 0.9, surface=surface))
    assert ((lower <= fresh) & (fresh <= upper)).mean() == pytest.approx(0.9, abs=0.01)
    lower, upper = reported(fit_margins(quantiles, draw(1), certain, 0.9))  # scores that ignore the result
    assert ((lower <= fresh) & (fresh <= upper)).mean() > 0.93


TINY = TrainConfig(architecture="tip-conditioned-unet", model={"n_condition": N_CONDITION, "base": 4, "depth": 2},
                   generator="wide", wide=WideSpec(shape=(48, 48)), n_train=8, n_val=6, epochs=1, batch_size=4,
                   edge_weight=1.0)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    train(TINY, out, command="pytest")
    return out


def test_pipeline_calibration_writes_the_card_and_deconvolve_applies_it(tiny_model, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    network_level = json.loads((folder / "config.json").read_text())["intervals"]
    entry = drain(calibrate_pipeline_steps(folder, n_per_kind=2, seed=5, bins=2))
    card = json.loads((folder / "config.json").read_text())
    assert card["intervals"] == json.loads(json.dumps(entry))
    assert entry["calibrated_on"] == "pipeline" and entry["pairs"] == 18 and entry["calibration_seed"] == 5
    assert entry["network_level"]["0.9"]["margins"] == network_level["0.9"]["margins"]
    assert len(entry["broadening_edges_nm"]) == 1 and len(entry["relative_width_edges"]) == 2
    assert entry["groups"] == group_names(entry["broadening_edges_nm"], entry["relative_width_edges"], True, True)
    assert entry["fine"]["pixel_size_nm"] == [0.0625, 0.25] and entry["fine"]["pairs"] == 18
    assert entry["fine"]["calibration_seed"] == 7 and set(entry["fine"]["0.9"]["coverage_by_kind"]) == set(WideSpec().scenes)
    assert entry["pixel_regimes"] and entry["trained_pixel_size_nm"] == list(load_model(folder).pixel_size_range)
    assert entry["noise_width_factor"] == 3.0
    assert set(entry["0.9"]["coverage_by_kind"]) == set(WideSpec().scenes)
    # in-sample, conformal margins cover at least the nominal share over all calibration pixels
    pixels = entry["0.9"]["pixels_per_group"]
    assert sum(pixels.values()) == (18 + 18) * 128 * 128  # the fine pairs in the finest groups
    assert sum(v for k, v in pixels.items() if k.endswith("finest")) == 18 * 128 * 128
    # deconvolve applies the new margins: its interval is the one computed from the frame's quantiles
    pair = make_wide_pair(WideSpec(), 99)
    tip = Tip(heights=pair.tip, pixel_size_nm=(pair.pixel_size_nm,) * 2)
    model = load_model(folder)
    out = frame_quantiles(pair.image, pixel_size_nm=pair.pixel_size_nm, tip=tip, model=model)
    regime = pixel_regime(pair.pixel_size_nm, entry["trained_pixel_size_nm"])
    lower, _ = conformal_interval(out["quantiles"], 0.9, entry["0.9"]["margins"], out["certain"],
                                  out["broadening_nm"], entry["broadening_edges_nm"], entry["relative_width_edges"],
                                  regime, noise_nm=out["noise_nm"], noise_factor=3.0)
    result = deconvolve(pair.image, pixel_size_nm=pair.pixel_size_nm, tip=tip, model=model)
    # less the widening for scan-line noise (below), which a white-noise frame's ratio near 1 keeps tiny
    widening = entry["line_noise"]["factors"]["given"]["0.9"] * result.summary["line_noise_unit_nm"]
    assert widening < 0.05
    np.testing.assert_allclose(result.lower, np.minimum(lower, result.surface) - widening, atol=1e-5)
    assert out["noise_nm"] > 0.01  # the wide generator's noise: the floor above differs from the constant one
    # the blind mode's bounds are scaled about its result by the factors fitted on blind pairs (compared
    # without the widening for scan-line noise, which comes after every factor)
    scaled = {k: v for k, v in entry.items() if k != "line_noise"}
    model.card["intervals"] = scaled
    assert entry["blind"]["pairs"] == 9 and entry["blind"]["calibration_seed"] == 8
    factor = entry["blind"]["scale"]["0.9"]
    assert 0.2 < factor < 20
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a tiny model: tips outside its range
        blind = deconvolve(pair.image, pixel_size_nm=pair.pixel_size_nm, tip="estimate", model=model)
        model.card["intervals"] = {k: v for k, v in scaled.items() if k != "blind"}
        try:
            plain = deconvolve(pair.image, pixel_size_nm=pair.pixel_size_nm, tip="estimate", model=model)
        finally:
            model.card["intervals"] = scaled
    np.testing.assert_allclose(blind.surface, plain.surface)
    np.testing.assert_allclose(blind.lower, plain.surface - factor * (plain.surface - plain.lower), atol=1e-4)
    np.testing.assert_allclose(blind.upper50, plain.surface + entry["blind"]["scale"]["0.5"]
                               * (plain.upper50 - plain.surface), atol=1e-4)
    # so are the mirror-averaged bounds, by the factors fitted on mirror-averaged pairs
    assert entry["mirror"]["pairs"] == 9 and entry["mirror"]["calibration_seed"] == 9
    factor = entry["mirror"]["scale"]["0.9"]
    assert 0.2 < factor < 20
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mirrored = deconvolve(pair.image, pixel_size_nm=pair.pixel_size_nm, tip=tip, model=model, mirror_average=True)
        model.card["intervals"] = {k: v for k, v in scaled.items() if k != "mirror"}
        try:
            plain = deconvolve(pair.image, pixel_size_nm=pair.pixel_size_nm, tip=tip, model=model,
                               mirror_average=True)
        finally:
            model.card["intervals"] = scaled
    np.testing.assert_allclose(mirrored.surface, plain.surface)
    assert np.abs(mirrored.surface - result.surface).max() > 1e-3  # four passes are not the one pass
    np.testing.assert_allclose(mirrored.lower, plain.surface - factor * (plain.surface - plain.lower), atol=1e-4)
    assert any(f"scaled by {factor:.3g}" in note for note in mirrored.notes)
    assert any("card has no calibration for mirror averaging" in note for note in plain.notes)
    # both at once: the blind and mirror factors, then those fitted on blind mirror-averaged pairs
    assert entry["blind_mirror"]["pairs"] == 9 and entry["blind_mirror"]["calibration_seed"] == 10
    factor = entry["blind_mirror"]["scale"]["0.9"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both = deconvolve(pair.image, pixel_size_nm=pair.pixel_size_nm, tip="estimate", model=model,
                          mirror_average=True)
        model.card["intervals"] = {k: v for k, v in scaled.items() if k != "blind_mirror"}
        try:
            plain = deconvolve(pair.image, pixel_size_nm=pair.pixel_size_nm, tip="estimate", model=model,
                               mirror_average=True)
        finally:
            model.card["intervals"] = scaled
    np.testing.assert_allclose(both.lower, plain.surface - factor * (plain.surface - plain.lower), atol=1e-4)
    product = entry["blind"]["scale"]["0.9"] * factor
    assert any(f"scaled by {product:.3g}" in note for note in both.notes)
    model.card["intervals"] = entry
    # scan-line noise: both bounds move out by the factor x (across/along noise ratio - 1) noise SDs
    line = entry["line_noise"]
    assert line["pairs"] == 9 and line["calibration_seed"] == 11 and line["line_wander"] == [0.0, 4.0]
    assert 1.0 < line["ratio_range"][1] < 6.0  # wander of up to 4 x the white noise: ratios up to about sqrt(17)
    wandering = make_wide_pair(replace(WideSpec(), line_wander=3.0), 99)
    along, across = noise_levels(wandering.image)
    assert across / along > 2.0  # sqrt(1 + 3²) = 3.2 for pure white and wander
    for mode, tip_choice in (("given", tip), ("blind", "estimate")):
        factors = line["factors"][mode]
        assert set(factors) == {"0.9", "0.5"} and all(0.0 <= f < 50 for f in factors.values())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            widened = deconvolve(wandering.image, pixel_size_nm=wandering.pixel_size_nm, tip=tip_choice, model=model)
            model.card["intervals"] = {k: v for k, v in entry.items() if k != "line_noise"}
            try:
                plain = deconvolve(wandering.image, pixel_size_nm=wandering.pixel_size_nm, tip=tip_choice, model=model)
            finally:
                model.card["intervals"] = entry
        unit = (min(across / along, line["ratio_range"][1]) - 1.0) * across
        assert widened.summary["line_noise_unit_nm"] == pytest.approx(unit, rel=1e-6)
        np.testing.assert_allclose(widened.lower, plain.lower - factors["0.9"] * unit, atol=1e-4)
        np.testing.assert_allclose(widened.upper50, plain.upper50 + factors["0.5"] * unit, atol=1e-4)
        assert any("scan lines wander on their own" in note for note in widened.notes)
    # white noise moves nothing
    assert result.summary["line_noise_ratio"] < 1.25 and not any("wander" in note for note in result.notes)


def test_aiming_the_90_interval_higher_widens_every_group_and_covers_the_aim_in_sample(tiny_model):
    quick = dict(fine_pixel_size_nm=None, blind_pairs_per_kind=0, mirror_pairs_per_kind=0, coarse_pixel_size_nm=None,
                 line_pairs_per_kind=0)
    plain = calibrate_pipeline(tiny_model, n_per_kind=1, seed=7, bins=2, write=False, **quick)
    aimed = calibrate_pipeline(tiny_model, n_per_kind=1, seed=7, bins=2, write=False, aim_90=0.97, **quick)
    assert aimed["aim_90"] == 0.97 and plain["aim_90"] == 0.9
    assert all(aimed["0.9"]["margins"][g] >= plain["0.9"]["margins"][g] for g in plain["0.9"]["margins"])
    assert aimed["0.5"] == plain["0.5"]
    # every group covers the aim of its pixels, so the kinds (equal pixel counts) do on average
    assert np.mean(list(aimed["0.9"]["coverage_by_kind"].values())) >= 0.97 - 1e-9
    with pytest.raises(InputError, match="aim_90"):
        calibrate_pipeline(tiny_model, n_per_kind=1, aim_90=1.0, write=False)


def test_calibrate_cli_and_bad_arguments(tiny_model, tmp_path, capsys):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    assert main(["calibrate", str(folder), "--n-per-kind", "1"]) == 0
    card = json.loads((folder / "config.json").read_text())
    assert card["intervals"]["fine"]["pixel_size_nm"] == [0.0625, 0.25]
    assert "--fine-down-to 0.0625" in card["intervals"]["command"] and "below 0.25 nm pixels" in capsys.readouterr().out
    assert card["intervals"]["mirror"]["pairs"] == 9 and "--mirror-pairs-per-kind" not in card["intervals"]["command"]
    assert card["intervals"]["blind_mirror"]["pairs"] == 9  # by default as many as the fewer of the two
    assert main(["calibrate", str(folder), "--n-per-kind", "1", "--no-fine-regime", "--no-erosion-regime",
                 "--blind-pairs-per-kind", "0", "--mirror-pairs-per-kind", "0"]) == 0
    card = json.loads((folder / "config.json").read_text())
    assert "fine" not in card["intervals"] and "--no-fine-regime" in card["intervals"]["command"]
    assert "blind" not in card["intervals"] and "--blind-pairs-per-kind 0" in card["intervals"]["command"]
    assert "mirror" not in card["intervals"] and "--mirror-pairs-per-kind 0" in card["intervals"]["command"]
    assert "blind_mirror" not in card["intervals"]  # needs both modes' factors
    assert card["intervals"]["line_noise"]["pairs"] == 9 and "--line-pairs-per-kind" not in card["intervals"]["command"]
    assert not any(name.endswith("finest") for name in card["intervals"]["groups"])
    assert main(["calibrate", str(folder), "--n-per-kind", "1", "--bins", "1", "--width-bins", "1",
                 "--aim-90", "0.92", "--pixel-size", "2", "4", "--no-pixel-regimes", "--blind-pairs-per-kind", "0",
                 "--mirror-pairs-per-kind", "0", "--line-pairs-per-kind", "0"]) == 0  # again
    printed = capsys.readouterr().out
    assert "calibrated" in printed and "90% interval, in-sample coverage per kind" in printed
    card = json.loads((folder / "config.json").read_text())
    assert "line_noise" not in card["intervals"] and "--line-pairs-per-kind 0" in card["intervals"]["command"]
    assert card["intervals"]["groups"] == ["certain", "uncertain"] and card["intervals"]["pairs"] == 9
    assert card["intervals"]["network_level"]["calibration_seed"] is not None  # kept through recalibration
    assert card["intervals"]["command"].startswith("afm-profiler calibrate")
    assert "--width-bins 1 --aim-90 0.92 --pixel-size" in card["intervals"]["command"]
    assert card["intervals"]["aim_90"] == 0.92 and card["intervals"]["noise_width_factor"] == 3.0
    assert card["intervals"]["relative_width_edges"] == [] and card["intervals"]["pixel_size_nm"] == [2.0, 4.0]
    # beyond the pairs' pixel sizes the erosion's interval, fitted on pairs from 4 nm up
    assert card["intervals"]["coarse"]["pixel_size_nm"] == [4.0, 16.0] and card["intervals"]["coarse"]["pairs"] == 9
    assert card["intervals"]["command"].endswith("--coarse-up-to 16") and "beyond 4 nm pixels" in printed
    assert main(["calibrate", str(folder), "--n-per-kind", "1", "--bins", "1", "--width-bins", "1",
                 "--no-fine-regime", "--blind-pairs-per-kind", "0", "--mirror-pairs-per-kind", "0",
                 "--no-erosion-regime"]) == 0
    card = json.loads((folder / "config.json").read_text())
    assert "coarse" not in card["intervals"] and card["intervals"]["command"].endswith("--no-erosion-regime")
    assert main(["calibrate", str(folder), "--n-per-kind", "1", "--bins", "1", "--width-bins", "1", "--no-fine-regime",
                 "--blind-pairs-per-kind", "0", "--mirror-pairs-per-kind", "0", "--noise-width-factor", "0",
                 "--no-erosion-regime"]) == 0
    card = json.loads((folder / "config.json").read_text())
    assert card["intervals"]["noise_width_factor"] == 0.0 and "--noise-width-factor 0" in card["intervals"]["command"]
    with pytest.raises(InputError, match="noise_width_factor"):
        calibrate_pipeline(folder, n_per_kind=1, noise_width_factor=-1.0, write=False)
    with pytest.raises(InputError, match="fine pixel sizes must end"):
        calibrate_pipeline(folder, n_per_kind=1, fine_pixel_size_nm=(0.0625, 0.2), write=False)
    with pytest.raises(InputError, match="coarse pixel sizes must start"):
        calibrate_pipeline(folder, n_per_kind=1, coarse_pixel_size_nm=(8.0, 16.0), write=False)
    with pytest.raises(InputError, match="one 2-D frame"):
        frame_quantiles(np.zeros((2, 16, 16)), pixel_size_nm=1.0, tip=None, model=folder)
    with pytest.raises(InputError, match="n_per_kind"):
        calibrate_pipeline(folder, n_per_kind=0)
    with pytest.raises(InputError, match="width_bins"):
        calibrate_pipeline(folder, width_bins=0)
    with pytest.raises(InputError, match="pixel_size_nm"):
        calibrate_pipeline(folder, pixel_size_nm=(2.0, 0.0))
    baseline = tmp_path / "baseline"
    train(replace(TINY, architecture="paper-encoder-decoder", model={"in_channels": 1, "base": 4, "depth": 2}),
          baseline, command="pytest")
    paper_trained = tmp_path / "paper-trained"
    train(replace(TINY, generator="paper", small_fraction=0.0), paper_trained, command="pytest")
    with pytest.warns(UserWarning, match="not trained on the wide generator"):
        calibrate_pipeline(paper_trained, n_per_kind=1, bins=1, write=False)
    assert main(["calibrate", str(baseline), "--n-per-kind", "1"]) == 2
    assert "not tip-conditioned" in capsys.readouterr().err
