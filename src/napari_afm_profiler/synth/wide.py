"""The wide virtual generator: many scene kinds, tips and pixel sizes, for a network that generalises.

The paper's generator (:mod:`napari_afm_profiler.synth.generator`) makes one object class of one
size imaged by one tip.  A network trained only on that learns the scene, not the physics: on
other objects or another tip it can dig below the true surface.  This generator draws every
pair from wide, documented ranges (:class:`WideSpec`): the scene kind, the pixel size, object
sizes and heights, the tip (model, apex radius, half-angle, asymmetric and double tips), the
noise and the scan artifacts.  Every pair comes from its own seed, so any pair can be made
again alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.synth.artifacts import ArtifactSpec, apply_artifacts
from napari_afm_profiler.synth.names import WIDE_SCENES
from napari_afm_profiler.synth.objects import ObjectSpec, place_objects
from napari_afm_profiler.synth.scene import fractal_surface
from napari_afm_profiler.tip import dilate, make_tip
from napari_afm_profiler.tip.models import crop_tip

WIDE_TIP_SHAPES = ("cone", "pyramid", "paraboloid")

LINE_WANDER_PX = 6.0
"""Gaussian width (px) along a line of the scan-line wander (see :class:`WideSpec`)."""


@dataclass(frozen=True)
class WideSpec:
    """Ranges of the wide generator (nm, degrees); ``(lo, hi)`` pairs are drawn log-uniformly where noted.

    Attributes
    ----------
    shape : (ny, nx)
        Image size in pixels.
    pixel_size_nm : (lo, hi)
        Pixel size, log-uniform.
    size_nm : (lo, hi)
        Lateral object size (diameter, width, side), log-uniform per scene; objects of one scene
        vary by +-25 % about it (and never exceed 45 % of the field of view).
    height_nm : (lo, hi)
        Object heights (pit depths, tube heights), clipped to this range.
    aspect : (lo, hi)
        Height-to-width ratio of caps, boxes and ridges, log-uniform.
    coverage : (lo, hi)
        Fraction of the image the objects of a scene cover (sets their number).
    scenes : tuple of str
        Scene kinds, drawn with equal probability (see :data:`WIDE_SCENES`).
    tip_shapes : tuple of str
        Tip models, drawn with equal probability.
    tip_radius_nm : (lo, hi)
        Apex radius, log-uniform.
    tip_half_angle_deg : (lo, hi)
        Side half-angle (cone and pyramid), uniform.
    asymmetric_probability : float
        Chance of an asymmetric tip: the two halves of the tip have half-angles that differ by up
        to 15 degrees.
    double_probability : float
        Chance of a double tip: a second apex 2-15 nm away and 0.5-10 nm higher up the tip.
    noise_nm : (lo, hi)
        White height noise SD, log-uniform.
    line_probability : float
        Largest share of corrupted scan lines (drawn uniformly from 0 to it).
    edge_overshoot : float
        Largest feedback overshoot at steps (drawn uniformly from 0 to it).
    tilt_probability : float
        Chance of a tilted sample: the surface (and so the image) lies on a plane inclined by up
        to ``tilt_deg`` in a random direction.  0 (default) draws nothing, so the scenes of a
        seed are those made before tilts existed.
    tilt_deg : float
        Largest inclination of a tilted sample, degrees (uniform from 0).
    line_wander : float or (lo, hi)
        Scan-line wander, as real scans have it: each line a smooth random curve along it
        (white noise smoothed by a Gaussian of ``LINE_WANDER_PX`` px), independent from line to
        line, of SD ``line_wander`` times the pair's white-noise SD, or a multiple drawn uniformly
        from ``(lo, hi)`` for each pair.  Line levelling does not remove it, and read along the
        lines alone it looks like no noise.  0 (default) draws nothing, so the scenes of a seed
        are those made before it existed.
    """

    shape: tuple[int, int] = (128, 128)
    pixel_size_nm: tuple[float, float] = (0.5, 2.0)
    size_nm: tuple[float, float] = (2.0, 60.0)
    height_nm: tuple[float, float] = (0.5, 40.0)
    aspect: tuple[float, float] = (0.05, 1.5)
    coverage: tuple[float, float] = (0.05, 0.4)
    scenes: tuple[str, ...] = WIDE_SCENES
    tip_shapes: tuple[str, ...] = WIDE_TIP_SHAPES
    tip_radius_nm: tuple[float, float] = (2.0, 30.0)
    tip_half_angle_deg: tuple[float, float] = (10.0, 35.0)
    asymmetric_probability: float = 0.15
    double_probability: float = 0.1
    noise_nm: tuple[float, float] = (0.02, 0.5)
    line_probability: float = 0.02
    edge_overshoot: float = 0.08
    tilt_probability: float = 0.0
    tilt_deg: float = 12.0
    line_wander: float | tuple[float, float] = 0.0

    def check(self) -> None:
        """Raise :class:`InputError` naming the first impossible parameter."""
        ny, nx = self.shape
        if int(ny) != ny or int(nx) != nx or min(ny, nx) < 32:
            raise InputError(f"shape must be at least 32 x 32 whole pixels; got {self.shape}")
        for name in ("pixel_size_nm", "size_nm", "height_nm", "aspect", "coverage", "tip_radius_nm",
                     "tip_half_angle_deg", "noise_nm"):
            lo, hi = getattr(self, name)
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi):
                raise InputError(f"{name} must be a range 0 < min <= max; got {(lo, hi)}")
        if not self.tip_half_angle_deg[1] < 90:
            raise InputError(f"tip half-angles must be below 90 degrees; got {self.tip_half_angle_deg}")
        if not self.coverage[1] <= 1:
            raise InputError(f"coverage is a fraction of the image; got {self.coverage}")
        unknown = set(self.scenes) - set(WIDE_SCENES)
        if unknown or not self.scenes:
            raise InputError(f"scenes must be some of {', '.join(WIDE_SCENES)}; got {self.scenes}")
        if set(self.tip_shapes) - set(WIDE_TIP_SHAPES) or not self.tip_shapes:
            raise InputError(f"tip_shapes must be some of {', '.join(WIDE_TIP_SHAPES)}; got {self.tip_shapes}")
        if not 0 <= self.tilt_deg < 45:
            raise InputError(f"tilt_deg must be in [0, 45); got {self.tilt_deg}")
        lo, hi = wander_range(self.line_wander)
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= hi):
            raise InputError(f"line_wander must be a finite multiple >= 0 of the noise, or a range 0 <= min <= max "
                             f"of them; got {self.line_wander}")
        for name in ("asymmetric_probability", "double_probability", "line_probability", "edge_overshoot",
                     "tilt_probability"):
            if not 0 <= getattr(self, name) <= 1:
                raise InputError(f"{name} must be in [0, 1]; got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (for a model card or a dataset's parameters)."""
        return asdict(self)


