"""The noise-level input, widening an older network to take it, noise-varied paper pairs and tilted samples."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from napari_afm_profiler.deconv.conditioning import (  # noqa: E402
    N_CONDITION,
    PROFILE_RADII_PX,
    condition_vector,
    noise_feature,
    substrate_plane,
)
from napari_afm_profiler.deconv.model import TipConditionedUNet, widen_condition  # noqa: E402
from napari_afm_profiler.deconv.training import TrainConfig, _item  # noqa: E402
from napari_afm_profiler.errors import InputError  # noqa: E402
from napari_afm_profiler.synth.wide import WideSpec, make_wide_pair  # noqa: E402
from napari_afm_profiler.tip import make_tip  # noqa: E402


@pytest.mark.parametrize("sigma", [0.0, 0.05, 0.3])
def test_noise_feature_follows_the_white_noise_added_to_a_smooth_surface(sigma):
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:128, 0:128] * 1.0
    smooth = 10 * np.exp(-((yy - 60) ** 2 + (xx - 70) ** 2) / 800) + 0.05 * xx  # curved and tilted: not noise
    expected = math.log2((sigma + 0.01) / 0.1)
    assert abs(noise_feature(smooth + rng.normal(0, sigma, smooth.shape)) - expected) < 0.15


def test_condition_vector_has_the_length_each_network_takes():
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=8.0, half_angle_deg=20.0, size=41).heights
    image = np.random.default_rng(0).normal(0, 0.2, (64, 64))
    old = condition_vector(tip, 1.0, image, len(PROFILE_RADII_PX) + 1)
    new = condition_vector(tip, 1.0, image, N_CONDITION)
    assert len(new) == len(old) + 1 == N_CONDITION
    np.testing.assert_array_equal(new[:-1], old)
    assert abs(new[-1] - math.log2(0.21 / 0.1)) < 0.2
    with pytest.raises(ValueError, match="condition values"):
        condition_vector(tip, 1.0, image, N_CONDITION + 3)


def test_a_network_widened_for_the_noise_input_computes_what_the_old_one_did():
    torch.manual_seed(0)
    old = TipConditionedUNet(n_condition=N_CONDITION - 1, base=4, depth=2).eval()
    new = TipConditionedUNet(n_condition=N_CONDITION, base=4, depth=2).eval()
    new.load_state_dict(widen_condition(old.state_dict(), new))
    maps = torch.randn(2, 3, 32, 32)
    maps[:, 2] = (maps[:, 2] > 1).float()
    cond = torch.randn(2, N_CONDITION - 1)
    ref = torch.zeros(2, 1, 1, 1)
    with torch.no_grad():
        expected = old(maps, cond, ref)
        for noise in (-3.0, 2.0):  # the new input has no effect before fine-tuning
            got = new(maps, torch.cat([cond, torch.full((2, 1), noise)], dim=1), ref)
            torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="more than"):
        widen_condition(new.state_dict(), old)


def test_paper_pairs_get_the_drawn_noise_and_keep_their_scene():
    config = TrainConfig(architecture="tip-conditioned-unet", generator="wide", paper_fraction=1.0,
                         small_fraction=0.0, wide=WideSpec(shape=(48, 48)))
    child = np.random.SeedSequence(77).spawn(1)[0]
    plain = _item((config, 0, child, None))
    clean = _item((replace(config, paper_noise_nm=(0.0, 0.0)), 0, child, None))
    noisy = _item((replace(config, paper_noise_nm=(0.5, 0.5)), 0, child, None))
    np.testing.assert_array_equal(plain[2], clean[2])  # same true surface
    np.testing.assert_array_equal(clean[2], noisy[2])
    # log2((sigma + 0.01) / 0.1): 0 nm -> -3.3, the fixed 0.1 nm -> 0.14, 0.5 nm -> 2.35
    assert noise_feature(clean[0][0]) < -2.5 < noise_feature(plain[0][0]) < 0.6 < 1.8 < noise_feature(noisy[0][0])
    assert clean[1][-1] == pytest.approx(noise_feature(clean[0][0]), abs=1e-6)
    with pytest.raises(InputError, match="paper_noise_nm"):
        replace(config, paper_noise_nm=(0.2, 0.1)).check()


def test_tilted_samples_are_drawn_only_when_asked_and_training_levels_them_as_inference_does():
    base = WideSpec(shape=(64, 64), scenes=("caps", "boxes"))  # level substrates (terraces climb)
    np.testing.assert_array_equal(make_wide_pair(base, 5).image, make_wide_pair(replace(base, tilt_probability=0.0),
                                                                                  5).image)
    for seed in (6, 9):  # 5.1 and 6.1 degrees
        tilted = make_wide_pair(replace(base, tilt_probability=1.0, tilt_deg=10.0), seed)
        angle = tilted.parameters["tilt_deg"]
        assert 4 <= angle <= 10
        plane = substrate_plane(tilted.surface)
        gy, gx = np.gradient(plane, tilted.pixel_size_nm)
        assert math.degrees(math.atan(math.hypot(gy.mean(), gx.mean()))) == pytest.approx(angle, abs=1.0)  # rough substrates
        # the image is of the tilted surface: it lies above it everywhere but for noise
        assert np.mean(tilted.image >= tilted.surface - 4 * tilted.noise_nm) > 0.99
    with pytest.raises(InputError, match="tilt"):
        replace(base, tilt_deg=60.0).check()
    config = TrainConfig(architecture="tip-conditioned-unet", generator="wide", paper_fraction=0.0,
                         wide=replace(base, tilt_probability=1.0, tilt_deg=10.0))
    x, _, y, _ = _item((config, 0, np.random.SeedSequence(6), None))
    for levelled in (x[0], y[0]):
        gy, gx = np.gradient(substrate_plane(levelled.astype(np.float64)))
        assert abs(gy.mean()) < 0.02 and abs(gx.mean()) < 0.02


def test_noise_corrected_erosion_is_unbiased_on_a_flat_noisy_substrate_and_plain_without_noise():
    from napari_afm_profiler.deconv.conditioning import condition_maps, erosion_noise_bias
    from napari_afm_profiler.tip import erode

    tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=15.0, size=41).heights
    rng = np.random.default_rng(3)
    for sigma in (0.1, 0.4):
        image = rng.normal(0, sigma, (160, 160))  # flat truth at 0
        plain = erode(image, tip)[20:-20, 20:-20]
        corrected, certain = condition_maps(image, tip, noise_corrected=True)
        assert plain.mean() < -sigma  # the minimum over the apex picks the most negative noise
        untouched = certain[20:-20, 20:-20] < 0.5
        assert untouched.mean() > 0.9
        assert abs(corrected[20:-20, 20:-20][untouched].mean()) < 0.15 * sigma
    clean = np.zeros((64, 64))
    clean[20:40, 20:40] = 8.0
    np.testing.assert_array_equal(condition_maps(clean, tip, noise_corrected=True)[0], erode(clean, tip))
    assert erosion_noise_bias(tip, 0.0) == 0.0


def test_a_network_trained_with_the_noise_corrected_erosion_is_bounded_and_pinned_by_it(tmp_path):
    from napari_afm_profiler.deconv.conditioning import condition_maps, usable_tip
    from napari_afm_profiler.deconv.infer import deconvolve, load_model
    from napari_afm_profiler.deconv.training import train

    config = TrainConfig(architecture="tip-conditioned-unet", model={"n_condition": N_CONDITION, "base": 4, "depth": 2},
                         generator="wide", wide=WideSpec(shape=(48, 48)), n_train=8, n_val=6, epochs=1, batch_size=4,
                         erosion_noise_correction=True)
    card = train(config, tmp_path / "m", command="pytest")
    assert card["training"]["erosion_noise_correction"] is True
    model = load_model(tmp_path / "m")
    assert model.noise_corrected
    tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=15.0, size=41).heights
    yy, xx = np.mgrid[0:96, 0:96]
    truth = np.where(np.hypot(yy - 48, xx - 48) < 12, 6.0, 0.0)
    from napari_afm_profiler.tip import dilate, erode

    image = dilate(truth, tip) + np.random.default_rng(1).normal(0, 0.3, truth.shape)
    result = deconvolve(image, pixel_size_nm=1.0, tip=tip, model=model)
    bound, certain = condition_maps(image, usable_tip(tip, image), noise_corrected=True)
    assert 0.3 < result.summary["erosion_noise_bias_nm"] < 1.0  # about 2 SD of the 0.3 nm noise
    assert any("erosion raised by" in note for note in result.notes)
    assert (result.surface <= bound + 1e-4).all()
    np.testing.assert_allclose(result.surface[certain > 0.5], bound[certain > 0.5], atol=1e-4)
    plain = erode(image, usable_tip(tip, image))
    np.testing.assert_allclose(bound[certain > 0.5], plain[certain > 0.5])  # contacts are not corrected
    far = (np.hypot(yy - 48, xx - 48) > 30) & (certain < 0.5)  # flat substrate out of the particle's shadow
    assert np.median(plain[far]) < -0.4 and abs(np.median(bound[far])) < 0.1

