"""The feature table a classifier works on: rows = images or cells, columns = surface parameters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import InputError

ID_COLUMNS = ("region", "index", "label", "file", "channel", "image", "cell", "id")
"""Columns never used as features (identifiers), besides the class and group columns."""


@dataclass(frozen=True)
class FeatureTable:
    """Numbers, classes and groups ready for a classifier.

    Attributes
    ----------
    X : (n_samples, n_features) float ndarray
        Parameters; NaN where a value is missing (imputed inside each training split).
    y : (n_samples,) str ndarray
        Class of each row.
    feature_names : tuple of str
    groups : (n_samples,) str ndarray or None
        Group of each row (e.g. donor): a group never sits in both train and test.
    warnings : tuple of str
        Columns dropped or imputed, rows dropped, and why.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    groups: np.ndarray | None
    warnings: tuple[str, ...]

    @property
    def classes(self) -> tuple[str, ...]:
        """Class names in sorted order (the positive class of a binary problem is the last)."""
        return tuple(sorted(set(self.y.tolist())))


def read_table(path: str | Path):  # noqa: ANN201 - pandas is imported lazily
    """Read a CSV table with a clear error when it is missing or not a table.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "cells.csv"
    >>> pd.DataFrame({"Sq": [1.0, 2.0], "cell": ["a", "b"]}).to_csv(path, index=False)
    >>> read_table(path).shape
    (2, 2)
    """
    import pandas as pd

    p = Path(path)
    try:
        df = pd.read_csv(p)
    except FileNotFoundError:
        raise InputError(f"{p.name}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{p.name}: not a readable CSV table ({exc})") from None
    if df.empty:
        raise InputError(f"{p.name}: the table has no rows")
    return df


def feature_table(
    df,  # noqa: ANN001 - a pandas DataFrame
    label_column: str,
    *,
    group_column: str | None = None,
    feature_columns: Sequence[str] | None = None,
    min_per_class: int = 2,
) -> FeatureTable:
    """Pick the feature columns of a table and check it can be classified.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per image or cell.
    label_column : str
        Column with the class of each row.
    group_column : str, optional
        Column whose values must never be split between train and test (donor, patient, dish).
    feature_columns : sequence of str, optional
        Columns to use (default: every numeric column except the label, group and identifier
        columns ``region``, ``index``, ``label``, ``file``, ``channel`` …).
    min_per_class : int
        Fewest rows (or groups) a class needs so that every split has it in train and test.

    Returns
    -------
    FeatureTable

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"region": [1, 2, 3, 4], "Sq": [1.0, 1.1, 2.0, 2.1], "Ssk": [0.1, 0.0, 0.3, 0.2],
    ...                    "cell": ["healthy", "healthy", "cancer", "cancer"]})
    >>> table = feature_table(df, "cell", min_per_class=2)
    >>> table.feature_names, table.classes
    (('Sq', 'Ssk'), ('cancer', 'healthy'))
    """
    import pandas as pd

    for col, what in ((label_column, "class"), (group_column, "group")):
        if col is not None and col not in df.columns:
            raise InputError(f"no {what} column {col!r}; columns are {', '.join(map(str, df.columns))}")
    warnings: list[str] = []
    labelled = df[label_column].notna() & (df[label_column].astype(str).str.strip() != "")
    if not labelled.all():
        warnings.append(f"{int((~labelled).sum())} row(s) without a class dropped")
        df = df[labelled]
    if feature_columns is None:
        skip = {label_column, group_column, *ID_COLUMNS}
        feature_columns = [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])
                           and not pd.api.types.is_bool_dtype(df[c])]
    else:
        missing = [c for c in feature_columns if c not in df.columns]
        if missing:
            raise InputError(f"feature column(s) not in the table: {', '.join(missing)}")
    if not feature_columns:
        raise InputError("the table has no numeric parameter column to classify on")
    X = df[list(feature_columns)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    infinite = np.isinf(X)
    if infinite.any():
        names = [feature_columns[j] for j in np.flatnonzero(infinite.any(axis=0))]
        warnings.append(f"infinite values treated as missing in: {', '.join(names)}")
        X[infinite] = np.nan
    empty = np.all(np.isnan(X), axis=0)
    constant = ~empty & (np.nanmax(np.where(np.isnan(X), -np.inf, X), axis=0)
                         == np.nanmin(np.where(np.isnan(X), np.inf, X), axis=0))
    for mask, why in ((empty, "no value"), (constant, "the same value in every row")):
        if mask.any():
            warnings.append(f"dropped column(s) with {why}: {', '.join(np.asarray(feature_columns)[mask])}")
    keep = ~(empty | constant)
    names = tuple(np.asarray(feature_columns)[keep].tolist())
    X = X[:, keep]
    if X.shape[1] == 0:
        raise InputError("no usable parameter column is left (all empty or constant)")
    partial = np.isnan(X).any(axis=0)
    if partial.any():
        counts = np.isnan(X).sum(axis=0)
        listed = ", ".join(f"{n} ({int(c)})" for n, c, p in zip(names, counts, partial) if p)
        warnings.append(f"missing values imputed with the training median in: {listed}")
    y = df[label_column].astype(str).str.strip().to_numpy()
    groups = None if group_column is None else df[group_column].astype(str).to_numpy()
    _check_classes(y, groups, min_per_class)
    return FeatureTable(X, y, names, groups, tuple(warnings))


def _check_classes(y: np.ndarray, groups: np.ndarray | None, min_per_class: int) -> None:
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise InputError(f"only one class ({classes[0] if classes.size else 'none'}); a classifier needs two or more")
    unit = "row" if groups is None else "group"
    for c, n in zip(classes, counts):
        if groups is not None:
            n = np.unique(groups[y == c]).size
        if n < min_per_class:
            raise InputError(f"class {c!r} has {n} {unit}(s); each class needs at least {min_per_class} "
                             f"so that every split has it in both training and test")
