"""``afm-profiler train`` and ``afm-profiler deconvolve`` on .npy files and stacks."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from napari_afm_profiler.cli import main  # noqa: E402


def test_train_then_deconvolve_a_stack(tmp_path, capsys):
    model = tmp_path / "model"
    assert main(["train", "--n-train", "6", "--n-val", "2", "--epochs", "1", "--batch-size", "3", "--base", "4",
                 "--size", "32", "--kinds", "dome", "-o", str(model)]) == 0
    assert "validation MAE" in capsys.readouterr().out
    stack = np.random.default_rng(0).uniform(0, 8, (3, 40, 40))
    np.save(tmp_path / "stack.npy", stack)
    assert main(["deconvolve", str(tmp_path / "stack.npy"), "--pixel-size", "1", "--model", str(model),
                 "-o", str(tmp_path / "out.npy"), "--uncertainty", str(tmp_path / "unc.npy")]) == 0
    out = np.load(tmp_path / "out.npy")
    assert out.shape == stack.shape and np.all(out <= stack)
    assert np.load(tmp_path / "unc.npy").shape == stack.shape


def test_train_flags_of_the_noise_aware_stage_reach_the_card(tmp_path, capsys):
    import json

    common = ["train", "--architecture", "tip-conditioned-unet", "--generator", "wide", "--n-train", "4",
              "--n-val", "2", "--epochs", "1", "--batch-size", "2", "--base", "4", "--paper-fraction", "0.5",
              "--workers", "1"]
    new, old = tmp_path / "new", tmp_path / "old"
    assert main([*common, "--paper-noise", "0", "0.15", "--tilt-probability", "0.3", "--wide-noise", "0.01", "0.4",
                 "--wide-line-wander", "0", "3", "--noise-corrected-erosion", "-o", str(new)]) == 0
    card = json.loads((new / "config.json").read_text())
    assert card["model"]["n_condition"] == 10
    training = card["training"]
    assert training["paper_noise_nm"] == [0.0, 0.15] and training["erosion_noise_correction"] is True
    assert training["wide"]["tilt_probability"] == 0.3 and training["wide"]["noise_nm"] == [0.01, 0.4]
    assert training["wide"]["line_wander"] == [0.0, 3.0]
    assert main([*common, "--no-noise-condition", "-o", str(old)]) == 0
    card = json.loads((old / "config.json").read_text())
    assert card["model"]["n_condition"] == 9 and card["training"]["erosion_noise_correction"] is False
    capsys.readouterr()


def test_pickle_models_are_refused(tmp_path, capsys):
    np.save(tmp_path / "img.npy", np.zeros((32, 32)))
    (tmp_path / "evil.pt").write_bytes(b"not really")
    assert main(["deconvolve", str(tmp_path / "img.npy"), "--model", str(tmp_path / "evil.pt"),
                 "-o", str(tmp_path / "o.npy")]) == 2
    assert "only safetensors" in capsys.readouterr().err


@pytest.fixture()
def domes(tmp_path):
    from napari_afm_profiler.tip import dilate, make_tip

    yy, xx = np.mgrid[0:64, 0:64] * 1.0
    surface = np.sqrt(np.clip(100 - (yy - 32) ** 2 - (xx - 30) ** 2, 0, None))
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=5.0, half_angle_deg=20.0, height_nm=12.0)
    np.save(tmp_path / "img.npy", dilate(surface, tip))
    np.save(tmp_path / "tip.npy", tip.heights)
    return tmp_path / "img.npy", tmp_path / "tip.npy"


def test_deconvolve_with_a_tip_model_writes_the_checks(domes, tmp_path, capsys):
    import json

    image, _ = domes
    args = ["deconvolve", str(image), "--pixel-size", "1", "--tip-shape", "cone", "--tip-radius", "5",
            "--tip-half-angle", "20", "-o", str(tmp_path / "out.npy"), "--consistency", str(tmp_path / "c.npy"),
            "--uncertainty", str(tmp_path / "u.npy"), "--summary", str(tmp_path / "s.json"),
            "--interval", str(tmp_path / "lo.npy"), str(tmp_path / "hi.npy")]
    assert main(args) == 0
    result, half = np.load(tmp_path / "out.npy"), np.load(tmp_path / "u.npy")
    lower, upper = np.load(tmp_path / "lo.npy"), np.load(tmp_path / "hi.npy")
    assert np.all(lower <= result + 1e-5) and np.all(result <= upper + 1e-5)
    np.testing.assert_allclose(half, (upper - lower) / 2, atol=1e-4)  # the half-width is the bounds' own
    err = capsys.readouterr().err
    assert "note: tip: the given tip model (cone, apex radius 5 nm, half-angle 20 deg)" in err
    assert "consistent" in err or "check failed" in err
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["tip"].startswith("the given tip model") and "share_above_3_noise" in summary
    assert np.all(np.load(tmp_path / "c.npy") >= 0)
    assert summary["mirror_average"] is False
    assert main([*args, "--mirror-average"]) == 0
    assert "note: network: the mean of its results for the image and its 3 mirror images" in capsys.readouterr().err
    assert json.loads((tmp_path / "s.json").read_text())["mirror_average"] is True


def test_deconvolve_with_a_tip_file_or_an_estimate(domes, tmp_path, capsys):
    image, tip = domes
    assert main(["deconvolve", str(image), "--pixel-size", "1", "--tip", str(tip), "--tip-pixel-size", "1",
                 "-o", str(tmp_path / "a.npy")]) == 0
    assert "note: tip: given" not in capsys.readouterr().err  # a file names itself
    assert main(["deconvolve", str(image), "--pixel-size", "1", "--estimate-tip", "-o", str(tmp_path / "b.npy")]) == 0
    assert "the tip read from the image by the tip estimator" in capsys.readouterr().err
    assert main(["deconvolve", str(image), "--pixel-size", "1", "-o", str(tmp_path / "c.npy")]) == 0
    assert "nominal tip" in capsys.readouterr().err


def test_deconvolve_refuses_missing_pixel_size_and_incomplete_tip_models(domes, tmp_path, capsys):
    image, tip = domes
    assert main(["deconvolve", str(image), "-o", str(tmp_path / "o.npy")]) == 2
    assert "pixel size" in capsys.readouterr().err
    assert main(["deconvolve", str(image), "--pixel-size", "1", "--tip-shape", "cone", "--tip-radius", "5",
                 "-o", str(tmp_path / "o.npy")]) == 2
    assert "--tip-half-angle" in capsys.readouterr().err
    assert main(["deconvolve", str(image), "--pixel-size", "1", "--tip-radius", "5", "-o", str(tmp_path / "o.npy")]) == 2
    assert "--tip-shape" in capsys.readouterr().err


def test_deconvolve_takes_the_removed_tilt_and_refuses_slopes_in_the_wrong_unit(domes, tmp_path, capsys):
    image, tip = domes
    args = ["deconvolve", str(image), "--pixel-size", "1", "--tip", str(tip), "--tip-pixel-size", "1"]
    assert main([*args, "--removed-tilt", "0", "0.2", "-o", str(tmp_path / "a.npy")]) == 0
    assert "removed tilt (0.00 deg along y, 11.31 deg along x) put back" in capsys.readouterr().err
    assert main([*args, "--removed-tilt", "0", "20", "-o", str(tmp_path / "b.npy")]) == 2
    assert "not nm per pixel or degrees" in capsys.readouterr().err


def test_dropped_lines_are_replaced_unless_kept(domes, tmp_path, capsys):
    import json

    image, tip = domes
    broken = np.load(image)
    broken[20, :] -= 25.0
    np.save(tmp_path / "broken.npy", broken)
    args = ["deconvolve", str(tmp_path / "broken.npy"), "--pixel-size", "1", "--tip", str(tip), "--tip-pixel-size",
            "1", "-o", str(tmp_path / "out.npy"), "--summary", str(tmp_path / "s.json")]
    assert main(args) == 0
    assert "note: dropouts: 64 pixels" in capsys.readouterr().err
    assert json.loads((tmp_path / "s.json").read_text())["dropout_pixels"] == 64
    assert main([*args, "--keep-dropouts"]) == 0
    assert "note: dropouts" not in capsys.readouterr().err
    assert json.loads((tmp_path / "s.json").read_text())["dropout_pixels"] == 0
