"""Per-particle measurements in nm: heights above the substrate, area, volume, Feret diameters, shape.

Areas count whole pixels (``dy * dx`` each); Feret diameters are those of the convex hull of
the particles' pixel *corners*, so a box of ``w x h`` pixels measures exactly ``w dx`` and
``h dy`` (minimum Feret by rotating calipers over the hull's edges).  The volume is, by
default, the sum of the (positive) heights above the substrate times the pixel area: the
midpoint rule over the particle's pixels.  ``volume="interpolated"`` gives Gwyddion's zero-based
grain volume instead: each pixel's square integrated over a surface interpolated from its 3 x 3
neighbourhood (weights 26/48 for the pixel, 5/48 for each edge neighbour and 1/96 for each
corner neighbour, the image edge extended by its nearest pixel), negative parts included.  Those
weights were established by black-box comparison with Gwyddion 2.62 (single pixels, lines,
blocks and edge pixels; ``benchmarks/compare_particles_gwyddion.py``), not from its code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np
from scipy import ndimage as ndi

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.pixels import pixel_size_pair

#: every column of a particle table, in order, with its unit
PARTICLE_COLUMNS = {
    "label": "", "area_nm2": "nm²", "equivalent_radius_nm": "nm", "equivalent_diameter_nm": "nm",
    "max_height_nm": "nm", "mean_height_nm": "nm", "volume_nm3": "nm³", "min_feret_nm": "nm", "max_feret_nm": "nm",
    "aspect_ratio": "1", "centroid_y_nm": "nm", "centroid_x_nm": "nm", "bbox_y0": "px", "bbox_x0": "px",
    "bbox_y1": "px", "bbox_x1": "px", "touches_edge": "",
}


#: how a particle's volume is integrated (see :func:`measure_particles`)
VOLUME_METHODS = ("pixels", "interpolated")
_GWYDDION_VOLUME_WEIGHTS = np.array([[0.5, 5.0, 0.5], [5.0, 26.0, 5.0], [0.5, 5.0, 0.5]]) / 48.0


@dataclass(frozen=True)
class ParticleTable:
    """One row per particle (``label`` = its id in the labels image).

    Attributes
    ----------
    columns : dict of str to ndarray
        :data:`PARTICLE_COLUMNS`; ``aspect_ratio`` is the equivalent diameter over the
        maximum height (the paper's diameter/height ratio).
    substrate_nm : float
        The level heights and volumes are measured from.
    notes : tuple of str
    """

    columns: dict[str, np.ndarray]
    substrate_nm: float
    notes: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.columns["label"])

    def to_pandas(self):  # noqa: ANN201 - pandas is imported lazily
        """Return the table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.columns)


@numba.njit(cache=True, nogil=True)
def _ferets(mask: np.ndarray, dy: float, dx: float) -> tuple[float, float]:
    """(minimum, maximum) Feret diameter of one particle's pixel mask, in nm.

    The convex hull of the pixel squares is that of the outer corners of each row's first and
    last pixel (Andrew's monotone chain); the maximum Feret diameter is the longest distance
    between two hull vertices, the minimum the smallest width over the hull's edge directions
    (the minimum width of a convex polygon is attained with one side on a caliper).
    """
    ny, nx = mask.shape
    pts = np.empty((4 * ny, 2))
    n = 0
    for r in range(ny):
        first, last = -1, -1
        for c in range(nx):
            if mask[r, c]:
                if first < 0:
                    first = c
                last = c
        if first >= 0:
            for y, x in ((r, first), (r + 1, first), (r, last + 1), (r + 1, last + 1)):
                pts[n, 0], pts[n, 1] = y, x  # pixel-corner grid; scaled to nm once the hull is known
                n += 1
    pts = pts[:n]
    pts = pts[np.argsort(pts[:, 1] * (ny + 2.0) + pts[:, 0], kind="mergesort")]  # by x, then y (exact integers)
    hull = np.empty((2 * n + 1, 2))
    k = 0
    for sweep in range(2):  # lower hull left to right, then upper hull right to left
        start = k
        for i in range(n):
            p = pts[i] if sweep == 0 else pts[n - 1 - i]
            while k >= start + 2 and ((hull[k - 1, 1] - hull[k - 2, 1]) * (p[0] - hull[k - 2, 0])
                                      - (hull[k - 1, 0] - hull[k - 2, 0]) * (p[1] - hull[k - 2, 1])) <= 0.0:
                k -= 1
            hull[k] = p
            k += 1
        k -= 1  # the last point of each chain is the first of the other
    hull = hull[:k]
    hull[:, 0] *= dy  # scaling the axes keeps a convex polygon convex
    hull[:, 1] *= dx
    largest = 0.0
    for i in range(k):
        for j in range(i + 1, k):
            largest = max(largest, np.hypot(hull[i, 0] - hull[j, 0], hull[i, 1] - hull[j, 1]))
    smallest = np.inf
    for i in range(k):
        ey, ex = hull[(i + 1) % k, 0] - hull[i, 0], hull[(i + 1) % k, 1] - hull[i, 1]
        length = np.hypot(ey, ex)
        if length == 0.0:
            continue
        width = 0.0
        for j in range(k):
            width = max(width, abs(ex * (hull[j, 0] - hull[i, 0]) - ey * (hull[j, 1] - hull[i, 1])) / length)
        smallest = min(smallest, width)
    return smallest, largest


