"""Tables, splits, models on disk, prediction and plots: bad input and exact bookkeeping."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from napari_afm_profiler.classify import (
    PipelineSettings,
    evaluate_steps,
    feature_table,
    load_classifier,
    predict_table,
    read_table,
    save_classifier,
    train,
)
from napari_afm_profiler.classify.evaluation import random_splits
from napari_afm_profiler.classify.plots import PLOTS
from napari_afm_profiler.classify.report import write_report
from napari_afm_profiler.classify.selection import decorrelated_ranking
from napari_afm_profiler.errors import InputError
from napari_afm_profiler.progress import drain


def separable(n=40, seed=0, groups=False):
    rng = np.random.default_rng(seed)
    y = np.repeat(["healthy", "tumour"], n // 2)
    signal = (y == "tumour") * 2.0
    df = pd.DataFrame({"Sa": rng.normal(size=n) + signal, "Sq": rng.normal(size=n), "Sdr": rng.normal(size=n),
                       "region": np.arange(n), "kind": y})
    if groups:
        df["donor"] = [f"d{i // 4}" for i in range(n)]  # 4 cells per donor, donors of one class
    return df


def test_feature_columns_identifiers_and_warnings():
    df = separable()
    df["Str"] = np.inf
    df.loc[3, "Sq"] = np.nan
    df["flat"] = 1.0
    df.loc[5, "kind"] = None
    t = feature_table(df, "kind")
    assert t.feature_names == ("Sa", "Sq", "Sdr")  # region is an identifier; Str empty; flat constant
    text = " | ".join(t.warnings)
    assert "Str" in text and "flat" in text and "Sq (1)" in text and "1 row(s) without a class" in text
    assert t.X.shape == (39, 3) and t.classes == ("healthy", "tumour")


@pytest.mark.parametrize(
    "change, message",
    [(lambda d: d.assign(kind="healthy"), "only one class"),
     (lambda d: d.assign(kind=["healthy"] * 39 + ["tumour"]), "has 1 row"),
     (lambda d: d.drop(columns=["kind"]), "no class column"),
     (lambda d: d[["kind", "region"]], "no numeric parameter column")],
)
def test_bad_tables(change, message):
    with pytest.raises(InputError, match=message):
        feature_table(change(separable()), "kind")


def test_read_table_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="not a readable CSV"):
        read_table(tmp_path / "empty.csv")


def test_stratified_and_group_splits():
    t = feature_table(separable(40), "kind")
    for train_idx, test_idx in random_splits(t, 10, 0.25, 0):
        assert len(test_idx) == 10 and set(t.y[test_idx]) == {"healthy", "tumour"}
        assert not set(train_idx) & set(test_idx)
    g = feature_table(separable(40, groups=True), "kind", group_column="donor")
    for train_idx, test_idx in random_splits(g, 20, 0.3, 1):
        assert not set(g.groups[train_idx]) & set(g.groups[test_idx])
        assert set(g.y[test_idx]) == {"healthy", "tumour"} == set(g.y[train_idx])


def test_group_shuffling_keeps_groups_whole():
    from napari_afm_profiler.classify.evaluation import shuffled_classes

    g = feature_table(separable(40, groups=True), "kind", group_column="donor")
    shuffled = shuffled_classes(g, 3)
    for donor in np.unique(g.groups):
        assert np.unique(shuffled[g.groups == donor]).size == 1
    assert sorted(shuffled) == sorted(g.y)


def test_decorrelation_keeps_the_more_important_of_a_pair():
    rng = np.random.default_rng(0)
    a = rng.normal(size=100)
    X = np.column_stack([a, a + 0.01 * rng.normal(size=100), rng.normal(size=100)])
    assert decorrelated_ranking(X, np.array([0.3, 0.6, 0.1]), 0.9).tolist() == [1, 2]


def test_model_round_trip_and_tamper_detection(tmp_path):
    t = feature_table(separable(), "kind")
    model = train(t, PipelineSettings(classifier="gpc", top_k=2))
    folder = save_classifier(tmp_path / "model", model, t)
    loaded = load_classifier(folder)
    probe = separable(seed=5)
    np.testing.assert_allclose(predict_table(loaded, probe)["probability"], predict_table(model, probe)["probability"])
    card = json.loads((folder / "model.json").read_text())
    assert card["classes"] == ["healthy", "tumour"] and "Sa" in card["selected"]
    data = (folder / "training.npz").read_bytes()
    (folder / "training.npz").write_bytes(data[:-10] + b"0123456789")
    with pytest.raises(InputError, match="checksum"):
        load_classifier(folder)
    with pytest.raises(InputError, match="not a classifier folder"):
        load_classifier(tmp_path)


def test_prediction_columns_must_match():
    t = feature_table(separable(), "kind")
    model = train(t, PipelineSettings(classifier="logreg", top_k=3))
    with pytest.raises(InputError, match="lacks 1 parameter column"):
        predict_table(model, separable().drop(columns=["Sdr"]))
    probe = separable(seed=9)
    probe.loc[0, "Sq"] = np.nan
    out = predict_table(model, probe)
    assert "Sq (1)" in out.attrs["warnings"][0]
    assert set(out["predicted_class"]) <= {"healthy", "tumour"}
    np.testing.assert_allclose(out["probability_healthy"] + out["probability_tumour"], 1.0)
    assert (out.loc[probe["Sa"] > 3, "predicted_class"] == "tumour").all()


def test_report_and_plots(tmp_path):
    t = feature_table(separable(), "kind")
    ev = drain(evaluate_steps(t, settings=PipelineSettings(classifier="logreg", top_k=2), n_splits=6, n_jobs=1,
                              n_permutations=9, permutation_splits=2))
    files = write_report(tmp_path / "report", ev)
    names = {f.name for f in files}
    assert {"summary.json", "splits.csv", "selection.csv", "permutations.csv"} | {f"{p}.png" for p in PLOTS} == names
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert summary["summary_line"].startswith("accuracy") and summary["selected_features"]["Sa"] == 1.0
    splits = pd.read_csv(tmp_path / "report" / "splits.csv")
    assert len(splits) == 12 and set(splits["classes"]) == {"true", "shuffled"}


def test_three_classes():
    rng = np.random.default_rng(1)
    y = np.repeat(["a", "b", "c"], 20)
    df = pd.DataFrame({"x": rng.normal(size=60) + (y == "b") * 3 + (y == "c") * 6, "z": rng.normal(size=60), "k": y})
    ev = drain(evaluate_steps(feature_table(df, "k"), settings=PipelineSettings(classifier="rf", top_k=2),
                              n_splits=5, n_jobs=1, n_permutations=9, permutation_splits=1))
    assert ev.aucs().mean() > 0.9 and ev.real[0].confusion.shape == (3, 3)
    assert ev.p_value == 0.1  # the floor of 9 permutations: (1 + 0) / 10


def test_too_few_groups_for_a_shuffled_control_is_flagged():
    from napari_afm_profiler.classify.evaluation import distinct_group_labellings

    df = separable(40, groups=True)
    df["donor"] = np.where(np.arange(40) < 20, np.where(np.arange(40) < 10, "a", "b"),
                           np.where(np.arange(40) < 30, "c", "d"))
    t = feature_table(df, "kind", group_column="donor")
    assert distinct_group_labellings(t) == 6  # 4! / (2! 2!)
    ev = drain(evaluate_steps(t, settings=PipelineSettings(classifier="logreg", top_k=2), n_splits=4, n_jobs=1,
                              n_permutations=9, permutation_splits=2))
    assert any("only 6 distinct ways" in w for w in ev.warnings)
    assert distinct_group_labellings(feature_table(separable(40, groups=True), "kind", group_column="donor")) == 252