@dataclass(frozen=True)
class WidePair:
    """One pair of the wide generator: surface, image, the tip that made it, and what was drawn."""

    surface: np.ndarray
    image: np.ndarray
    tip: np.ndarray
    pixel_size_nm: float
    scene: str
    noise_nm: float
    parameters: dict[str, Any]


def wander_range(line_wander: float | Sequence[float]) -> tuple[float, float]:
    """Return :attr:`WideSpec.line_wander` as a ``(lo, hi)`` range of multiples of the white noise.

    Examples
    --------
    >>> wander_range(2.0), wander_range((0.0, 4.0))
    ((2.0, 2.0), (0.0, 4.0))
    """
    if np.ndim(line_wander) == 0:
        return float(line_wander), float(line_wander)  # type: ignore[arg-type]
    values = [float(v) for v in line_wander]  # type: ignore[union-attr]
    if len(values) != 2:
        raise InputError(f"line_wander must be one multiple of the noise or a (min, max) range; got {line_wander}")
    return values[0], values[1]


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    lo, hi = bounds
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _substrate(shape: tuple[int, int], px: float, rng: np.random.Generator) -> np.ndarray:
    """Return a flat substrate (mica, a third of scenes) or a mildly rough one (0.05-1 nm RMS)."""
    if rng.random() < 1 / 3:
        return np.zeros(shape)
    return fractal_surface(shape, rms_nm=_log_uniform(rng, (0.05, 1.0)), hurst=float(rng.uniform(0.5, 0.9)),
                           pixel_size_nm=px, seed=rng)


