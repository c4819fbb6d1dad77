"""Classification of images or cells from their surface parameters, as in the AFM cell-classification paper.

Pure scikit-learn core (no Qt): feature table → correlation filter and Gini-importance selection
inside each training split → classifier → repeated random splits with a shuffled-class control.
"""

import lazy_loader as _lazy

# Submodules load on first use: importing the package costs nothing (scikit-image's pattern).
__getattr__, _dir, _names = _lazy.attach(
    __name__,
    submod_attrs={
        "data": ["FeatureTable", "feature_table", "read_table"],
        "evaluation": ["random_splits", "Evaluation", "SplitScore", "evaluate", "evaluate_steps"],
        "model_io": ["TrainedClassifier", "load_classifier", "save_classifier", "train"],
        "models": ["make_pipeline", "CLASSIFIERS", "PipelineSettings"],
        "predict": ["predict_table"],
    },
)

# kept importable for one release (``from ... import make_pipeline``), no longer part of the curated namespace
_HIDDEN = {'make_pipeline', 'random_splits'}
__all__ = [n for n in _names if n not in _HIDDEN]


def __dir__() -> list[str]:
    return list(__all__)
