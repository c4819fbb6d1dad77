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
def _ranks(order: np.ndarray, n: int) -> np.ndarray:
    """Rank of each of ``n`` pixels in ``order`` (-1 for pixels not in it)."""
    rank = np.full(n, -1, dtype=order.dtype)
    for r in range(order.size):
        rank[order[r]] = r
    return rank


@numba.njit(cache=True, nogil=True)
def _significant_ranks(ascending: np.ndarray, order: np.ndarray, rank: np.ndarray, nx: int, threshold: float,
                       peaks: bool) -> np.ndarray:
    """Which ranks are significant peaks (``peaks``) or pits of an area.

    ``order`` lists the area's pixels (flat indices in an image ``nx`` wide) highest first, ties
    in any fixed order; ``rank`` is its inverse (:func:`_ranks`) and ``ascending`` the heights in
    the reverse order (``z[order[::-1]]``, shared with the material ratio curve); pits walk the
    same order backwards, so both trees read one array of heights, sequentially.  In ranks the elder of two
    peaks is simply the one of lower rank, so each piece's root is its peak, and a piece's last
    pixel is its lowest.  A peak is significant when its prominence (height above the saddle
    where it meets an elder peak, or above its piece's lowest pixel) is at least ``threshold``
    and above 0.  Memory: three index arrays and one flag per pixel, nothing else.
    """
    m = order.size
    ny = rank.size // nx
    parent = np.empty_like(order)
    lowest = np.empty_like(order)
    significant = np.zeros(m, dtype=np.bool_)
    for r in range(m):
        idx = order[r] if peaks else order[m - 1 - r]
        height = ascending[m - 1 - r] if peaks else -ascending[r]
        parent[r] = r
        root = r
        y = idx // nx
        x = idx - y * nx
        for yy in range(max(y - 1, 0), min(y + 1, ny - 1) + 1):
            for xx in range(max(x - 1, 0), min(x + 1, nx - 1) + 1):
                q = rank[yy * nx + xx]
                if q < 0:  # outside the area
                    continue
                if not peaks:
                    q = m - 1 - q
                if q >= r:  # not reached yet (or the pixel itself)
                    continue
                other = _find(parent, q)
                if other == root:
                    continue
                # the younger peak (higher rank) ends at this saddle: the elder rule
                young, elder = (other, root) if root < other else (root, other)
                prominence = (ascending[m - 1 - young] if peaks else -ascending[young]) - height
                if prominence >= threshold and prominence > 0:
                    significant[young] = True
                parent[young] = elder
                root = elder
        lowest[root] = r
    # a peak that never merged rises above the lowest pixel of its connected piece
    for r in range(m):
        if parent[r] == r:
            low = lowest[r]
            prominence = (ascending[m - 1 - r] - ascending[m - 1 - low]) if peaks else (ascending[low] - ascending[r])
            if prominence >= threshold and prominence > 0:
                significant[r] = True
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
    return _significant(flat_z[order[::-1]], order, _ranks(order, flat_z.size), mask, threshold, True)


def _significant(ascending: np.ndarray, order: np.ndarray, rank: np.ndarray, mask: np.ndarray, threshold: float,
                 peaks: bool) -> np.ndarray:
    """Significant peaks (or pits) off the area's border, as a boolean image.

    Only the few significant peaks leave the rank space: their border test looks at their own
    eight neighbours instead of eroding the whole mask.
    """
    ny, nx = mask.shape
    ranks = np.flatnonzero(_significant_ranks(ascending, order, rank, nx, float(threshold), peaks))
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
    rank = _ranks(order, z.size)
    # peaks and pits are independent merge trees over the same ranks: run them on two threads
    # (the kernel releases the GIL) where numba may use two
    with ThreadPoolExecutor(max_workers=min(2, numba.get_num_threads())) as pool:
        found = dict(zip("pv", pool.map(lambda peaks: _significant(ascending, order, rank, mask, threshold, peaks),
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
