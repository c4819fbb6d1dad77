"""``afm-profiler classify evaluate|train|predict``: the paper's classification pipeline on CSV tables."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from napari_afm_profiler.progress import drain


def _table(args: argparse.Namespace) -> Any:
    from napari_afm_profiler.classify import feature_table, read_table
    from napari_afm_profiler.errors import InputError

    aggregate_by = getattr(args, "aggregate_by", None)
    if aggregate_by and args.group_column and aggregate_by != args.group_column:
        raise InputError(f"--aggregate-by {aggregate_by!r} must be the --group-column ({args.group_column!r}): the "
                         "groups diagnosed together are the ones kept whole in every split")
    table = feature_table(read_table(args.table), args.label_column, group_column=args.group_column or aggregate_by)
    for w in table.warnings:
        print(f"note: {w}", file=sys.stderr)
    return table


def _settings(args: argparse.Namespace) -> Any:
    from napari_afm_profiler.classify import PipelineSettings

    return PipelineSettings(classifier=args.classifier, top_k=args.top_k, correlation_threshold=args.correlation_threshold,
                            optimize_kernel=args.optimize_kernel, seed=args.seed)


def _evaluate(args: argparse.Namespace, table: Any) -> Any:
    from napari_afm_profiler.classify import evaluate_steps

    def report(step: tuple[str, int, int]) -> None:
        if not args.json and step[1] and (step[1] % 50 == 0 or step[1] == step[2]):
            print(f"{step[0]} {step[1]} / {step[2]}", file=sys.stderr)

    return drain(evaluate_steps(table, settings=_settings(args), n_splits=args.splits, test_fraction=args.test_fraction,
                                n_jobs=args.jobs, n_permutations=args.permutations,
                                permutation_splits=args.permutation_splits,
                                aggregate=args.aggregate if getattr(args, "aggregate_by", None) else None), report)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate over random splits; print the summary (JSON with --json)."""
    from napari_afm_profiler.classify.report import write_report

    ev = _evaluate(args, _table(args))
    if args.report:
        files = write_report(args.report, ev)
        print(f"wrote {len(files)} report files to {args.report}", file=sys.stderr)
    if args.json:
        print(json.dumps(ev.summary(), indent=2))
    else:
        print(ev.summary_line())
        print("selected most often: " + ", ".join(f"{k} {100 * v:.0f} %" for k, v in
                                                  list(ev.selection_frequency().items())[:args.top_k]))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train on every row (after an optional evaluation kept with the model) and save the model folder."""
    from napari_afm_profiler.classify import TrainedClassifier, save_classifier, train

    table = _table(args)
    if args.splits > 0:
        ev = _evaluate(args, table)
        print(ev.summary_line(), file=sys.stderr)
        model = TrainedClassifier.from_evaluation(ev)
    else:
        model = train(table, _settings(args))
    out = save_classifier(args.output, model, table)
    print(f"wrote {out}: {args.classifier} on {', '.join(model.selected)}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """Predict each row's class and probability into a CSV."""
    from napari_afm_profiler.classify import load_classifier, predict_table, read_table
    from napari_afm_profiler.io.writers import atomic_write

    model = load_classifier(args.model)
    out = predict_table(model, read_table(args.table))
    for w in out.attrs.get("warnings", []):
        print(f"note: {w}", file=sys.stderr)
    path = atomic_write(args.output, lambda tmp: out.to_csv(tmp, index=False))
    counts = out["predicted_class"].value_counts().to_dict()
    print(f"wrote {path}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    from napari_afm_profiler.classify.names import CLASSIFIERS

    p.add_argument("table", help="CSV table: one row per image or cell, parameter columns, a class column")
    p.add_argument("--label-column", required=True, help="column holding the class")
    p.add_argument("--group-column", default=None, help="column (donor, patient…) never split between train and test")
    p.add_argument("--classifier", choices=list(CLASSIFIERS), default="gpc")
    p.add_argument("--top-k", type=int, default=10, help="parameters kept by Gini importance (default 10)")
    p.add_argument("--correlation-threshold", type=float, default=0.9, help="|r| above which one of a pair is dropped")
    p.add_argument("--test-fraction", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2, help="worker processes")
    p.add_argument("--optimize-kernel", action="store_true", help="GPC: fit kernel hyperparameters in every split (slow)")
    p.add_argument("--permutations", type=int, default=999,
                   help="label permutations of the significance test (default 999: resolves p = 0.001; 0 = no test)")
    p.add_argument("--permutation-splits", type=int, default=10,
                   help="splits rerun for each permutation (default 10; cost = permutations x this many fits)")
    p.add_argument("--aggregate-by", default=None,
                   help="column (patient, donor) whose rows are combined into one diagnosis per group; group-level "
                        "ROC/AUC, accuracy and p-value are reported (implies --group-column)")
    p.add_argument("--aggregate", choices=("mean", "vote"), default="mean",
                   help="combine a group's rows by their mean class probability (default) or by vote")


def add_classify_parser(sub: Any) -> None:
    """Register ``classify`` on the ``afm-profiler`` sub-command parser."""
    top = sub.add_parser("classify", help="classify images or cells from their surface parameters")
    actions = top.add_subparsers(dest="action", required=True)
    ev = actions.add_parser("evaluate", help="repeated random splits, shuffled-class control, permutation-test p-value")
    _common(ev)
    ev.add_argument("--splits", type=int, default=200)
    ev.add_argument("--json", action="store_true", help="print the summary as JSON")
    ev.add_argument("--report", default=None, help="folder for plots (PNG), per-split CSV and summary JSON")
    ev.set_defaults(func=cmd_evaluate)
    tr = actions.add_parser("train", help="train on all rows and save a model folder")
    _common(tr)
    tr.add_argument("--splits", type=int, default=0, help="also evaluate over this many splits and keep the summary")
    tr.add_argument("-o", "--output", required=True, help="model folder")
    tr.set_defaults(func=cmd_train, json=True)
    pr = actions.add_parser("predict", help="predict classes of a table with a saved model")
    pr.add_argument("model", help="model folder written by 'classify train'")
    pr.add_argument("table", help="CSV table with the model's parameter columns")
    pr.add_argument("-o", "--output", required=True, help="CSV with predicted_class and probabilities added")
    pr.set_defaults(func=cmd_predict)
