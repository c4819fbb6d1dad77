"""Slope, area and summit parameters: Sdq, Sdr (ISO 25178-2) and Sds, Ssc (Stout et al.).

Slopes come from pixel cells (four neighbouring pixels) whose four corners all lie in the
evaluation area, so nothing outside a region leaks in. The gradient of a cell is the mean of
its two edge differences in each direction, i.e. the central difference at the cell centre.
"""

from __future__ import annotations

import numpy as np

from napari_afm_profiler.roughness.evaluation import Evaluation

NM2_PER_UM2 = 1e6


def cell_gradients(z: np.ndarray, mask: np.ndarray, pixel_size_nm: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of the pixel cells that lie fully inside the mask.

    Parameters
    ----------
    z : (ny, nx) float ndarray, nm
        Heights.
    mask : (ny, nx) bool ndarray
        Pixels of the evaluation area.
    pixel_size_nm : (dy, dx)
        Pixel size, nm.

    Returns
    -------
    gy, gx : 1D float ndarrays
        dz/dy and dz/dx of each cell inside the area (dimensionless).
    """
    dy, dx = pixel_size_nm
    inside = mask[:-1, :-1] & mask[1:, :-1] & mask[:-1, 1:] & mask[1:, 1:]
    gx = ((z[:-1, 1:] - z[:-1, :-1]) + (z[1:, 1:] - z[1:, :-1]))[inside] / (2.0 * dx)
    gy = ((z[1:, :-1] - z[:-1, :-1]) + (z[1:, 1:] - z[:-1, 1:]))[inside] / (2.0 * dy)
    return gy, gx


def hybrid_parameters(ev: Evaluation) -> None:
    """Sdq and Sdr."""
    gy, gx = cell_gradients(ev.area.z, ev.area.mask, ev.area.pixel_size_nm)
    if gx.size == 0:
        ev.undefined(["Sdq", "Sdr"], "no 2 x 2 pixel cell lies inside the area")
        return
    g2 = gx * gx + gy * gy
    ev.set(Sdq=np.sqrt(g2.mean()), Sdr=100.0 * (np.sqrt(1.0 + g2).mean() - 1.0))


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
