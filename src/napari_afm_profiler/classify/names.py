"""Classifier names and descriptions, importable without scikit-learn (the CLI builds its parser from them)."""

CLASSIFIERS = {
    "gpc": "Gaussian process classifier (RBF kernel), as in the paper",
    "rf": "random forest (100 trees)",
    "logreg": "logistic regression (L2)",
    "svm": "support vector machine (RBF kernel; probabilities calibrated by 3-fold sigmoid)",
}