def _object_spec(spec: WideSpec, rng: np.random.Generator, fov_nm: float, *, aspect_free: bool = True,
                 size_range: tuple[float, float] | None = None) -> ObjectSpec:
    lo, hi = size_range or spec.size_nm
    centre = _log_uniform(rng, (lo, min(hi, 0.45 * fov_nm)))
    size = (max(0.8 * centre, 1e-3), min(1.25 * centre, 0.45 * fov_nm))
    aspect = _log_uniform(rng, spec.aspect) if aspect_free else 1.0
    height = float(np.clip(aspect * centre, *spec.height_nm))
    heights = (max(spec.height_nm[0], 0.8 * height), min(spec.height_nm[1], 1.25 * height))
    coverage = float(rng.uniform(*spec.coverage))
    count = int(np.clip(round(coverage * fov_nm**2 / (centre**2)), 1, 60))
    # rods and ridges up to 4 widths long, as long as their diagonal fits in the field of view
    longest = float(np.clip(0.95 * math.sqrt(max((fov_nm / size[1]) ** 2 - 1, 0.0)), 1.0, 4.0))
    return ObjectSpec(size_nm=size, height_nm=(min(heights), max(heights)), count=(count, count),
                      max_overlap=float(rng.choice([0.0, 0.3])), rod_length=(min(1.5, longest), longest))


def _tubes(base: np.ndarray, spec: WideSpec, px: float, rng: np.random.Generator) -> np.ndarray:
    """Thin worm-like tubes (DNA on mica): semi-elliptic cross-section, or chains of beads."""
    ny, nx = base.shape
    width = _log_uniform(rng, (2.0, 8.0))
    height = float(np.clip(_log_uniform(rng, (0.4, 3.0)), *spec.height_nm))
    persistence = rng.uniform(10.0, 60.0)
    beads = rng.random() < 0.3
    centreline = np.zeros(base.shape, bool)
    step = 0.5 * px
    for _ in range(int(rng.integers(1, 7))):
        y, x = rng.uniform(0, ny * px), rng.uniform(0, nx * px)
        angle = rng.uniform(0, 2 * math.pi)
        length = rng.uniform(0.3, 1.5) * max(ny, nx) * px
        points = []
        for _ in range(int(length / step)):
            angle += rng.normal(0.0, math.sqrt(step / persistence))
            y, x = y + step * math.sin(angle), x + step * math.cos(angle)
            points.append((y, x))
        pts = np.asarray(points)
        if beads:
            spacing = max(1, int(round(width * rng.uniform(1.0, 1.6) / step)))
            pts = pts[::spacing]
        rows, cols = np.round(pts[:, 0] / px).astype(int), np.round(pts[:, 1] / px).astype(int)
        keep = (rows >= 0) & (rows < ny) & (cols >= 0) & (cols < nx)
        centreline[rows[keep], cols[keep]] = True
    if not centreline.any():
        return base
    distance = ndi.distance_transform_edt(~centreline, sampling=px)
    half = width / 2
    with np.errstate(invalid="ignore"):
        tube = np.where(distance < half, height * np.sqrt(np.clip(1 - (distance / half) ** 2, 0, 1)), 0.0)
    return base + tube


def _pits(base: np.ndarray, spec: WideSpec, px: float, rng: np.random.Generator) -> np.ndarray:
    """Holes in a film: flat-bottomed (cylinders, boxes) or rounded (caps) pits, drawn as inverted objects."""
    fov = min(base.shape) * px
    objects = _object_spec(spec, rng, fov)
    kinds = tuple(rng.choice(["cylinder", "cap", "cuboid"], size=int(rng.integers(1, 3)), replace=False))
    bumps, _, _ = place_objects(np.zeros(base.shape), kinds, objects, pixel_size_nm=(px, px), rng=rng)
    return base - bumps


def _terraces(shape: tuple[int, int], px: float, rng: np.random.Generator) -> np.ndarray:
    """Atomic or multi-layer steps: terraces 8-80 nm wide with wavy edges, steps 0.2-5 nm."""
    ny, nx = shape
    yy, xx = np.mgrid[0:ny, 0:nx] * px
    theta = rng.uniform(0, math.pi)
    along = xx * math.cos(theta) + yy * math.sin(theta)
    wave = fractal_surface(shape, rms_nm=rng.uniform(0.5, 5.0), hurst=0.8, pixel_size_nm=px, seed=rng)
    width = _log_uniform(rng, (8.0, 80.0))
    step = _log_uniform(rng, (0.2, 5.0))
    direction = 1.0 if rng.random() < 0.5 else -1.0
    return direction * step * np.floor((along + wave) / width)


