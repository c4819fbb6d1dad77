"""Calibrated height intervals from a tip-conditioned network's quantiles (split conformal).

The network predicts the 5, 25, 50, 75 and 95 % quantiles of the true height at each pixel.
Trained quantiles are only roughly calibrated, so they are corrected on pairs that were used
neither for training nor for model selection, and the corrections are stored in the model
card and applied at inference.

Current cards use *conformalised quantile regression* with normalised scores (Romano et al.
2019), one correction per group of pixels (Mondrian conformal prediction): the ``level``
interval is ``[q_lo - m * w, q_hi + m * w]`` with ``w`` the predicted half-width plus a floor
of :data:`WIDTH_FLOOR_NM`, and ``m`` fitted separately where the tip certainly touched the
surface and where it did not.  Older cards hold one factor that widens the interval about the
median (:func:`interval`); on validation pairs that left pits below 85 % coverage and the
paper's fractal scenes above 95 %, with wider intervals on average (benchmarks/RESULTS.md).

Margins fitted on the network's own training pairs do not carry over fully to the whole
pipeline (resampling, the bound by the erosion, the certainty map of the image as measured), so
the shipped model is calibrated on the pipeline's outputs (:mod:`.pipeline_calibration`).  There
the groups are split further by how much the tip broadened the frame (:func:`broadening_nm`, the
mean of image minus result): images the tip changed a lot miss the truth more often, whatever
their kind, and the bins' edges are stored with the margins (``broadening_edges_nm``).  Cards
calibrated since session 35 split each of those groups once more by the pixel's
:func:`relative_width`, the predicted 90 % half-width over the frame's broadening: a pixel that
claims a narrow interval in a frame the tip broadened a lot (an unreached pit floor) misses more
often than its width says (``relative_width_edges``), and by the frame's pixel size against the
model's trained range (:data:`PIXEL_REGIMES`, ``pixel_regimes``): an image outside it is
resampled for the network and back, and with margins fitted inside the range the 90 % interval
covered only 80 % of the pixels of images coarser than it.  Cards calibrated since session 37 add
:data:`~.names.NOISE_WIDTH_FACTOR` times the frame's noise level to the width floor
(``noise_width_factor``): with a floor of 0.1 nm alone, nearly noise-free frames were covered
94 % and the noisiest quarter 89 %.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from napari_afm_profiler.deconv.model import QUANTILES

LEVELS = {0.9: (0.05, 0.95), 0.5: (0.25, 0.75)}
"""Nominal coverage -> the pair of predicted quantiles its interval is built from."""

WIDTH_FLOOR_NM = 0.1
"""Added to each predicted half-width before it scales the margin: a pixel the network is sure
of still misses the truth by noise-sized amounts (chosen on validation pairs, 0.02-0.3 nm give
the same coverage per kind to 0.005)."""

GROUPS = ("certain", "uncertain")
"""Mondrian groups: pixels where the certainty map says the tip touched, and the others."""

PIXEL_REGIMES = ("within", "finer", "coarser", "finest")
"""Frames whose pixel size lies within the model's trained range, below it and above it (resampled),
and, for cards with margins of their own for them (since session 37), below the main calibration
pairs' pixel sizes (0.25 nm): downsampled more than twofold for the network, their intervals
calibrated on the main pairs covered only 54-96 % per kind on validation."""

BROADENING_FLOOR_NM = 1e-3
"""The broadening below which :func:`relative_width` divides by this instead (a frame the tip left unchanged)."""


def group_names(edges: Sequence[float] = (), width_edges: Sequence[float] = (), regimes: bool = False,
                finest: bool = False) -> list[str]:
    """Return the Mondrian group names: :data:`GROUPS` split into broadening bins, relative-width bins and pixel regimes.

    With ``regimes`` the names of frames within the trained pixel range come first, unchanged,
    then the same names for finer and for coarser frames (:data:`PIXEL_REGIMES`), and with
    ``finest`` for the finest frames too.

    Examples
    --------
    >>> group_names()
    ['certain', 'uncertain']
    >>> group_names([0.3])
    ['certain 0', 'uncertain 0', 'certain 1', 'uncertain 1']
    >>> group_names((), [2.0])
    ['certain 0 w0', 'uncertain 0 w0', 'certain 0 w1', 'uncertain 0 w1']
    >>> group_names(regimes=True)
    ['certain', 'uncertain', 'certain finer', 'uncertain finer', 'certain coarser', 'uncertain coarser']
    >>> group_names(regimes=True, finest=True)[-2:]
    ['certain finest', 'uncertain finest']
    """
    if not len(edges) and not len(width_edges):
        names = list(GROUPS)
    else:
        widths = [f" w{k}" for k in range(len(width_edges) + 1)] if len(width_edges) else [""]
        names = [f"{name} {b}{w}" for b in range(len(edges) + 1) for w in widths for name in GROUPS]
    if not regimes:
        return names
    return names + [f"{name} {regime}" for regime in PIXEL_REGIMES[1:4 if finest else 3] for name in names]


def pixel_regime(pixel_size_nm: float | tuple[float, float], trained_range: Sequence[float],
                 finest_below: float | None = None) -> int:
    """Return the index in :data:`PIXEL_REGIMES` of a frame's pixel size (geometric mean of dy, dx) against a range.

    ``finest_below`` (nm): frames finer than this are the finest regime (3); none: they are finer (1).

    Examples
    --------
    >>> pixel_regime(1.0, (0.5, 2.0)), pixel_regime((0.25, 0.25), (0.5, 2.0)), pixel_regime(3.0, (0.5, 2.0))
    (0, 1, 2)
    >>> pixel_regime(0.1, (0.5, 2.0)), pixel_regime(0.1, (0.5, 2.0), finest_below=0.25)
    (1, 3)
    """
    dy, dx = (pixel_size_nm, pixel_size_nm) if np.ndim(pixel_size_nm) == 0 else pixel_size_nm
    px = math.sqrt(float(dy) * float(dx))
    lo, hi = (float(v) for v in trained_range)
    if finest_below is not None and px < float(finest_below) * (1 - 1e-6):
        return 3
    if px < lo * (1 - 1e-6):
        return 1
    return 2 if px > hi * (1 + 1e-6) else 0


def relative_width(quantiles: np.ndarray, broadening: float | np.ndarray) -> np.ndarray:
    """Return each pixel's predicted 90 % half-width (floored) over its frame's broadening.

    Parameters
    ----------
    quantiles : (..., 5, ny, nx) ndarray
        The network's quantiles, nm.
    broadening : float or ndarray
        :func:`broadening_nm` of the frame (scalar), or of each frame (shape ``(n,)``); values
        below :data:`BROADENING_FLOOR_NM` count as that floor.

    Examples
    --------
    >>> import numpy as np
    >>> q = np.array([-1.0, -0.5, 0.0, 0.5, 1.0]).reshape(5, 1, 1)
    >>> round(float(relative_width(q, 2.2)[0, 0]), 3)  # (1.0 + 0.1 floor) / 2.2
    0.5
    """
    _, _, width = _bounds(quantiles, 0.9)
    b = np.maximum(np.asarray(broadening, np.float64), BROADENING_FLOOR_NM)
    b = np.reshape(b, np.shape(b) + (1,) * (width.ndim - np.ndim(b)))
    return (width / b.astype(width.dtype)).astype(width.dtype, copy=False)


def broadening_nm(image: np.ndarray, surface: np.ndarray) -> float:
    """Return how much the tip broadened a frame: the mean of ``image - surface`` over finite pixels, nm."""
    gap = np.asarray(image, np.float64) - np.asarray(surface, np.float64)
    finite = np.isfinite(gap)
    return float(gap[finite].mean()) if finite.any() else 0.0


def group_index(certain: np.ndarray, broadening: float | np.ndarray = 0.0, edges: Sequence[float] = (),
                relative: np.ndarray | None = None, width_edges: Sequence[float] = (),
                regime: int | np.ndarray | None = None) -> np.ndarray:
    """Return each pixel's index into :func:`group_names` ``(edges, width_edges, regime is not None)`` (uint8).

    ``broadening`` and ``regime`` (:func:`pixel_regime`) are one value per frame: a scalar, or
    shape ``(n,)`` for ``certain`` of shape ``(n, ny, nx)``.  ``relative`` (:func:`relative_width`,
    the shape of ``certain``) is needed only with ``width_edges``.  uint8: a frame can be 8192².

    Examples
    --------
    >>> import numpy as np
    >>> certain = np.array([[1.0, 0.0], [1.0, 0.0]])
    >>> group_index(certain, 0.5, [0.1], np.array([[1.0, 1.0], [3.0, 3.0]]), [2.0]).tolist()
    [[4, 5], [6, 7]]
    """
    touched = np.asarray(certain) > 0.5
    bins = np.searchsorted(np.asarray(edges, np.float64), np.asarray(broadening, np.float64), side="right")
    bins = np.reshape(bins, np.shape(bins) + (1,) * (touched.ndim - np.ndim(bins))).astype(np.uint8)
    n_widths = len(width_edges) + 1
    n_base = len(group_names(edges, width_edges))  # the groups of one pixel regime
    if n_base * (len(PIXEL_REGIMES) if regime is not None else 1) > 255:
        raise ValueError(f"{len(edges) + 1} x {n_widths} bins make too many groups")
    index = np.where(touched, np.uint8(0), np.uint8(1))
    index += (2 * n_widths * bins).astype(np.uint8)
    if n_widths > 1:
        if relative is None:
            raise ValueError("relative widths are needed to split the groups by width_edges")
        for edge in width_edges:  # one comparison at a time: no int64 index map for a large frame
            index += np.uint8(2) * (relative >= edge)
    if regime is not None:
        offset = np.asarray(regime, np.uint8) * np.uint8(n_base)
        index += np.reshape(offset, np.shape(offset) + (1,) * (touched.ndim - np.ndim(offset)))
    return index


def interval(quantiles: np.ndarray, level: float, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Return the ``level`` interval ``(lower, upper)`` from quantiles ``(..., 5, ny, nx)``, widened by ``scale``.

    The older calibration: one factor widens both sides about the median.

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


def width_floor(noise_nm: float | np.ndarray = 0.0, noise_factor: float = 0.0) -> float | np.ndarray:
    """Return the width floor of a frame (or of each frame): :data:`WIDTH_FLOOR_NM` plus ``noise_factor`` noise SDs, nm.

    Examples
    --------
    >>> width_floor()
    0.1
    >>> round(float(width_floor(0.2, 3.0)), 3)
    0.7
    """
    if not noise_factor:
        return WIDTH_FLOOR_NM
    noise = np.maximum(np.nan_to_num(np.asarray(noise_nm, np.float64)), 0.0)
    return WIDTH_FLOOR_NM + float(noise_factor) * (float(noise) if noise.ndim == 0 else noise)


def _bounds(quantiles: np.ndarray, level: float, floor: float | np.ndarray = WIDTH_FLOOR_NM,
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo, hi = (QUANTILES.index(t) for t in LEVELS[level])
    lower, upper = quantiles[..., lo, :, :], quantiles[..., hi, :, :]
    half = 0.5 * np.abs(upper - lower)
    if np.ndim(floor):  # one floor per frame, broadcast over its pixels
        floor = np.reshape(floor, np.shape(floor) + (1,) * (half.ndim - np.ndim(floor))).astype(half.dtype)
    return lower, upper, half + floor


def conformal_interval(quantiles: np.ndarray, level: float, margins: Mapping[str, float],
                       certain: np.ndarray, broadening: float | np.ndarray = 0.0,
                       edges: Sequence[float] = (), width_edges: Sequence[float] = (),
                       regime: int | np.ndarray | None = None, *, noise_nm: float | np.ndarray = 0.0,
                       noise_factor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Return the ``level`` interval from quantiles ``(..., 5, ny, nx)`` with fitted normalised ``margins``.

    Parameters
    ----------
    quantiles : (..., 5, ny, nx) ndarray
        The network's quantiles (:data:`~napari_afm_profiler.deconv.model.QUANTILES`), nm.
    level : float
        0.9 or 0.5.
    margins : mapping
        ``{"certain": m, "uncertain": m}`` from :func:`fit_margins`.
    certain : (..., ny, nx) ndarray
        The certainty map (> 0.5 where the tip touched).
    broadening : float or ndarray
        :func:`broadening_nm` of each frame (used only with ``edges``).
    edges : sequence of float
        The broadening bins' edges, nm; none: the two groups of :data:`GROUPS`.
    width_edges : sequence of float
        The :func:`relative_width` bins' edges; none: no split by width.
    regime : int or ndarray, optional
        :func:`pixel_regime` of the frame (or of each frame); none: no split by pixel size.
    noise_nm : float or ndarray
        The noise level of the frame (or of each frame), nm; used only with ``noise_factor``.
    noise_factor : float
        Noise SDs added to the width floor (:func:`width_floor`); the card's ``noise_width_factor``.

    Examples
    --------
    >>> import numpy as np
    >>> q = np.array([-2.0, -1.0, 0.0, 1.0, 3.0]).reshape(5, 1, 1)
    >>> lower, upper = conformal_interval(q, 0.9, {"certain": 0.0, "uncertain": 0.5}, np.zeros((1, 1)))
    >>> round(float(lower[0, 0]), 3), round(float(upper[0, 0]), 3)  # half-width 2.5 + 0.1 floor
    (-3.3, 4.3)
    >>> lower, upper = conformal_interval(q, 0.9, {"certain": 0.0, "uncertain": 0.5}, np.zeros((1, 1)),
    ...                                   noise_nm=0.2, noise_factor=3.0)
    >>> round(float(lower[0, 0]), 3), round(float(upper[0, 0]), 3)  # floor 0.1 + 3 x 0.2
    (-3.6, 4.6)
    """
    lower, upper, width = _bounds(quantiles, level, width_floor(noise_nm, noise_factor))
    names = group_names(edges, width_edges, regime is not None, _has_finest(margins))
    table = np.array([float(margins[name]) for name in names], dtype=width.dtype)
    if np.ndim(broadening) == 0 and not len(width_edges) and regime is None:  # two margins, no index map
        b = int(np.searchsorted(np.asarray(edges, np.float64), float(broadening), side="right"))
        margin = np.where(np.asarray(certain) > 0.5, table[2 * b], table[2 * b + 1])
    else:
        relative = relative_width(quantiles, broadening) if len(width_edges) else None
        margin = table[group_index(certain, broadening, edges, relative, width_edges, regime)]
        del relative
    margin *= width
    return lower - margin, upper + margin


