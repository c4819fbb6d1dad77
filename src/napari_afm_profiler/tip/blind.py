"""Villarrubia blind tip estimation: the bluntest tip consistent with an image.

Every image point bounds the tip: wherever the tip touched the surface while imaging
that point, no other point of the image may have let the tip sink deeper.  Starting
from a flat (maximally blunt) tip, the bounds of image points are applied until nothing
changes.  The *partial* estimate uses only the image's local maxima (fast, nearly as
good on images with sharp features); the *full* estimate then uses every point.

The result is an upper bound of the true tip, in the dilation convention (apex 0 at the
centre pixel), directly usable in :func:`~napari_afm_profiler.tip.morphology.dilate`,
``erode`` and ``certainty_map``.  It agrees with Gwyddion's ``gwy_tip_estimate_partial``
/ ``_full`` after point-reflecting theirs, with two measured improvements (see
``benchmarks/RESULTS.md``): heights stay in floating point instead of Gwyddion's 10 000
integer levels, and the noise threshold is used where noise does harm.  Villarrubia
lowers a tip pixel only when a bound is below it by more than the threshold and then
sets it one threshold above the bound; a noisy image can still rule out the true contact
point and the estimate then collapses.  Here a contact stays possible while the image is
within one threshold of it, and a lowered pixel is set half a threshold above its bound:
exact on noise-free images, and stable at noise levels where the classical rule collapses.

Provenance: written from Villarrubia's paper; agreement with Gwyddion (the point reflection of
its result, the choice of local maxima within ``size // 10`` px) was established by black-box
comparison with Gwyddion 2.62's outputs (``../shared/oracles/gwyddion-tip``), not from its code.

References
----------
J. S. Villarrubia, J. Res. Natl. Inst. Stand. Technol. 102, 425 (1997), section 6.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator

import numpy as np
from scipy import ndimage as ndi

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.progress import drain
from napari_afm_profiler.tip import _kernels

#: safety cap on refinement sweeps (each sweep must lower some tip pixel to continue)
MAX_SWEEPS = 10000

Progress = tuple[str, int, int]
#: a contact stays possible while the image is within this many thresholds of it
TOL = 1.0
#: a tightened tip pixel is set this many thresholds above its bound (Villarrubia: 1)
MARGIN = 0.5
#: work between two progress steps (cancel acts at a step)
BATCH_SECONDS = 0.2


def _local_maxima(image: np.ndarray, size: int) -> np.ndarray:
    """Pixels not exceeded by any finite pixel within ``max(size // 10, 1)`` px (Gwyddion's choice)."""
    delta = max(size // 10, 1)
    filled = np.where(np.isfinite(image), image, -np.inf)
    peak = ndi.maximum_filter(filled, size=2 * delta + 1, mode="constant", cval=-np.inf)
    return np.argwhere((filled >= peak) & np.isfinite(image)).astype(np.int64)


def _time_boxed(points: np.ndarray, seconds: float = BATCH_SECONDS) -> Generator[np.ndarray, None, None]:
    """Consecutive slices of ``points`` sized so that each takes about ``seconds`` to process.

    The caller works on each slice before asking for the next; the size adapts to the time that
    work took, so a generator that yields between slices can be cancelled within about
    ``seconds`` whatever the image and tip size.  Slices are in order and cover every point once.
    """
    start, n = 0, 64
    while start < len(points):
        began = time.perf_counter()
        yield points[start:start + n]
        start += n
        took = time.perf_counter() - began
        n = int(min(max(n * seconds / max(took, 1e-4), n // 4, 16), 4 * n))


def _validate(image: np.ndarray, size: int, threshold: float, initial: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim != 2:
        raise InputError(f"blind estimation needs one 2-D image; got shape {arr.shape}")
    if int(size) != size or size < 1 or size % 2 == 0:
        raise InputError(f"tip size must be an odd number of pixels; got {size!r}")
    if size > min(arr.shape):
        raise InputError(f"tip ({size}x{size} px) is larger than the image ({arr.shape[0]}x{arr.shape[1]} px)")
    if not np.isfinite(threshold) or threshold < 0:
        raise InputError(f"noise threshold must be >= 0 nm; got {threshold!r}")
    if not np.isfinite(arr).any():
        raise InputError("the image has no finite pixels to estimate a tip from")
    if initial is None:
        spike_tip = np.zeros((size, size))
    else:
        init = np.asarray(initial, dtype=np.float64)
        if init.shape != (size, size):
            raise InputError(f"initial tip has shape {init.shape}, expected ({size}, {size})")
        c = size // 2
        if not np.isfinite(init[c, c]):
            raise InputError("the initial tip's centre pixel (its apex) is not a finite height")
        if np.any(np.isposinf(init)) or np.nanmax(init) > init[c, c]:
            raise InputError(f"the initial tip's maximum ({np.nanmax(init):.4g} nm) is not at its centre pixel "
                             f"({init[c, c]:.4g} nm): blind estimation refines a tip whose apex is the centre")
        spike_tip = (init - init[c, c])[::-1, ::-1]
        spike_tip = np.ascontiguousarray(np.where(np.isfinite(spike_tip), spike_tip, -np.inf))
    return arr, spike_tip


def estimate_tip_steps(image: np.ndarray, size: int, threshold: float = 0.0, full: bool = False, *,
                       use_edges: bool = True, initial: np.ndarray | None = None,
                       ) -> Generator[Progress, None, np.ndarray]:
    """Blind tip estimation as a generator of ``(stage, sweep, changed)`` progress.

    Same parameters as :func:`estimate_tip`; the estimated tip is the generator's return
    value (``StopIteration.value``), so callers can show progress and cancel between sweeps.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_afm_profiler.progress import drain
    >>> from napari_afm_profiler.tip import dilate
    >>> true = -np.array([[4., 2., 4.], [1., 0., 3.], [4., 2., 4.]])
    >>> surface = np.zeros((9, 9)); surface[4, 4] = 20.0
    >>> progress = []
    >>> np.array_equal(drain(estimate_tip_steps(dilate(surface, true), 3), progress.append), true)
    True
    >>> progress[0][0]
    'partial'
    """
    arr, spike_tip = _validate(image, size, threshold, initial)
    finite = arr[np.isfinite(arr)]
    # equal heights are common (an image of a spike is the tip itself): compare with a
    # rounding tolerance so that float64 round-off never rules out the true contact
    tol = TOL * float(threshold) + 1e-9 * max(float(np.abs(finite).max()), 1.0)
    maxima = _local_maxima(arr, size)
    for sweep in range(1, MAX_SWEEPS + 1):
        changed = 0
        # Gauss-Seidel over the maxima in their order, in batches: the same tip as one pass
        for batch in _time_boxed(maxima):
            changed += _kernels.refine_sequential(arr, batch, spike_tip, float(threshold), tol,
                                                  MARGIN * float(threshold), bool(use_edges))
            yield "partial", sweep, int(changed)
        if changed == 0:
            break
    if full:
        points = np.argwhere(np.isfinite(arr)).astype(np.int64)
        chunks = max(1, 4 * (os.cpu_count() or 1))
        for sweep in range(1, MAX_SWEEPS + 1):
            bound = np.full_like(spike_tip, np.inf)
            # the minimum of the bounds against one fixed tip does not depend on the batches
            for batch in _time_boxed(points):
                np.minimum(bound, _kernels.tightest_bounds(arr, batch, spike_tip, float(threshold), tol,
                                                           bool(use_edges), min(chunks, len(batch))), out=bound)
                yield "full", sweep, 0
            tighter = bound < spike_tip - threshold
            spike_tip[tighter] = bound[tighter] + MARGIN * threshold
            yield "full", sweep, int(tighter.sum())
            if not tighter.any():
                break
    tip = spike_tip[::-1, ::-1] - spike_tip[size // 2, size // 2]
    return np.where(np.isfinite(tip), tip, np.nan)


def estimate_tip(image: np.ndarray, size: int, threshold: float = 0.0, full: bool = False, *,
                 use_edges: bool = True, initial: np.ndarray | None = None) -> np.ndarray:
    """Estimate the tip from an image (Villarrubia blind estimation).

    Parameters
    ----------
    image : (M, N) float ndarray, nm
        A levelled image with sharp features (spikes, edges, nanoparticles) that imaged
        the tip.  NaN pixels are skipped.
    size : int
        Tip width in pixels (odd).
    threshold : float, optional
        Noise threshold in nm: a bound tightens the tip only where it is lower by more
        than this, and then only to the bound plus this.  Use about the image noise.
    full : bool, optional
        After the partial estimate from local maxima, refine with every image point.
    use_edges : bool, optional
        Also use points whose tip footprint crosses the image edge.
    initial : (size, size) float ndarray, optional
        Start from this tip (dilation convention) instead of a flat one.

    Returns
    -------
    tip : (size, size) float ndarray, nm
        Dilation-convention estimate, apex 0 at the centre: an upper bound of the real tip.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_afm_profiler.tip import dilate
    >>> true = -np.array([[4., 2., 4.], [1., 0., 3.], [4., 2., 4.]])
    >>> surface = np.zeros((9, 9)); surface[4, 4] = 20.0
    >>> np.array_equal(estimate_tip(dilate(surface, true), 3), true)
    True
    """
    steps = estimate_tip_steps(image, size, threshold, full, use_edges=use_edges, initial=initial)
    return drain(steps)