def measure_particles(
    height: np.ndarray,
    labels: np.ndarray,
    *,
    pixel_size_nm: float | tuple[float, float],
    substrate_nm: float = 0.0,
    volume: str = "pixels",
) -> ParticleTable:
    """Measure every labelled particle of a height map.

    Parameters
    ----------
    height : (ny, nx) array_like, nm
        Heights; NaN pixels count in the area but not in heights or volume.
    labels : (ny, nx) int ndarray
        0 = substrate, 1.. = particles (e.g. :func:`segment_particles`).
    pixel_size_nm : float or (dy, dx)
    substrate_nm : float, optional
        Level the heights and the volume are measured from.
    volume : {"pixels", "interpolated"}, optional
        ``pixels``: the positive heights above the substrate summed over the particle's pixels,
        times the pixel area; ``interpolated``: Gwyddion's zero-based grain volume (see the module
        notes), for results comparable with Gwyddion's grain statistics.

    Returns
    -------
    ParticleTable

    Examples
    --------
    >>> import numpy as np
    >>> z = np.zeros((20, 30)); labels = np.zeros((20, 30), int)
    >>> z[5:9, 4:14] = 3.0; labels[5:9, 4:14] = 1           # a 4 x 10 px box, 3 nm high
    >>> t = measure_particles(z, labels, pixel_size_nm=2.0)
    >>> [float(t.columns[k][0]) for k in ("area_nm2", "volume_nm3", "min_feret_nm", "max_feret_nm")]
    [160.0, 480.0, 8.0, 21.540659228538015]
    """
    z = np.asarray(height, dtype=np.float64)
    labels = np.asarray(labels)
    if z.ndim != 2 or labels.shape != z.shape:
        raise InputError(f"heights {z.shape} and labels {labels.shape} must be 2-D maps of one shape")
    if labels.dtype.kind not in "iub":
        raise InputError(f"labels must be integers; got {labels.dtype}")
    if labels.size and labels.min() < 0:
        raise InputError("labels must be >= 0 (0 = substrate)")
    if volume not in VOLUME_METHODS:
        raise InputError(f"volume must be one of {VOLUME_METHODS}; got {volume!r}")
    dy, dx = pixel_size_pair(pixel_size_nm, needed_for="particle measurements")
    labels = labels.astype(np.int64)
    boxes = ndi.find_objects(labels)
    ids = np.array([i + 1 for i, b in enumerate(boxes) if b is not None], dtype=np.int64)
    notes = [] if ids.size else ["the labels contain no particle"]
    # only the particles' pixels are visited (a few % of a large image), with bincount sums
    inside = labels > 0
    lab = labels[inside]
    above = z[inside] - float(substrate_nm)
    finite = np.isfinite(above)
    zero = np.where(finite, above, 0.0)
    size = int(labels.max()) + 1 if labels.size else 1
    pixels = np.bincount(lab, minlength=size)[ids].astype(np.float64)
    n_finite = np.bincount(lab, weights=finite.astype(np.float64), minlength=size)[ids]
    area = pixels * dy * dx
    radius = np.sqrt(area / np.pi)
    top_all = np.full(size, -np.inf)
    np.maximum.at(top_all, lab[finite], above[finite])
    top = top_all[ids]
    total = np.bincount(lab, weights=zero, minlength=size)[ids]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_finite > 0, total / n_finite, np.nan)
        aspect = np.where(top > 0, 2 * radius / top, np.nan)
    if volume == "pixels":
        volumes = np.bincount(lab, weights=np.maximum(zero, 0.0), minlength=size)[ids] * dy * dx
    else:
        smooth = ndi.correlate(np.where(np.isfinite(z), z - float(substrate_nm), 0.0), _GWYDDION_VOLUME_WEIGHTS,
                               mode="nearest")
        volumes = np.bincount(lab, weights=smooth[inside], minlength=size)[ids] * dy * dx
    rows, cols = np.nonzero(inside)
    with np.errstate(invalid="ignore", divide="ignore"):
        centroid = np.c_[np.bincount(lab, weights=rows, minlength=size)[ids] / pixels,
                         np.bincount(lab, weights=cols, minlength=size)[ids] / pixels] if ids.size else np.zeros((0, 2))
    ny, nx = z.shape
    feret_min, feret_max, bbox, edge = [], [], [], []
    for lab in ids:
        box = boxes[lab - 1]
        region = labels[box] == lab
        lo, hi = _ferets(np.ascontiguousarray(region), float(dy), float(dx))
        feret_min.append(lo)
        feret_max.append(hi)
        y0, x0, y1, x1 = box[0].start, box[1].start, box[0].stop, box[1].stop
        bbox.append((y0, x0, y1, x1))
        edge.append(y0 == 0 or x0 == 0 or y1 == ny or x1 == nx)
    bbox_arr = np.array(bbox, dtype=np.int64).reshape(-1, 4)
    top = np.where(np.isfinite(top), top, np.nan)
    columns = {
        "label": ids, "area_nm2": area, "equivalent_radius_nm": radius, "equivalent_diameter_nm": 2 * radius,
        "max_height_nm": top, "mean_height_nm": mean, "volume_nm3": volumes,
        "min_feret_nm": np.array(feret_min), "max_feret_nm": np.array(feret_max), "aspect_ratio": aspect,
        # centre of each pixel: (index + 0.5) * size
        "centroid_y_nm": (centroid[:, 0] + 0.5) * dy, "centroid_x_nm": (centroid[:, 1] + 0.5) * dx,
        "bbox_y0": bbox_arr[:, 0], "bbox_x0": bbox_arr[:, 1], "bbox_y1": bbox_arr[:, 2], "bbox_x1": bbox_arr[:, 3],
        "touches_edge": np.array(edge, dtype=bool),
    }
    return ParticleTable(columns, float(substrate_nm), tuple(notes))