def conformal_quantile(scores: np.ndarray, aim: float) -> float:
    """Return the split-conformal quantile of calibration ``scores``: the ``ceil((n + 1) aim) / n`` one, taken higher.

    Examples
    --------
    >>> import numpy as np
    >>> conformal_quantile(np.arange(1.0, 11.0), 0.9)  # the 10th of 10: ceil(11 x 0.9) = 10
    10.0
    """
    s = np.asarray(scores).ravel()
    q = min(1.0, np.ceil((s.size + 1) * aim) / s.size)
    return float(np.quantile(s, q, method="higher"))


def _has_finest(margins: Mapping[str, float]) -> bool:
    return any(name.endswith(" finest") for name in margins)


def fit_margins(quantiles: np.ndarray, truth: np.ndarray, certain: np.ndarray, level: float, *,
                broadening: float | np.ndarray = 0.0, edges: Sequence[float] = (),
                width_edges: Sequence[float] = (), regime: int | np.ndarray | None = None,
                surface: np.ndarray | None = None, aim: float | None = None, noise_nm: float | np.ndarray = 0.0,
                noise_factor: float = 0.0) -> dict[str, float]:
    """Fit the normalised margin of each group so that ``level`` of its pixels fall inside (split conformal).

    The score of a pixel is how far the truth lies outside ``[q_lo, q_hi]`` in units of the
    floored half-width (negative inside); the margin is the score's ``level`` quantile with the
    finite-sample correction.  With ``surface`` (the pipeline's result) the scores are those of
    the interval the pipeline reports, ``[min(lower, surface), max(upper, surface)]``: truth
    above the result only needs the upper side, truth below it only the lower side.  A group
    without pixels keeps the largest of the others' margins.  ``broadening``, ``edges``,
    ``width_edges`` and ``regime`` split the groups as in :func:`conformal_interval`, and
    ``noise_nm`` with ``noise_factor`` raise the width floor as there.  ``aim`` (default
    ``level``) is the share the margins are fitted to cover, for an interval still built from
    ``level``'s quantiles.
    """
    aim = level if aim is None else aim
    lower, upper, width = _bounds(quantiles, level, width_floor(noise_nm, noise_factor))
    below, above = (lower - truth) / width, (truth - upper) / width
    if surface is None:
        scores = np.maximum(below, above)
    else:
        # truth exactly on the result is inside whatever the margin: the lowest score a margin can undo
        scores = np.where(truth < surface, below, np.where(truth > surface, above, -1.0))
    relative = relative_width(quantiles, broadening) if len(width_edges) else None
    index = group_index(certain, broadening, edges, relative, width_edges, regime)
    margins: dict[str, float] = {}
    finest = regime is not None and bool(np.any(np.asarray(regime) == PIXEL_REGIMES.index("finest")))
    names = group_names(edges, width_edges, regime is not None, finest)
    for i, name in enumerate(names):
        s = scores[index == i]
        if s.size:
            margins[name] = conformal_quantile(s, aim)
    fallback = max(margins.values()) if margins else 0.0
    return {name: margins.get(name, fallback) for name in names}


