"""``afm-profiler tip ...`` on .npy files and real instrument files."""

from __future__ import annotations

import numpy as np
import pytest

from napari_afm_profiler.cli import main
from napari_afm_profiler.io import read_afm
from tests.conftest import SAMPLES


def test_model_writes_the_analytic_paraboloid(tmp_path, capsys):
    out = tmp_path / "tip.npy"
    assert main(["tip", "model", "--shape", "paraboloid", "--radius", "2", "--pixel-size", "1", "--size", "7",
                 "-o", str(out)]) == 0
    tip = np.load(out)
    assert tip.shape == (7, 7)
    np.testing.assert_allclose(tip[3], -np.array([9, 4, 1, 0, 1, 4, 9]) / 4.0)
    assert "7x7 px" in capsys.readouterr().out


def test_dilate_erode_certainty_estimate_round_trip(tmp_path):
    tip = -np.array([[4.0, 2.0, 4.0], [1.0, 0.0, 3.0], [4.0, 2.0, 4.0]])
    surface = np.zeros((32, 32))
    surface[[8, 20, 25], [9, 22, 6]] = [10.0, 12.0, 15.0]
    np.save(tmp_path / "tip.npy", tip)
    np.save(tmp_path / "surface.npy", surface)
    run = ["--pixel-size", "1", "--tip", str(tmp_path / "tip.npy")]
    assert main(["tip", "dilate", str(tmp_path / "surface.npy"), *run, "-o", str(tmp_path / "image.npy")]) == 0
    image = np.load(tmp_path / "image.npy")
    np.testing.assert_array_equal(image[7:10, 8:11], 10.0 + tip[::-1, ::-1])
    assert main(["tip", "erode", str(tmp_path / "image.npy"), *run, "-o", str(tmp_path / "recon.npy")]) == 0
    recon = np.load(tmp_path / "recon.npy")
    assert np.all(recon >= surface) and np.all(recon <= image)
    assert main(["tip", "certainty", str(tmp_path / "image.npy"), *run, "-o", str(tmp_path / "cmap.npy")]) == 0
    assert np.load(tmp_path / "cmap.npy")[8, 9] == 1.0
    assert main(["tip", "estimate", str(tmp_path / "image.npy"), "--pixel-size", "1", "--size", "3", "--full",
                 "-o", str(tmp_path / "est.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "est.npy"), tip)


def test_erosion_can_replace_dropped_lines_first(tmp_path, capsys):
    from napari_afm_profiler.tip import dilate, make_tip

    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=5.0, half_angle_deg=20.0, height_nm=40.0)
    surface = np.zeros((48, 48))
    surface[10:30, 10:30] = 8.0
    image = dilate(surface, tip)
    image[20, :] -= 25.0  # a scan line that dropped out
    np.save(tmp_path / "img.npy", image)
    np.save(tmp_path / "tip.npy", tip.heights)
    run = ["tip", "erode", str(tmp_path / "img.npy"), "--pixel-size", "1", "--tip", str(tmp_path / "tip.npy")]
    assert main([*run, "-o", str(tmp_path / "dug.npy")]) == 0
    assert main([*run, "--replace-dropouts", "-o", str(tmp_path / "fixed.npy")]) == 0
    assert "dropouts: 48 pixels" in capsys.readouterr().err
    beside = np.s_[17:24:6, 12:28]  # the rows 3 px above and below the line, on the box
    assert (surface - np.load(tmp_path / "dug.npy"))[beside].max() > 5.0
    np.testing.assert_allclose(np.load(tmp_path / "fixed.npy")[beside], surface[beside], atol=0.5)


def test_stack_is_processed_frame_by_frame(tmp_path):
    stack = np.random.default_rng(0).normal(size=(3, 20, 20))
    np.save(tmp_path / "stack.npy", stack)
    assert main(["tip", "model", "--shape", "cone", "--radius", "1", "--half-angle", "30", "--pixel-size", "1",
                 "--size", "5", "-o", str(tmp_path / "tip.npy")]) == 0
    assert main(["tip", "dilate", str(tmp_path / "stack.npy"), "--tip", str(tmp_path / "tip.npy"),
                 "-o", str(tmp_path / "out.npy")]) == 0
    assert np.load(tmp_path / "out.npy").shape == (3, 20, 20)


def test_resampling_is_stated(tmp_path, capsys):
    np.save(tmp_path / "img.npy", np.zeros((40, 40)))
    assert main(["tip", "model", "--shape", "paraboloid", "--radius", "3", "--pixel-size", "1", "--size", "9",
                 "-o", str(tmp_path / "tip.npy")]) == 0
    assert main(["tip", "erode", str(tmp_path / "img.npy"), "--pixel-size", "2", "--tip", str(tmp_path / "tip.npy"),
                 "--tip-pixel-size", "1", "-o", str(tmp_path / "out.npy")]) == 0
    assert "tip resampled from 1 x 1 nm/px" in capsys.readouterr().err


@pytest.mark.parametrize("tip, message", [(np.zeros((4, 4)), "odd"), (np.zeros((41, 41)), "larger than the image")])
def test_bad_tip_exits_2_with_a_message(tmp_path, capsys, tip, message):
    np.save(tmp_path / "img.npy", np.zeros((20, 20)))
    np.save(tmp_path / "tip.npy", tip)
    assert main(["tip", "dilate", str(tmp_path / "img.npy"), "--tip", str(tmp_path / "tip.npy"),
                 "-o", str(tmp_path / "o.npy")]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")
def test_instrument_file_input_keeps_calibration(tmp_path):
    sample = SAMPLES / "kpg20080408.007"
    height = read_afm(sample)[0]
    assert main(["tip", "model", "--shape", "cone", "--radius", "10", "--half-angle", "20",
                 "--pixel-size", str(height.pixel_size_nm[1]), "--height", "20", "-o", str(tmp_path / "tip.npy")]) == 0
    out = tmp_path / "eroded.tif"
    assert main(["tip", "erode", str(sample), "--tip", str(tmp_path / "tip.npy"), "-o", str(out)]) == 0
    recon = read_afm(out)[0]
    assert recon.pixel_size_nm == pytest.approx(height.pixel_size_nm)
    assert np.all(recon.data <= height.data.astype(np.float32) + 1e-3)
