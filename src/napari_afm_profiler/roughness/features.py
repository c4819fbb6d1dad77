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

from napari_afm_profiler.roughness.evaluation import Evaluation
from napari_afm_profiler.roughness.gradients import NM2_PER_UM2, mean_curvature

PARALLEL_LIMIT_PX = 16_000_000


@numba.njit(cache=True, nogil=True)
def _find(parent: np.ndarray, i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:  # full path compression
        nxt = parent[i]
        parent[i] = root
        i = nxt
    return root


@numba.njit(cache=True, nogil=True)
def _ranked_prominences(order: np.ndarray, heights: np.ndarray, nx: int, n: int) -> np.ndarray:
    """Prominence of each pixel of ``order`` as a peak (0 where it is none), in the order's ranks.

    ``order`` lists the flat indices of the area's pixels, highest first (ties in any fixed
    order), ``heights`` their heights in that order, ``nx`` the row length and ``n`` the image
    size.  Working in ranks, the elder of two peaks is simply the one of lower rank, so each
    piece's root is its peak; a piece's last pixel is its lowest.  The arrays touched for each
    new pixel are its rank's own entries and its 3 x 3 neighbours' ranks: memory-friendly.
    """
    m = order.size
    ny = n // nx
    rank = np.full(n, -1, dtype=np.int32)
    for r in range(m):
        rank[order[r]] = r
    parent = np.empty(m, dtype=np.int32)
    lowest = np.empty(m, dtype=np.int32)
    prominence = np.zeros(m)
    for r in range(m):
        idx = order[r]
        parent[r] = r
        root = r
        y = idx // nx
        x = idx - y * nx
        for yy in range(max(y - 1, 0), min(y + 1, ny - 1) + 1):
            for xx in range(max(x - 1, 0), min(x + 1, nx - 1) + 1):
                q = rank[yy * nx + xx]
                if q < 0 or q >= r:  # outside the area, or not reached yet (or the pixel itself)
                    continue
                other = _find(parent, q)
                if other == root:
                    continue
                # the younger peak (higher rank) ends at this saddle: the elder rule
                if root < other:
                    prominence[other] = heights[other] - heights[r]
                    parent[other] = root
                else:
                    prominence[root] = heights[root] - heights[r]
                    parent[root] = other
                    root = other
        lowest[root] = r
    # a peak that never merged rises above the lowest pixel of its connected piece
    for r in range(m):
        if parent[r] == r:
            prominence[r] = heights[r] - heights[lowest[r]]
    return prominence


def _prominences(z: np.ndarray, order: np.ndarray, nx: int) -> np.ndarray:
    """Prominence of every pixel of the flat height array ``z`` as a peak, over ``order`` (highest first)."""
    order = np.ascontiguousarray(order, dtype=np.int32 if z.size < 2**31 else np.int64)
    prominence = np.zeros(z.size)
    prominence[order] = _ranked_prominences(order, z[order], nx, z.size)
    return prominence


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
    return _significant(flat_z, order, mask, threshold)


def _significant(flat_z: np.ndarray, order: np.ndarray, mask: np.ndarray, threshold: float,
                 sign: float = 1.0) -> np.ndarray:
    """:func:`significant_peaks` of ``sign * z`` (pits with -1), ``order`` highest first in that sign.

    Only the few significant peaks leave the rank space: their border test looks at their own
    eight neighbours instead of eroding the whole mask.
    """
    ny, nx = mask.shape
    order = np.ascontiguousarray(order, dtype=np.int32 if flat_z.size < 2**31 else np.int64)
    heights = flat_z[order]
    if sign < 0:
        np.negative(heights, out=heights)
    prominence = _ranked_prominences(order, heights, nx, flat_z.size)
    y, x = np.divmod(order[(prominence >= threshold) & (prominence > 0)].astype(np.int64), nx)
    inside = (y > 0) & (y < ny - 1) & (x > 0) & (x < nx - 1)
    y, x = y[inside], x[inside]
    interior = np.ones(y.size, dtype=bool)
    for oy in (-1, 0, 1):
        for ox in (-1, 0, 1):
            interior &= mask[y + oy, x + ox]
    peaks = np.zeros(mask.shape, dtype=bool)
    peaks[y[interior], x[interior]] = True
    return peaks


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
    order = ev.descending_order
    # peaks and pits are independent merge trees: run them on two threads (the kernel releases the
    # GIL) where numba may use two, except on huge areas, where one tree at a time keeps memory down
    workers = 1 if ev.area.n > PARALLEL_LIMIT_PX else min(2, numba.get_num_threads())
    with ThreadPoolExecutor(max_workers=workers) as pool:
        flat = np.ascontiguousarray(z, dtype=np.float64).ravel()
        found = dict(zip("pv", pool.map(lambda args: _significant(*args), [
            (flat, order, mask, threshold, 1.0), (flat, order[::-1], mask, threshold, -1.0)])))
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
