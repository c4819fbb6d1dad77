"""``afm-profiler synth``: files, reproducibility and bad parameters."""

from __future__ import annotations

import numpy as np

from napari_afm_profiler.cli import main
from napari_afm_profiler.synth import load_dataset


def test_synth_writes_a_reproducible_dataset(tmp_path, capsys):
    args = ["synth", "--kind", "prism", "--n", "3", "--size", "48", "--pixel-size", "0.5", "--object-size", "8", "10",
            "--object-height", "4", "6", "--artifacts", "paper", "--seed", "9"]
    assert main([*args, "-o", str(tmp_path / "a.npz")]) == 0
    assert main([*args, "-o", str(tmp_path / "b.npz")]) == 0
    a, b = load_dataset(tmp_path / "a.npz"), load_dataset(tmp_path / "b.npz")
    assert a["image"].shape == (3, 48, 48) and a["pixel_size_nm"] == 0.5 and a["kind"] == "prism"
    assert np.array_equal(a["image"], b["image"])
    assert set(a["objects_kind"]) == {"prism"}
    assert a["parameters"]["config"]["artifacts"]["line_probability"] == 0.05
    assert "wrote" in capsys.readouterr().out


def test_mixed_kinds(tmp_path):
    assert main(["synth", "--kind", "mixed", "--mixed-kinds", "rod", "cuboid", "--n", "3", "--size", "64",
                 "--object-size", "6", "8", "-o", str(tmp_path / "m.npz")]) == 0
    assert set(load_dataset(tmp_path / "m.npz")["objects_kind"]) <= {"rod", "cuboid"}


def test_synth_with_a_tip_file(tmp_path):
    tip = -np.add.outer(np.arange(-3, 4.0) ** 2, np.arange(-3, 4.0) ** 2) / 4
    np.save(tmp_path / "tip.npy", tip)
    assert main(["synth", "--kind", "fractal", "--n", "2", "--size", "32", "--tip", str(tmp_path / "tip.npy"),
                 "-o", str(tmp_path / "f.npz")]) == 0
    data = load_dataset(tmp_path / "f.npz")
    np.testing.assert_array_equal(data["tip"], tip)
    assert np.all(data["image"] >= data["surface"])


def test_impossible_parameters_exit_2(tmp_path, capsys):
    assert main(["synth", "--kind", "fractal", "--hurst", "1.5", "-o", str(tmp_path / "x.npz")]) == 2
    assert "hurst" in capsys.readouterr().err
    assert main(["synth", "--object-size", "-2", "5", "-o", str(tmp_path / "x.npz")]) == 2
    assert "size_nm" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()
