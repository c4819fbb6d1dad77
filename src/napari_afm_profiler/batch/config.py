"""The batch configuration: a small YAML file, validated into frozen dataclasses."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from napari_afm_profiler.errors import InputError

DEFAULT_YAML = """\
# afm-profiler batch configuration (write a fresh one with: afm-profiler batch create-config)
# Every key is optional; what is left out keeps the value shown here.

# Channel(s) to analyse, by name as the instrument calls them (see: afm-profiler info FILE).
# null: the first height channel of each file. A list analyses several channels; their
# parameters become columns prefixed "<channel>:".
channels: null

# Levelling before anything else: none, plane, poly2, poly3, lines-median, lines-mean,
# lines-poly, lines-match.
level: plane

# Tip deconvolution with a trained network (slow on CPU for large images).
deconvolution:
  enabled: false
  model: default          # "default" (shipped) or a model folder
  # the tip that made the images: null (the model's nominal tip), estimate (blind, per image),
  # a tip file (.npy in nm, with tip_pixel_size_nm, or a Gwyddion export), or a model such as
  # {shape: cone, radius_nm: 10, half_angle_deg: 20}
  tip: null
  tip_pixel_size_nm: null
  mirror_average: false   # average over the image's 3 mirror images too (about 4x the time, closer to the truth)
  dropouts: replace       # pixels lower than the tip can image (dropped scan lines): replace (by their neighbours) or keep

# Where the regions come from:
#   none      - one row per image (region 0)
#   file      - a labels image beside each file: <stem><suffix>.npy or .tif (0 = background)
#   threshold - pixels higher than threshold_nm above the levelled mean plane (null: Otsu)
#   particles - particle segmentation: higher than threshold_nm above the robust substrate level
#               (null: Otsu), touching particles split by watershed, smaller than min_area_px dropped
labels:
  source: none
  suffix: _labels
  threshold_nm: null
  min_area_px: 20

roughness:
  groups: all             # or a list: [height, hybrid, spatial, functional, features, fractal, spip]
  level: plane            # F-operator in each evaluation area: plane, poly2 ... poly6, or none (mean only)
  s_filter_nm: null       # S-filter nesting index, nm (areal Gaussian, ISO 16610-61); null: none
  l_filter_nm: null       # L-filter nesting index, nm (then the S-L surface is evaluated); null: none
  l_filter_robust: false  # robust Gaussian L-filter (ISO 16610-71)
  region_level: own       # regions levelled by their own fit, by the substrate's (background) fit, or none
  border_erosion_px: 0
  tiles: null             # without labels: average over tiles, e.g. [2, 2]
  wolf_pruning_pct: 5.0
  acf_threshold: 0.2

# Apply a trained classifier (a folder from: afm-profiler classify train); adds predicted_class
# and probability columns. Its parameter columns must be among the ones computed here.
classification:
  model: null
