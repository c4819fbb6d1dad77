"""Classification of images or cells from their surface parameters, as in the AFM cell-classification paper.

Pure scikit-learn core (no Qt): feature table → correlation filter and Gini-importance selection
inside each training split → classifier → repeated random splits with a shuffled-class control.
"""

import lazy_loader as _lazy

# Submodules load on first use: importing the package costs nothing (scikit-image's pattern).
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "data": ["FeatureTable", "feature_table", "read_table"],
        "evaluation": ["Evaluation", "SplitScore", "evaluate", "evaluate_steps"],
        "model_io": ["TrainedClassifier", "load_classifier", "save_classifier", "train"],
        "models": ["CLASSIFIERS", "PipelineSettings"],
        "predict": ["predict_table"],
    },
)
