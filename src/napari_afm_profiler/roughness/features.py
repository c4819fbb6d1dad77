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
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@numba.njit(cache=True, nogil=True)
def _prominences(z: np.ndarray, order: np.ndarray, nx: int) -> np.ndarray:
    """Prominence of every pixel as a peak (0 for pixels that are not peaks) over ``order``."""
    n = z.size
    ny = n // nx
    parent = np.full(n, -1, dtype=np.int32)
    peak = np.zeros(n, dtype=np.int32)
    prominence = np.zeros(n)
    for idx in order:
        parent[idx] = idx
        peak[idx] = idx
        y = idx // nx
        x = idx - y * nx
        for oy in range(-1, 2):
            for ox in range(-1, 2):
                yy = y + oy
                xx = x + ox
                if (oy == 0 and ox == 0) or yy < 0 or yy >= ny or xx < 0 or xx >= nx:
                    continue
                j = yy * nx + xx
                if parent[j] < 0:
                    continue
                ri = _find(parent, idx)
                rj = _find(parent, j)
                if ri == rj:
                    continue
                pi = peak[ri]
                pj = peak[rj]
                if z[pi] > z[pj] or (z[pi] == z[pj] and pi < pj):
                    winner, loser = ri, rj
                else:
                    winner, loser = rj, ri
                prominence[peak[loser]] = z[peak[loser]] - z[idx]
                parent[loser] = winner
    # a peak that never merged rises above the lowest pixel of its connected piece: walking the
    # order backwards, the first pixel met of each piece is its lowest
    done = np.zeros(n, dtype=np.bool_)
    for k in range(order.size - 1, -1, -1):
        idx = order[k]
        r = _find(parent, idx)
        if not done[r]:
            done[r] = True
            prominence[peak[r]] = z[peak[r]] - z[idx]
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
    prominence = _prominences(flat_z, order, z.shape[1]).reshape(z.shape)
    peaks = (prominence >= threshold) & (prominence > 0) & mask
    padded = np.pad(mask, 1, constant_values=False)
    interior = mask.copy()
    for oy in (-1, 0, 1):
        for ox in (-1, 0, 1):
            interior &= padded[1 + oy : 1 + oy + z.shape[0], 1 + ox : 1 + ox + z.shape[1]]
    return peaks & interior


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
        found = dict(zip("pv", pool.map(lambda args: significant_peaks(*args), [
            (z, mask, threshold, order), (-z, mask, threshold, np.ascontiguousarray(order[::-1]))])))
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
