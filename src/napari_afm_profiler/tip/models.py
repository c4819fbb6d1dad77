"""Tip models sampled on a pixel grid: cone, pyramid, paraboloid, sphere, cylinder, or any array.

Every model is a height profile ``p(y, x) >= 0`` of the tip surface above its apex,
evaluated exactly at the pixel centres (the apex sits on the centre pixel, so an apex
radius smaller than a pixel is still sampled correctly) and stored in the dilation
convention ``T = -p``.  Pixels where the tip has no material (outside a sphere or a
cylinder) are NaN; they never touch the surface.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.pixels import pixel_size_pair

#: largest tip half-width in pixels the automatic sizing will choose
MAX_HALF_WIDTH = 1024


class TipResampledWarning(UserWarning):
    """A tip made for one pixel size was resampled to the image's pixel size."""


class TipOffCentreWarning(UserWarning):
    """A tip array's maximum is not its centre pixel."""


@dataclass(frozen=True)
class Tip:
    """A tip sampled on a pixel grid.

    Attributes
    ----------
    heights : (n, n) float ndarray, nm
        Dilation-convention heights: apex = maximum (0) at the centre pixel, NaN where
        the tip has no material.
    pixel_size_nm : (dy, dx) or None
        Grid spacing the tip was sampled on.
    shape : str
        Model name (``cone``, ``pyramid``, ``paraboloid``, ``sphere``, ``cylinder``) or
        ``array`` for a tip from an image or an estimate.
    parameters : dict
        Model parameters (nm, degrees), enough to sample it again on another grid.
    """

    heights: np.ndarray
    pixel_size_nm: tuple[float, float] | None
    shape: str = "array"
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Tip width in pixels (odd)."""
        return int(self.heights.shape[0])


def _pair(pixel_size_nm: float | tuple[float, float]) -> tuple[float, float]:
    return pixel_size_pair(pixel_size_nm, needed_for="a tip on the image grid")


def _cone(y: np.ndarray, x: np.ndarray, radius_nm: float, half_angle_deg: float, **_: Any) -> np.ndarray:
    """Cone with a spherical cap of ``radius_nm`` tangent to its side."""
    theta = math.radians(half_angle_deg)
    r = np.hypot(y, x)
    side = r / math.tan(theta) + radius_nm * (1.0 - 1.0 / math.sin(theta))
    if radius_nm <= 0:
        return side
    r_tangent = radius_nm * math.cos(theta)
    with np.errstate(invalid="ignore"):
        cap = radius_nm - np.sqrt(np.maximum(radius_nm**2 - r**2, 0.0))
    return np.where(r <= r_tangent, cap, side)


def _paraboloid(y: np.ndarray, x: np.ndarray, radius_nm: float, **_: Any) -> np.ndarray:
    """Paraboloid whose apex radius of curvature is ``radius_nm``."""
    return (y**2 + x**2) / (2.0 * radius_nm)


def _sphere(y: np.ndarray, x: np.ndarray, radius_nm: float, **_: Any) -> np.ndarray:
    """Lower half of a sphere (ball on a thin stick); no material beyond its equator."""
    r2 = y**2 + x**2
    with np.errstate(invalid="ignore"):
        return np.where(r2 <= radius_nm**2, radius_nm - np.sqrt(np.maximum(radius_nm**2 - r2, 0.0)), np.inf)


def _cylinder(y: np.ndarray, x: np.ndarray, radius_nm: float, **_: Any) -> np.ndarray:
    """Flat-ended cylinder (a worn tip): flat disc of ``radius_nm``, no material beyond."""
    return np.where(y**2 + x**2 <= radius_nm**2, 0.0, np.inf)


def _pyramid(y: np.ndarray, x: np.ndarray, radius_nm: float, half_angle_deg: float,
             rotation_deg: float = 0.0, sides: int = 4, **_: Any) -> np.ndarray:
    """Regular pyramid with faces at ``half_angle_deg`` from the axis, every edge rounded by ``radius_nm``.

    The rounded tip is the sharp pyramid grown by a ball (Minkowski sum), so the apex is
    a sphere cap and the edges are cylinders of the same radius.  Its lower surface over
    a point is where the distance to the sharp pyramid equals the radius (bisection).
    """
    cot = 1.0 / math.tan(math.radians(half_angle_deg))
    phi = math.radians(rotation_deg) + np.arange(sides) * 2 * math.pi / sides
    normals = np.stack([np.cos(phi), np.sin(phi)], axis=1)  # face directions in (x, y)
    sharp = cot * np.max(x[..., None] * normals[:, 0] + y[..., None] * normals[:, 1], axis=-1)
    if radius_nm <= 0:
        return sharp
    ridge = normals + np.roll(normals, -1, axis=0)
    ridge /= np.linalg.norm(ridge, axis=1, keepdims=True)
    ridge_rise = cot * float(normals[0] @ ridge[0])
    edges = np.column_stack([ridge, np.full(sides, ridge_rise)])  # 3-D edge directions

    def distance(z: np.ndarray) -> np.ndarray:
        point = np.stack([x, y, z], axis=-1)[..., None, :]
        along = np.maximum((point * edges).sum(-1) / (edges**2).sum(-1), 0.0)
        best = np.linalg.norm(point - along[..., None] * edges, axis=-1).min(-1)
        unit = np.column_stack([-cot * normals, np.ones(sides)]) / math.hypot(1.0, cot)
        signed = (point * unit).sum(-1)
        foot = point - signed[..., None] * unit
        lateral = foot[..., 0, None] * normals[:, 0] + foot[..., 1, None] * normals[:, 1]
        on_face = np.all(lateral.diagonal(axis1=-2, axis2=-1)[..., :, None] >= lateral - 1e-12, axis=-1)
        face_dist = np.where(on_face, np.abs(signed), np.inf).min(-1)
        return np.minimum(best, face_dist)

    low = sharp - radius_nm * (2.0 + 2.0 * cot)
    high = sharp.copy()
    for _ in range(64):
        mid = 0.5 * (low + high)
        far = distance(mid) > radius_nm
        low = np.where(far, mid, low)
        high = np.where(far, high, mid)
    return 0.5 * (low + high) + radius_nm


#: shape name -> (profile function, required parameters)
TIP_SHAPES: dict[str, tuple[Callable[..., np.ndarray], tuple[str, ...]]] = {
    "cone": (_cone, ("radius_nm", "half_angle_deg")),
    "pyramid": (_pyramid, ("radius_nm", "half_angle_deg")),
    "paraboloid": (_paraboloid, ("radius_nm",)),
    "sphere": (_sphere, ("radius_nm",)),
    "cylinder": (_cylinder, ("radius_nm",)),
}


def _check_parameters(shape: str, params: dict[str, Any]) -> None:
    if shape not in TIP_SHAPES:
        raise InputError(f"unknown tip shape {shape!r}; choose one of {', '.join(TIP_SHAPES)}")
    radius = params.get("radius_nm")
    if radius is None or not math.isfinite(radius) or radius < 0:
        raise InputError(f"{shape} tip needs an apex radius >= 0 nm; got {radius!r}")
    if shape in ("paraboloid", "sphere", "cylinder") and radius <= 0:
        raise InputError(f"{shape} tip needs a radius > 0 nm; got {radius!r}")
    if "half_angle_deg" in TIP_SHAPES[shape][1]:
        angle = params.get("half_angle_deg")
        if angle is None or not 0 < angle < 90:
            raise InputError(f"{shape} tip needs a half-angle between 0 and 90 degrees; got {angle!r}")


def _sample(profile: Callable[..., np.ndarray], half: int, dy: float, dx: float, params: dict[str, Any]) -> np.ndarray:
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    ys, xs = np.meshgrid(offsets * dy, offsets * dx, indexing="ij")
    return profile(ys, xs, **params)


def _auto_half_width(profile: Callable[..., np.ndarray], dy: float, dx: float, params: dict[str, Any],
                     height_nm: float, max_half: int | None = None) -> int:
    """Smallest half-width whose whole border lies at least ``height_nm`` above the apex (at most ``max_half``).

    Every profile of :data:`TIP_SHAPES` is convex about its apex, so a ring's lowest point rises
    with the ring's half-width: with ``max_half`` the search is a bisection, and a ring at
    ``max_half`` still too low means the tip is wider than that.
    """
    def reaches(half: int) -> bool:
        ring = np.arange(-half, half + 1, dtype=np.float64)
        edge = np.full_like(ring, float(half))
        ys = np.concatenate([ring, ring, edge, -edge]) * dy
        xs = np.concatenate([edge, -edge, ring, ring]) * dx
        return bool(np.all(profile(ys, xs, **params) >= height_nm))

    if max_half is not None and max_half < MAX_HALF_WIDTH:
        if not reaches(max_half):
            return max_half
        low, high = 0, max_half  # reaches(high); not known for low (0 is no tip)
        while high - low > 1:
            mid = (low + high) // 2
            low, high = (low, mid) if reaches(mid) else (mid, high)
        return high
    for half in range(1, MAX_HALF_WIDTH + 1):
        if reaches(half):
            return half
    raise InputError(f"the tip would need more than {2 * MAX_HALF_WIDTH + 1} px to reach {height_nm:g} nm "
                     f"at this pixel size; give a size or a smaller height")


def make_tip(shape: str, *, pixel_size_nm: float | tuple[float, float], radius_nm: float,
             half_angle_deg: float | None = None, size: int | None = None, height_nm: float | None = None,
             rotation_deg: float = 0.0, max_size: int | None = None) -> Tip:
    """Sample a tip model on a pixel grid.

    Parameters
    ----------
    shape : {'cone', 'pyramid', 'paraboloid', 'sphere', 'cylinder'}
        Tip geometry.
    pixel_size_nm : float or (dy, dx)
        Grid spacing in nm (the image's pixel size).
    radius_nm : float
        Apex radius in nm (sphere cap of the cone/pyramid, curvature radius of the
        paraboloid, radius of the sphere or the cylinder).
    half_angle_deg : float, optional
        Angle between the tip axis and its side (cone, pyramid).
    size : int, optional
        Tip width in pixels (odd).  By default the smallest width whose border lies at
        least ``height_nm`` above the apex.
    height_nm : float, optional
        Height range the tip must cover, normally the image's height range.  Depths
        beyond it are clipped: such pixels can never touch the surface.  Default 100 nm
        when ``size`` is not given.
    rotation_deg : float, optional
        In-plane rotation of the pyramid.
    max_size : int, optional
        Widest tip to sample, px (made odd): a tip that would be wider is sampled only that wide,
        exactly the centre :func:`crop_tip` would keep.  A wide tip on a fine grid takes seconds to
        sample (a rounded pyramid is found pixel by pixel); a virtual image needs no more of it
        than its own width.

    Returns
    -------
    Tip
        Dilation-convention heights, apex 0 at the centre pixel.

    Examples
    --------
    >>> tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=2.0, size=5)
    >>> tip.heights[2]
    array([-1.  , -0.25,  0.  , -0.25, -1.  ])
    """
    params: dict[str, Any] = {"radius_nm": radius_nm}
    if half_angle_deg is not None:
        params["half_angle_deg"] = half_angle_deg
    if shape == "pyramid":
        params["rotation_deg"] = rotation_deg
    _check_parameters(shape, params)
    dy, dx = _pair(pixel_size_nm)
    profile = TIP_SHAPES[shape][0]
    max_half = None
    if max_size is not None:
        if int(max_size) != max_size or max_size < 1:
            raise InputError(f"max_size must be a whole number of pixels >= 1; got {max_size!r}")
        max_half = (int(max_size) - 1) // 2
    if size is None:
        height = 100.0 if height_nm is None else float(height_nm)
        if not height > 0:
            raise InputError(f"tip height must be > 0 nm; got {height_nm!r}")
        half = _auto_half_width(profile, dy, dx, params, height, max_half)
    else:
        if int(size) != size or size < 1 or size % 2 == 0:
            raise InputError(f"tip size must be an odd number of pixels; got {size!r}")
        half = int(size) // 2 if max_half is None else min(int(size) // 2, max_half)
    depth = _sample(profile, half, dy, dx, params)
    if height_nm is not None:
        depth = np.minimum(depth, float(height_nm))
    heights = np.where(np.isfinite(depth), -depth, np.nan)
    heights[half, half] = 0.0
    stored = dict(params, height_nm=height_nm, size=2 * half + 1)
    return Tip(heights=heights, pixel_size_nm=(dy, dx), shape=shape, parameters=stored)


def check_no_positive_infinity(tip: np.ndarray) -> None:
    """Refuse a tip array with +inf heights: NaN and -inf mark pixels with no tip material, +inf means nothing.

    Examples
    --------
    >>> import numpy as np
    >>> check_no_positive_infinity(np.array([[np.nan, -1.0, np.nan], [-1.0, 0.0, -1.0], [np.nan, -1.0, -np.inf]]))
    >>> bad = np.array([[np.inf, -1.0, -1.0], [-1.0, 0.0, -1.0], [-1.0, -1.0, -1.0]])
    >>> check_no_positive_infinity(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    napari_afm_profiler.errors.InputError: the tip has +inf heights at 1 pixel(s): tip heights must be finite ...
    """
    bad = int(np.count_nonzero(np.isposinf(tip)))
    if bad:
        raise InputError(f"the tip has +inf heights at {bad} pixel(s): tip heights must be finite (NaN or -inf mark "
                         "pixels that are not part of the tip)")


def tip_from_array(heights: np.ndarray, *, pixel_size_nm: float | tuple[float, float] | None = None,
                   reflect: bool = False) -> Tip:
    """Wrap a tip array (from an image layer, a file or an estimate) as a :class:`Tip`.

    Parameters
    ----------
    heights : (n, n) float ndarray, nm
        Odd square array whose maximum is the apex at the centre pixel.
    pixel_size_nm : float or (dy, dx), optional
        Its grid spacing, if known.
    reflect : bool, optional
        Point-reflect the array first: Gwyddion's blind estimate is stored as the image of
        a spike, the reflection of the dilation-convention tip.

    Returns
    -------
    Tip
        Heights normalised to a maximum of 0 (``T - max(T)``); the subtracted maximum is kept in
        ``parameters["height_offset_nm"]``.

    Raises
    ------
    InputError
        When the array is not odd and square, its centre is not finite, it holds +inf, or its
        centre is its lowest point (a tip upside down).

    Warns
    -----
    TipOffCentreWarning
        When the maximum is not the centre pixel (accepted, as Gwyddion does).

    Examples
    --------
    >>> import numpy as np
    >>> exported = np.array([[1., 3., 1.], [3., 5., 3.], [1., 3., 1.]])  # apex 5 nm above zero, as Gwyddion exports
    >>> tip = tip_from_array(exported, pixel_size_nm=2.0)
    >>> tip.heights[1]
    array([-2.,  0., -2.])
    """
    arr = np.array(heights, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] % 2 == 0:
        raise InputError(f"a tip must be an odd square 2-D array; got shape {arr.shape}")
    if reflect:
        arr = arr[::-1, ::-1].copy()
    c = arr.shape[0] // 2
    if not np.isfinite(arr[c, c]):
        raise InputError("the tip's centre pixel (its apex) is not a finite height")
    check_no_positive_infinity(arr)
    others = np.delete(arr.ravel(), c * arr.shape[0] + c)
    others = others[np.isfinite(others)]
    if others.size and np.all(others > arr[c, c]):
        # a profile measured up from the apex (z = r^2 / 2R): as a tip it would touch with its corners
        raise InputError("the tip's centre pixel is its lowest point: it looks upside down (heights measured up "
                         "from the apex); tips follow Gwyddion's convention, the apex is the maximum: negate it")
    if np.nanmax(arr) > arr[c, c]:
        # Gwyddion accepts such tips (only T - max(T) matters), so we do too, but the image
        # they make is shifted by the offset of the maximum from the centre
        warnings.warn("the tip's maximum is not its centre pixel: images made with it are shifted; "
                      "crop or shift the tip so its apex is the centre", TipOffCentreWarning, stacklevel=2)
    # Normalised on load (apex 0): only T - max(T) matters to dilation, erosion and resampling.
    # The offset is kept, because the certainty map quantises the tip as Gwyddion does, which
    # depends on the absolute heights of the array the user gave.
    offset = float(np.nanmax(arr))
    return Tip(heights=arr - offset, pixel_size_nm=None if pixel_size_nm is None else _pair(pixel_size_nm),
               parameters={"height_offset_nm": offset} if offset else {})


def tip_for_pixel_size(tip: Tip, pixel_size_nm: float | tuple[float, float] | None) -> Tip:
    """Return ``tip`` on the grid ``pixel_size_nm``, resampling it when the grids differ.

    A model tip is sampled anew from its parameters; an array tip is interpolated
    linearly about its apex.  A :class:`TipResampledWarning` states the change.

    Examples
    --------
    >>> tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=10.0, size=21)
    >>> coarse = tip_for_pixel_size(tip, 2.0)
    >>> coarse.pixel_size_nm, float(coarse.heights.max())
    ((2.0, 2.0), 0.0)
    """
    if pixel_size_nm is None or tip.pixel_size_nm is None:
        return tip
    new = _pair(pixel_size_nm)
    old = tip.pixel_size_nm
    if np.allclose(new, old, rtol=1e-6, atol=0):
        return tip
    warnings.warn(f"tip resampled from {old[0]:.4g} x {old[1]:.4g} nm/px to the image's "
                  f"{new[0]:.4g} x {new[1]:.4g} nm/px", TipResampledWarning, stacklevel=3)
    half = tip.size // 2
    if tip.shape in TIP_SHAPES:
        params = {k: v for k, v in tip.parameters.items() if k not in ("size", "height_nm")}
        extent = half * min(old)
        size = 2 * max(1, int(round(extent / min(new)))) + 1
        return make_tip(tip.shape, pixel_size_nm=new, size=size,
                        height_nm=tip.parameters.get("height_nm"), **params)
    from scipy.ndimage import map_coordinates

    # Only T - max(T) matters to dilation and erosion; resampling the normalised array keeps
    # the apex where it is (the centre node maps onto the centre node) and at its height.
    normalised = tip.heights - np.nanmax(tip.heights)
    new_half = int(min(half * old[0] / new[0], half * old[1] / new[1]))
    steps = np.arange(-new_half, new_half + 1, dtype=np.float64)
    rows, cols = np.meshgrid(half + steps * new[0] / old[0], half + steps * new[1] / old[1], indexing="ij")
    heights = _interpolate_with_nan(map_coordinates, normalised, rows, cols)
    return Tip(heights=heights, pixel_size_nm=new, shape="array", parameters=dict(tip.parameters, resampled_from=old))


def _interpolate_with_nan(map_coordinates: Callable[..., np.ndarray], heights: np.ndarray, rows: np.ndarray,
                          cols: np.ndarray) -> np.ndarray:
    """Bilinear resampling where a NaN (no tip material) neighbour makes the result NaN."""
    missing = ~np.isfinite(heights)
    filled = np.where(missing, 0.0, heights)
    out = map_coordinates(filled, [rows, cols], order=1, mode="nearest")
    if missing.any():
        touched = map_coordinates(missing.astype(np.float64), [rows, cols], order=1, mode="nearest")
        out[touched > 1e-9] = np.nan
    return out


def crop_tip(heights: np.ndarray, size: int) -> np.ndarray:
    """Crop a tip array about its apex to at most ``size`` pixels (made odd).

    The cut-off border is the deepest part of the tip; it only touches features taller than
    the cropped tip's depth, so this is the natural way to image a small picture with a deep tip.
    """
    size = min(int(size), heights.shape[0])
    size -= 1 - size % 2
    if size < 1:
        raise InputError(f"cannot crop a tip to {size} px")
    cut = (heights.shape[0] - size) // 2
    return heights[cut:cut + size, cut:cut + size]
