"""Classifier evaluation: speed on a 300 x 40 table, and the calibration and power of its p-value.

    python benchmarks/bench_classify.py [--splits 200] [--jobs 2] [--calibration 200] [--power 20] [--write]

Speed: 150 + 150 virtual fractal "cells" whose Hurst exponents differ a little (0.6 vs 0.7;
random RMS height and noise per cell), described by the first 40 roughness parameters. One
``evaluate_steps`` call per row: ``--splits`` random splits with the true classes plus the same
splits with shuffled classes (selection refitted inside every split) and the final model; then
the permutation test alone (its cost is permutations x splits fits, linear in both).

Calibration: ``--calibration`` pure-noise data sets (40 rows x 6 features, two classes of 20,
logistic regression, as in the issue that found the old statistic wrong). A valid test gives
p < 0.05 on 5 % of them (binomial 95 % interval shown). Power: data sets of 60 rows x 40
features where 1 or 3 features differ between the classes by 0.3, 0.5 or 1.0 SD. Both the
data-set permutation test (199 permutations x 3 splits) and the paper's Mann-Whitney comparison
of split AUCs (50 splits, descriptive) are applied to the same data sets.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats

from napari_afm_profiler.classify import PipelineSettings, evaluate_steps, feature_table
from napari_afm_profiler.progress import drain

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test-support helpers live in tests/
from tests._support.populations import hurst_populations  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import writes_results  # noqa: E402

NOISE_SETTINGS = PipelineSettings(classifier="logreg", top_k=3, importance_trees=10)
PERMUTATIONS, PERMUTATION_SPLITS, PAPER_SPLITS = 199, 3, 50


def _one(seed: int, rows: int, features: int, effect: float, signal: int) -> tuple[float, float]:
    """(permutation-test p, paper Mann-Whitney p) of one synthetic data set."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features))
    y = np.repeat(["A", "B"], rows // 2)
    X[y == "B", :signal] += effect
    df = pd.DataFrame(X, columns=[f"p{i}" for i in range(features)]).assign(cls=y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = drain(evaluate_steps(feature_table(df, "cls"), settings=NOISE_SETTINGS, n_splits=PAPER_SPLITS, n_jobs=1,
                                  n_permutations=PERMUTATIONS, permutation_splits=PERMUTATION_SPLITS))
    return float(ev.p_value), float(ev.p_mannwhitney)


def _share(ps: np.ndarray) -> str:
    k, n = int(np.sum(ps < 0.05)), ps.size
    lo, hi = stats.binomtest(k, n).proportion_ci(0.95)
    return f"{k}/{n} = {k / n:.3f} [{lo:.3f}, {hi:.3f}]"


def speed(args: argparse.Namespace) -> None:
    t = time.perf_counter()
    df = hurst_populations(150, hurst=(0.6, 0.7), seed=11)
    params = [c for c in df.columns if c != "class"][:40]
    table = feature_table(df[["class", *params]], "class")
    print(f"table: {table.X.shape[0]} rows x {table.X.shape[1]} parameters (made in {time.perf_counter() - t:.1f} s)\n")
    print("| classifier | splits (+ shuffled twins) | time [s] | result |\n|---|---|---|---|")
    cases = [("gpc", False, args.splits), ("rf", False, args.splits), ("logreg", False, args.splits),
             ("svm", False, args.splits), ("gpc", True, 20)]
    for classifier, optimize, n in cases:
        settings = PipelineSettings(classifier=classifier, optimize_kernel=optimize)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ev = drain(evaluate_steps(table, settings=settings, n_splits=n, n_jobs=args.jobs, n_permutations=0))
        name = classifier + (" (kernel optimised)" if optimize else "")
        aucs, shuf = ev.aucs(), ev.aucs(True)
        print(f"| {name} | {n} | {time.perf_counter() - t:.1f} | AUC {aucs.mean():.2f} ± {aucs.std():.2f}, "
              f"shuffled {shuf.mean():.2f} ± {shuf.std():.2f} |")
    print("\n| permutation test | permutations × splits | time [s] | p |\n|---|---|---|---|")
    for classifier in ("gpc", "logreg"):
        settings = PipelineSettings(classifier=classifier)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ev = drain(evaluate_steps(table, settings=settings, n_splits=10, n_jobs=args.jobs, n_permutations=199,
                                      permutation_splits=10))
        print(f"| {classifier} | 199 × 10 | {time.perf_counter() - t:.1f} | {ev.p_text()} |")
    print("\nThe default (999 × 10, resolving p = 0.001) costs five times the 199 × 10 row.")


def calibration(args: argparse.Namespace) -> None:
    seeds = range(10_000, 10_000 + args.calibration)
    t = time.perf_counter()
    res = np.array(Parallel(n_jobs=args.jobs)(delayed(_one)(s, 40, 6, 0.0, 0) for s in seeds))
    print(f"\nPure noise, {args.calibration} data sets of 40 × 6 ({time.perf_counter() - t:.0f} s):\n")
    print("| statistic | share with p < 0.05 [95 % CI] | expected |\n|---|---|---|")
    print(f"| data-set permutation test ({PERMUTATIONS} × {PERMUTATION_SPLITS} splits) | {_share(res[:, 0])} | 0.05 |")
    print(f"| paper: Mann-Whitney of split AUCs ({PAPER_SPLITS} splits), descriptive | {_share(res[:, 1])} | 0.05 |")


def power(args: argparse.Namespace) -> None:
    print(f"\nPower, {args.power} data sets per row, 60 rows × 40 features:\n")
    print("| effect (SD) | features with signal | permutation test: p < 0.05 | paper's statistic: p < 0.05 |")
    print("|---|---|---|---|")
    for effect in (0.3, 0.5, 1.0):
        for signal in (1, 3):
            seeds = range(20_000 + 1000 * signal + int(100 * effect), 20_000 + 1000 * signal + int(100 * effect) + args.power)
            res = np.array(Parallel(n_jobs=args.jobs)(delayed(_one)(s, 60, 40, effect, signal) for s in seeds))
            print(f"| {effect} | {signal} | {_share(res[:, 0])} | {_share(res[:, 1])} |", flush=True)


@writes_results("classify", "Cell classifier: speed, calibration and power (script-written)", "joblib --jobs as printed")
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--calibration", type=int, default=200, help="pure-noise data sets (0 = skip)")
    parser.add_argument("--power", type=int, default=20, help="data sets per effect size (0 = skip)")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    print(f"jobs: {args.jobs}")
    if not args.skip_speed:
        speed(args)
    if args.calibration:
        calibration(args)
    if args.power:
        power(args)


if __name__ == "__main__":
    main()