def _scene_surface(scene: str, spec: WideSpec, px: float, rng: np.random.Generator) -> np.ndarray:
    shape = tuple(spec.shape)
    fov = min(shape) * px
    if scene == "fractal":
        return fractal_surface(shape, rms_nm=_log_uniform(rng, (0.3, 10.0)), hurst=float(rng.uniform(0.3, 0.9)),
                               pixel_size_nm=px, seed=rng)
    if scene == "terraces":
        surface = _terraces(shape, px, rng)
        if rng.random() < 0.5:  # some particles on the terraces
            objects = _object_spec(spec, rng, fov)
            surface, _, _ = place_objects(surface, ("cap",), objects, pixel_size_nm=(px, px), rng=rng)
        return surface
    base = _substrate(shape, px, rng)
    if scene == "tubes":
        return _tubes(base, spec, px, rng)
    if scene == "pits":
        return _pits(base, spec, px, rng)
    kinds = {"caps": ("cap",), "boxes": ("cuboid", "cylinder", "prism"), "ridges": ("ridge",), "rods": ("rod",),
             "mixed": ("cap", "cuboid", "cylinder", "prism", "ridge", "rod", "dome")}[scene]
    objects = _object_spec(spec, rng, fov, aspect_free=scene != "rods",
                           size_range=(spec.size_nm[0], min(spec.size_nm[1], 20.0)) if scene == "rods" else None)
    surface, _, _ = place_objects(base, kinds, objects, pixel_size_nm=(px, px), rng=rng)
    if scene == "mixed" and rng.random() < 0.5:
        surface = _tubes(surface, spec, px, rng)
    return surface


def _asymmetric(left: np.ndarray, right: np.ndarray, theta: float) -> np.ndarray:
    """Join two halves of a tip along the line through the apex at angle ``theta`` (different side angles)."""
    n = left.shape[0]
    c = n // 2
    yy, xx = np.mgrid[0:n, 0:n] - c
    side = (xx * math.cos(theta) + yy * math.sin(theta)) >= 0
    return np.where(side, left, right)


