"""Classification of images or cells from their surface parameters, as in the AFM cell-classification paper.

Pure scikit-learn core (no Qt): feature table → correlation filter and Gini-importance selection
inside each training split → classifier → repeated random splits with a shuffled-class control.
"""

from napari_afm_profiler.classify.data import FeatureTable, feature_table, read_table
from napari_afm_profiler.classify.evaluate import Evaluation, SplitScore, evaluate_steps, random_splits
from napari_afm_profiler.classify.model_io import TrainedClassifier, load_classifier, save_classifier, train
from napari_afm_profiler.classify.models import CLASSIFIERS, PipelineSettings, make_pipeline
from napari_afm_profiler.classify.predict import predict_table

__all__ = [
    "CLASSIFIERS",
    "Evaluation",
    "FeatureTable",
    "PipelineSettings",
    "SplitScore",
    "TrainedClassifier",
    "evaluate_steps",
    "feature_table",
    "load_classifier",
    "make_pipeline",
    "predict_table",
    "random_splits",
    "read_table",
    "save_classifier",
    "train",
]
