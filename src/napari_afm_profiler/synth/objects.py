"""Nano-objects of virtual surfaces: the paper's domes, cuboids, prisms, standing and lying cylinders; caps and ridges.

Every shape is rasterised exactly at the pixel centres (pixel ``(i, j)`` sits at ``(i * dy, j * dx)``
nm) from its analytic height profile, in a window around the object only.  Placement is
random with a controlled overlap, and each object keeps its ground truth (class, analytic and
rasterised footprint area, height).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.synth.names import OBJECT_KINDS, SHAPE_KINDS  # noqa: F401 (OBJECT_KINDS re-exported)


@dataclass(frozen=True)
class ObjectSpec:
    """Random ranges of the objects in one image (nm, degrees).

    Attributes
    ----------
    size_nm : (min, max)
        Lateral size: dome and cylinder diameter, cuboid side, prism side, rod diameter
        (the paper: 16-20 nm).
    height_nm : (min, max)
        Height above the substrate.  A dome is at most a hemisphere (its height is capped
        at its radius); a rod's height is its diameter.
    count : (min, max)
        Number of objects per image (inclusive).
    max_overlap : float
        Largest fraction of an object's footprint that may lie on earlier objects (0: none).
    rod_length : (min, max)
        Rod (and ridge) length as a multiple of its diameter (width).
    """

    size_nm: tuple[float, float] = (16.0, 20.0)
    height_nm: tuple[float, float] = (16.0, 20.0)
    count: tuple[int, int] = (3, 6)
    max_overlap: float = 0.0
    rod_length: tuple[float, float] = (2.0, 4.0)

    def check(self) -> None:
        """Raise :class:`InputError` naming the first impossible parameter."""
        for name in ("size_nm", "height_nm", "rod_length"):
            lo, hi = getattr(self, name)
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi):
                raise InputError(f"{name} must be a range 0 < min <= max; got {(lo, hi)}")
        lo, hi = self.count
        if not (0 <= lo <= hi) or int(lo) != lo or int(hi) != hi:
            raise InputError(f"count must be whole numbers 0 <= min <= max; got {(lo, hi)}")
        if not 0 <= self.max_overlap <= 1:
            raise InputError(f"max_overlap must be a fraction in [0, 1]; got {self.max_overlap}")


@dataclass(frozen=True)
class PlacedObject:
    """Ground truth of one object: what it is, where, its footprint and height."""

    label: int
    kind: str
    center_nm: tuple[float, float]
    rotation_deg: float
    size_nm: float
    height_nm: float
    area_nm2: float
    """Analytic footprint area."""
    pixel_area_nm2: float
    """Rasterised footprint: pixels inside the footprint times the pixel area."""


def _profile(kind: str, u: np.ndarray, v: np.ndarray, size: float, height: float, length: float) -> np.ndarray:
    """Height above the base at local coordinates (u along the object, v across); NaN outside."""
    half = size / 2
    if kind == "dome":
        h = min(height, half)
        radius = (half**2 + h**2) / (2 * h)
        r2 = u**2 + v**2
        with np.errstate(invalid="ignore"):
            z = np.sqrt(radius**2 - r2) - (radius - h)
        return np.where(r2 <= half**2, np.maximum(z, 0.0), np.nan)
    if kind == "cap":
        # a spherical cap up to a hemisphere; taller, the sphere of the footprint's radius seen from
        # above (its upper half on a vertical wall): any height-to-width ratio
        if height <= half:
            return _profile("dome", u, v, size, height, length)
        r2 = u**2 + v**2
        with np.errstate(invalid="ignore"):
            z = (height - half) + np.sqrt(half**2 - r2)
        return np.where(r2 <= half**2, z, np.nan)
    if kind == "ridge":
        return np.where((np.abs(v) <= half) & (np.abs(u) <= length / 2), height * (1.0 - np.abs(v) / half), np.nan)
    if kind == "cuboid":
        return np.where((np.abs(u) <= half) & (np.abs(v) <= length / 2), height, np.nan)
    if kind == "prism":
        # equilateral triangle of side `size`, centroid at the origin, one side facing -v
        apothem = size / (2 * math.sqrt(3))
        inside = np.ones(np.shape(u), bool)
        for angle in (math.pi / 2, math.pi / 2 + 2 * math.pi / 3, math.pi / 2 + 4 * math.pi / 3):
            inside &= -(u * math.cos(angle) + v * math.sin(angle)) <= apothem
        return np.where(inside, height, np.nan)
    if kind == "cylinder":
        return np.where(u**2 + v**2 <= half**2, height, np.nan)
    if kind == "rod":
        with np.errstate(invalid="ignore"):
            z = half + np.sqrt(half**2 - v**2)
        return np.where((np.abs(v) <= half) & (np.abs(u) <= length / 2), z, np.nan)
    raise InputError(f"unknown object kind {kind!r}; choose one of {', '.join(SHAPE_KINDS)}")


def _footprint_area(kind: str, size: float, length: float) -> float:
    if kind in ("dome", "cylinder", "cap"):
        return math.pi * size**2 / 4
    if kind == "cuboid":
        return size * length
    if kind == "prism":
        return math.sqrt(3) / 4 * size**2
    return size * length  # rod, ridge


def _draw(kind: str, spec: ObjectSpec, rng: np.random.Generator) -> tuple[float, float, float, float]:
    size = float(rng.uniform(*spec.size_nm))
    height = float(rng.uniform(*spec.height_nm))
    if kind == "cuboid":
        length = float(rng.uniform(*spec.size_nm))
    elif kind == "rod":
        length = size * float(rng.uniform(*spec.rod_length))
        height = size
    elif kind == "ridge":
        length = size * float(rng.uniform(*spec.rod_length))
    else:
        length = size
    if kind == "dome":
        height = min(height, size / 2)
    return size, length, height, float(rng.uniform(0.0, 360.0))


def place_objects(base: np.ndarray, kinds: tuple[str, ...], spec: ObjectSpec, *,
                  pixel_size_nm: tuple[float, float], rng: np.random.Generator,
                  ) -> tuple[np.ndarray, np.ndarray, list[PlacedObject]]:
    """Place random objects of ``kinds`` on the substrate ``base``.

    Each object stands on the mean substrate height under its footprint; where objects
    overlap the higher surface wins.

    Parameters
    ----------
    base : (M, N) float ndarray, nm
        Substrate (flat zeros or a rough surface).
    kinds : tuple of str
        Object classes drawn uniformly per object (several give a mixed scene).
    spec : ObjectSpec
        Random ranges.
    pixel_size_nm : (dy, dx)
        Grid spacing.
    rng : numpy Generator
        Source of randomness (seeded by the caller).

    Returns
    -------
    surface : (M, N) float ndarray, nm
    labels : (M, N) int32 ndarray
        Object label (1, 2, ...) wherever that object forms the surface, 0 on the substrate.
    objects : list of PlacedObject
        Ground truth, one per label.
    """
    spec.check()
    for kind in kinds:
        if kind not in SHAPE_KINDS:
            raise InputError(f"unknown object kind {kind!r}; choose one of {', '.join(SHAPE_KINDS)}")
    dy, dx = pixel_size_nm
    ny, nx = base.shape
    extent_y, extent_x = ny * dy, nx * dx
    surface = base.copy()
    labels = np.zeros(base.shape, np.int32)
    footprints = np.zeros(base.shape, bool)
    objects: list[PlacedObject] = []
    for _ in range(int(rng.integers(spec.count[0], spec.count[1] + 1))):
        kind = kinds[int(rng.integers(len(kinds)))]
        size, length, height, rotation = _draw(kind, spec, rng)
        reach = 0.5 * math.hypot(size, length)
        if 2 * reach > min(extent_y, extent_x):
            raise InputError(f"{kind} of {max(size, length):.3g} nm does not fit in a {extent_y:.4g} x {extent_x:.4g} nm "
                             "image; make size_nm smaller or the image larger")
        for _attempt in range(100):
            cy = float(rng.uniform(reach, extent_y - reach))
            cx = float(rng.uniform(reach, extent_x - reach))
            rows = slice(max(0, int((cy - reach) / dy)), min(ny, int(math.ceil((cy + reach) / dy)) + 1))
            cols = slice(max(0, int((cx - reach) / dx)), min(nx, int(math.ceil((cx + reach) / dx)) + 1))
            yy = np.arange(rows.start, rows.stop)[:, None] * dy - cy
            xx = np.arange(cols.start, cols.stop)[None, :] * dx - cx
            theta = math.radians(rotation)
            u = xx * math.cos(theta) + yy * math.sin(theta)
            v = -xx * math.sin(theta) + yy * math.cos(theta)
            z = _profile(kind, u, v, size, length=length, height=height)
            inside = np.isfinite(z)
            if not inside.any():
                continue
            if (footprints[rows, cols] & inside).sum() <= spec.max_overlap * inside.sum():
                break
        else:
            continue  # no room left for this object
        ground = float(base[rows, cols][inside].mean())
        top = np.where(inside, ground + np.nan_to_num(z), -np.inf)
        window = surface[rows, cols]
        wins = top > window
        window[wins] = top[wins]
        label = len(objects) + 1
        labels[rows, cols][wins] = label
        footprints[rows, cols] |= inside
        objects.append(PlacedObject(label=label, kind=kind, center_nm=(cy, cx), rotation_deg=rotation, size_nm=size,
                                    height_nm=height, area_nm2=_footprint_area(kind, size, length),
                                    pixel_area_nm2=float(inside.sum() * dy * dx)))
    return surface, labels, objects
