"""Feature selection fitted inside each training split: drop correlated parameters, keep the most important.

References
----------
I. Sokolov et al., PNAS 115, 12920 (2018); M. E. Dokukin et al., "Pitfalls of machine learning
for AFM images", and the Prospective in ``shared/papers/ml-afm-image-classification.txt``:
strongly correlated surface parameters are removed, the rest ranked by Gini importance, and
about ten kept. Doing this on the training split only is what keeps the test split unseen.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import RandomForestClassifier


def gini_importance(X: np.ndarray, y: np.ndarray, *, n_trees: int = 50, seed: int = 0) -> np.ndarray:
    """Mean decrease in Gini impurity of each column, from a random forest.

    Parameters
    ----------
    X : (n_samples, n_features) float ndarray
    y : (n_samples,) ndarray
    n_trees : int
        Trees in the forest.
    seed : int
        Random state of the forest.

    Returns
    -------
    importance : (n_features,) float ndarray
        Sums to 1 (all zeros when no split helps).
    """
    forest = RandomForestClassifier(n_estimators=n_trees, random_state=seed, n_jobs=1)
    forest.fit(X, y)
    return forest.feature_importances_


def decorrelated_ranking(X: np.ndarray, importance: np.ndarray, threshold: float) -> np.ndarray:
    """Columns by descending importance, skipping any whose |Pearson r| with a kept one exceeds ``threshold``.

    Of a correlated pair the more important column is kept.

    Parameters
    ----------
    X : (n_samples, n_features) float ndarray
    importance : (n_features,) float ndarray
    threshold : float
        In (0, 1]; 1 keeps every column.

    Returns
    -------
    kept : 1D int ndarray
        Column indices, most important first.

    Examples
    --------
    >>> x = np.arange(10.0)
    >>> X = np.column_stack([x, 2 * x + 1, np.sin(x)])
    >>> decorrelated_ranking(X, np.array([0.2, 0.5, 0.3]), 0.9).tolist()
    [1, 2]
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.abs(np.corrcoef(X, rowvar=False)) if X.shape[1] > 1 else np.ones((1, 1))
    corr = np.nan_to_num(corr, nan=0.0)
    kept: list[int] = []
    for j in np.argsort(-importance, kind="stable"):
        if all(corr[j, k] <= threshold for k in kept):
            kept.append(int(j))
    return np.asarray(kept, dtype=np.int64)


class CorrelationImportanceSelector(TransformerMixin, BaseEstimator):
    """Keep the ``top_k`` most Gini-important columns after removing correlated ones.

    Columns the forest never used (zero importance) are not kept, so fewer than ``top_k`` may
    be selected when few parameters carry information.

    Parameters
    ----------
    top_k : int
        Columns to keep (fewer if fewer survive the correlation filter).
    correlation_threshold : float
        |Pearson r| above which the less important column of a pair is dropped.
    n_trees : int
        Trees of the forest that ranks the columns.
    random_state : int
        Seed of that forest.
    """

    def __init__(self, top_k: int = 10, correlation_threshold: float = 0.9, n_trees: int = 50,
                 random_state: int = 0) -> None:
        self.top_k = top_k
        self.correlation_threshold = correlation_threshold
        self.n_trees = n_trees
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> CorrelationImportanceSelector:
        """Rank and select on the training data only."""
        X = np.asarray(X, dtype=np.float64)
        self.importance_ = gini_importance(X, y, n_trees=self.n_trees, seed=self.random_state)
        ranked = decorrelated_ranking(X, self.importance_, self.correlation_threshold)
        # a column the forest never split on carries nothing: do not pad the selection with it
        useful = ranked[self.importance_[ranked] > 0]
        self.support_ = np.sort((useful if useful.size else ranked[:1])[: self.top_k])
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Keep the selected columns."""
        return np.asarray(X)[:, self.support_]
