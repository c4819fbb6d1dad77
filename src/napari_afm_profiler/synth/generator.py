"""Paired virtual data: a true surface, its simulated AFM image, the object mask and ground truth.

The paper's recipe (``../shared/papers/deep-learning-tip-deconvolution.txt``): 128 x 128 images
at 1 nm/px of domes, cuboids, prisms and cylinders 16-20 nm across, or fractal rough surfaces
with 5 nm RMS, dilated by a cone tip of ~10 nm apex radius.  Every pair is made from its own
seed (``SeedSequence(seed).spawn``), so any pair can be regenerated alone and datasets are
reproducible whatever the order or the number of workers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Generator, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.progress import drain
from napari_afm_profiler.synth.artifacts import ArtifactSpec, apply_artifacts
from napari_afm_profiler.synth.names import KINDS
from napari_afm_profiler.synth.objects import OBJECT_KINDS, ObjectSpec, PlacedObject, place_objects
from napari_afm_profiler.synth.scene import fractal_surface
from napari_afm_profiler.tip import TIP_SHAPES, dilate, make_tip
from napari_afm_profiler.tip.models import crop_tip


@dataclass(frozen=True)
class TipSpec:
    """The tip that images the virtual surfaces, and its random variation per pair.

    Attributes
    ----------
    shape : str
        A tip model of :data:`napari_afm_profiler.tip.TIP_SHAPES` (default: cone, as the paper).
    radius_nm, half_angle_deg : float
        Apex radius and side half-angle.
    variation : float
        Relative random variation of radius and half-angle per pair (0: the same tip).
    """

    shape: str = "cone"
    radius_nm: float = 10.0
    half_angle_deg: float = 20.0
    variation: float = 0.0

    def check(self) -> None:
        """Raise :class:`InputError` naming the first impossible parameter."""
        if self.shape not in TIP_SHAPES:
            raise InputError(f"tip shape must be one of {', '.join(TIP_SHAPES)}; got {self.shape!r}")
        if not 0 <= self.variation < 1:
            raise InputError(f"tip variation must be in [0, 1); got {self.variation}")
        make_tip(self.shape, pixel_size_nm=1.0, radius_nm=self.radius_nm, half_angle_deg=self.half_angle_deg, size=3)

    def draw(self, rng: np.random.Generator) -> tuple[float, float]:
        """Draw the radius and half-angle of one pair's tip."""
        if not self.variation:
            return self.radius_nm, self.half_angle_deg
        spread = rng.uniform(1 - self.variation, 1 + self.variation, 2)
        return self.radius_nm * float(spread[0]), min(89.0, self.half_angle_deg * float(spread[1]))


