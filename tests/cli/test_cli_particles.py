"""``afm-profiler particles`` and ``profile`` on a virtual scene with known particles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from napari_afm_profiler.cli import main
from napari_afm_profiler.io import read_afm
from napari_afm_profiler.io.writers import write_image


@pytest.fixture()
def domes(tmp_path):
    yy, xx = (np.mgrid[0:128, 0:128] + 0.5) * 1.0
    z = np.zeros((128, 128))
    for cy, cx in ((30, 30), (30, 90), (90, 60)):
        z = np.maximum(z, np.sqrt(np.clip(15.0**2 - (yy - cy) ** 2 - (xx - cx) ** 2, 0, None)))
    return write_image(tmp_path / "domes.tif", z, pixel_size_nm=(1.0, 1.0))


def test_particles_csv_and_labels(domes, tmp_path, capsys):
    out, labels = tmp_path / "p.csv", tmp_path / "labels.tif"
    assert main(["particles", str(domes), "--level", "none", "--threshold", "0.5", "-o", str(out),
                 "--labels-out", str(labels)]) == 0
    df = pd.read_csv(out)
    assert len(df) == 3
    np.testing.assert_allclose(df["max_height_nm"], 15.0, atol=0.1)
    np.testing.assert_allclose(df["equivalent_radius_nm"], 15.0 * np.sqrt(1 - (0.5 / 15) ** 2), rtol=0.03)
    assert read_afm(labels)[0].data.max() == 3
    assert "3 particles" in capsys.readouterr().err


def test_particles_before_and_after_deconvolution(domes, tmp_path, capsys):
    out = tmp_path / "p.csv"
    assert main(["particles", str(domes), "--level", "none", "--threshold", "0.5", "--deconvolve", "-o", str(out)]) == 0
    df = pd.read_csv(out)
    assert (df["deconvolved_label"] > 0).all() and "deconvolved_area_nm2" in df
    assert "mirror images" not in capsys.readouterr().err
    assert main(["particles", str(domes), "--level", "none", "--threshold", "0.5", "--deconvolve", "--mirror-average",
                 "-o", str(out)]) == 0
    assert "note: deconvolution: network: the mean of its results for the image and its 3 mirror images" in \
        capsys.readouterr().err


def test_particles_of_a_tilted_sample_levelled_then_deconvolved(tmp_path, capsys):
    """--level plane takes out the sample's tilt; deconvolution is told so (the tip met the sample tilted)."""
    from napari_afm_profiler.tip import dilate, make_tip

    yy, xx = (np.mgrid[0:128, 0:128] + 0.5) * 1.0
    z = np.zeros((128, 128))
    for cy, cx in ((32, 32), (32, 96), (96, 32), (96, 96)):  # symmetric: the plane fit is not tilted by them
        z = np.maximum(z, np.sqrt(np.clip(12.0**2 - (yy - cy) ** 2 - (xx - cx) ** 2, 0, None)))
    tip = make_tip("cone", pixel_size_nm=1.0, radius_nm=10.0, half_angle_deg=20.0, height_nm=30.0)
    path = write_image(tmp_path / "tilted.tif", dilate(z + 0.15 * xx, tip), pixel_size_nm=(1.0, 1.0))
    out = tmp_path / "p.csv"
    assert main(["particles", str(path), "--threshold", "0.5", "--deconvolve", "--tip-shape", "cone",
                 "--tip-radius", "10", "--tip-half-angle", "20", "-o", str(out)]) == 0
    assert "note: deconvolution: removed tilt" in capsys.readouterr().err
    df = pd.read_csv(out)
    true_area = np.pi * (12.0**2 - 0.5**2)
    assert len(df) == 4 and (df["area_nm2"] > 1.5 * true_area).all()  # the raw image: dilated by the tip
    np.testing.assert_allclose(df["deconvolved_area_nm2"], true_area, rtol=0.15)  # 11-12 % (domes' feet)


def test_profile_through_a_dome(domes, tmp_path, capsys):
    assert main(["profile", str(domes), "--line", "30,0,30,60", "--width", "3"]) == 0
    df = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert df["distance_nm"].iloc[-1] == pytest.approx(60.0)
    assert df.iloc[:, 1].max() == pytest.approx(15.0, abs=0.3)
    assert main(["profile", str(domes), "--line", "0,0,500,0"]) == 2
    assert "outside the image" in capsys.readouterr().err


def test_profile_parameters_of_a_sinusoid(tmp_path, capsys):
    import json

    x = np.arange(400) * 1.0
    np.save(tmp_path / "wave.npy", np.tile(2.0 * np.sin(2 * np.pi * x / 25.0), (20, 1)))
    assert main(["profile", str(tmp_path / "wave.npy"), "--pixel-size", "0.5", "--line", "10,0,10,399",
                 "-o", str(tmp_path / "p.csv"), "--parameters", str(tmp_path / "p.json"), "--profile-level", "none"]) == 0
    result = next(iter(json.loads((tmp_path / "p.json").read_text()).values()))
    assert result["parameters"]["Rq"] == pytest.approx(2.0 / np.sqrt(2), rel=0.01)
    assert result["parameters"]["RSm"] == pytest.approx(12.5, rel=0.01)  # 25 px at 0.5 nm
    assert result["operators"]["F-operator"] == "none (mean removed)"
