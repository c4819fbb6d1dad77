"""Calibrated height intervals from a tip-conditioned network's quantiles (split conformal scaling).

The network predicts the 5, 25, 50, 75 and 95 % quantiles of the true height at each pixel.
Trained quantiles are only roughly calibrated, so each interval is widened or narrowed about
the median by one factor per level, fitted on pairs that were used neither for training nor
for model selection, so that the nominal share of true heights falls inside.  The factors are
stored in the model card and applied at inference.
"""

from __future__ import annotations

import numpy as np

from napari_afm_profiler.deconv.model import QUANTILES

LEVELS = {0.9: (0.05, 0.95), 0.5: (0.25, 0.75)}
"""Nominal coverage -> the pair of predicted quantiles its interval is built from."""


def interval(quantiles: np.ndarray, level: float, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Return the ``level`` interval ``(lower, upper)`` from quantiles ``(..., 5, ny, nx)``, widened by ``scale``.

    Examples
    --------
    >>> import numpy as np
    >>> q = np.array([-2.0, -1.0, 0.0, 1.0, 2.0]).reshape(5, 1, 1)
    >>> [float(v) for v in np.ravel(interval(q, 0.9, scale=1.5))]
    [-3.0, 3.0]
    """
    lo, hi = (QUANTILES.index(t) for t in LEVELS[level])
    mid = QUANTILES.index(0.5)
    median = quantiles[..., mid, :, :]
    lower = median - scale * (median - quantiles[..., lo, :, :])
    upper = median + scale * (quantiles[..., hi, :, :] - median)
    return lower, upper


def coverage(quantiles: np.ndarray, truth: np.ndarray, level: float, scale: float) -> float:
    """Share of pixels whose true height lies in the scaled ``level`` interval."""
    lower, upper = interval(quantiles, level, scale)
    return float(((lower <= truth) & (truth <= upper)).mean())


def fit_scale(quantiles: np.ndarray, truth: np.ndarray, level: float) -> float:
    """Return the factor that makes the ``level`` interval cover ``level`` of the pixels (bisection on a log scale)."""
    lo, hi = np.log(0.02), np.log(50.0)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if coverage(quantiles, truth, level, float(np.exp(mid))) < level:
            lo = mid
        else:
            hi = mid
    return float(np.exp(hi))
