"""Speed and result of the classifier evaluation on a 300 x 40 table (the issue's size).

    python benchmarks/bench_classify.py [--splits 200] [--jobs 2]

The table: 150 + 150 virtual fractal "cells" whose Hurst exponents differ a little (0.6 vs 0.7;
random RMS height and noise per cell), described by the first 40 roughness parameters. Each
timing is one ``evaluate_steps`` call: ``--splits`` random splits with the true classes plus the
same splits with shuffled classes, selection refitted inside every split, both p-values, and
the final model on all rows.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from napari_afm_profiler.classify import PipelineSettings, evaluate_steps, feature_table
from napari_afm_profiler.progress import drain

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test-support helpers live in tests/
from tests._support.populations import hurst_populations  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import writes_results  # noqa: E402


@writes_results("classify", "Cell classifier speed (script-written)", "joblib --jobs as printed")
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    t = time.perf_counter()
    df = hurst_populations(150, hurst=(0.6, 0.7), seed=11)
    params = [c for c in df.columns if c != "class"][:40]
    table = feature_table(df[["class", *params]], "class")
    print(f"table: {table.X.shape[0]} rows x {table.X.shape[1]} parameters (made in {time.perf_counter() - t:.1f} s)")
    print(f"{'classifier':28s} {'splits':>6s} {'time (s)':>9s}  result")
    cases = [("gpc", False, args.splits), ("rf", False, args.splits), ("logreg", False, args.splits),
             ("svm", False, args.splits), ("gpc", True, 20)]
    for classifier, optimize, n in cases:
        settings = PipelineSettings(classifier=classifier, optimize_kernel=optimize)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ev = drain(evaluate_steps(table, settings=settings, n_splits=n, n_jobs=args.jobs))
        name = classifier + (" (kernel optimised)" if optimize else "")
        print(f"{name:28s} {n:6d} {time.perf_counter() - t:9.1f}  {ev.summary_line()}")
    print("goal: 200 splits (plus their shuffled twins) on 300 x 40 in <= 30 s on 2 cores, default classifier (gpc)")


if __name__ == "__main__":
    main()
