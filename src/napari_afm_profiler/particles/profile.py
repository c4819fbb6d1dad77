"""Height profiles along a line, averaged over a band of a chosen width."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.pixels import pixel_size_pair


@dataclass(frozen=True)
class Profile:
    """Profiles of one or several images along one line.

    Attributes
    ----------
    distance_nm : (n,) ndarray
        Distance from the line's start, nm.
    values : dict of str to (n,) ndarray
        Each image's profile (its own unit).
    start_px, end_px : (float, float)
        The line, in pixel coordinates ``(row, column)``.
    width_px : int
        Width of the band averaged across the line.
    """

    distance_nm: np.ndarray
    values: dict[str, np.ndarray]
    start_px: tuple[float, float]
    end_px: tuple[float, float]
    width_px: int

    def to_pandas(self):  # noqa: ANN201 - pandas is imported lazily
        """Return the profiles as a DataFrame: ``distance_nm`` and one column per image."""
        import pandas as pd

        return pd.DataFrame({"distance_nm": self.distance_nm, **self.values})


def line_profile(images: Mapping[str, np.ndarray] | np.ndarray, start_px: tuple[float, float],
                 end_px: tuple[float, float], *, pixel_size_nm: float | tuple[float, float],
                 width_px: int = 1) -> Profile:
    """Sample images along a straight line, averaging a band ``width_px`` wide across it.

    Parameters
    ----------
    images : ndarray or mapping of str to ndarray
        One image, or several of one shape (raw, deconvolved, ground truth) sampled alike.
    start_px, end_px : (row, column)
        End points of the line in pixel coordinates (both included).
    pixel_size_nm : float or (dy, dx)
        For the distance axis.
    width_px : int, optional
        Width of the averaged band, pixels (1 = the line itself).

    Returns
    -------
    Profile

    Examples
    --------
    >>> import numpy as np
    >>> ramp = np.tile(np.arange(10.0), (5, 1))
    >>> p = line_profile(ramp, (2, 0), (2, 9), pixel_size_nm=0.5)
    >>> p.distance_nm[-1], p.values["image"][[0, -1]].tolist()
    (np.float64(4.5), [0.0, 9.0])
    """
    from skimage.measure import profile_line

    named = {"image": images} if isinstance(images, np.ndarray) else dict(images)
    if not named:
        raise InputError("no image to profile")
    shapes = {np.shape(a) for a in named.values()}
    if len(shapes) > 1:
        raise InputError(f"images differ in shape: {sorted(shapes)}")
    shape = next(iter(shapes))
    if len(shape) != 2:
        raise InputError(f"profiles need 2-D images; got shape {shape}")
    dy, dx = pixel_size_pair(pixel_size_nm, needed_for="a profile in nm")
    if int(width_px) != width_px or width_px < 1:
        raise InputError(f"width_px must be a whole number >= 1; got {width_px!r}")
    for point in (start_px, end_px):
        if not (0 <= point[0] <= shape[0] - 1 and 0 <= point[1] <= shape[1] - 1):
            raise InputError(f"line end {tuple(point)} lies outside the image ({shape[0]} x {shape[1]} px)")
    values = {name: profile_line(np.asarray(a, dtype=np.float64), start_px, end_px, linewidth=int(width_px),
                                 order=1, mode="reflect", reduce_func=np.nanmean)
              for name, a in named.items()}
    n = len(next(iter(values.values())))
    length = float(np.hypot((end_px[0] - start_px[0]) * dy, (end_px[1] - start_px[1]) * dx))
    distance = np.linspace(0.0, length, n)
    return Profile(distance, values, (float(start_px[0]), float(start_px[1])),
                   (float(end_px[0]), float(end_px[1])), int(width_px))


def particle_axis_profiles(images: Mapping[str, np.ndarray] | np.ndarray, labels: np.ndarray, label: int, *,
                           pixel_size_nm: float | tuple[float, float], width_px: int = 1,
                           margin: float = 0.25) -> tuple[Profile, Profile]:
    """Profiles along and across one particle's major axis, through its centroid.

    The axes are those of the particle's second moments in nm (so anisotropic pixels are
    handled); each line spans the particle's extent along it plus ``margin`` of it on both
    sides, clipped to the image.

    Parameters
    ----------
    images : ndarray or mapping of str to ndarray
        Image(s) to sample (raw, deconvolved, ground truth).
    labels : (ny, nx) int ndarray
    label : int
        The particle.
    pixel_size_nm : float or (dy, dx)
    width_px : int, optional
        Band width across each line.
    margin : float, optional
        Extra length beyond the particle on each side, as a fraction of its extent.

    Returns
    -------
    (along, across) : Profile, Profile

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.zeros((40, 60), int); labels[15:25, 10:50] = 1    # 40 px long, 10 px wide
    >>> along, across = particle_axis_profiles(labels * 5.0, labels, 1, pixel_size_nm=1.0, margin=0.0)
    >>> round(float(along.distance_nm[-1])), round(float(across.distance_nm[-1]))
    (39, 9)
    """
    labels = np.asarray(labels)
    dy, dx = pixel_size_pair(pixel_size_nm, needed_for="a profile in nm")
    rows, cols = np.nonzero(labels == label)
    if rows.size == 0:
        raise InputError(f"no particle with label {label}")
    pts = np.c_[rows * dy, cols * dx]
    centre = pts.mean(axis=0)
    if rows.size > 1:
        _, vectors = np.linalg.eigh(np.cov((pts - centre).T))
        major, minor = vectors[:, 1], vectors[:, 0]
    else:
        major, minor = np.array([0.0, 1.0]), np.array([1.0, 0.0])
    shape = labels.shape
    out = []
    for axis in (major, minor):
        extent = (pts - centre) @ axis
        lo, hi = extent.min(), extent.max()
        pad = margin * (hi - lo)
        ends = [centre + (lo - pad) * axis, centre + (hi + pad) * axis]
        ends = [(min(max(e[0] / dy, 0.0), shape[0] - 1.0), min(max(e[1] / dx, 0.0), shape[1] - 1.0)) for e in ends]
        out.append(line_profile(images, ends[0], ends[1], pixel_size_nm=(dy, dx), width_px=width_px))
    return out[0], out[1]