"""


@dataclass(frozen=True)
class DeconvolutionConfig:
    """Optional network deconvolution of each image."""

    enabled: bool = False
    model: str = "default"
    tip: str | dict[str, Any] | None = None
    tip_pixel_size_nm: float | None = None
    mirror_average: bool = False
    dropouts: str = "replace"

    def __post_init__(self) -> None:
        if not isinstance(self.mirror_average, bool):
            raise InputError(f"deconvolution.mirror_average must be true or false; got {self.mirror_average!r}")
        from napari_afm_profiler.deconv.names import DROPOUT_MODES

        if self.dropouts not in DROPOUT_MODES:
            raise InputError(f"deconvolution.dropouts must be one of {', '.join(DROPOUT_MODES)}; got "
                             f"{self.dropouts!r}")
        tip = self.tip
        if isinstance(tip, dict):
            if not {"shape", "radius_nm"} <= set(tip) or set(tip) - {"shape", "radius_nm", "half_angle_deg"}:
                raise InputError("deconvolution.tip as a model needs shape and radius_nm (and half_angle_deg for a "
                                 f"cone or pyramid) and nothing else; got {tip}")
        elif tip is not None and not isinstance(tip, str):
            raise InputError(f"deconvolution.tip must be null, 'estimate', a tip file or a tip model; got {tip!r}")


@dataclass(frozen=True)
class LabelsConfig:
    """Where the regions of each image come from."""

    source: str = "none"
    suffix: str = "_labels"
    threshold_nm: float | None = None
    min_area_px: int = 20


@dataclass(frozen=True)
class RoughnessConfig:
    """Roughness parameters to compute."""

    groups: str | list[str] = "all"
    level: str = "plane"
    s_filter_nm: float | None = None
    l_filter_nm: float | None = None
    l_filter_robust: bool = False
    region_level: str = "own"
    border_erosion_px: int = 0
    tiles: list[int] | None = None
    wolf_pruning_pct: float = 5.0
    acf_threshold: float = 0.2


@dataclass(frozen=True)
class ClassificationConfig:
    """Optional classifier applied to every row."""

    model: str | None = None


@dataclass(frozen=True)
class BatchConfig:
    """Everything a batch run does to each file.

    Attributes
    ----------
    channels : list of str or None
        Channels to analyse (None: the first height channel).
    level : str
        Levelling method (``level.LEVEL_METHODS``) or ``"none"``.
    deconvolution, labels, roughness, classification
        The optional steps.
    """

    channels: list[str] | None = None
    level: str = "plane"
    deconvolution: DeconvolutionConfig = field(default_factory=DeconvolutionConfig)
    labels: LabelsConfig = field(default_factory=LabelsConfig)
    roughness: RoughnessConfig = field(default_factory=RoughnessConfig)
    classification: ClassificationConfig = field(default_factory=ClassificationConfig)

    def __post_init__(self) -> None:
        from napari_afm_profiler.preprocess import LEVEL_METHODS
        from napari_afm_profiler.roughness.compute import resolve_groups

        if self.level != "none" and self.level not in LEVEL_METHODS:
            raise InputError(f"level must be 'none' or one of {sorted(LEVEL_METHODS)}; got {self.level!r}")
        if self.labels.source not in ("none", "file", "threshold", "particles"):
            raise InputError(f"labels.source must be none, file, threshold or particles; got {self.labels.source!r}")
        resolve_groups(self.roughness.groups)
        from napari_afm_profiler.roughness import RoughnessSettings
        from napari_afm_profiler.roughness.tables import REGION_LEVELS

        r = self.roughness
        RoughnessSettings(level=r.level, s_filter_nm=r.s_filter_nm, l_filter_nm=r.l_filter_nm)  # checks them
        if r.region_level not in REGION_LEVELS:
            raise InputError(f"roughness.region_level must be one of {', '.join(REGION_LEVELS)}; got {r.region_level!r}")
        tiles = self.roughness.tiles
        if tiles is not None and (len(tiles) != 2 or min(tiles) < 1):
            raise InputError(f"roughness.tiles must be two positive integers like [2, 2]; got {tiles}")

    def as_dict(self) -> dict[str, Any]:
        """Return the configuration as plain data."""
        return asdict(self)

    def digest(self) -> str:
        """Hash of everything that changes results (a re-run with another config redoes every file)."""
        text = json.dumps(self.as_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


_SECTIONS = {"deconvolution": DeconvolutionConfig, "labels": LabelsConfig, "roughness": RoughnessConfig,
             "classification": ClassificationConfig}


def config_from_dict(data: dict[str, Any] | None, *, source: str = "configuration") -> BatchConfig:
    """Validate plain data (as parsed from YAML) into a :class:`BatchConfig`.

    Parameters
    ----------
    data : dict or None
        None or ``{}`` gives the defaults.
    source : str
        Name used in error messages (the file name).

    Returns
    -------
    BatchConfig

    Examples
    --------
    >>> config = config_from_dict({"level": "poly2", "roughness": {"groups": ["height", "spatial"]}})
    >>> config.level, config.roughness.groups
    ('poly2', ['height', 'spatial'])
    """
    data = dict(data or {})
    top = {f for f in BatchConfig.__dataclass_fields__}
    unknown = set(data) - top
    if unknown:
        raise InputError(f"{source}: unknown key(s) {sorted(unknown)}; known keys are {sorted(top)}")
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key in _SECTIONS:
            cls = _SECTIONS[key]
            if value is None:
                value = {}
            if not isinstance(value, dict):
                raise InputError(f"{source}: {key} must be a mapping of settings")
            bad = set(value) - set(cls.__dataclass_fields__)
            if bad:
                raise InputError(f"{source}: unknown key(s) {sorted(bad)} under {key}; known are "
                                 f"{sorted(cls.__dataclass_fields__)}")
            kwargs[key] = cls(**value)
        elif key == "channels" and isinstance(value, str):
            kwargs[key] = [value]
        else:
            kwargs[key] = value
    try:
        return BatchConfig(**kwargs)
    except TypeError as exc:
        raise InputError(f"{source}: {exc}") from None


def load_config(path: str | Path | None) -> BatchConfig:
    """Read a YAML configuration file (None: the defaults).

    Parameters
    ----------
    path : str, Path or None

    Returns
    -------
    BatchConfig

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "batch.yaml"
    >>> _ = path.write_text(DEFAULT_YAML.replace("level: plane", "level: poly3"))
    >>> load_config(path).level
    'poly3'
    """
    import yaml

    if path is None:
        return BatchConfig()
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{p.name}: no such configuration file") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"{p.name}: not valid YAML ({exc})") from None
    if data is not None and not isinstance(data, dict):
        raise InputError(f"{p.name}: the configuration must be a mapping of settings")
    return config_from_dict(data, source=p.name)
