"""Deep-learning tip deconvolution (torch is imported lazily, only by this package).

``deconvolve`` applies a trained network (the shipped default or a model folder);
``train`` trains one on virtual surfaces or on annotated pairs (``TrainConfig``);
``calibrate_pipeline`` fits a tip-conditioned model's intervals on the whole pipeline's outputs;
``guess_tip`` reads a tip's model, apex radius and half-angle from an image (the network
``train_tip_estimator`` trains), which limits a blind estimate in ``deconvolve(tip="estimate")``.
"""

import lazy_loader as _lazy

# Submodules load on first use: importing the package imports no torch (scikit-image's pattern).
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "infer": ["Deconvolved", "LoadedModel", "PixelSizeWarning", "deconvolve", "deconvolve_steps", "load_model"],
        "training": ["TrainConfig", "train", "train_steps"],
        "pipeline_calibration": ["calibrate_pipeline", "calibrate_pipeline_steps"],
        "tip_estimator": ["TipGuess", "guess_tip", "load_tip_estimator"],
        "tip_estimator_training": ["TipEstimatorConfig", "train_tip_estimator", "train_tip_estimator_steps"],
    },
)
