"""Saving and loading trained classifiers without pickle.

A model folder holds ``model.json`` (pipeline settings, parameter names, classes, versions,
the evaluation summary) and ``training.npz`` (the training table and the probabilities the
fitted model gave it). Loading refits the same deterministic pipeline on the same rows and
checks it reproduces those probabilities, so nothing executable is ever read from a file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
from sklearn.pipeline import Pipeline

from napari_afm_profiler.classify.data import FeatureTable
from napari_afm_profiler.classify.models import PipelineSettings, make_pipeline
from napari_afm_profiler.errors import InputError
from napari_afm_profiler.io.writers import atomic_write

FORMAT = "napari-afm-profiler classifier 1"
REPRODUCTION_TOLERANCE = 1e-6


@dataclass(frozen=True)
class TrainedClassifier:
    """A fitted pipeline with what it needs at prediction time.

    Attributes
    ----------
    pipeline : sklearn Pipeline
    feature_names : tuple of str
        Columns the table to predict must have.
    classes : tuple of str
    settings : PipelineSettings
    summary : dict
        Evaluation summary stored with the model (may be empty).
    """

    pipeline: Pipeline
    feature_names: tuple[str, ...]
    classes: tuple[str, ...]
    settings: PipelineSettings
    summary: dict

    @classmethod
    def from_evaluation(cls, ev) -> TrainedClassifier:  # noqa: ANN001 - an Evaluation (import cycle)
        """Wrap the model an evaluation fitted on all rows, with its summary."""
        return cls(ev.model, ev.feature_names, tuple(ev.model.classes_), ev.settings,
                   dict(ev.summary(), summary_line=ev.summary_line()))

    @property
    def selected(self) -> tuple[str, ...]:
        """Parameters the final model uses."""
        return tuple(self.feature_names[j] for j in self.pipeline.named_steps["select"].support_)


def train(table: FeatureTable, settings: PipelineSettings | None = None, summary: dict | None = None) -> TrainedClassifier:
    """Fit the pipeline on every row of ``table``.

    Parameters
    ----------
    table : FeatureTable
    settings : PipelineSettings, optional
    summary : dict, optional
        Evaluation summary to keep with the model.

    Returns
    -------
    TrainedClassifier

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd
    >>> from napari_afm_profiler.classify import PipelineSettings, feature_table
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"Sq": np.r_[rng.normal(1, 0.1, 10), rng.normal(2, 0.1, 10)],
    ...                    "Sa": rng.normal(size=20), "cell": ["a"] * 10 + ["b"] * 10})
    >>> table = feature_table(df, "cell")
    >>> model = train(table, PipelineSettings(classifier="logreg", top_k=2))
    >>> [str(c) for c in model.classes]
    ['a', 'b']
    """
    settings = settings or PipelineSettings()
    pipeline = make_pipeline(settings).fit(table.X, table.y)
    return TrainedClassifier(pipeline, table.feature_names, tuple(pipeline.classes_), settings, summary or {})


def save_classifier(path: str | Path, model: TrainedClassifier, table: FeatureTable) -> Path:
    """Write a model folder (atomically, file by file).

    Parameters
    ----------
    path : str or Path
        Folder to create or overwrite.
    model : TrainedClassifier
    table : FeatureTable
        The rows it was trained on (stored so loading can refit and verify).

    Returns
    -------
    path : Path

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd
    >>> from napari_afm_profiler.classify import PipelineSettings, feature_table
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"Sq": np.r_[rng.normal(1, 0.1, 10), rng.normal(2, 0.1, 10)],
    ...                    "Sa": rng.normal(size=20), "cell": ["a"] * 10 + ["b"] * 10})
    >>> table = feature_table(df, "cell")
    >>> model = train(table, PipelineSettings(classifier="logreg", top_k=2))
    >>> folder = save_classifier(tempfile.mkdtemp() + "/model", model, table)
    >>> load_classifier(folder).feature_names == model.feature_names
    True
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    proba = model.pipeline.predict_proba(table.X)

    def write_npz(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, X=table.X, y=table.y.astype(str), proba=proba)

    atomic_write(folder / "training.npz", write_npz)
    card = {
        "format": FORMAT,
        "settings": model.settings.as_dict(),
        "feature_names": list(model.feature_names),
        "classes": list(model.classes),
        "selected": list(model.selected),
        "scikit_learn": sklearn.__version__,
        "training_rows": int(table.X.shape[0]),
        "training_sha256": hashlib.sha256((folder / "training.npz").read_bytes()).hexdigest(),
        "summary": model.summary,
    }
    atomic_write(folder / "model.json", lambda tmp: tmp.write_text(json.dumps(card, indent=2), encoding="utf-8"))
    return folder


def load_classifier(path: str | Path) -> TrainedClassifier:
    """Read a model folder, refit it and verify it gives the stored training probabilities.

    Parameters
    ----------
    path : str or Path
        A folder written by :func:`save_classifier`.

    Returns
    -------
    TrainedClassifier

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd
    >>> from napari_afm_profiler.classify import PipelineSettings, feature_table
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"Sq": np.r_[rng.normal(1, 0.1, 10), rng.normal(2, 0.1, 10)],
    ...                    "Sa": rng.normal(size=20), "cell": ["a"] * 10 + ["b"] * 10})
    >>> table = feature_table(df, "cell")
    >>> model = train(table, PipelineSettings(classifier="logreg", top_k=2))
    >>> loaded = load_classifier(save_classifier(tempfile.mkdtemp() + "/model", model, table))
    >>> [str(c) for c in loaded.classes], loaded.settings.classifier
    (['a', 'b'], 'logreg')
    """
    folder = Path(path)
    card_path, data_path = folder / "model.json", folder / "training.npz"
    if not card_path.is_file() or not data_path.is_file():
        raise InputError(f"{folder.name}: not a classifier folder (needs model.json and training.npz)")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{folder.name}/model.json is not valid JSON ({exc})") from None
    if card.get("format") != FORMAT:
        raise InputError(f"{folder.name}: unknown model format {card.get('format')!r}")
    if hashlib.sha256(data_path.read_bytes()).hexdigest() != card.get("training_sha256"):
        raise InputError(f"{folder.name}/training.npz does not match its checksum in model.json (changed or corrupt)")
    try:
        with np.load(data_path, allow_pickle=False) as data:
            X, y, proba = data["X"], data["y"], data["proba"]
    except (ValueError, KeyError, OSError) as exc:
        raise InputError(f"{folder.name}/training.npz cannot be read ({exc})") from None
    settings = PipelineSettings(**card["settings"])
    names = tuple(card["feature_names"])
    table = FeatureTable(X, y, names, None, ())
    model = train(table, settings, card.get("summary", {}))
    if not np.allclose(model.pipeline.predict_proba(X), proba, atol=REPRODUCTION_TOLERANCE):
        raise InputError(f"{folder.name}: the refitted model does not reproduce its stored probabilities "
                         f"(saved with scikit-learn {card.get('scikit_learn')}, running {sklearn.__version__})")
    return model
