"""Slope, area and summit parameters: Sdq, Sdr (ISO 25178-2) and Sds, Ssc (Stout et al.).

Sdq uses the forward differences between neighbouring pixels (Stout et al. 1993), each
direction averaged over its own pixel pairs, and only pairs with both pixels in the evaluation
area. Sdr triangulates each pixel cell whose four corners lie in the area, averaging its two
triangulations (along either diagonal), so nothing outside a region leaks in.
"""

from __future__ import annotations

import numpy as np

from napari_afm_profiler.roughness.evaluation import Evaluation

NM2_PER_UM2 = 1e6


def rms_gradient(z: np.ndarray, mask: np.ndarray, pixel_size_nm: tuple[float, float]) -> float | None:
    """Root-mean-square gradient Sdq from forward differences inside the mask.

    Parameters
    ----------
    z : (ny, nx) float ndarray, nm
    mask : (ny, nx) bool ndarray
    pixel_size_nm : (dy, dx)

    Returns
    -------
    sdq : float or None
        None when no pair of neighbouring pixels lies inside the mask.
    """
    dy, dx = pixel_size_nm
    sums = np.zeros(2)
    counts = np.zeros(2, dtype=np.int64)
    for rows in _row_blocks(z.shape[0], overlap=1):
        zb, mb = z[rows], mask[rows]
        last = rows.stop == z.shape[0]
        # x pairs of every row of the block except its overlap row (counted by the next block)
        xr = slice(None) if last else slice(0, -1)
        diff = np.diff(zb[xr], axis=1)
        pair = mb[xr][:, 1:] & mb[xr][:, :-1]
        sums[0] += np.einsum("ij,ij->", diff, diff * pair)
        counts[0] += np.count_nonzero(pair)
        diff = np.diff(zb, axis=0)
        pair = mb[1:] & mb[:-1]
        sums[1] += np.einsum("ij,ij->", diff, diff * pair)
        counts[1] += np.count_nonzero(pair)
    if not counts.any():
        return None
    steps = np.array([dx, dy])
    return float(np.sqrt(sum(sums[k] / counts[k] / steps[k] ** 2 for k in range(2) if counts[k])))


def developed_area_ratio(z: np.ndarray, mask: np.ndarray, pixel_size_nm: tuple[float, float]) -> float | None:
    """Developed interfacial area ratio Sdr (%) of the pixel cells fully inside the mask.

    Each cell's area is the mean of its two triangulations; each triangulation is two of the
    four corner triangles spanned by a corner's x edge and y edge, so the cell area is half
    the sum of the four corner triangles.

    Parameters
    ----------
    z : (ny, nx) float ndarray, nm
    mask : (ny, nx) bool ndarray
    pixel_size_nm : (dy, dx)

    Returns
    -------
    sdr : float or None
        None when no 2 x 2 cell lies inside the mask.
    """
    dy, dx = pixel_size_nm
    total, count = 0.0, 0
    for rows in _row_blocks(z.shape[0], overlap=1):
        zb, mb = z[rows], mask[rows]
        inside = mb[:-1, :-1] & mb[1:, :-1] & mb[:-1, 1:] & mb[1:, 1:]
        if not inside.any():
            continue
        # edge slopes of each cell: bottom/top x edges, left/right y edges
        sx = np.diff(zb, axis=1) / dx
        sy = np.diff(zb, axis=0) / dy
        bottom, top = sx[:-1, :][inside], sx[1:, :][inside]
        left, right = sy[:, :-1][inside], sy[:, 1:][inside]
        # a corner triangle with slopes (a, b) has area (dx dy / 2) sqrt(1 + a^2 + b^2)
        corners = (np.sqrt(1 + bottom**2 + left**2) + np.sqrt(1 + bottom**2 + right**2)
                   + np.sqrt(1 + top**2 + left**2) + np.sqrt(1 + top**2 + right**2))
        total += corners.sum()
        count += corners.size
    if count == 0:
        return None
    return float(100.0 * (total / count / 4.0 - 1.0))


def _row_blocks(ny: int, overlap: int, rows: int = 1024) -> list[slice]:
    """Row slices of at most ``rows`` + ``overlap`` rows that overlap by ``overlap`` (bounded memory)."""
    return [slice(start, min(start + rows + overlap, ny)) for start in range(0, max(ny - overlap, 1), rows)]


def hybrid_parameters(ev: Evaluation) -> None:
    """Sdq and Sdr."""
    z, mask, px = ev.area.z, ev.area.mask, ev.area.pixel_size_nm
    sdq = rms_gradient(z, mask, px)
    sdr = developed_area_ratio(z, mask, px)
    if sdq is None:
        ev.undefined(["Sdq"], "no two neighbouring pixels lie inside the area")
    if sdr is None:
        ev.undefined(["Sdr"], "no 2 x 2 pixel cell lies inside the area")
    ev.set(Sdq=sdq, Sdr=sdr)


def local_maxima(z: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Pixels higher than all eight neighbours, all nine inside the mask (border pixels excluded).

    Parameters
    ----------
    z : (ny, nx) float ndarray
    mask : (ny, nx) bool ndarray

    Returns
    -------
    maxima : (ny, nx) bool ndarray
    """
    out = np.zeros_like(mask)
    if z.shape[0] < 3 or z.shape[1] < 3:
        return out
    c = z[1:-1, 1:-1]
    keep = mask[1:-1, 1:-1].copy()
    ny, nx = z.shape
    for oy in (-1, 0, 1):
        for ox in (-1, 0, 1):
            if oy == 0 and ox == 0:
                continue
            sl = (slice(1 + oy, ny - 1 + oy), slice(1 + ox, nx - 1 + ox))
            keep &= mask[sl] & (c > z[sl])
    out[1:-1, 1:-1] = keep
    return out


def mean_curvature(z: np.ndarray, points: np.ndarray, pixel_size_nm: tuple[float, float]) -> np.ndarray:
    """-(d2z/dx2 + d2z/dy2) / 2 at interior pixels ``points`` (a tuple of index arrays), 1/nm."""
    dy, dx = pixel_size_nm
    py, px = points
    zxx = (z[py, px + 1] - 2.0 * z[py, px] + z[py, px - 1]) / dx**2
    zyy = (z[py + 1, px] - 2.0 * z[py, px] + z[py - 1, px]) / dy**2
    return -0.5 * (zxx + zyy)


def summit_parameters(ev: Evaluation) -> None:
    """Sds (summits per square micrometre) and Ssc (mean summit curvature)."""
    if ev.area.n == 0:
        ev.undefined(["Sds", "Ssc"], "the area has no valid pixels")
        return
    if ev.flat:
        ev.undefined(["Sds", "Ssc"], "the surface is flat (Sq = 0)")
        return
    summits = np.nonzero(local_maxima(ev.area.z, ev.area.mask))
    dy, dx = ev.area.pixel_size_nm
    area_um2 = ev.area.n * dy * dx / NM2_PER_UM2
    ev.set(Sds=summits[0].size / area_um2)
    if summits[0].size == 0:
        ev.undefined(["Ssc"], "no summit inside the area")
    else:
        ev.set(Ssc=mean_curvature(ev.area.z, summits, ev.area.pixel_size_nm).mean())