def draw_tip(spec: WideSpec, px: float, z_range: float, rng: np.random.Generator,
             max_size: int | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Draw one tip of the ranges of ``spec`` on a grid of ``px`` nm, deep enough for ``z_range`` nm.

    ``max_size`` (px): the caller crops the tip to this about its apex (:func:`crop_tip`), so a
    wider tip is sampled only as wide as the crop needs (a double tip's second apex included);
    the cropped tip is the same.  Returns the dilation-convention heights (apex 0 at the centre)
    and what was drawn.
    """
    shape = str(rng.choice(spec.tip_shapes))
    radius = _log_uniform(rng, spec.tip_radius_nm)
    angle = float(rng.uniform(*spec.tip_half_angle_deg))
    depth = max(z_range, 1.0) + 1.0
    rotation = float(rng.uniform(0, 90))

    def sample(half_angle: float, size: int | None, cap: int | None) -> np.ndarray:
        return make_tip(shape, pixel_size_nm=px, radius_nm=radius,
                        half_angle_deg=half_angle if shape != "paraboloid" else None, height_nm=depth, size=size,
                        rotation_deg=rotation, max_size=cap).heights

    params: dict[str, Any] = {"shape": shape, "radius_nm": radius, "half_angle_deg": angle if shape != "paraboloid"
                              else None, "asymmetric": False, "double": False}
    asymmetric = shape != "paraboloid" and rng.random() < spec.asymmetric_probability
    if asymmetric:
        other = float(np.clip(angle + rng.uniform(-15, 15), spec.tip_half_angle_deg[0], 45.0))
        theta = rng.uniform(0, 2 * math.pi)
        params.update(asymmetric=True, other_half_angle_deg=other)

    def body(cap: int | None) -> np.ndarray:
        if not asymmetric:
            return sample(angle, None, cap)
        size = sample(max(angle, other), None, cap).shape[0]  # wide enough for the wider side
        return _asymmetric(sample(angle, size, cap), sample(other, size, cap), theta)

    tip = body(max_size)
    if rng.random() < spec.double_probability:
        distance = rng.uniform(2.0, 15.0)
        lift = rng.uniform(0.5, 10.0)
        azimuth = rng.uniform(0, 2 * math.pi)
        shift = (distance * math.sin(azimuth) / px, distance * math.cos(azimuth) / px)
        pad = int(math.ceil(max(abs(shift[0]), abs(shift[1])))) + 1
        if max_size is not None and tip.shape[0] >= max_size - 1:  # capped: the second apex sees beyond the crop
            tip = body(tip.shape[0] + 2 * pad)
        grown = np.pad(np.nan_to_num(tip, nan=-1e6), pad, constant_values=-1e6)
        second = ndi.shift(grown, shift, order=0, mode="constant", cval=-1e6) - lift
        tip = np.maximum(grown, second)
        tip = np.where(tip < -depth, -depth, tip)
        params.update(double=True, second_apex_nm=distance, second_apex_lift_nm=lift)
    tip = np.where(np.isfinite(tip), np.maximum(tip, -depth), np.nan)
    c = tip.shape[0] // 2
    tip[c, c] = 0.0
    return tip, params


def make_wide_pair(spec: WideSpec, seed: int | np.random.SeedSequence) -> WidePair:
    """Make one pair of the wide generator.

    Parameters
    ----------
    spec : WideSpec
        The ranges to draw from.
    seed : int or SeedSequence
        This pair's seed.

    Returns
    -------
    WidePair
        True surface and its simulated image (nm), the tip, the pixel size and what was drawn.

    Examples
    --------
    >>> pair = make_wide_pair(WideSpec(shape=(64, 64)), 3)
    >>> pair.image.shape, pair.scene in WIDE_SCENES, 0.5 <= pair.pixel_size_nm <= 2.0
    ((64, 64), True, True)
    """
    spec.check()
    rng = np.random.default_rng(seed)
    scene = str(rng.choice(spec.scenes))
    px = _log_uniform(rng, spec.pixel_size_nm)
    surface = _scene_surface(scene, spec, px, rng)
    tilt: dict[str, float] = {}
    if spec.tilt_probability and rng.uniform() < spec.tilt_probability:
        slope = math.tan(math.radians(rng.uniform(0, spec.tilt_deg)))
        azimuth = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:spec.shape[0], 0:spec.shape[1]] * px
        surface = surface + slope * (xx * math.cos(azimuth) + yy * math.sin(azimuth))
        tilt = {"tilt_deg": math.degrees(math.atan(slope)), "tilt_azimuth_deg": math.degrees(azimuth)}
    surface -= float(np.median(surface))
    tip, tip_params = draw_tip(spec, px, float(np.ptp(surface)), rng, max_size=min(spec.shape))
    tip = crop_tip(tip, min(spec.shape))
    image = dilate(surface, tip)
    noise = _log_uniform(rng, spec.noise_nm)
    artifacts = ArtifactSpec(noise_nm=noise, line_probability=float(rng.uniform(0, spec.line_probability)),
                             edge_overshoot=float(rng.uniform(0, spec.edge_overshoot)), line_modes=("shift", "offset"),
                             line_offset_nm=float(min(2.0, 3 * noise + 0.2)))
    image = apply_artifacts(image, artifacts, pixel_size_nm=(px, px), rng=rng)
    lo, hi = wander_range(spec.line_wander)
    wander_drawn: dict[str, float] = {}
    if hi > 0:  # drawn last: the rest of the pair is the one made without it
        multiple = lo if lo == hi else float(rng.uniform(lo, hi))
        wander = ndi.gaussian_filter1d(rng.normal(size=image.shape), LINE_WANDER_PX, axis=1)
        image = image + multiple * noise * wander / wander.std()
        wander_drawn = {"line_wander": multiple}
    return WidePair(surface=surface, image=image, tip=tip, pixel_size_nm=px, scene=scene, noise_nm=noise,
                    parameters={"scene": scene, "pixel_size_nm": px, "tip": tip_params, "noise_nm": noise, **tilt,
                                **wander_drawn})


def pairs_per_scene(spec: WideSpec, seed: int, n_per_scene: int) -> Iterator[WidePair]:
    """Yield pairs of the wide generator until every scene kind of ``spec`` has ``n_per_scene``.

    Pair ``i`` is drawn from the ``i``-th child of ``SeedSequence(seed)``; a pair whose kind is
    full is skipped.  The same seed gives the same pairs, and a larger ``n_per_scene`` keeps them.

    Examples
    --------
    >>> spec = WideSpec(shape=(32, 32), scenes=("caps", "ridges"), size_nm=(2.0, 10.0))
    >>> sorted(pair.scene for pair in pairs_per_scene(spec, 5, 2))
    ['caps', 'caps', 'ridges', 'ridges']
    """
    if n_per_scene < 1:
        raise InputError(f"n_per_scene must be >= 1; got {n_per_scene}")
    counts = dict.fromkeys(spec.scenes, 0)
    sequence = np.random.SeedSequence(seed)
    for _ in range(50 * n_per_scene * len(counts)):  # a kind never drawn cannot hang the caller
        if min(counts.values()) >= n_per_scene:
            return
        pair = make_wide_pair(spec, sequence.spawn(1)[0])
        if counts[pair.scene] < n_per_scene:
            counts[pair.scene] += 1
            yield pair
    raise InputError(f"scene kinds still short of {n_per_scene} pairs after {50 * n_per_scene * len(counts)} draws: "
                     f"{[k for k, v in counts.items() if v < n_per_scene]}")
