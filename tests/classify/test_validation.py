"""The classifier pipeline on populations with a known difference, no difference, and pure noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from napari_afm_profiler.classify import PipelineSettings, evaluate_steps, feature_table
from napari_afm_profiler.classify.evaluation import random_splits
from napari_afm_profiler.classify.models import make_pipeline
from napari_afm_profiler.progress import drain
from tests._support.populations import hurst_populations

FRACTAL = {"Sfd_psd", "Sfd_var"}
# at a fixed RMS height the Hurst exponent sets the spectrum's slope, hence the fractal dimension
# and everything made of high spectral moments: slopes, curvatures, summit and peak densities
HURST_SENSITIVE = FRACTAL | {"Sdq", "Sdr", "Sds", "Ssc", "Spd", "Svd", "Spc", "Svc", "Sal", "Str", "Ssw"}
AMPLITUDE_ONLY = {"Sa", "Sq", "Sp", "Sv", "Sz", "Ssk", "Sku"}


@pytest.fixture(scope="module")
def hurst_table():
    return feature_table(hurst_populations(30, hurst=(0.5, 0.8), seed=1), "class")


@pytest.fixture(scope="module")
def identical_table():
    return feature_table(hurst_populations(50, hurst=(0.65, 0.65), seed=2), "class")


def test_known_difference_is_found_and_its_parameters_selected(hurst_table):
    ev = drain(evaluate_steps(hurst_table, n_splits=40, n_jobs=2, n_permutations=99, permutation_splits=3))
    s = ev.summary()
    assert s["auc_mean"] >= 0.95
    frequency = ev.selection_frequency()
    top3 = list(frequency)[:3]
    assert set(top3) <= HURST_SENSITIVE, top3
    assert max(frequency[k] for k in FRACTAL) >= 0.5
    importance = ev.mean_importance()
    assert max(importance[k] for k in AMPLITUDE_ONLY) < min(importance[k] for k in top3)
    # the shuffled control of the same splits is near chance, and far below the real AUC
    assert abs(s["shuffled_auc_mean"] - 0.5) <= 0.05
    # the valid test reaches its floor, 1 / (99 + 1); the paper's descriptive comparison is far smaller
    assert s["p_value"] <= 0.01 and ev.p_text() == "p ≤ 0.01 (permutation test)"
    assert s["paper_p_mannwhitney"] < 1e-4


def test_identical_populations_give_chance_and_no_significance(identical_table):
    ev = drain(evaluate_steps(identical_table, n_splits=40, n_jobs=2, n_permutations=99, permutation_splits=3))
    s = ev.summary()
    # one fixed labelling is shared by all splits, so its mean AUC scatters more than the shuffled one
    assert abs(s["auc_mean"] - 0.5) <= 0.1
    assert abs(s["shuffled_auc_mean"] - 0.5) <= 0.05
    assert s["p_value"] > 0.05


def test_selection_inside_the_split_prevents_leakage():
    # pure noise: 1000 parameters, 60 rows, random classes -> any AUC above 0.5 is leakage
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 1000))
    y = np.repeat(["A", "B"], 30)
    df = pd.DataFrame(X, columns=[f"p{i}" for i in range(1000)]).assign(cls=y)
    table = feature_table(df, "cls")
    settings = PipelineSettings(classifier="logreg", top_k=10)
    ours = drain(evaluate_steps(table, settings=settings, n_splits=30, n_jobs=1, n_permutations=0)).aucs().mean()
    # the leaky way: rank and select on all rows first, then split
    selector = clone(make_pipeline(settings).named_steps["select"]).fit(X, y)
    leaky_model = make_pipeline(settings)
    leaky_model.steps.pop(2)  # no selection inside
    aucs = []
    for train, test in random_splits(table, 30, 0.3, 0):
        model = clone(leaky_model).fit(X[train][:, selector.support_], y[train])
        aucs.append(roc_auc_score(y[test] == "B", model.predict_proba(X[test][:, selector.support_])[:, 1]))
    leaky = float(np.mean(aucs))
    assert leaky > 0.7  # selection on all rows "finds" signal in noise
    assert abs(ours - 0.5) < 0.08


@pytest.mark.parametrize("classifier", ["gpc", "rf", "logreg", "svm"])
def test_every_classifier_separates_the_known_difference(hurst_table, classifier):
    ev = drain(evaluate_steps(hurst_table, settings=PipelineSettings(classifier=classifier), n_splits=8, n_jobs=1,
                              n_permutations=0))
    assert ev.aucs().mean() >= 0.95
    # the confusion matrix counts each test row once, by its true class
    n_test = int(round(0.3 * hurst_table.y.size))
    assert ev.real[0].confusion.sum() == n_test
    assert ev.real[0].confusion.sum(axis=1).tolist() == [n_test // 2, n_test - n_test // 2]


def test_permutation_p_value_is_calibrated_on_pure_noise():
    """About 1 in 20 pure-noise data sets may reach p <= 0.05; the paper's statistic reaches it on about half."""
    settings = PipelineSettings(classifier="logreg", top_k=3, importance_trees=10)
    hits = 0
    for seed in range(30):
        rng = np.random.default_rng(100 + seed)
        df = pd.DataFrame(rng.normal(size=(40, 6)), columns=[f"p{i}" for i in range(6)]).assign(cls=np.repeat(["A", "B"], 20))
        ev = drain(evaluate_steps(feature_table(df, "cls"), settings=settings, n_splits=3, n_jobs=2,
                                  n_permutations=19, permutation_splits=3))
        hits += ev.p_value <= 0.05
    # expected 1.5 of 30 (P(p <= 0.05) = 1/20 exactly); 6 or more has probability 0.006 under a valid test
    assert hits <= 5


def test_too_few_group_labellings_are_named_with_the_smallest_attainable_p():
    rng = np.random.default_rng(0)
    groups = np.repeat([f"g{i}" for i in range(6)], 5)
    df = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"]).assign(
        cls=np.repeat(["A", "B"], 15), donor=groups)
    ev = drain(evaluate_steps(feature_table(df, "cls", group_column="donor"),
                              settings=PipelineSettings(classifier="logreg", top_k=2, importance_trees=5),
                              n_splits=3, n_jobs=1, n_permutations=49, permutation_splits=2))
    # 6 donors, 3 per class: C(6, 3) = 20 labellings
    assert any("20 distinct labellings" in w and "0.05" in w for w in ev.warnings)


def test_auc_interval_accounts_for_the_overlap_of_splits(hurst_table):
    ev = drain(evaluate_steps(hurst_table, settings=PipelineSettings(classifier="logreg"), n_splits=30, n_jobs=2,
                              n_permutations=0))
    lo, hi = ev.auc_interval()
    aucs = ev.aucs()
    naive = 1.96 * aucs.std(ddof=1) / np.sqrt(aucs.size)
    # Nadeau & Bengio: variance (1/J + n_test/n_train) s^2, i.e. far wider than s/sqrt(J) for 30 splits
    assert lo <= aucs.mean() <= hi and (hi - lo) / 2 > 3 * naive or hi == 1.0
    expected = 2.045 * np.sqrt((1 / 30 + 0.3 / 0.7) * aucs.var(ddof=1))  # t(0.975, 29) = 2.045
    assert np.isclose(aucs.mean() - lo, expected, rtol=1e-3) or lo == 0.0
    assert ev.summary()["auc_ci95"] == [lo, hi] and "95 % CI" in ev.summary_line()
