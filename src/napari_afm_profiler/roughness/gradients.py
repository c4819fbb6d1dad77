"""Slope, area and summit parameters: Sdq, Sdr (ISO 25178-2) and Sds, Ssc (Stout et al.).

Sdq uses the forward differences between neighbouring pixels (Stout et al. 1993), each
direction averaged over its own pixel pairs, and only pairs with both pixels in the evaluation
area. Sdr triangulates each pixel cell whose four corners lie in the area, averaging its two
triangulations (along either diagonal), so nothing outside a region leaks in.
"""

from __future__ import annotations

import numba
import numpy as np

from napari_afm_profiler.roughness.evaluation import Evaluation

NM2_PER_UM2 = 1e6


@numba.njit(cache=True, nogil=True)
def _slope_sums(z: np.ndarray, mask: np.ndarray, dy: float, dx: float) -> tuple[float, int, float, int, float, int]:
    """Sum, in one pass over the area, what Sdq and Sdr need.

    Returns the squared x and y differences of neighbouring pixels both inside the mask (sums
    and counts), and the summed corner-triangle areas of the cells whose four corners are inside.
    """
    ny, nx = z.shape
    sx, nsx, sy, nsy, corners, cells = 0.0, 0, 0.0, 0, 0.0, 0
    for i in range(ny):
        for j in range(nx):
            if not mask[i, j]:
                continue
            right_in = j + 1 < nx and mask[i, j + 1]
            below_in = i + 1 < ny and mask[i + 1, j]
            if right_in:
                d = z[i, j + 1] - z[i, j]
                sx += d * d
                nsx += 1
            if below_in:
                d = z[i + 1, j] - z[i, j]
                sy += d * d
                nsy += 1
            if right_in and below_in and mask[i + 1, j + 1]:
                # edge slopes of the cell: its two x edges (rows i, i + 1), its two y edges (columns j, j + 1);
                # a corner triangle with slopes (a, b) has area (dx dy / 2) sqrt(1 + a^2 + b^2)
                bottom = (z[i, j + 1] - z[i, j]) / dx
                top = (z[i + 1, j + 1] - z[i + 1, j]) / dx
                left = (z[i + 1, j] - z[i, j]) / dy
                right = (z[i + 1, j + 1] - z[i, j + 1]) / dy
                corners += (np.sqrt(1.0 + bottom * bottom + left * left) + np.sqrt(1.0 + bottom * bottom + right * right)
                            + np.sqrt(1.0 + top * top + left * left) + np.sqrt(1.0 + top * top + right * right))
                cells += 1
    return sx, nsx, sy, nsy, corners, cells


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
    return _hybrid(z, mask, pixel_size_nm)[0]


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
    return _hybrid(z, mask, pixel_size_nm)[1]


def _hybrid(z: np.ndarray, mask: np.ndarray, pixel_size_nm: tuple[float, float]) -> tuple[float | None, float | None]:
    """(Sdq, Sdr) of the area, from one pass (None where undefined)."""
    dy, dx = (float(v) for v in pixel_size_nm)
    sx, nsx, sy, nsy, corners, cells = _slope_sums(np.ascontiguousarray(z, dtype=np.float64),
                                                   np.ascontiguousarray(mask, dtype=np.bool_), dy, dx)
    terms = [total / n / step**2 for total, n, step in ((sx, nsx, dx), (sy, nsy, dy)) if n]
    sdq = float(np.sqrt(sum(terms))) if terms else None
    sdr = float(100.0 * (corners / cells / 4.0 - 1.0)) if cells else None
    return sdq, sdr


def hybrid_parameters(ev: Evaluation) -> None:
    """Sdq and Sdr."""
    z, mask, px = ev.area.z, ev.area.mask, ev.area.pixel_size_nm
    sdq, sdr = _hybrid(z, mask, px)
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
