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


def test_pickle_models_are_refused(tmp_path, capsys):
    np.save(tmp_path / "img.npy", np.zeros((32, 32)))
    (tmp_path / "evil.pt").write_bytes(b"not really")
    assert main(["deconvolve", str(tmp_path / "img.npy"), "--model", str(tmp_path / "evil.pt"),
                 "-o", str(tmp_path / "o.npy")]) == 2
    assert "only safetensors" in capsys.readouterr().err
