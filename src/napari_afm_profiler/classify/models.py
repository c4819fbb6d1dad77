"""Classifier pipelines: impute → standardise → select (inside the split) → classify."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.gaussian_process import GaussianProcessClassifier
from sklearn.gaussian_process.kernels import RBF, ConstantKernel
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from napari_afm_profiler.classify.names import CLASSIFIERS
from napari_afm_profiler.classify.selection import CorrelationImportanceSelector
from napari_afm_profiler.errors import InputError

GPC_AMPLITUDE = 4.0



@dataclass(frozen=True)
class PipelineSettings:
    """Everything that defines a classifier pipeline (stored with a saved model).

    Attributes
    ----------
    classifier : {"gpc", "rf", "logreg", "svm"}
    top_k : int
        Parameters kept after the correlation filter, by Gini importance (the paper keeps ten).
    correlation_threshold : float
        Absolute Pearson correlation above which the less important of two parameters is dropped.
    importance_trees : int
        Trees of the forest that ranks parameters by Gini importance.
    optimize_kernel : bool
        GPC only: fit the kernel's amplitude and length scale by marginal likelihood in every
        split (about 30x slower). Otherwise the RBF length scale is sqrt(top_k) on standardised
        parameters (the typical distance between samples) and the latent amplitude 4: on the
        benchmark table this matches the optimised kernel (AUC 0.98, accuracy 92 %) where
        amplitude 1 gives 0.95 / 86 % (``benchmarks/RESULTS.md``).
    seed : int
    """

    classifier: str = "gpc"
    top_k: int = 10
    correlation_threshold: float = 0.9
    importance_trees: int = 50
    optimize_kernel: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if self.classifier not in CLASSIFIERS:
            raise InputError(f"unknown classifier {self.classifier!r}; choose one of {', '.join(CLASSIFIERS)}")
        if self.top_k < 1:
            raise InputError(f"top_k must be >= 1; got {self.top_k}")
        if not 0.0 < self.correlation_threshold <= 1.0:
            raise InputError(f"correlation_threshold must be in (0, 1]; got {self.correlation_threshold}")

    def as_dict(self) -> dict[str, object]:
        """Return the settings as a plain dict (JSON)."""
        return asdict(self)


def _classifier(settings: PipelineSettings):  # noqa: ANN202 - any scikit-learn classifier
    seed = settings.seed
    if settings.classifier == "gpc":
        kernel = ConstantKernel(GPC_AMPLITUDE**2) * RBF(length_scale=float(np.sqrt(settings.top_k)))
        return GaussianProcessClassifier(kernel=kernel, optimizer="fmin_l_bfgs_b" if settings.optimize_kernel else None,
                                         random_state=seed)
    if settings.classifier == "rf":
        return RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)
    if settings.classifier == "logreg":
        return LogisticRegression(max_iter=2000)
    return CalibratedClassifierCV(SVC(kernel="rbf", random_state=seed), ensemble=False, cv=3)


def make_pipeline(settings: PipelineSettings | None = None) -> Pipeline:
    """Build the (unfitted) pipeline; selection is a step of it, so it is refitted in every split.

    Parameters
    ----------
    settings : PipelineSettings, optional

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``impute`` (median), ``scale``, ``select``, ``classify``.
    """
    settings = settings or PipelineSettings()
    return Pipeline([
        ("impute", SimpleImputer(strategy="median")),
        ("scale", StandardScaler()),
        ("select", CorrelationImportanceSelector(top_k=settings.top_k,
                                                 correlation_threshold=settings.correlation_threshold,
                                                 n_trees=settings.importance_trees, random_state=settings.seed)),
        ("classify", _classifier(settings)),
    ])
