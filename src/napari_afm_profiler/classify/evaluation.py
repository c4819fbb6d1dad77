"""Repeated random train/test splits, a shuffled-label control and a valid significance test.

The paper's steps 3 and 4: train on a random training subset, score ROC/AUC, accuracy and
the confusion matrix on the rest, repeat over hundreds of splits; repeat the same splits with
the classes shuffled (an honest pipeline then scores AUC 0.5, and any excess is overtraining).

The paper compares the two AUC distributions (Mann-Whitney).  Those AUCs come from
overlapping splits of one data set, so they are not independent samples: that p-value shrinks
with the number of splits, not with the evidence (on pure noise about half of the data sets
give p < 0.05).  It is kept, labelled descriptive.  The p-value reported is a data-set-level
permutation test (Ojala & Garriga, J. Mach. Learn. Res. 11, 1833 (2010), test 1): the class
labels are permuted (whole groups keep one label), the *same* splits and pipeline are rerun,
and the observed mean AUC is compared with the permutation distribution of mean AUCs,
``p = (1 + #{permuted >= observed}) / (N + 1)``.  It is calibrated: p < 0.05 on about 5 % of
pure-noise data sets (``benchmarks/bench_classify.py --calibration``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed
from scipy import stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, confusion_matrix, roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import Pipeline

from napari_afm_profiler.classify.data import FeatureTable
from napari_afm_profiler.classify.models import PipelineSettings, make_pipeline
from napari_afm_profiler.errors import InputError
from napari_afm_profiler.progress import drain

ROC_GRID = np.linspace(0.0, 1.0, 101)
MAX_SHUFFLE_ATTEMPTS = 200
MIN_DISTINCT_LABELLINGS = 20
#: permutations by default: enough to resolve p = 0.001
N_PERMUTATIONS = 999
#: random splits rerun for every permutation (the first ones of the evaluation)
PERMUTATION_SPLITS = 10
#: ways to combine the cells of one group (patient, donor) into one diagnosis
AGGREGATES = ("mean", "vote")


@dataclass(frozen=True)
class SplitScore:
    """Scores of one split on its test rows.

    Attributes
    ----------
    auc : float
        Area under the ROC curve (macro one-vs-rest for more than two classes).
    accuracy : float
    confusion : (n_classes, n_classes) int ndarray
        Rows = true class, columns = predicted class, in ``classes`` order.
    tpr : (101,) float ndarray
        True-positive rate on ``ROC_GRID`` false-positive rates (binary problems; else NaN).
    selected : tuple of str
        Parameters the selection kept on this split's training rows.
    importance : (n_features,) float ndarray
        Gini importance of every parameter on this split's training rows.
    group_auc, group_accuracy : float
        With aggregation: the same scores for the test *groups*, each diagnosed from its rows'
        combined probabilities (NaN without aggregation, or when the test groups hold one class).
    """

    auc: float
    accuracy: float
    confusion: np.ndarray
    tpr: np.ndarray
    selected: tuple[str, ...]
    importance: np.ndarray
    group_auc: float = float("nan")
    group_accuracy: float = float("nan")


@dataclass(frozen=True)
class Evaluation:
    """Everything an evaluation produced.

    Attributes
    ----------
    classes, feature_names : tuple of str
    real, shuffled : tuple of SplitScore
        One per split, with the true and with shuffled classes.
    p_mannwhitney : float
        Descriptive only, as in the paper: one-sided Mann-Whitney U p-value that the real AUCs
        of the splits exceed the shuffled ones (not a valid test: the splits overlap).
    p_permutation : float
        Descriptive only: permutation p-value of the difference of those two sets of AUCs.
    model : sklearn Pipeline
        The pipeline fitted on all rows (for prediction).
    settings : PipelineSettings
    n_splits : int
    test_fraction : float
    warnings : tuple of str
    p_value : float or None
        The data-set-level permutation test's p-value (None when no permutations were run).
    permuted_mean_aucs : ndarray
        The test's null distribution: mean AUC (group-level with ``aggregate``) over the rerun
        splits for each permutation.
    permutation_splits : int
        How many splits (the first ones) each permutation reran.
    """

    classes: tuple[str, ...]
    feature_names: tuple[str, ...]
    real: tuple[SplitScore, ...]
    shuffled: tuple[SplitScore, ...]
    p_mannwhitney: float
    p_permutation: float
    model: Pipeline
    settings: PipelineSettings
    n_splits: int
    test_fraction: float
    warnings: tuple[str, ...] = field(default=())
    p_value: float | None = None
    permuted_mean_aucs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    permutation_splits: int = 0
    aggregate: str | None = None

    @property
    def observed_mean_auc(self) -> float:
        """Mean AUC over the splits the permutation test reruns (the test's statistic; group-level with ``aggregate``)."""
        if not self.permutation_splits:
            return float("nan")
        aucs = self.group_aucs() if self.aggregate else self.aucs()
        return float(np.nanmean(aucs[:self.permutation_splits]))

    def auc_interval(self, level: float = 0.95, *, groups: bool = False) -> tuple[float, float]:
        """Confidence interval of the mean AUC that accounts for the overlap of the splits.

        The split AUCs share most of their rows, so their spread understates the uncertainty of
        the mean.  The corrected resampled t interval (Nadeau & Bengio, Machine Learning 52,
        239 (2003)) inflates the variance of the mean of ``J`` splits from ``s²/J`` to
        ``(1/J + n_test/n_train) s²``; it is clipped to [0, 1].

        Parameters
        ----------
        level : float, optional
            Confidence level.
        groups : bool, optional
            For the group-level AUC (with ``aggregate``).

        Returns
        -------
        (low, high) : tuple of float
        """
        aucs = self.group_aucs() if groups else self.aucs()
        aucs = aucs[np.isfinite(aucs)]
        if aucs.size < 2:
            return float("nan"), float("nan")
        j = aucs.size
        variance = (1.0 / j + self.test_fraction / (1.0 - self.test_fraction)) * float(np.var(aucs, ddof=1))
        half = float(stats.t.ppf(0.5 + level / 2.0, j - 1)) * math.sqrt(variance)
        mean = float(aucs.mean())
        return max(0.0, mean - half), min(1.0, mean + half)

    def group_aucs(self) -> np.ndarray:
        """Group-level AUC of every split (NaN without aggregation)."""
        return np.array([s.group_auc for s in self.real])

    def group_accuracies(self) -> np.ndarray:
        """Group-level accuracy of every split (NaN without aggregation)."""
        return np.array([s.group_accuracy for s in self.real])

    def aucs(self, shuffled: bool = False) -> np.ndarray:
        """AUC of every split."""
        return np.array([s.auc for s in (self.shuffled if shuffled else self.real)])

    def accuracies(self) -> np.ndarray:
        """Accuracy of every split (true classes)."""
        return np.array([s.accuracy for s in self.real])

    def selection_frequency(self) -> dict[str, float]:
        """Share of splits in which each parameter was selected, most frequent first."""
        counts = {name: 0 for name in self.feature_names}
        for s in self.real:
            for name in s.selected:
                counts[name] += 1
        return dict(sorted(((k, v / len(self.real)) for k, v in counts.items()), key=lambda kv: -kv[1]))

    def mean_importance(self) -> dict[str, float]:
        """Mean Gini importance of each parameter over the splits."""
        mean = np.mean([s.importance for s in self.real], axis=0)
        return dict(zip(self.feature_names, mean.tolist()))

    def summary(self) -> dict[str, object]:
        """JSON-ready summary (the CLI's ``--json`` output)."""
        real, shuf, acc = self.aucs(), self.aucs(True), self.accuracies()
        return {
            "auc_mean": float(real.mean()), "auc_std": float(real.std()),
            "accuracy_mean": float(acc.mean()), "accuracy_std": float(acc.std()),
            "shuffled_auc_mean": float(shuf.mean()), "shuffled_auc_std": float(shuf.std()),
            "auc_ci95": list(self.auc_interval()),
            "auc_ci_method": "corrected resampled t over the splits (Nadeau & Bengio 2003)",
            "p_value": None if self.p_value is None else float(self.p_value),
            "p_value_test": (f"data-set permutation test (Ojala & Garriga 2010): {self.permuted_mean_aucs.size} label "
                             f"permutations, {self.permutation_splits} splits each, statistic mean AUC "
                             f"{self.observed_mean_auc:.3f}") if self.p_value is not None else "not run",
            "paper_p_mannwhitney": float(self.p_mannwhitney), "paper_p_permutation": float(self.p_permutation),
            "paper_p_note": "descriptive, as in the paper: the split AUCs overlap, so these are not valid tests",
            "selected_features": {k: v for k, v in self.selection_frequency().items() if v > 0},
            "classes": list(self.classes), "n_splits": self.n_splits, "test_fraction": self.test_fraction,
            "settings": self.settings.as_dict(), "warnings": list(self.warnings),
            **({"aggregate": self.aggregate,
                "group_auc_mean": float(np.nanmean(self.group_aucs())), "group_auc_std": float(np.nanstd(self.group_aucs())),
                "group_auc_ci95": list(self.auc_interval(groups=True)),
                "group_accuracy_mean": float(np.nanmean(self.group_accuracies())),
                "group_accuracy_std": float(np.nanstd(self.group_accuracies()))} if self.aggregate else {}),
        }

    def p_text(self) -> str:
        """Return the valid p-value as text, at the resolution the permutations allow (``p ≤ 0.001`` ...)."""
        if self.p_value is None:
            return "no significance test run"
        floor = 1.0 / (self.permuted_mean_aucs.size + 1)
        if self.p_value <= floor:
            return f"p ≤ {floor:.2g} (permutation test)"
        return f"p = {self.p_value:.2g} (permutation test)"

    def summary_line(self) -> str:
        """Return one line: ``accuracy 94 ± 3 %, AUC 0.97 ± 0.02, shuffled 0.50 ± 0.06, p ≤ 0.001 (permutation test)``."""
        real, shuf, acc = self.aucs(), self.aucs(True), self.accuracies()
        lo, hi = self.auc_interval()
        line = (f"accuracy {100 * acc.mean():.0f} ± {100 * acc.std():.0f} %, AUC {real.mean():.2f} ± {real.std():.2f} "
                f"(95 % CI {lo:.2f}–{hi:.2f}), shuffled {shuf.mean():.2f} ± {shuf.std():.2f}")
        if self.aggregate:
            gauc, gacc = self.group_aucs(), self.group_accuracies()
            line += (f"; per group ({self.aggregate} of its rows): accuracy {100 * np.nanmean(gacc):.0f} ± "
                     f"{100 * np.nanstd(gacc):.0f} %, AUC {np.nanmean(gauc):.2f} ± {np.nanstd(gauc):.2f}")
        return f"{line}, {self.p_text()}"


def random_splits(table: FeatureTable, n_splits: int, test_fraction: float, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified random train/test splits; with groups, whole groups go to one side.

    Parameters
    ----------
    table : FeatureTable
    n_splits : int
    test_fraction : float
        Share of rows (or of each class's groups) in the test side.
    seed : int

    Returns
    -------
    splits : list of (train indices, test indices)
    """
    if not 0.0 < test_fraction < 1.0:
        raise InputError(f"test fraction must be in (0, 1); got {test_fraction}")
    if n_splits < 1:
        raise InputError(f"need at least one split; got {n_splits}")
    y = table.y
    if table.groups is None:
        n_test = int(round(test_fraction * y.size))
        n_classes = len(table.classes)
        if n_test < n_classes or y.size - n_test < n_classes:
            raise InputError(f"{y.size} rows cannot be split {1 - test_fraction:.0%} / {test_fraction:.0%} with "
                             f"every one of {n_classes} classes on both sides")
        splitter = StratifiedShuffleSplit(n_splits=n_splits, test_size=n_test, random_state=seed)
        return [(tr, te) for tr, te in splitter.split(np.zeros(y.size), y)]
    return _group_splits(y, table.groups, n_splits, test_fraction, seed)


def _group_splits(y: np.ndarray, groups: np.ndarray, n_splits: int, test_fraction: float,
                  seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    names = np.unique(groups)
    # the class of a group: its majority class (stratification is then by group)
    group_class = {g: max(set(y[groups == g]), key=list(y[groups == g]).count) for g in names}
    by_class: dict[str, list[str]] = {}
    for g, c in group_class.items():
        by_class.setdefault(c, []).append(g)
    out = []
    for _ in range(n_splits):
        test_groups = []
        for members in by_class.values():
            k = min(max(1, int(round(test_fraction * len(members)))), len(members) - 1)
            test_groups.extend(rng.permutation(members)[:k])
        test = np.isin(groups, test_groups)
        out.append((np.flatnonzero(~test), np.flatnonzero(test)))
    return out


def shuffled_classes(table: FeatureTable, seed: int) -> np.ndarray:
    """Reassign the classes at random (whole groups keep one class when every group has one)."""
    rng = np.random.default_rng(seed)
    y = table.y
    if table.groups is not None:
        names = np.unique(table.groups)
        classes = [np.unique(y[table.groups == g]) for g in names]
        if all(c.size == 1 for c in classes):
            new = dict(zip(names, rng.permutation([c[0] for c in classes])))
            return np.array([new[g] for g in table.groups])
    return rng.permutation(y)


def _valid_shuffle(table: FeatureTable, train: np.ndarray, test: np.ndarray, seed: int, stride: int) -> np.ndarray:
    """Shuffled classes that still put every class on both sides of the split (few groups may not)."""
    n_classes = len(table.classes)
    for attempt in range(MAX_SHUFFLE_ATTEMPTS):
        y = shuffled_classes(table, seed + attempt * stride)
        if np.unique(y[train]).size == n_classes and np.unique(y[test]).size == n_classes:
            return y
    raise InputError("cannot shuffle the classes between so few groups and keep every class in both training and "
                     "test; use more groups (or none)")


def _auc(truth: np.ndarray, proba: np.ndarray, classes: tuple[str, ...]) -> float:
    if np.unique(truth).size < len(classes):
        return float("nan")
    if len(classes) == 2:
        return float(roc_auc_score(truth == classes[1], proba[:, 1]))
    return float(roc_auc_score(truth, proba, multi_class="ovr", labels=list(classes)))


def _group_scores(truth: np.ndarray, proba: np.ndarray, groups: np.ndarray, classes: tuple[str, ...],
                  aggregate: str) -> tuple[float, float]:
    """AUC and accuracy of one diagnosis per group, from its rows' probabilities (mean) or votes."""
    names = np.unique(groups)
    combined = np.zeros((names.size, len(classes)))
    group_truth = np.empty(names.size, dtype=truth.dtype)
    for i, g in enumerate(names):
        rows = groups == g
        if aggregate == "mean":
            combined[i] = proba[rows].mean(axis=0)
        else:  # the share of the group's rows predicted as each class
            combined[i] = np.bincount(np.argmax(proba[rows], axis=1), minlength=len(classes)) / rows.sum()
        values, counts = np.unique(truth[rows], return_counts=True)
        group_truth[i] = values[np.argmax(counts)]
    predicted = np.asarray(classes)[np.argmax(combined, axis=1)]
    return _auc(group_truth, combined, classes), float(accuracy_score(group_truth, predicted))


def _score(X: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray, classes: tuple[str, ...],
           names: tuple[str, ...], settings: PipelineSettings, groups: np.ndarray | None = None,
           aggregate: str | None = None) -> SplitScore:
    with warnings.catch_warnings():
        # shuffled classes drive an optimised kernel to its bounds: expected, not worth a warning per split
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = make_pipeline(settings).fit(X[train], y[train])
    proba = model.predict_proba(X[test])
    fitted = list(model.classes_)
    full = np.zeros((test.size, len(classes)))
    for j, c in enumerate(fitted):
        full[:, classes.index(c)] = proba[:, j]
    truth = y[test]
    predicted = np.asarray(classes)[np.argmax(full, axis=1)]
    if len(classes) == 2:
        auc = roc_auc_score(truth == classes[1], full[:, 1])
        fpr, tpr, _ = roc_curve(truth == classes[1], full[:, 1])
        tpr_grid = np.interp(ROC_GRID, fpr, tpr)
    else:
        auc = roc_auc_score(truth, full, multi_class="ovr", labels=list(classes))
        tpr_grid = np.full(ROC_GRID.size, np.nan)
    selector = model.named_steps["select"]
    group_auc = group_accuracy = float("nan")
    if aggregate is not None and groups is not None:
        group_auc, group_accuracy = _group_scores(truth, full, groups[test], classes, aggregate)
    return SplitScore(float(auc), float(accuracy_score(truth, predicted)),
                      confusion_matrix(truth, predicted, labels=list(classes)), tpr_grid,
                      tuple(names[j] for j in selector.support_), selector.importance_, group_auc, group_accuracy)


def _permuted_mean_auc(X: np.ndarray, y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]],
                       classes: tuple[str, ...], names: tuple[str, ...], settings: PipelineSettings,
                       groups: np.ndarray | None = None, aggregate: str | None = None) -> float:
    """Mean AUC (group-level with ``aggregate``) over ``splits`` with labels ``y``; undefined splits left out."""
    aucs = []
    for train, test in splits:
        if np.unique(y[train]).size < len(classes) or np.unique(y[test]).size < len(classes):
            continue
        score = _score(X, y, train, test, classes, names, settings, groups, aggregate)
        aucs.append(score.group_auc if aggregate else score.auc)
    aucs = [a for a in aucs if np.isfinite(a)]
    return float(np.mean(aucs)) if aucs else 0.5


def _labellings(table: FeatureTable) -> int | None:
    """Distinct labellings a permutation can produce (None when astronomically many)."""
    distinct = distinct_group_labellings(table)
    if distinct is not None:
        return distinct
    total, n = 1, int(table.y.size)
    for c in table.classes:
        count = int(np.sum(table.y == c))
        total *= math.comb(n, count)
        n -= count
        if total > 10**9:
            return None
    return total


def evaluate_steps(
    table: FeatureTable,
    *,
    settings: PipelineSettings | None = None,
    n_splits: int = 200,
    test_fraction: float = 0.3,
    n_jobs: int = 2,
    n_permutations: int = N_PERMUTATIONS,
    permutation_splits: int = PERMUTATION_SPLITS,
    aggregate: str | None = None,
) -> Generator[tuple[str, int, int], None, Evaluation]:
    """Evaluate a classifier over random splits, their shuffled-class twins, and a permutation test.

    Yields ``("splits", done, 2 * n_splits)`` as splits finish, then ``("permutations", done,
    n_permutations)``; returns an :class:`Evaluation`.

    Parameters
    ----------
    table : FeatureTable
    settings : PipelineSettings, optional
        Classifier, top-k, correlation threshold, seed.
    n_splits : int
        Random splits (each run with the true and with shuffled classes).
    test_fraction : float
        Share of rows (or groups) held out in each split.
    n_jobs : int
        Worker processes (joblib).
    n_permutations : int
        Label permutations of the significance test (0: no test, no p-value).  The smallest
        attainable p is ``1 / (n_permutations + 1)``.
    permutation_splits : int
        Splits rerun for each permutation: the first ones of the evaluation, so the observed
        statistic is their mean AUC.  Cost: ``n_permutations * permutation_splits`` fits.
    aggregate : {"mean", "vote"}, optional
        Diagnose each test *group* (patient, donor) from its rows: the mean of their class
        probabilities, or the share of their votes.  Group-level AUC and accuracy are added,
        and the permutation test then uses the group-level AUC.  Needs groups.

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from napari_afm_profiler.classify import PipelineSettings, feature_table
    >>> from napari_afm_profiler.progress import drain
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"Sq": np.r_[rng.normal(1, 0.1, 20), rng.normal(2, 0.1, 20)],
    ...                    "Sa": rng.normal(size=40), "cell": ["a"] * 20 + ["b"] * 20})
    >>> progress = []
    >>> result = drain(evaluate_steps(feature_table(df, "cell"), settings=PipelineSettings(classifier="logreg", top_k=2),
    ...                               n_splits=5, n_jobs=1, n_permutations=9, permutation_splits=2), progress.append)
    >>> progress[10], progress[-1]
    (('splits', 10, 10), ('permutations', 9, 9))
    """
    if int(n_permutations) != n_permutations or n_permutations < 0:
        raise InputError(f"n_permutations must be a whole number >= 0; got {n_permutations!r}")
    if int(permutation_splits) != permutation_splits or permutation_splits < 1:
        raise InputError(f"permutation_splits must be a whole number >= 1; got {permutation_splits!r}")
    if aggregate is not None:
        if aggregate not in AGGREGATES:
            raise InputError(f"unknown aggregation {aggregate!r}; choose one of {AGGREGATES}")
        if table.groups is None:
            raise InputError("a group-level diagnosis needs groups: give the table a group column (patient, donor)")
    settings = settings or PipelineSettings()
    splits = random_splits(table, n_splits, test_fraction, settings.seed)
    classes, names = table.classes, table.feature_names
    tasks = [(table.y, tr, te) for tr, te in splits]
    tasks += [(_valid_shuffle(table, tr, te, settings.seed + 1 + i, n_splits), tr, te)
              for i, (tr, te) in enumerate(splits)]
    yield "splits", 0, len(tasks)
    scores = []
    runner = Parallel(n_jobs=n_jobs, return_as="generator")
    for i, score in enumerate(runner(delayed(_score)(table.X, y, tr, te, classes, names, settings, table.groups, aggregate)
                                     for y, tr, te in tasks)):
        scores.append(score)
        yield "splits", i + 1, len(tasks)
    real, shuffled = tuple(scores[:n_splits]), tuple(scores[n_splits:])
    k = min(int(permutation_splits), n_splits)
    permuted = np.zeros(0)
    p_value = None
    notes = list(table.warnings)
    if n_permutations:
        test_splits = splits[:k]
        observed_aucs = [s.group_auc if aggregate else s.auc for s in real[:k]]
        observed = float(np.mean([a for a in observed_aucs if np.isfinite(a)] or [0.5]))
        labels = [shuffled_classes(table, settings.seed + 7919 * (b + 1)) for b in range(int(n_permutations))]
        yield "permutations", 0, len(labels)
        permuted_list = []
        runner = Parallel(n_jobs=n_jobs, return_as="generator")
        for i, value in enumerate(runner(delayed(_permuted_mean_auc)(table.X, y, test_splits, classes, names, settings,
                                                                     table.groups, aggregate)
                                         for y in labels)):
            permuted_list.append(value)
            yield "permutations", i + 1, len(labels)
        permuted = np.asarray(permuted_list)
        # under the null the observed labelling is one more permutation: hence the +1s
        p_value = float((1 + np.sum(permuted >= observed - 1e-12)) / (permuted.size + 1))
        attainable = _labellings(table)
        if attainable is not None and attainable < permuted.size + 1:
            notes.append(f"only {attainable} distinct labellings exist: the smallest attainable p-value is "
                         f"{1 / attainable:.2g}, whatever the number of permutations")
        if table.groups is not None and not all(np.unique(table.y[table.groups == g]).size == 1
                                                for g in np.unique(table.groups)):
            notes.append("some groups hold several classes: the permutations shuffle rows, not groups, so the "
                         "test assumes rows are exchangeable")
    a = np.array([s.auc for s in real])
    b = np.array([s.auc for s in shuffled])
    p_mw = float(stats.mannwhitneyu(a, b, alternative="greater").pvalue)
    p_perm = float(stats.permutation_test((a, b), lambda u, v: np.mean(u) - np.mean(v), alternative="greater",
                                          n_resamples=9999, random_state=settings.seed).pvalue)
    model = make_pipeline(settings).fit(table.X, table.y)
    distinct = distinct_group_labellings(table)
    if distinct is not None and distinct < MIN_DISTINCT_LABELLINGS:
        notes.append(f"only {distinct} distinct ways exist to shuffle the classes of {np.unique(table.groups).size} "
                     "groups: the shuffled control and the p-values rest on too few labellings to be trusted; "
                     "add groups (images, donors) or evaluate without groups")
    return Evaluation(classes, names, real, shuffled, p_mw, p_perm, model, settings, n_splits, test_fraction,
                      tuple(notes), p_value, permuted, k if n_permutations else 0, aggregate)


def evaluate(
    table: FeatureTable,
    *,
    settings: PipelineSettings | None = None,
    n_splits: int = 200,
    test_fraction: float = 0.3,
    n_jobs: int = 2,
    n_permutations: int = N_PERMUTATIONS,
    permutation_splits: int = PERMUTATION_SPLITS,
    aggregate: str | None = None,
) -> Evaluation:
    """Evaluate a classifier over random splits and their shuffled-class twins.

    The plain function beside :func:`evaluate_steps` (same parameters, no progress): AUC,
    accuracy and confusion matrix per split, the shuffled-class control, the permutation-test
    p-value (and the paper's descriptive ones) and the final model on all rows.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from napari_afm_profiler.classify import PipelineSettings, feature_table
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"Sq": np.r_[rng.normal(1, 0.1, 20), rng.normal(2, 0.1, 20)],
    ...                    "Sa": rng.normal(size=40), "cell": ["a"] * 20 + ["b"] * 20})
    >>> result = evaluate(feature_table(df, "cell"), settings=PipelineSettings(classifier="logreg", top_k=2),
    ...                   n_splits=10, n_jobs=1, n_permutations=19, permutation_splits=2)
    >>> bool(np.mean([s.auc for s in result.real]) > 0.95), result.p_text()
    (True, 'p ≤ 0.05 (permutation test)')
    """
    return drain(evaluate_steps(table, settings=settings, n_splits=n_splits, test_fraction=test_fraction,
                                n_jobs=n_jobs, n_permutations=n_permutations, permutation_splits=permutation_splits,
                                aggregate=aggregate))


def distinct_group_labellings(table: FeatureTable) -> int | None:
    """Count the distinct class assignments a group-level shuffle can produce (None without groups).

    Parameters
    ----------
    table : FeatureTable

    Returns
    -------
    count : int or None
        The multinomial coefficient n_groups! / prod(n_groups_of_class!).
    """
    if table.groups is None:
        return None
    names = np.unique(table.groups)
    per_group = [np.unique(table.y[table.groups == g]) for g in names]
    if any(c.size != 1 for c in per_group):
        return None  # shuffled row by row
    _, counts = np.unique([c[0] for c in per_group], return_counts=True)
    total = math.factorial(len(names))
    for c in counts:
        total //= math.factorial(int(c))
    return total
