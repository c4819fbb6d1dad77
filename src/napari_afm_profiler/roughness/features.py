"""Feature parameters (ISO 25178-2 section 4.4): significant peaks and pits after Wolf pruning.

The surface is segmented into hills by a merge tree: pixels are added from the highest down,
8-connected; where two hills meet, the one with the lower peak ends there (elder rule), and its
peak's prominence is the height of its peak above that saddle. Removing every hill whose
prominence is under the pruning threshold, smallest first, is Wolf pruning (Wolf 1991; Scott,
"Pattern analysis and metrology", Proc. R. Soc. A 460 (2004)); the merge tree gives the same
surviving peaks in one pass. Pits are the peaks of the inverted surface.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from napari_afm_profiler._compiled import prefetch
from napari_afm_profiler.roughness.evaluation import Evaluation
from napari_afm_profiler.roughness.gradients import NM2_PER_UM2, mean_curvature

# steps between prefetching a pixel's neighbourhood and visiting it
_AHEAD = 8


@numba.njit(cache=True, nogil=True)
def _find(node: np.ndarray, i: int) -> int:
    root = i
    while node[root, 1] != root:
        root = node[root, 1]
    while node[i, 1] != root:  # full path compression
        nxt = node[i, 1]
        node[i, 1] = root
        i = nxt
    return root


@numba.njit(cache=True, nogil=True)
def _fill_steps(node: np.ndarray, order: np.ndarray, peaks: bool) -> None:
    m = order.size
    for r in range(m):
        node[order[r], 0] = r if peaks else m - 1 - r


def _tree_nodes(order: np.ndarray, n: int, peaks: bool) -> np.ndarray:
    """Per pixel of an image of ``n`` pixels: its step in the sweep and its parent (-1: not in the area).

    Allocated by numpy, which asks the kernel for huge pages on large arrays: the sweep reads the
    array at random, and with 4 KiB pages nearly every read also misses the TLB.
    """
    node = np.full((n, 2), -1, dtype=order.dtype)
    _fill_steps(node, order, peaks)
    return node


@numba.njit(cache=True, nogil=True)
def _significant_steps(ascending: np.ndarray, order: np.ndarray, node: np.ndarray, nx: int, threshold: float,
                       peaks: bool) -> np.ndarray:
    """Which steps of the sweep are significant peaks (``peaks``) or pits of an area.

    ``order`` lists the area's pixels (flat indices in an image ``nx`` wide) highest first, ties
    in any fixed order, and ``ascending`` the heights in the reverse order (``z[order[::-1]]``,
    shared with the material ratio curve).  Peaks are swept from the highest pixel down, pits
    from the lowest up; step ``s`` of a pit sweep is rank ``m - 1 - s``.  In steps the elder of
    two peaks is simply the one met first, so each piece's root is its peak.  A peak is
    significant when its prominence (height above the saddle where it meets an elder peak, or
    above the lowest pixel of its piece) is at least ``threshold`` and above 0.

    ``node`` (:func:`_tree_nodes`) holds each pixel's step and its union-find parent side by
    side, in image order: a pixel's eight neighbours and their parents then share three cache
    lines.  The sweep is bound by memory latency, and in rank order every neighbour's parent was
    a separate miss.
    """
    m = order.size
    ny = node.shape[0] // nx
    significant = np.zeros(m, dtype=np.bool_)
    pieces = 0
    flat = node.reshape(-1)
    for s in range(m):
        if s + _AHEAD < m:  # the rows of a pixel a few steps ahead, so they are in cache when it comes
            ahead = order[s + _AHEAD] if peaks else order[m - 1 - s - _AHEAD]
            for row in (ahead - nx - 1, ahead - 1, ahead + nx - 1):
                if 0 <= row and row + 2 < node.shape[0]:
                    prefetch(flat, 2 * row)
                    prefetch(flat, 2 * row + 5)
        idx = order[s] if peaks else order[m - 1 - s]
        height = ascending[m - 1 - s] if peaks else -ascending[s]
        node[idx, 1] = idx
        root = idx
        root_step = s
        pieces += 1
        y = idx // nx
        x = idx - y * nx
        for yy in range(max(y - 1, 0), min(y + 1, ny - 1) + 1):
            for xx in range(max(x - 1, 0), min(x + 1, nx - 1) + 1):
                q = yy * nx + xx
                parent = node[q, 1]
                if parent < 0 or parent == root:  # outside the area, not reached yet, or already joined
                    continue
                other = _find(node, q)
                if other == root:
                    continue
                other_step = node[other, 0]
                # the younger peak (later step) ends at this saddle: the elder rule
                if other_step < root_step:
                    young, young_step, elder, elder_step = root, root_step, other, other_step
                else:
                    young, young_step, elder, elder_step = other, other_step, root, root_step
                prominence = (ascending[m - 1 - young_step] if peaks else -ascending[young_step]) - height
                if prominence >= threshold and prominence > 0:
                    significant[young_step] = True
                node[young, 1] = elder
                root, root_step = elder, elder_step
                pieces -= 1
    # a peak that never merged rises above the lowest pixel of its connected piece: the last one swept
    done = np.zeros(m, dtype=np.bool_)
    s = m - 1
    while pieces > 0 and s >= 0:
        idx = order[s] if peaks else order[m - 1 - s]
        root = _find(node, idx)
        root_step = node[root, 0]
        if not done[root_step]:
            done[root_step] = True
            pieces -= 1
            prominence = (ascending[m - 1 - root_step] - ascending[m - 1 - s]) if peaks \
                else (ascending[s] - ascending[root_step])
            if prominence >= threshold and prominence > 0:
                significant[root_step] = True
        s -= 1
    return significant


def significant_peaks(z: np.ndarray, mask: np.ndarray, threshold: float, order: np.ndarray | None = None) -> np.ndarray:
    """Peaks that survive Wolf pruning at ``threshold``, not on the border of the area.

    Parameters
    ----------
    z : (ny, nx) float ndarray
        Heights.
    mask : (ny, nx) bool ndarray
        Pixels of the evaluation area.
    threshold : float
        Minimum prominence (height of a peak above its saddle), same unit as ``z``.
    order : 1D int ndarray, optional
        Flat indices of the pixels inside ``mask``, highest first (computed when not given).

    Returns
    -------
    peaks : (ny, nx) bool ndarray

    Examples
    --------
    >>> z = np.zeros((7, 9)); z[3, 2] = 2.0; z[3, 6] = 1.0; z[3, 4] = 0.5
    >>> np.argwhere(significant_peaks(z, np.ones_like(z, bool), 0.8)).tolist()
    [[3, 2], [3, 6]]
    """
    flat_z = np.ascontiguousarray(z, dtype=np.float64).ravel()
    if order is None:
        inside = np.flatnonzero(mask)
        order = inside[np.argsort(-flat_z[inside], kind="stable")]
    order = np.ascontiguousarray(order, dtype=np.int32 if flat_z.size < 2**31 else np.int64)
    return _significant(flat_z[order[::-1]], order, mask, threshold, True)


def _significant(ascending: np.ndarray, order: np.ndarray, mask: np.ndarray, threshold: float,
                 peaks: bool) -> np.ndarray:
    """Significant peaks (or pits) off the area's border, as a boolean image.

    Only the few significant peaks leave the rank space: their border test looks at their own
    eight neighbours instead of eroding the whole mask.
    """
    ny, nx = mask.shape
    node = _tree_nodes(order, mask.size, peaks)
    ranks = np.flatnonzero(_significant_steps(ascending, order, node, nx, float(threshold), peaks))
    del node
    y, x = np.divmod(order[ranks if peaks else order.size - 1 - ranks].astype(np.int64), nx)
    inside = (y > 0) & (y < ny - 1) & (x > 0) & (x < nx - 1)
    y, x = y[inside], x[inside]
    interior = np.ones(y.size, dtype=bool)
    for oy in (-1, 0, 1):
        for ox in (-1, 0, 1):
            interior &= mask[y + oy, x + ox]
    found = np.zeros(mask.shape, dtype=bool)
    found[y[interior], x[interior]] = True
    return found


def feature_parameters(ev: Evaluation) -> None:
    """Spd, Spc, Svd, Svc, S5p, S5v, S10z."""
    symbols = ["Spd", "Spc", "Svd", "Svc", "S5p", "S5v", "S10z"]
    if ev.area.n < 9:
        ev.undefined(symbols, "fewer than 9 valid pixels")
        return
    if ev.flat:
        ev.undefined(symbols, "the surface is flat (Sq = 0)")
        return
    z, mask = ev.area.z, ev.area.mask
    threshold = ev.settings.wolf_pruning_pct / 100.0 * ev.sz
    dy, dx = ev.area.pixel_size_nm
    area_um2 = ev.area.n * dy * dx / NM2_PER_UM2
    order, ascending = ev.descending_order, ev.ascending
    # peaks and pits are independent merge trees over the same ranks: run them on two threads
    # (the kernel releases the GIL) where numba may use two
    with ThreadPoolExecutor(max_workers=min(2, numba.get_num_threads())) as pool:
        found = dict(zip("pv", pool.map(lambda peaks: _significant(ascending, order, mask, threshold, peaks),
                                        (True, False))))
    tops = {}
    for kind, sign in (("p", 1.0), ("v", -1.0)):
        where = np.nonzero(found[kind])
        tops[kind] = np.sort(sign * z[where])[::-1]
        ev.set(**{f"S{kind}d": where[0].size / area_um2})
        if where[0].size == 0:
            ev.undefined([f"S{kind}c"], f"no significant {'peak' if kind == 'p' else 'pit'} inside the area")
        else:
            ev.set(**{f"S{kind}c": mean_curvature(sign * z, where, ev.area.pixel_size_nm).mean()})
    for kind, word in (("p", "peaks"), ("v", "pits")):
        if tops[kind].size < 5:
            ev.undefined([f"S5{kind}"], f"only {tops[kind].size} significant {word} (5 needed)")
        else:
            ev.set(**{f"S5{kind}": tops[kind][:5].mean()})
    if ev.values.get("S5p") is None or ev.values.get("S5v") is None:
        ev.undefined(["S10z"], "S5p or S5v is undefined")
    else:
        ev.set(S10z=ev.values["S5p"] + ev.values["S5v"])