def coverage(quantiles: np.ndarray, truth: np.ndarray, level: float, scale: float | None = None, *,
             margins: Mapping[str, float] | None = None, certain: np.ndarray | None = None,
             broadening: float | np.ndarray = 0.0, edges: Sequence[float] = ()) -> float:
    """Share of pixels whose true height lies in the calibrated ``level`` interval (margins, or the older scale)."""
    if margins is not None:
        lower, upper = conformal_interval(quantiles, level, margins, certain, broadening, edges)
    else:
        lower, upper = interval(quantiles, level, 1.0 if scale is None else scale)
    return float(((lower <= truth) & (truth <= upper)).mean())


def fit_scale(quantiles: np.ndarray, truth: np.ndarray, level: float) -> float:
    """Return the factor that makes the ``level`` interval cover ``level`` of the pixels (bisection on a log scale).

    The older calibration, kept for cards that hold a ``scale`` only.
    """
    lo, hi = np.log(0.02), np.log(50.0)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if coverage(quantiles, truth, level, float(np.exp(mid))) < level:
            lo = mid
        else:
            hi = mid
    return float(np.exp(hi))


def calibrated_interval(quantiles: np.ndarray, level: float, entry: Mapping[str, Any] | None,
                        certain: np.ndarray, broadening: float = 0.0, edges: Sequence[float] = (),
                        width_edges: Sequence[float] = (), regime: int | None = None, *,
                        noise_nm: float = 0.0, noise_factor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Apply a card's ``intervals[level]`` entry: its margins when it has them, else its scale (1 if none).

    ``edges`` and ``width_edges`` are the card's ``broadening_edges_nm`` and
    ``relative_width_edges`` (none for margins of the two plain groups); ``regime`` the frame's
    :func:`pixel_regime` when the card's margins are split by it; ``noise_factor`` the card's
    ``noise_width_factor`` (0 for older cards) and ``noise_nm`` the frame's noise level.
    """
    entry = entry or {}
    if "margins" in entry:
        return conformal_interval(quantiles, level, entry["margins"], certain, broadening, edges, width_edges,
                                  regime, noise_nm=noise_nm, noise_factor=noise_factor)
    return interval(quantiles, level, float(entry.get("scale", 1.0)))


def line_noise_unit(noise_nm: float, ratio: float, max_ratio: float = math.inf) -> float:
    """Return what the interval's widening for scan-line noise is counted in: ``(ratio - 1)`` noise SDs, nm.

    ``ratio`` is the frame's across/along noise ratio
    (:func:`~napari_afm_profiler.tip.dropouts.line_noise_ratio`), ``noise_nm`` its noise level
    (the larger reading); ratios above ``max_ratio`` (the calibration pairs' largest) count as
    it.  Zero for white noise (ratio 1 or below) and where the ratio is undefined or infinite
    without a ``max_ratio``.  On virtual scans with scan-line
    wander, the widening each frame's interval needed grew about in proportion to ``ratio - 1``
    (covered 91-93 % in each fifth of the ratios at one fitted factor, ratios 1-4.3).

    Examples
    --------
    >>> [round(line_noise_unit(0.2, r, max_ratio=4.0), 3) for r in (3.0, 0.9, float("inf"))]
    [0.4, 0.0, 0.6]
    """
    ratio = 1.0 if math.isnan(ratio) else min(float(ratio), float(max_ratio))
    if not (math.isfinite(ratio) and math.isfinite(noise_nm)):
        return 0.0
    return max(ratio - 1.0, 0.0) * max(float(noise_nm), 0.0)
