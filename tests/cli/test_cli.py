import json
import subprocess
import sys

import numpy as np
import pytest

from napari_afm_profiler.cli import main
from napari_afm_profiler.io import read_afm
from tests.conftest import SAMPLES

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")


@needs_samples
def test_info_json(capsys):
    assert main(["info", str(SAMPLES / "kpg20080408.007"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "nanoscope"
    height = report["channels"][0]
    assert height["shape"] == [256, 256]
    assert height["pixel_size_nm"] == pytest.approx([3.90625, 3.90625])
    assert height["z_unit"] == "nm"
    assert height["min"] == pytest.approx(-8.199215860415388, rel=1e-6)
    assert {"name", "shape", "pixel_size_nm", "z_unit", "min", "max", "mean"} <= set(height)


@needs_samples
def test_info_table(capsys):
    assert main(["info", str(SAMPLES / "mi-1.mi")]) == 0
    out = capsys.readouterr().out
    assert "Topography" in out and "78.12" in out


@needs_samples
def test_bad_file_exit_code_2_without_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "napari_afm_profiler.cli", "info", str(SAMPLES / "broken" / "text_file_renamed.ibw")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "text_file_renamed.ibw" in proc.stderr
    assert "Traceback" not in proc.stderr


@needs_samples
@pytest.mark.parametrize("suffix", [".tif", ".gwy", ".npy"])
def test_export_levelled(tmp_path, suffix):
    out = tmp_path / f"out{suffix}"
    assert main(["export", str(SAMPLES / "Veeco_20160622.003"), "--level", "plane", "-o", str(out)]) == 0
    scan = read_afm(out)[0]
    assert scan.data.shape == (512, 512)
    assert abs(np.nanmean(scan.data)) < 1e-3  # a levelled surface has zero mean
    if suffix != ".npy":
        assert scan.pixel_size_nm == pytest.approx((3.455234375, 3.455234375))


def test_export_npy_needs_pixel_size_for_calibration(tmp_path, capsys):
    src = tmp_path / "in.npy"
    np.save(src, np.ones((8, 8)))
    assert main(["info", str(src), "--pixel-size", "2.0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["channels"][0]["pixel_size_nm"] == [2.0, 2.0]


def test_unknown_channel_is_an_error(tmp_path, capsys):
    src = tmp_path / "in.npy"
    np.save(src, np.ones((8, 8)))
    assert main(["export", str(src), "--channel", "Phase", "-o", str(tmp_path / "o.npy")]) == 2
    assert "no channel 'Phase'" in capsys.readouterr().err


def test_sample_command(tmp_path):
    out = tmp_path / "scene.tif"
    assert main(["sample", "-o", str(out)]) == 0
    scan = read_afm(out)[0]
    assert scan.pixel_size_nm == (2.0, 2.0)
    assert scan.data.max() > 10.0  # particles stand out of the substrate


def test_gui_launcher_without_display_runs_cli_pipeline(monkeypatch, capsys):
    from napari_afm_profiler._napari.launch import main as launch

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert launch() == 0
    out = capsys.readouterr().out
    assert "no display" in out and "Height (virtual)" in out
    assert "$ afm-profiler deconvolve" in out and "done: the results are in" in out


def test_building_the_parser_imports_no_science():
    """``afm-profiler --help`` must not pay for numpy, scipy, scikit-learn, numba or torch (start-up goal 0.3 s)."""
    import subprocess
    import sys

    code = ("import sys; from napari_afm_profiler.cli import build_parser; build_parser(); "
            "print(','.join(m for m in ('numpy', 'scipy', 'sklearn', 'numba', 'torch', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""


def test_parser_choices_are_the_core_registries():
    from napari_afm_profiler.classify.models import make_pipeline  # noqa: F401 - the registry's home module
    from napari_afm_profiler.classify.names import CLASSIFIERS
    from napari_afm_profiler.cli.files import LEVEL_CHOICES
    from napari_afm_profiler.deconv.names import TRAINING_KINDS
    from napari_afm_profiler.preprocess import LEVEL_METHODS
    from napari_afm_profiler.synth import KINDS, generate_dataset  # noqa: F401

    assert sorted(LEVEL_CHOICES) == sorted(LEVEL_METHODS)
    assert set(TRAINING_KINDS) <= set(KINDS) and set(CLASSIFIERS) == {"gpc", "rf", "logreg", "svm"}


def test_tip_shape_names_are_the_models():
    from napari_afm_profiler.tip.models import TIP_SHAPES
    from napari_afm_profiler.tip.names import TIP_SHAPE_NAMES

    assert TIP_SHAPE_NAMES == tuple(TIP_SHAPES)


def test_lines_never_scanned_are_reported_by_info_and_left_out_of_processing(tmp_path, capsys):
    band = np.tile(3.0 * np.sin(2 * np.pi * (np.arange(256) + 0.5) / 32), (64, 1))  # Sq = 3 / sqrt(2)
    stored = np.vstack([np.zeros((40, 256)), band])  # a scan stopped after 64 of 104 lines
    np.save(tmp_path / "partial.npy", stored)
    assert main(["info", str(tmp_path / "partial.npy"), "--pixel-size", "2", "--json"]) == 0
    channel = json.loads(capsys.readouterr().out)["channels"][0]
    assert channel["unscanned_lines"] == 40
    assert channel["max"] == pytest.approx(stored.max()) and channel["mean"] == pytest.approx(stored.mean())
    assert main(["roughness", str(tmp_path / "partial.npy"), "--pixel-size", "2", "--level", "none"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)[0]["Sq"] == pytest.approx(3.0 / np.sqrt(2), rel=1e-3)
    assert "40 scan lines were never measured" in captured.err
