"""``afm-profiler classify evaluate|train|predict`` on CSV tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from napari_afm_profiler.cli import main


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat(["A", "B"], 30)
    df = pd.DataFrame({"Sa": rng.normal(size=60) + 2.5 * (y == "B"), "Sq": rng.normal(size=60),
                       "Sdr": rng.normal(size=60), "Ssk": rng.normal(size=60), "cls": y,
                       "donor": [f"d{i // 3}" for i in range(60)]})
    path = tmp_path / "table.csv"
    df.to_csv(path, index=False)
    return path


def test_evaluate_json_contract(table, capsys):
    assert main(["classify", "evaluate", str(table), "--label-column", "cls", "--group-column", "donor",
                 "--classifier", "logreg", "--splits", "20", "--top-k", "2", "--seed", "3", "--json", "--jobs", "1",
                 "--permutations", "99", "--permutation-splits", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("auc_mean", "auc_std", "accuracy_mean", "shuffled_auc_mean", "shuffled_auc_std", "p_value",
                "selected_features"):
        assert key in out
    assert out["auc_mean"] > 0.9 and abs(out["shuffled_auc_mean"] - 0.5) < 0.15 and out["p_value"] <= 0.01
    assert out["p_value_test"].startswith("data-set permutation test") and "paper_p_mannwhitney" in out
    assert out["selected_features"]["Sa"] == 1.0


def test_evaluate_text_and_report(table, tmp_path, capsys):
    assert main(["classify", "evaluate", str(table), "--label-column", "cls", "--classifier", "rf", "--splits", "6",
                 "--jobs", "1", "--permutations", "9", "--permutation-splits", "1", "--report", str(tmp_path / "rep")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("accuracy") and "shuffled" in out and "selected most often: Sa" in out
    assert (tmp_path / "rep" / "roc.png").is_file() and (tmp_path / "rep" / "permutation.png").is_file()
    assert "(permutation test)" in out and len((tmp_path / "rep" / "permutations.csv").read_text().splitlines()) == 10


def test_train_then_predict(table, tmp_path, capsys):
    model = tmp_path / "model"
    assert main(["classify", "train", str(table), "--label-column", "cls", "--classifier", "gpc", "--top-k", "2",
                 "--splits", "4", "--jobs", "1", "--permutations", "0", "-o", str(model)]) == 0
    card = json.loads((model / "model.json").read_text())
    assert card["summary"]["n_splits"] == 4
    new = pd.DataFrame({"Sa": [-1.0, 4.0], "Sq": [0.0, 0.0], "Sdr": [0.0, 0.0], "Ssk": [0.0, 0.0]})
    new.to_csv(tmp_path / "new.csv", index=False)
    assert main(["classify", "predict", str(model), str(tmp_path / "new.csv"), "-o", str(tmp_path / "pred.csv")]) == 0
    pred = pd.read_csv(tmp_path / "pred.csv")
    assert pred["predicted_class"].tolist() == ["A", "B"]
    assert (pred["probability"] > 0.5).all()


@pytest.mark.parametrize(
    "argv, message",
    [(["--label-column", "nope"], "no class column 'nope'"),
     (["--label-column", "cls", "--group-column", "nope"], "no group column"),
     (["--label-column", "cls", "--test-fraction", "1.5"], "test fraction")],
)
def test_errors_exit_2(table, capsys, argv, message):
    assert main(["classify", "evaluate", str(table), *argv, "--splits", "2", "--jobs", "1"]) == 2
    assert message in capsys.readouterr().err


def test_predict_with_missing_columns(table, tmp_path, capsys):
    model = tmp_path / "m"
    assert main(["classify", "train", str(table), "--label-column", "cls", "--classifier", "logreg", "-o", str(model)]) == 0
    pd.DataFrame({"Sa": [1.0]}).to_csv(tmp_path / "few.csv", index=False)
    assert main(["classify", "predict", str(model), str(tmp_path / "few.csv"), "-o", str(tmp_path / "o.csv")]) == 2
    assert "lacks 3 parameter column(s)" in capsys.readouterr().err


def test_patient_level_diagnosis_from_several_cells(tmp_path, capsys):
    """Cells carry a weak signal; the mean of five cells per patient diagnoses the patient far better."""
    rng = np.random.default_rng(7)
    patients = np.repeat([f"pt{i}" for i in range(24)], 5)
    disease = np.repeat(np.repeat(["healthy", "tumour"], 12), 5)
    df = pd.DataFrame({"Sa": rng.normal(size=120) + 0.8 * (disease == "tumour"), "Sq": rng.normal(size=120),
                       "type": disease, "patient": patients})
    path = tmp_path / "cells.csv"
    df.to_csv(path, index=False)
    assert main(["classify", "evaluate", str(path), "--label-column", "type", "--aggregate-by", "patient",
                 "--classifier", "logreg", "--top-k", "1", "--splits", "20", "--jobs", "1", "--json",
                 "--permutations", "49", "--permutation-splits", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["aggregate"] == "mean"
    assert out["group_auc_mean"] > out["auc_mean"] + 0.1 and out["group_auc_mean"] > 0.85
    assert out["p_value"] <= 0.02  # group-level permutations: floor 1 / 50
    assert main(["classify", "evaluate", str(path), "--label-column", "type", "--aggregate-by", "patient",
                 "--group-column", "other", "--splits", "2", "--jobs", "1"]) == 2
    assert "must be the --group-column" in capsys.readouterr().err
