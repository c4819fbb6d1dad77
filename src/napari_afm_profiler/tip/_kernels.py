"""Compiled inner loops of the tip operations (numba, parallel over image rows).

The public functions in :mod:`napari_afm_profiler.tip.morphology` and
:mod:`napari_afm_profiler.tip.blind` validate the input and call these; nothing here
checks shapes or units.  Every kernel works on an edge-padded copy of the image so the
inner loop is a contiguous, branch-light pass that LLVM vectorises.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True, nogil=True)
def _max_plus(padded, rows, cols, values, out):  # pragma: no cover - compiled
    """``out[i, j] = max_t padded[i + rows[t], j + cols[t]] + values[t]`` (NaN terms ignored)."""
    ny, nx = out.shape
    for i in prange(ny):
        acc = np.full(nx, -np.inf)
        for t in range(values.size):
            src = padded[i + rows[t], cols[t]:cols[t] + nx]
            v = values[t]
            for j in range(nx):
                x = src[j] + v
                if x > acc[j]:
                    acc[j] = x
        out[i, :] = acc


@njit(parallel=True, cache=True, nogil=True)
def _min_plus(padded, rows, cols, values, out):  # pragma: no cover - compiled
    """``out[i, j] = min_t padded[i + rows[t], j + cols[t]] + values[t]`` (NaN terms ignored)."""
    ny, nx = out.shape
    for i in prange(ny):
        acc = np.full(nx, np.inf)
        for t in range(values.size):
            src = padded[i + rows[t], cols[t]:cols[t] + nx]
            v = values[t]
            for j in range(nx):
                x = src[j] + v
                if x < acc[j]:
                    acc[j] = x
        out[i, :] = acc


@njit(parallel=True, cache=True, nogil=True)
def _contact_counts(image, rows, cols, values, c, eroded, first, last, tolerance):  # pragma: no cover - compiled
    """Mark surface pixels touched by exactly one tip contact (Villarrubia's certainty map).

    All heights are integers (quantised by the caller; stored as floats, NaN = missing).
    ``rows``, ``cols``, ``values`` list the tip pixels that can touch: offsets into the tip
    array (centre ``c``) and their heights.  For each image position
    ``(i, j)`` with the whole tip inside the image (``first .. last``), the tip apex sits at
    ``image[i, j]``; a surface pixel ``(i + k - c, j + m - c)`` is a contact where the
    eroded surface equals the tip surface there.  Exactly one contact makes that surface
    pixel certain.  With ``tolerance`` > 0, tip pixels within that many steps of the surface
    count as contacts too (the certain pixel itself must touch exactly): quantising image and
    tip separately can split a true tie by a step, which makes a false single contact.
    Returns one ``(y, x)`` flat index per position, or -1.  The contacts are counted one tip
    pixel at a time along whole rows, so the inner loop vectorises.
    """
    ny, nx = image.shape
    hit = np.full((ny, nx), -1, dtype=np.int64)
    j0, j1 = first[1], last[1] + 1
    width = j1 - j0
    for i in prange(first[0], last[0] + 1):
        count = np.zeros(width, dtype=np.int64)
        where = np.full(width, -1, dtype=np.int64)
        apex = image[i, j0:j1]
        for t in range(values.size):
            y = i + rows[t] - c
            dx = cols[t] - c
            surface = eroded[y, j0 + dx:j1 + dx]
            v = values[t]
            base = y * nx + j0 + dx
            for j in range(width):
                gap = surface[j] - (apex[j] + v)
                touch = gap == 0.0
                count[j] += abs(gap) <= tolerance
                where[j] = base + j if touch else where[j]
        for j in range(width):
            if count[j] == 1 and where[j] >= 0:
                hit[i, j0 + j] = where[j]
    return hit


@njit(cache=True, nogil=True)
def _point_bound(image, y0, x0, tip, thresh, tol, use_edges, bound):  # pragma: no cover - compiled
    """Villarrubia's tip bound from one image point; returns False where it bounds nothing.

    ``tip`` is in the *image-of-a-spike* orientation (the dilation tip reflected through
    its centre), maximum 0 at the centre.  ``bound`` receives, for every tip offset, the
    largest tip height consistent with the image around ``(y0, x0)``; offsets whose bound
    would leave the image are skipped (``+inf`` where nothing bounds an offset).  A bound
    that cannot lower the tip by more than ``thresh`` is reported as ``+inf`` too: callers
    only ever use bounds below ``tip - thresh``.
    """
    ny, nx = image.shape
    n = tip.shape[0]
    c = n // 2
    apex = image[y0, x0]
    interior = (y0 >= n - 1) and (x0 >= n - 1) and (y0 <= ny - n) and (x0 <= nx - n)
    if not interior and not use_edges:
        return False
    # possible contacts: offsets v with image(x0 - v) >= image(x0) + tip(v); beyond the
    # image edge the surface is unknown, so a contact there cannot be ruled out
    vk = np.empty(n * n, dtype=np.int64)
    vl = np.empty(n * n, dtype=np.int64)
    vk[0] = c  # the apex itself is always a possible contact; its term often ends a bound at once
    vl[0] = c
    nv = 1
    for k in range(n):
        y = y0 + c - k
        for m in range(n):
            x = x0 + c - m
            if k == c and m == c:
                continue
            if 0 <= y < ny and 0 <= x < nx and apex - image[y, x] > tip[k, m] + tol:
                continue
            vk[nv] = k
            vl[nv] = m
            nv += 1
    for a in range(n):
        for b in range(n):
            # the bound is a max over contacts; once it reaches the tip less the threshold it
            # can no longer tighten this pixel, and +inf says the same thing more cheaply
            useless = tip[a, b] - thresh
            best = -np.inf
            for t in range(nv):
                y = a + y0 - vk[t]
                x = b + x0 - vl[t]
                if y < 0 or y >= ny or x < 0 or x >= nx:
                    best = np.inf  # a possible contact whose bound lies outside the image
                    break
                val = image[y, x] + tip[vk[t], vl[t]] - apex
                if val > best:
                    best = val
                    if best >= useless:
                        best = np.inf
                        break
            bound[a, b] = best if best > -np.inf else np.inf
    return True


@njit(cache=True, nogil=True)
def refine_sequential(image, points, tip, thresh, tol, margin, use_edges):  # pragma: no cover - compiled
    """One pass over ``points`` (k, 2), refining ``tip`` in place after each point.

    Returns how many tip pixels changed.  Gauss-Seidel order, as Villarrubia's algorithm.
    """
    n = tip.shape[0]
    bound = np.empty((n, n))
    changed = 0
    for p in range(points.shape[0]):
        if not _point_bound(image, points[p, 0], points[p, 1], tip, thresh, tol, use_edges, bound):
            continue
        for a in range(n):
            for b in range(n):
                if bound[a, b] < tip[a, b] - thresh:
                    tip[a, b] = bound[a, b] + margin
                    changed += 1
    return changed


@njit(parallel=True, cache=True, nogil=True)
def _tightest_bounds(image, points, tip, thresh, tol, use_edges, chunks):  # pragma: no cover - compiled
    """Minimum of the point bounds over ``points``, against one fixed ``tip`` (Jacobi step).

    The points are split into ``chunks`` groups bounded in parallel; the result does not
    depend on the grouping because the minimum is taken over the same fixed tip.
    """
    n = tip.shape[0]
    npts = points.shape[0]
    partial = np.full((chunks, n, n), np.inf)
    for g in prange(chunks):
        bound = np.empty((n, n))
        lo = g * npts // chunks
        hi = (g + 1) * npts // chunks
        for p in range(lo, hi):
            y0 = points[p, 0]
            x0 = points[p, 1]
            # cheap test: the contact at the apex itself gives bound >= image(x0 + d) - image(x0)
            # so a point can tighten the tip only where that difference is already below it
            c = n // 2
            useful = False
            ny, nx = image.shape
            for a in range(n):
                y = y0 + a - c
                for b in range(n):
                    x = x0 + b - c
                    if y < 0 or y >= ny or x < 0 or x >= nx:
                        useful = True  # no apex term there: let the full bound decide
                        break
                    if image[y, x] - image[y0, x0] < tip[a, b] - thresh:
                        useful = True
                        break
                if useful:
                    break
            if not useful:
                continue
            if not _point_bound(image, y0, x0, tip, thresh, tol, use_edges, bound):
                continue
            for a in range(n):
                for b in range(n):
                    if bound[a, b] < partial[g, a, b]:
                        partial[g, a, b] = bound[a, b]
    best = np.full((n, n), np.inf)
    for g in range(chunks):
        for a in range(n):
            for b in range(n):
                if partial[g, a, b] < best[a, b]:
                    best[a, b] = partial[g, a, b]
    return best


# numba's "workqueue" threading layer (the one available where neither TBB nor OpenMP is)
# aborts the process when two threads launch parallel kernels at once, e.g. two docks working
# together. Parallel launches are therefore serialised: each one already uses every core.
_LAUNCH_LOCK = threading.Lock()


def _serialised(kernel: Callable[..., Any]) -> Callable[..., Any]:
    def launch(*args: Any) -> Any:
        with _LAUNCH_LOCK:
            return kernel(*args)

    launch.__name__ = launch.__qualname__ = kernel.__name__.lstrip("_")
    launch.__doc__ = f"Launch the parallel kernel ``{kernel.__name__}`` (one parallel launch at a time)."
    launch.kernel = kernel  # type: ignore[attr-defined]
    return launch


max_plus = _serialised(_max_plus)
min_plus = _serialised(_min_plus)
contact_counts = _serialised(_contact_counts)
tightest_bounds = _serialised(_tightest_bounds)