@dataclass(frozen=True)
class SynthConfig:
    """Everything that defines a virtual dataset (defaults: the paper's domes).

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    shape : (ny, nx)
        Image size in pixels.
    pixel_size_nm : float
        Lateral sampling.
    objects : ObjectSpec
        Object ranges (object kinds and ``mixed``).
    mixed_kinds : tuple of str
        Classes drawn per object in a ``mixed`` scene.
    substrate_rms_nm, substrate_hurst : float
        Rough substrate under the objects (0: flat, as the paper; ``mixed`` uses 1 nm when 0).
    fractal_rms_nm, fractal_hurst : float
        The ``fractal`` kind (paper: 5 nm RMS; it does not give the Hurst exponent).  H = 0.5
        reproduces the paper's tip effect: with the default cone, Ra goes from 4.04 +- 0.08 to
        3.72 +- 0.18 nm (paper: 4.01 +- 0.10 to 3.75 +- 0.17 nm), ``benchmarks/RESULTS.md``.
    tip : TipSpec
        The imaging tip.
    artifacts : ArtifactSpec
        Imaging artifacts (off by default).
    """

    kind: str = "dome"
    shape: tuple[int, int] = (128, 128)
    pixel_size_nm: float = 1.0
    objects: ObjectSpec = field(default_factory=ObjectSpec)
    mixed_kinds: tuple[str, ...] = OBJECT_KINDS
    substrate_rms_nm: float = 0.0
    substrate_hurst: float = 0.8
    fractal_rms_nm: float = 5.0
    fractal_hurst: float = 0.5
    tip: TipSpec = field(default_factory=TipSpec)
    artifacts: ArtifactSpec = field(default_factory=ArtifactSpec)

    def check(self) -> None:
        """Raise :class:`InputError` naming the first impossible parameter."""
        if self.kind not in KINDS:
            raise InputError(f"kind must be one of {', '.join(KINDS)}; got {self.kind!r}")
        ny, nx = self.shape
        if int(ny) != ny or int(nx) != nx or ny < 8 or nx < 8:
            raise InputError(f"shape must be at least 8 x 8 whole pixels; got {self.shape}")
        if not (math.isfinite(self.pixel_size_nm) and self.pixel_size_nm > 0):
            raise InputError(f"pixel_size_nm must be > 0; got {self.pixel_size_nm}")
        if self.substrate_rms_nm < 0:
            raise InputError(f"substrate_rms_nm must be >= 0; got {self.substrate_rms_nm}")
        if self.kind == "fractal" and not self.fractal_rms_nm > 0:
            raise InputError(f"fractal_rms_nm must be > 0; got {self.fractal_rms_nm}")
        for name in ("fractal_hurst", "substrate_hurst"):
            if not 0 < getattr(self, name) < 1:
                raise InputError(f"{name} must be in (0, 1); got {getattr(self, name)}")
        if self.kind == "mixed" and (not self.mixed_kinds or set(self.mixed_kinds) - set(OBJECT_KINDS)):
            raise InputError(f"mixed_kinds must be some of {', '.join(OBJECT_KINDS)}; got {self.mixed_kinds}")
        if self.kind != "fractal":
            self.objects.check()
            largest = max(self.objects.size_nm[1], self.objects.size_nm[1] * (self.objects.rod_length[1]
                                                                             if "rod" in self._kinds() else 1))
            if largest > min(self.shape) * self.pixel_size_nm:
                raise InputError(f"objects up to {largest:.4g} nm do not fit in a "
                                 f"{self.shape[0] * self.pixel_size_nm:.4g} nm image; reduce size_nm or enlarge the image")
        self.tip.check()
        self.artifacts.check()

    def _kinds(self) -> tuple[str, ...]:
        return self.mixed_kinds if self.kind == "mixed" else (self.kind,)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form, stored with a dataset."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SynthConfig:
        """Rebuild a configuration from :meth:`to_dict` output (e.g. a dataset's parameters)."""
        data = dict(data)
        objects = ObjectSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.pop("objects", {}).items()})
        tip = TipSpec(**data.pop("tip", {}))
        artifacts = ArtifactSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.pop("artifacts", {}).items()})
        for key in ("shape", "mixed_kinds"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(objects=objects, tip=tip, artifacts=artifacts, **data)


@dataclass(frozen=True)
class Pair:
    """One training pair with its ground truth."""

    surface: np.ndarray
    image: np.ndarray
    mask: np.ndarray
    tip: np.ndarray
    tip_radius_nm: float
    tip_half_angle_deg: float
    objects: list[PlacedObject]


def _true_surface(config: SynthConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[PlacedObject]]:
    px = (config.pixel_size_nm, config.pixel_size_nm)
    if config.kind == "fractal":
        surface = fractal_surface(config.shape, rms_nm=config.fractal_rms_nm, hurst=config.fractal_hurst,
                                  pixel_size_nm=config.pixel_size_nm, seed=rng)
        return surface, np.zeros(config.shape, np.int32), []
    rms = config.substrate_rms_nm or (1.0 if config.kind == "mixed" else 0.0)
    base = (fractal_surface(config.shape, rms_nm=rms, hurst=config.substrate_hurst, pixel_size_nm=config.pixel_size_nm,
                            seed=rng) if rms else np.zeros(config.shape))
    return place_objects(base, config._kinds(), config.objects, pixel_size_nm=px, rng=rng)


def make_pair(config: SynthConfig, seed: int | np.random.SeedSequence, *, tip: np.ndarray | None = None) -> Pair:
    """Make one pair: the true surface, its image by the (varied) tip with artifacts, and ground truth.

    Parameters
    ----------
    config : SynthConfig
        What to make.
    seed : int or SeedSequence
        This pair's seed.
    tip : (n, n) float ndarray, optional
        Image with this tip array (on the config's pixel grid) instead of ``config.tip``.

    Returns
    -------
    Pair
        Surface and image in nm (the image is >= the surface wherever no artifact is on).

    Examples
    --------
    >>> from napari_afm_profiler.synth import SynthConfig
    >>> config = SynthConfig(shape=(32, 32))
    >>> pair = make_pair(config, 0)
    >>> pair.image.shape, bool((pair.image >= pair.surface - 1e-9).all())  # an image is never below the surface
    ((32, 32), True)
    """
    rng = np.random.default_rng(seed)
    surface, mask, objects = _true_surface(config, rng)
    radius, angle = config.tip.draw(rng)
    if tip is None:
        z_range = float(np.ptp(surface)) or 1.0
        tip = make_tip(config.tip.shape, pixel_size_nm=config.pixel_size_nm, radius_nm=radius,
                       half_angle_deg=angle if "half_angle_deg" in TIP_SHAPES[config.tip.shape][1] else None,
                       height_nm=z_range).heights
    else:
        radius, angle = math.nan, math.nan
    tip = crop_tip(tip, min(config.shape))  # a very blunt tip on a small image
    image = dilate(surface, tip)
    if config.artifacts.any:
        image = apply_artifacts(image, config.artifacts, pixel_size_nm=(config.pixel_size_nm,) * 2, rng=rng)
    return Pair(surface=surface, image=image, mask=mask, tip=tip, tip_radius_nm=radius, tip_half_angle_deg=angle,
                objects=objects)


def pair_seeds(seed: int, n: int) -> list[np.random.SeedSequence]:
    """Independent seeds of the ``n`` pairs of a dataset."""
    return np.random.SeedSequence(seed).spawn(n)


def iter_pairs(config: SynthConfig, seed: int = 0, *, tip: np.ndarray | None = None) -> Iterator[Pair]:
    """Endless stream of pairs (for training on the fly); pair ``i`` is the same as in a dataset of the same seed.

    Examples
    --------
    >>> from napari_afm_profiler.synth import SynthConfig
    >>> config = SynthConfig(shape=(32, 32))
    >>> from itertools import islice
    >>> [p.image.shape for p in islice(iter_pairs(config, seed=1), 2)]
    [(32, 32), (32, 32)]
    """
    config.check()
    root = np.random.SeedSequence(seed)
    while True:
        for child in root.spawn(1024):
            yield make_pair(config, child, tip=tip)


def generate_dataset(config: SynthConfig, n: int, seed: int = 0, *, tip: np.ndarray | None = None,
                     ) -> Generator[tuple[str, int, int], None, dict[str, Any]]:
    """Make ``n`` pairs, yielding ``("pairs", i, n)`` progress; returns the dataset dict (see :func:`dataset_arrays`).

    Examples
    --------
    >>> from napari_afm_profiler.synth import SynthConfig
    >>> config = SynthConfig(shape=(32, 32))
    >>> from napari_afm_profiler.progress import drain
    >>> progress = []
    >>> data = drain(generate_dataset(config, 2, seed=0), progress.append)
    >>> progress[-1][1:], data["image"].shape
    ((2, 2), (2, 32, 32))
    """
    config.check()
    if int(n) != n or n < 1:
        raise InputError(f"number of pairs must be >= 1; got {n}")
    pairs = []
    for i, child in enumerate(pair_seeds(seed, int(n))):
        pairs.append(make_pair(config, child, tip=tip))
        yield "pairs", i + 1, int(n)
    return dataset_arrays(pairs, config=config, seed=seed, extra={"tip_from": "array" if tip is not None else "config"})


def make_dataset(config: SynthConfig, n: int, seed: int = 0, *, tip: np.ndarray | None = None) -> dict[str, Any]:
    """Make ``n`` pairs at once (see :func:`generate_dataset` for progress).

    Examples
    --------
    >>> from napari_afm_profiler.synth import SynthConfig
    >>> config = SynthConfig(shape=(32, 32))
    >>> data = make_dataset(config, 3, seed=0)
    >>> data["image"].shape, data["surface"].shape
    ((3, 32, 32), (3, 32, 32))
    """
    steps = generate_dataset(config, n, seed, tip=tip)
    return drain(steps)


def dataset_arrays(pairs: list[Pair], *, config: SynthConfig | None = None, seed: int | None = None,
                   kind: str | None = None, pixel_size_nm: float | None = None,
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Stack pairs into the dataset format of ``../shared/design.md``.

    Keys: ``surface``, ``image``, ``mask`` ``(n, ny, nx)``; ``pixel_size_nm``; ``kind``;
    ``tip`` (the nominal tip) and per-pair ``tip_radius_nm`` / ``tip_half_angle_deg``;
    ``objects_*`` columns (one row per object, ``objects_pair`` its pair index); and
    ``parameters`` (JSON of the generator configuration and seed).
    """
    if not pairs:
        raise InputError("a dataset needs at least one pair")
    rows = [(i, o) for i, p in enumerate(pairs) for o in p.objects]
    nominal = max((p.tip for p in pairs), key=lambda t: t.shape[0])
    params = {"generator": "napari_afm_profiler.synth", "seed": seed,
              "config": config.to_dict() if config is not None else None, **(extra or {})}
    return {
        "surface": np.stack([p.surface for p in pairs]),
        "image": np.stack([p.image for p in pairs]),
        "mask": np.stack([p.mask for p in pairs]).astype(np.int32),
        "pixel_size_nm": float(pixel_size_nm if pixel_size_nm is not None else config.pixel_size_nm),
        "kind": kind or (config.kind if config is not None else "pairs"),
        "tip": nominal,
        "tip_radius_nm": np.array([p.tip_radius_nm for p in pairs]),
        "tip_half_angle_deg": np.array([p.tip_half_angle_deg for p in pairs]),
        "objects_pair": np.array([i for i, _ in rows], dtype=np.int32),
        "objects_label": np.array([o.label for _, o in rows], dtype=np.int32),
        "objects_kind": np.array([o.kind for _, o in rows], dtype="U8"),
        "objects_center_nm": np.array([o.center_nm for _, o in rows], dtype=float).reshape(-1, 2),
        "objects_height_nm": np.array([o.height_nm for _, o in rows]),
        "objects_area_nm2": np.array([o.area_nm2 for _, o in rows]),
        "objects_pixel_area_nm2": np.array([o.pixel_area_nm2 for _, o in rows]),
        "parameters": json.dumps(params),
    }
