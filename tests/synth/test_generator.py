"""Paired virtual datasets: imaging property, reproducibility, artifacts, file round trip, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from napari_afm_profiler.errors import AFMFormatError, InputError
from napari_afm_profiler.synth import (
    KINDS,
    ArtifactSpec,
    ObjectSpec,
    SynthConfig,
    TipSpec,
    iter_pairs,
    load_dataset,
    make_dataset,
    save_dataset,
)
from napari_afm_profiler.synth.artifacts import apply_artifacts
from napari_afm_profiler.tip import erode


@pytest.mark.parametrize("kind", KINDS)
def test_image_is_the_dilation_of_the_surface(kind):
    data = make_dataset(SynthConfig(kind=kind, shape=(64, 64), objects=ObjectSpec(size_nm=(8, 10), height_nm=(5, 8))),
                        3, seed=4)
    assert data["surface"].shape == data["image"].shape == data["mask"].shape == (3, 64, 64)
    assert np.all(data["image"] >= data["surface"] - 1e-12)
    # Villarrubia: the reconstruction lies between the surface and the image
    recon = erode(data["image"][0], data["tip"])
    assert np.all(recon >= data["surface"][0] - 1e-9) and np.all(recon <= data["image"][0] + 1e-9)
    if kind != "fractal":
        assert len(data["objects_kind"]) == len(data["objects_area_nm2"]) > 0
        assert set(np.unique(data["mask"][0])) == {0, *data["objects_label"][data["objects_pair"] == 0]}


def test_same_seed_same_dataset_and_stream():
    config = SynthConfig(kind="mixed", shape=(48, 48), objects=ObjectSpec(size_nm=(6, 8), height_nm=(4, 6)),
                         tip=TipSpec(variation=0.2), artifacts=ArtifactSpec.paper())
    a, b = make_dataset(config, 4, seed=11), make_dataset(config, 4, seed=11)
    for key in ("surface", "image", "mask", "tip_radius_nm"):
        assert np.array_equal(a[key], b[key])
    assert not np.array_equal(a["image"], make_dataset(config, 4, seed=12)["image"])
    stream = iter_pairs(config, seed=11)
    first = next(stream)
    assert np.array_equal(first.image, a["image"][0])
    assert len(set(a["tip_radius_nm"])) == 4  # the tip varies per pair


def test_default_config_is_the_papers():
    config = SynthConfig()
    assert config.shape == (128, 128) and config.pixel_size_nm == 1.0
    assert config.objects.size_nm == (16.0, 20.0)
    assert config.tip.shape == "cone" and config.tip.radius_nm == 10.0
    assert config.fractal_rms_nm == 5.0 and not config.artifacts.any


def test_dataset_file_round_trip(tmp_path):
    config = SynthConfig(kind="cuboid", shape=(40, 40), objects=ObjectSpec(size_nm=(6, 8), height_nm=(3, 4)))
    data = make_dataset(config, 2, seed=0)
    path = save_dataset(tmp_path / "pairs", data)
    assert path.suffix == ".npz" and not list(tmp_path.glob(".*"))  # no temp file left behind
    back = load_dataset(path)
    for key in ("surface", "image", "mask", "tip", "objects_area_nm2"):
        np.testing.assert_array_equal(back[key], data[key])
    assert back["kind"] == "cuboid" and back["pixel_size_nm"] == 1.0
    assert back["parameters"]["config"]["objects"]["size_nm"] == [6, 8]
    assert SynthConfig.from_dict(back["parameters"]["config"]) == config
    with np.load(path, allow_pickle=False) as npz:  # plain arrays only
        assert json.loads(str(npz["parameters"]))["seed"] == 0


def test_broken_dataset_files_are_named(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(AFMFormatError, match="junk.npz"):
        load_dataset(tmp_path / "junk.npz")
    np.savez(tmp_path / "half.npz", surface=np.zeros((2, 8, 8)), pixel_size_nm=1.0)
    with pytest.raises(AFMFormatError, match="image"):
        load_dataset(tmp_path / "half.npz")
    np.savez(tmp_path / "odd.npz", surface=np.zeros((2, 8, 8)), image=np.zeros((2, 8, 9)), pixel_size_nm=1.0)
    with pytest.raises(AFMFormatError, match="must both be"):
        load_dataset(tmp_path / "odd.npz")


def test_line_artifacts_and_noise():
    rng = np.random.default_rng(0)
    flat = np.full((200, 50), 10.0)
    zeroed = apply_artifacts(flat, ArtifactSpec(line_probability=0.1, line_modes=("zero",)), pixel_size_nm=(1, 1), rng=rng)
    dropped = np.all(zeroed == 0.0, axis=1)
    assert 8 <= dropped.sum() <= 35 and np.all(zeroed[~dropped] == 10.0)
    offset = apply_artifacts(flat, ArtifactSpec(line_probability=1.0, line_modes=("offset",), line_offset_nm=2.0),
                             pixel_size_nm=(1, 1), rng=rng)
    assert np.all(np.ptp(offset, axis=1) == 0) and 1.5 < np.std(offset[:, 0]) < 2.5
    noisy = apply_artifacts(flat, ArtifactSpec(noise_nm=0.5), pixel_size_nm=(1, 1), rng=rng)
    assert np.std(noisy - 10.0) == pytest.approx(0.5, rel=0.05)


def test_edge_overshoot_follows_a_step():
    step = np.zeros((4, 40))
    step[:, 20:] = 10.0
    out = apply_artifacts(step, ArtifactSpec(edge_overshoot=0.2, edge_decay_px=2.0), pixel_size_nm=(1, 1),
                          rng=np.random.default_rng(0))
    assert out[0, 20] == pytest.approx(12.0)  # 20 % overshoot at the edge
    assert out[0, 21] == pytest.approx(10.0 + 2.0 * math.exp(-0.5))  # decaying after it
    assert np.all(out[:, :20] == 0.0)


def test_tilt_bow_and_drift():
    rng = np.random.default_rng(1)
    flat = np.zeros((64, 64))
    tilted = apply_artifacts(flat, ArtifactSpec(tilt_deg=5.0), pixel_size_nm=(1, 1), rng=rng)
    gy, gx = np.gradient(tilted)
    assert 0 < np.hypot(gy.mean(), gx.mean()) <= math.tan(math.radians(5)) + 1e-12
    bowed = apply_artifacts(flat, ArtifactSpec(bow_nm=3.0), pixel_size_nm=(1, 1), rng=rng)
    assert bowed[32, 32] > bowed[0, 0]
    ramp = np.tile(np.arange(64.0), (64, 1))
    drifted = apply_artifacts(ramp, ArtifactSpec(drift_px=4.0), pixel_size_nm=(1, 1), rng=rng)
    assert np.array_equal(drifted[0], ramp[0]) and abs(drifted[-1, 32] - 32) > 0


@pytest.mark.parametrize("config, name", [
    (SynthConfig(kind="sphere"), "kind"),
    (SynthConfig(pixel_size_nm=-1.0), "pixel_size_nm"),
    (SynthConfig(kind="fractal", fractal_rms_nm=0.0), "fractal_rms_nm"),
    (SynthConfig(kind="fractal", fractal_hurst=1.2), "fractal_hurst"),
    (SynthConfig(objects=ObjectSpec(size_nm=(200.0, 300.0))), "do not fit"),
    (SynthConfig(tip=TipSpec(radius_nm=-2.0)), "radius"),
    (SynthConfig(artifacts=ArtifactSpec(noise_nm=-1.0)), "noise_nm"),
    (SynthConfig(artifacts=ArtifactSpec(line_probability=1.5)), "line_probability"),
])
def test_impossible_parameters_are_named(config, name):
    with pytest.raises(InputError, match=name):
        make_dataset(config, 1)
