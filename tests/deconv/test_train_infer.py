"""Training a tiny model, resuming it, inference, and refusal of foreign model files."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from napari_afm_profiler.deconv.infer import PixelSizeWarning, deconvolve, load_model  # noqa: E402
from napari_afm_profiler.deconv.training import TrainConfig, train, train_steps  # noqa: E402
from napari_afm_profiler.errors import AFMFormatError, InputError  # noqa: E402
from napari_afm_profiler.synth import ObjectSpec, SynthConfig  # noqa: E402

TINY = TrainConfig(model={"in_channels": 2, "base": 4, "depth": 2}, n_train=12, n_val=4, epochs=2, batch_size=4,
                   small_fraction=0.0,
                   synth=replace(TrainConfig().synth, shape=(32, 32), objects=ObjectSpec(size_nm=(6, 8), height_nm=(3, 5))))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    card = train(TINY, out, command="pytest")
    return out, card


def test_training_writes_a_safetensors_model_with_its_card(tiny_model):
    out, card = tiny_model
    assert (out / "weights.safetensors").is_file() and (out / "checkpoint.pt").is_file()
    stored = json.loads((out / "config.json").read_text())
    assert stored["architecture"] == "bounded-unet" and stored["pixel_size_nm"] == 1.0
    assert stored["tip"] == {"shape": "cone", "radius_nm": 10.0, "half_angle_deg": 20.0}
    assert {"mae_nm", "rmse_nm", "raw_image_mae_nm", "erosion_mae_nm"} <= set(stored["validation"])
    assert stored["command"] == "pytest" and len(stored["sha256"]) == 64
    assert stored["training"]["n_train"] == 12


def test_training_is_deterministic_and_resumable(tiny_model, tmp_path):
    out, card = tiny_model
    again = train(TINY, tmp_path / "again", command="pytest")
    assert again["validation"] == card["validation"]
    # stop after one epoch, then resume: the same result as an uninterrupted run
    first = tmp_path / "first"
    steps = train_steps(replace(TINY, epochs=2), first)
    for p in steps:
        if p["stage"] == "epoch":
            break
    resumed = train(TINY, first, resume=first / "checkpoint.pt", command="pytest")
    assert resumed["validation"]["mae_nm"] == pytest.approx(card["validation"]["mae_nm"], rel=1e-5)


def test_inference_is_bounded_and_keeps_shape_nans_and_stacks(tiny_model):
    out, _ = tiny_model
    model = load_model(out)
    image = np.random.default_rng(0).uniform(0, 5, (3, 40, 50))
    image[1, 10, 10] = np.nan
    result = deconvolve(image, pixel_size_nm=1.0, model=model, uncertainty=True)
    assert result.surface.shape == result.uncertainty.shape == image.shape
    finite = np.isfinite(image)
    assert np.all(result.surface[finite] <= image[finite])
    assert np.isnan(result.surface[1, 10, 10]) and np.isnan(result.surface).sum() == 1
    assert np.all(result.uncertainty[finite] >= 0)
    with pytest.warns(PixelSizeWarning, match="far from the model"):
        coarse = deconvolve(image[0], pixel_size_nm=4.0, model=model)
    assert coarse.surface.shape == (40, 50) and any("resampled" in note for note in coarse.notes)
    whole = deconvolve(np.random.default_rng(1).uniform(0, 5, (150, 140)), pixel_size_nm=1.0, model=model)
    big = deconvolve(np.random.default_rng(1).uniform(0, 5, (150, 140)), pixel_size_nm=1.0, model=model, tile=112)
    np.testing.assert_allclose(big.surface, whole.surface, atol=0.05)  # tiles see the whole receptive field


def test_foreign_and_corrupt_model_files_are_refused(tiny_model, tmp_path):
    out, _ = tiny_model
    with pytest.raises(AFMFormatError, match="only safetensors"):
        load_model(out / "checkpoint.pt")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((out / "config.json").read_text())
    (broken / "weights.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(AFMFormatError, match="safetensors"):
        load_model(broken)
    mismatch = tmp_path / "mismatch"
    mismatch.mkdir()
    card = json.loads((out / "config.json").read_text())
    card["model"]["base"] = 8
    (mismatch / "config.json").write_text(json.dumps(card))
    (mismatch / "weights.safetensors").write_bytes((out / "weights.safetensors").read_bytes())
    with pytest.raises(AFMFormatError, match="do not fit"):
        load_model(mismatch)
    with pytest.raises(AFMFormatError, match="missing"):
        load_model(tmp_path / "nowhere")


def test_default_model_ships_and_deconvolves_a_virtual_dome():
    from napari_afm_profiler.synth import make_pair

    model = load_model("default")
    assert model.card["architecture"] == "tip-conditioned-unet" and model.pixel_size_range == (0.5, 2.0)
    assert set(model.card["distribution"]) >= {"scenes", "tips", "pixels", "artifacts", "seeds"}
    assert 0.85 <= model.card["intervals"]["0.9"]["coverage_by_kind"]["caps"] <= 0.95
    pair = make_pair(SynthConfig(kind="dome"), np.random.SeedSequence(123456))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = deconvolve(pair.image, pixel_size_nm=1.0)
    raw_error = np.abs(pair.image - pair.surface).mean()
    assert np.abs(result.surface - pair.surface).mean() < 0.5 * raw_error


def test_substrate_plane_ignores_particles_and_a_tilt_does_not_make_pits():
    """The plane under tall particles is found exactly; a tilted dome scene deconvolves like the level one, plus the tilt."""
    from napari_afm_profiler.deconv.infer import substrate_plane
    from napari_afm_profiler.synth import make_pair
    from napari_afm_profiler.tip import dilate

    yy, xx = np.mgrid[0:96, 0:160].astype(float)
    tilt = 0.15 * xx - 0.05 * yy + 3.0
    particles = np.where(np.hypot(yy - 30, xx - 120) < 15, 20.0, 0.0)  # off-centre: would tilt a plain fit
    np.testing.assert_allclose(substrate_plane(tilt + particles), tilt, atol=1e-9)
    pair = make_pair(SynthConfig(kind="dome"), np.random.SeedSequence(4242))
    ramp = 0.2 * np.mgrid[0:128, 0:128][1]  # 11 degrees
    raw = np.abs(pair.image - pair.surface).mean()
    level = deconvolve(pair.image, pixel_size_nm=1.0, model="default").surface
    assert np.abs(level - pair.surface).mean() < 0.05 * raw
    # a tilted sample, imaged as it is (the tip sees the tilted surface), deconvolved before any levelling
    tilted_image = dilate(pair.surface + ramp, pair.tip)
    tilted = deconvolve(tilted_image, pixel_size_nm=1.0, tip=pair.tip, model="default").surface - ramp
    assert np.abs(tilted - pair.surface).mean() < 0.1 * raw  # 0.06 x raw with the noise-aware stage
    assert ((pair.surface - tilted) > 2.0).mean() < 1e-3  # 0 px
    # plane-levelled after imaging, the image is the level surface imaged by a *tilted* tip
    # (dilate(s + r, t) - r = dilate(s, t + r) for a plane r, in this package's tip convention),
    # which the tip given does not describe:
    # far closer to the truth than the image, but some digging at the domes' feet
    levelled = deconvolve(tilted_image - ramp, pixel_size_nm=1.0, model="default").surface
    assert np.abs(levelled - pair.surface).mean() < 0.5 * raw  # 0.42 x raw
    assert ((pair.surface - levelled) > 2.0).mean() < 1e-2  # 0.4 % of pixels
    by_tilted_tip = dilate(pair.surface, pair.tip + ramp_of_tip(pair.tip, 0.2))
    difference = (tilted_image - ramp - by_tilted_tip)[24:-24, 24:-24]  # a constant: dilation puts the apex at 0
    assert np.ptp(difference) < 1e-9


def test_a_levelled_image_deconvolves_like_the_tilted_one_when_the_removed_tilt_is_passed():
    """Levelling records the tilt it took out; given it, deconvolution of the level image does not dig."""
    from napari_afm_profiler.preprocess import level, removed_tilt
    from napari_afm_profiler.synth import make_pair
    from napari_afm_profiler.tip import dilate

    pair = make_pair(SynthConfig(kind="dome"), np.random.SeedSequence(4242))
    yy, xx = np.mgrid[0:128, 0:128]
    ramp = 0.2 * xx - 0.1 * yy  # 11 and 6 degrees
    tilted_image = dilate(pair.surface + ramp, pair.tip)
    levelled = level(tilted_image, "plane")  # fitted over the domes too: not exactly the ramp
    slopes = removed_tilt(tilted_image, levelled, pixel_size_nm=1.0)
    truth = pair.surface + ramp - (tilted_image - levelled)  # the true surface, levelled the same way
    raw = np.abs(levelled - truth).mean()
    result = deconvolve(levelled, pixel_size_nm=1.0, tip=pair.tip, removed_tilt=slopes)
    assert np.abs(result.surface - truth).mean() < 0.1 * raw
    assert ((truth - result.surface) > 2.0).mean() < 1e-3
    assert any("removed tilt" in note for note in result.notes)
    blind = deconvolve(levelled, pixel_size_nm=1.0, tip=pair.tip).surface  # without it: some digging
    assert np.abs(result.surface - truth).mean() < np.abs(blind - truth).mean()
    for bad, match in (((0.2, 0.1, 0.3), "pair"), ((np.nan, 0.0), "non-finite"), ((3.0, 0.0), "steeper")):
        with pytest.raises(InputError, match=match):
            deconvolve(levelled, pixel_size_nm=1.0, removed_tilt=bad)


def ramp_of_tip(tip: np.ndarray, slope: float) -> np.ndarray:
    """The plane ``slope * x`` on a tip array's grid, zero at the apex."""
    n = tip.shape[0]
    return slope * (np.arange(n) - n // 2)[None, :] * np.ones((n, 1))


def test_fine_tuning_with_the_roughness_term_records_its_origin(tiny_model, tmp_path):
    out, card = tiny_model
    tuned = train(replace(TINY, epochs=1, init=str(out), roughness_weight=0.5), tmp_path / "tuned", command="pytest")
    assert tuned["fine_tuned_from"]["sha256"] == card["sha256"]
    assert tuned["training"]["roughness_weight"] == 0.5


def test_device_choice(monkeypatch):
    from napari_afm_profiler.deconv import infer
    from napari_afm_profiler.errors import InputError

    monkeypatch.setenv("AFM_PROFILER_DEVICE", "cpu")
    assert infer._device().type == "cpu"
    monkeypatch.setenv("AFM_PROFILER_DEVICE", "toaster")
    with pytest.raises(InputError, match="not a torch device"):
        infer._device()
    if not torch.cuda.is_available():
        monkeypatch.setenv("AFM_PROFILER_DEVICE", "cuda")
        with pytest.raises(InputError, match="no CUDA device"):
            infer._device()
    monkeypatch.delenv("AFM_PROFILER_DEVICE")
    assert infer._device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_full_resolution_head_and_roughness_phase(tmp_path):
    """The full-resolution head and the edge-weighted loss train and infer; the best epoch is in the roughness phase."""
    config = replace(TINY, model={"in_channels": 2, "base": 4, "depth": 2, "refine": 2}, epochs=4, patience=4,
                     roughness_weight=0.5, roughness_start=0.5, grad_clip=0.5, edge_weight=2.0)
    card = train(config, tmp_path / "refine", command="pytest")
    history = card["history"]
    assert [round(h["objective_nm"] - h["mae_nm"], 12) == 0 for h in history] == [True, True, False, False]
    assert card["best_epoch"] >= 2  # the objective changed at epoch 2: earlier epochs are not comparable
    model = load_model(tmp_path / "refine")
    assert model.network.refine == 2
    image = np.random.default_rng(1).uniform(0, 4, (36, 44))
    out = deconvolve(image, pixel_size_nm=1.0, model=model).surface
    assert out.shape == image.shape and np.all(out <= image + 1e-9)


def test_impossible_schedule_settings_are_refused():
    from napari_afm_profiler.errors import InputError

    with pytest.raises(InputError, match="roughness_start"):
        replace(TINY, roughness_start=1.0).check()
    with pytest.raises(InputError, match="grad_clip"):
        replace(TINY, grad_clip=-1.0).check()
    with pytest.raises(InputError, match="edge_weight"):
        replace(TINY, edge_weight=-0.5).check()


def test_step_band_marks_one_pixel_either_side_of_a_wall():
    """A 10 nm box on a gentle 0.5 nm/px ramp: the band is the wall's two pixels widened by one pixel."""
    from napari_afm_profiler.deconv.training import _l1, step_band

    yy, xx = np.mgrid[0:20, 0:20].astype(np.float32)
    surface = 0.5 * xx + np.where((yy >= 6) & (yy < 14) & (xx >= 8) & (xx < 12), 10.0, 0.0)
    band = step_band(torch.from_numpy(surface)[None, None], 2.0)[0, 0].numpy().astype(bool)
    # jumps mark the pixels on both sides of each wall (rows 5/6 and 13/14, columns 7/8 and 11/12);
    # one more pixel around them gives rows 4-15, columns 6-13, less the four outer corners, which
    # are two pixels from any marked pixel (the box's own corners have no jump across the diagonal)
    expected = np.zeros((20, 20), bool)
    expected[4:16, 6:14] = True
    expected[[4, 4, 15, 15], [6, 13, 6, 13]] = False
    assert np.array_equal(band, expected)
    # a ramp alone (no jump over 2 nm) has no band; plain and weighted L1 then agree
    ramp = torch.from_numpy(0.5 * xx)[None, None]
    assert not step_band(ramp, 2.0).any()
    pred = ramp + torch.linspace(-1, 1, 400).reshape(1, 1, 20, 20)
    assert torch.isclose(_l1(pred, ramp, 3.0, 2.0), torch.nn.functional.l1_loss(pred, ramp))
    # with a step, the error on the wall weighs (1 + w) times more
    box = torch.from_numpy(surface)[None, None]
    err = torch.zeros_like(box)
    err[..., 6, 8] = 1.0  # one wall pixel off by 1 nm
    assert torch.isclose(_l1(box + err, box, 3.0, 2.0), torch.tensor(4.0 / (400 + 3.0 * band.sum())))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_training_on_cuda_gives_a_model_the_cpu_loads(tmp_path):
    from napari_afm_profiler.deconv.infer import load_model
    from napari_afm_profiler.deconv.training import train_steps
    from napari_afm_profiler.progress import drain

    card = drain(train_steps(TINY, tmp_path / "gpu", device="cuda"))
    assert card["device"].startswith("cuda")
    model = load_model(tmp_path / "gpu")
    assert next(model.network.parameters()).device.type in ("cpu", "cuda")


def test_training_records_its_device_and_mixes_the_paper_scenes_into_the_wide_set(tmp_path):
    from napari_afm_profiler.deconv.conditioning import N_CONDITION
    from napari_afm_profiler.deconv.training import _virtual_arrays
    from napari_afm_profiler.synth.wide import WideSpec

    config = replace(TINY, architecture="tip-conditioned-unet", model={"n_condition": N_CONDITION, "base": 4, "depth": 2},
                     generator="wide", wide=WideSpec(shape=(32, 32)), paper_fraction=0.5, n_train=8, n_val=4,
                     epochs=1)
    kinds = _virtual_arrays(config, 8, 3, None).kinds
    assert sum(k.startswith("paper-") for k in kinds) == 4  # every other pair, spread evenly
    card = train(config, tmp_path / "cpu", command="pytest", device="cpu")
    assert card["device"] == "cpu"
    with pytest.raises(InputError, match="paper_fraction"):
        replace(TINY, paper_fraction=0.5).check()
