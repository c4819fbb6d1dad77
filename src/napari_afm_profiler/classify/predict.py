"""Applying a trained classifier to a new table (images or labelled cells)."""

from __future__ import annotations

import numpy as np

from napari_afm_profiler.classify.model_io import TrainedClassifier
from napari_afm_profiler.errors import InputError


def predict_table(model: TrainedClassifier, df):  # noqa: ANN001, ANN201 - pandas in and out
    """Predict the class and its probability for every row.

    Parameters
    ----------
    model : TrainedClassifier
    df : pandas.DataFrame
        Must have every parameter column the model was trained on (others are ignored).

    Returns
    -------
    pandas.DataFrame
        ``df`` with ``predicted_class``, ``probability`` (of the predicted class) and one
        ``probability_<class>`` column per class appended; ``attrs["warnings"]`` names the
        columns whose missing values were imputed.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from napari_afm_profiler.classify import PipelineSettings, feature_table, train
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"Sq": np.r_[rng.normal(1, 0.1, 10), rng.normal(2, 0.1, 10)],
    ...                    "Sa": rng.normal(size=20), "cell": ["a"] * 10 + ["b"] * 10})
    >>> model = train(feature_table(df, "cell"), PipelineSettings(classifier="logreg", top_k=2))
    >>> predict_table(model, pd.DataFrame({"Sq": [0.95, 2.05], "Sa": [0.0, 0.0]}))["predicted_class"].tolist()
    ['a', 'b']
    """
    import pandas as pd

    missing = [c for c in model.feature_names if c not in df.columns]
    if missing:
        raise InputError(f"the table lacks {len(missing)} parameter column(s) the model was trained on: "
                         + ", ".join(missing[:10]) + (" …" if len(missing) > 10 else ""))
    X = df[list(model.feature_names)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    X[np.isinf(X)] = np.nan
    gaps = np.isnan(X).sum(axis=0)
    warnings = []
    if gaps.any():
        listed = ", ".join(f"{n} ({int(g)})" for n, g in zip(model.feature_names, gaps) if g)
        warnings.append(f"missing or infinite values imputed with the training median in: {listed}")
    proba = model.pipeline.predict_proba(X)
    classes = list(model.pipeline.classes_)
    out = df.copy()
    best = np.argmax(proba, axis=1)
    out["predicted_class"] = np.asarray(classes)[best]
    out["probability"] = proba[np.arange(len(best)), best]
    for j, c in enumerate(classes):
        out[f"probability_{c}"] = proba[:, j]
    out.attrs["warnings"] = warnings
    return out