def match_particles(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    """For each particle of ``reference``, the particle of ``other`` it overlaps most (0 = none).

    Used to measure the same particles on a raw and a deconvolved image (segmented each on
    its own, matched by overlap instead of relabelled independently).

    Parameters
    ----------
    reference, other : (ny, nx) int ndarray
        Labels images of one shape.

    Returns
    -------
    match : (reference.max() + 1,) int ndarray
        ``match[k]`` = the label in ``other`` for reference particle ``k`` (``match[0]`` = 0).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1, 1, 0, 2, 2]]); b = np.array([[0, 3, 3, 0, 1]])
    >>> match_particles(a, b).tolist()
    [0, 3, 1]
    """
    reference, other = np.asarray(reference, np.int64), np.asarray(other, np.int64)
    if reference.shape != other.shape:
        raise InputError(f"labels of shapes {reference.shape} and {other.shape} cannot be matched")
    match = np.zeros(int(reference.max()) + 1 if reference.size else 1, dtype=np.int64)
    both = (reference > 0) & (other > 0)
    if not both.any():
        return match
    pairs, counts = np.unique(np.c_[reference[both], other[both]], axis=0, return_counts=True)
    order = np.lexsort((-counts, pairs[:, 0]))  # per reference label, the largest overlap first
    pairs = pairs[order]
    first = np.r_[True, pairs[1:, 0] != pairs[:-1, 0]]
    match[pairs[first, 0]] = pairs[first, 1]
    return match
