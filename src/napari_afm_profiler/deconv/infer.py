"""Inference: load a model folder (safetensors + JSON card) and deconvolve images of any size and pixel size.

The tip the user gives (model, array, file or blind estimate; the model's nominal tip
otherwise) is brought onto the image's grid.  A tip-conditioned network sees the image, its
Villarrubia erosion by that tip, the certainty map and the tip's profile; the image is resampled
only when its pixel size lies outside the model's trained range.  NaN pixels are filled for the
network and restored.  Large images are cut into tiles whose cores see the network's whole
receptive field, so tiling changes nothing.  The result is made physically consistent on the
image's own grid: never above the erosion, equal to it where the tip certainly touched (for
networks trained so, the erosion is first raised by the expected pull of the image's noise where
the tip did not certainly touch), and ``image - dilate(result, tip)`` is returned and summarised
as a consistency check.  The
uncertainty is the network's 90 % interval of the true height, calibrated on held-out data
(older networks: the spread over the four mirror images of the input).  On request the network
runs on the image and its three mirror images and its outputs are averaged (``mirror_average``).
"""

from __future__ import annotations

import functools
import json
import math
import os
import warnings
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import ndimage as ndi

from napari_afm_profiler.deconv.calibration import broadening_nm, calibrated_interval, line_noise_unit, pixel_regime
from napari_afm_profiler.deconv.coarse import erosion_interval, erosion_limit_nm, erosion_surface
from napari_afm_profiler.deconv.conditioning import (
    CERTAINTY_TOLERANCE,
    condition_maps,
    condition_vector,
    erosion_noise_bias,
    substrate_background,
    usable_tip,
)
from napari_afm_profiler.deconv.conditioning import substrate_plane as substrate_plane
from napari_afm_profiler.deconv.model import QUANTILES, build_model
from napari_afm_profiler.deconv.names import DROPOUT_MODES, MIRROR_PASSES
from napari_afm_profiler.deconv.tip_estimator import TipUnreadableError
from napari_afm_profiler.deconv.tips import (
    ESTIMATE,
    TipChoice,
    TipCroppedWarning,
    TipRangeWarning,
    dropout_tips,
    limit_blind_estimate,
    noise_level,
    resolve_tip,
    tip_crop_loss,
    tip_outside_training,
    tips_read_from_image,
)
from napari_afm_profiler.errors import AFMFormatError, InputError
from napari_afm_profiler.io.unscanned import unscanned_to_nan
from napari_afm_profiler.pixels import check_resampled_size, pixel_size_pair
from napari_afm_profiler.progress import drain
from napari_afm_profiler.tip import certainty_map, dilate, erode, make_tip
from napari_afm_profiler.tip.dropouts import (
    find_dropouts,
    line_noise_ratio,
    noise_levels,
    replace_dropouts,
    sharpen_for_cliffs,
)
from napari_afm_profiler.tip.models import Tip, TipResampledWarning, tip_for_pixel_size

LINE_NOISE_NOTE_RATIO = 1.25
"""Across/along noise ratio from which the notes speak of scan-line noise (white noise reads 1 +- a few %)."""

REFUSED_SUFFIXES = (".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".bin")


class PixelSizeWarning(UserWarning):
    """The image's pixel size differs from the model's; it is resampled."""


@dataclass(frozen=True)
class LoadedModel:
    """A network ready for inference with its card and nominal tip (on the model's grid)."""

    network: torch.nn.Module
    card: dict[str, Any]
    tip: np.ndarray
    path: Path

    @property
    def pixel_size_nm(self) -> float:
        """The pixel size the model was trained at (the middle of its range)."""
        return float(self.card["pixel_size_nm"])

    @property
    def pixel_size_range(self) -> tuple[float, float]:
        """The pixel sizes the model was trained on; images outside are resampled into it."""
        lo, hi = self.card.get("pixel_size_range_nm") or (self.pixel_size_nm, self.pixel_size_nm)
        return float(lo), float(hi)

    @property
    def noise_corrected(self) -> bool:
        """Whether the network bounds its result by the noise-corrected erosion (see ``TrainConfig``)."""
        return bool((self.card.get("training") or {}).get("erosion_noise_correction", False))

    @property
    def tip_conditioned(self) -> bool:
        """Whether the network takes the tip (erosion, certainty and tip profile) as input."""
        return self.card.get("architecture") == "tip-conditioned-unet"

    def interval(self, quantiles: np.ndarray, level: float, certain: np.ndarray, broadening: float = 0.0,
                 pixel_size_nm: float | tuple[float, float] | None = None, noise_nm: float = 0.0,
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Return the calibrated ``level`` interval from the network's quantiles ``(5, ny, nx)`` and the certainty map.

        ``broadening`` is the frame's :func:`~napari_afm_profiler.deconv.calibration.broadening_nm`;
        cards calibrated on the pipeline split their margins by it (and by each pixel's width
        relative to it, and by the frame's ``pixel_size_nm`` against the trained range), and
        newer ones widen each pixel's floor by the frame's ``noise_nm``.
        """
        intervals = self.card.get("intervals") or {}
        regime = None
        if intervals.get("pixel_regimes"):
            if pixel_size_nm is None:
                raise ValueError(f"{self.path.name}'s intervals depend on the pixel size: give pixel_size_nm")
            fine = intervals.get("fine")  # margins of their own below the main calibration pairs' pixel sizes
            regime = pixel_regime(pixel_size_nm, self.pixel_size_range,
                                  finest_below=float(fine["pixel_size_nm"][1]) if fine else None)
        return calibrated_interval(quantiles, level, intervals.get(str(level)), certain, broadening,
                                   intervals.get("broadening_edges_nm", ()), intervals.get("relative_width_edges", ()),
                                   regime, noise_nm=noise_nm,
                                   noise_factor=float(intervals.get("noise_width_factor", 0.0)))


def model_folder(name_or_path: str | Path) -> Path:
    """Resolve ``"default"`` (shipped in the package) or a folder / ``.safetensors`` file to a model folder."""
    if str(name_or_path) == "default":
        return Path(str(resources.files("napari_afm_profiler.deconv") / "models" / "default"))
    path = Path(name_or_path)
    if path.suffix.lower() in REFUSED_SUFFIXES:
        raise AFMFormatError(path, "only safetensors model files are accepted (pickle-based files can run code)")
    return path.parent if path.suffix.lower() in (".safetensors", ".json") else path


def read_model_folder(path: Path, what: str = "model") -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read a model folder's card (``config.json``) and weights (``weights.safetensors``).

    A missing file, a card that is not JSON or weights that are not safetensors raise
    :class:`AFMFormatError` naming the file; ``what`` names the kind of model in the message.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    card_file, weights = path / "config.json", path / "weights.safetensors"
    for f in (card_file, weights):
        if not f.is_file():
            raise AFMFormatError(f, f"{what} file missing: a {what} folder holds config.json and weights.safetensors")
    try:
        card = json.loads(card_file.read_text())
    except ValueError as exc:
        raise AFMFormatError(card_file, f"not a {what} card (not JSON): {exc}") from exc
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise AFMFormatError(weights, f"not a readable safetensors file ({exc})") from exc
    return card, state


@functools.lru_cache(maxsize=4)
def _load(folder: str) -> LoadedModel:
    path = Path(folder)
    card, state = read_model_folder(path)
    try:
        architecture, kwargs = card["architecture"], dict(card["model"])
        float(card["pixel_size_nm"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AFMFormatError(path / "config.json", "not a model card (needs architecture, model, pixel_size_nm): "
                                                   f"{exc}") from exc
    weights = path / "weights.safetensors"
    network = build_model(architecture, **kwargs)
    try:
        network.load_state_dict(state)
    except RuntimeError as exc:
        raise AFMFormatError(weights, f"weights do not fit the {architecture} described in config.json") from exc
    network.eval().to(_device())
    tip = card.get("tip") or {}
    tip_array = make_tip(tip.get("shape", "cone"), pixel_size_nm=float(card["pixel_size_nm"]),
                         radius_nm=float(tip.get("radius_nm", 10.0)),
                         half_angle_deg=tip.get("half_angle_deg") if tip.get("shape", "cone") in ("cone", "pyramid")
                         else None, height_nm=60.0).heights
    return LoadedModel(network=network, card=card, tip=tip_array, path=path)


def _device() -> torch.device:
    """CUDA when PyTorch sees a GPU, else the CPU; ``AFM_PROFILER_DEVICE`` (cpu, cuda, cuda:1 …) overrides."""
    wanted = os.environ.get("AFM_PROFILER_DEVICE")
    if wanted:
        try:
            device = torch.device(wanted)
        except RuntimeError as exc:
            raise InputError(f"AFM_PROFILER_DEVICE={wanted!r} is not a torch device ({exc})") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise InputError(f"AFM_PROFILER_DEVICE={wanted!r} but PyTorch sees no CUDA device")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_model(name_or_path: str | Path = "default") -> LoadedModel:
    """Load (once, cached) a model by name or path; foreign or corrupt files raise :class:`AFMFormatError`.

    Examples
    --------
    >>> model = load_model()  # the network shipped in the package
    >>> model.pixel_size_nm > 0
    True
    """
    return _load(str(model_folder(name_or_path).resolve()))


@dataclass(frozen=True)
class Deconvolved:
    """Result of :func:`deconvolve`.

    Attributes
    ----------
    surface : ndarray
        The deconvolved surface (nm): never above the Villarrubia erosion by the tip used, and
        equal to it where the certainty map says the tip touched (the noise-corrected erosion,
        :func:`~napari_afm_profiler.deconv.conditioning.erosion_noise_bias`, for networks
        trained with it).
    uncertainty : ndarray or None
        Half-width of the calibrated 90 % interval (tip-conditioned models), or the spread over
        mirror images (older models, with ``uncertainty=True``).
    notes : tuple of str
        What was done (tip, resampling, NaN filling, consistency) in words.
    lower, upper : ndarray or None
        The calibrated 90 % interval of the true height (tip-conditioned models).
    lower50, upper50 : ndarray or None
        The calibrated 50 % interval.
    consistency : ndarray or None
        ``image - dilate(surface, tip)`` (nm, >= 0): how far the result, imaged by the tip, lies
        below the image.  Near the noise level where the result explains the image.
    summary : dict
        The tip used, the noise level, consistency statistics, whether the result is flagged and
        ``tip_unexplained_share``: the share of pixels, in frames that fail the check, that the
        erosion by the tip, imaged by it, leaves more than 3x the noise below the image (the
        tip's part of the failure, not the network's; :func:`tip_is_the_cause`), and
        ``dropout_pixels``: how many pixels were replaced as dropouts, and, with the blind bound
        as the tip, ``steps_steeper_than_tip_nm``: by how much the image falls faster than its
        flanks allow (0 if nowhere), so the result may lie that far below steep steps' tops;
        ``line_noise_ratio``: the image's noise read across the scan lines over that read along
        them (1 for white noise, infinite where the lines are noise-free along their length), and
        ``line_noise_unit_nm``: ``(ratio - 1)`` noise SDs, which the interval's bounds moved out
        by a calibrated factor of, and ``line_noise_widening_nm``: how far the 90 % interval's
        bounds moved out for it (medians over a stack's frames).
    dropouts : bool ndarray or None
        The pixels replaced as dropouts (``deconvolve(dropouts="replace")``), shaped like the
        image; None where none were.
    """

    surface: np.ndarray
    uncertainty: np.ndarray | None
    notes: tuple[str, ...]
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    consistency: np.ndarray | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    lower50: np.ndarray | None = None
    upper50: np.ndarray | None = None
    dropouts: np.ndarray | None = None


def _resize(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if a.shape == tuple(shape):
        return a
    from skimage.transform import resize

    return resize(a, shape, order=1, mode="edge", anti_aliasing=False, preserve_range=True)


def _fill_nan(a: np.ndarray) -> np.ndarray:
    bad = ~np.isfinite(a)
    if not bad.any():
        return a
    idx = ndi.distance_transform_edt(bad, return_distances=False, return_indices=True)
    return a[tuple(idx)]


@functools.lru_cache(maxsize=8)
def _receptive_radius(network: torch.nn.Module) -> int:
    """Measured receptive radius (px) of a network: how far an input pixel can change an output pixel.

    One backward pass from the centre output pixel of a 512^2 input with positive weights
    copied from the network, so that no contribution cancels by chance.
    """
    import copy

    probe = copy.deepcopy(network).cpu().float()
    with torch.no_grad():
        for p in probe.parameters():
            p.copy_(p.abs() + 1e-3)
    n = 512
    conditioned = getattr(probe, "n_condition", None) is not None
    x = torch.zeros(1, 3 if conditioned else probe.in_channels, n, n, requires_grad=True)
    out = probe(x, torch.zeros(1, probe.n_condition), torch.zeros(1, 1, 1, 1)) if conditioned else probe(x)
    out[0, :, n // 2, n // 2].sum().backward()
    rows, cols = torch.nonzero(x.grad[0].abs().sum(0) > 0, as_tuple=True)
    return int(max((rows - n // 2).abs().max(), (cols - n // 2).abs().max()))


def _pad_to(maps: np.ndarray, multiple: int) -> np.ndarray:
    ny, nx = maps.shape[-2:]
    py, px = (-ny) % multiple, (-nx) % multiple
    mode = "reflect" if min(ny, nx) > max(py, px) else "edge"
    return np.pad(maps, ((0, 0), (0, py), (0, px)), mode=mode)


def _predictor(model: LoadedModel, condition: np.ndarray | None, reference: float, flips: int):
    """Return a function from input maps ``(c, ny, nx)`` to outputs ``(k, ny, nx)`` (float32 numpy).

    ``flips`` passes see the input and its mirror images (flipped columns, rows, both), each
    output flipped back: a tip-conditioned network's are averaged (its condition, the tip's ring
    profile, is the same for every mirror image), an older network's stacked ``(flips, k, ny, nx)``.
    """
    network = model.network
    device = next(network.parameters()).device
    multiple = int(getattr(network, "multiple", 16))
    cond = None if condition is None else torch.from_numpy(condition[None]).to(device)
    ref = torch.full((1, 1, 1, 1), float(reference), device=device)

    def predict(maps: np.ndarray) -> np.ndarray:
        ny, nx = maps.shape[-2:]
        x = torch.from_numpy(_pad_to(maps, multiple).astype(np.float32))[None].to(device)
        outs = []
        with torch.inference_mode():
            for k in range(flips):
                dims = [d for d, bit in ((-1, 1), (-2, 2)) if k & bit]
                xi = x.flip(dims) if dims else x
                if cond is not None:
                    y = network(xi, cond, ref)
                else:
                    y = network(torch.cat([xi[:, :1] - ref, xi[:, 1:2] - ref][:network.in_channels], dim=1)) + ref
                y = (y.flip(dims) if dims else y)[0, :, :ny, :nx]
                if cond is not None and outs:  # a tip-conditioned network's mirror passes are averaged
                    outs[0] += y
                else:
                    outs.append(y)
        if cond is not None:
            return (outs[0] / flips if flips > 1 else outs[0]).cpu().numpy()
        return np.stack([y.cpu().numpy() for y in outs]) if flips > 1 else outs[0].cpu().numpy()

    return predict


def _tiled(predict, maps: np.ndarray, tile: int, margin: int, multiple: int,
           ) -> Generator[tuple[str, int, int], None, np.ndarray]:
    """Run ``predict`` on tiles whose cores are written without blending: each core sees ``margin`` px of context.

    With ``margin`` at least the network's receptive radius and tile origins on the network's
    pooling grid, every output pixel sees exactly what it sees in one whole-image pass.
    """
    ny, nx = maps.shape[-2:]
    if ny <= tile and nx <= tile:
        yield "tiles", 0, 1
        out = predict(maps)
        yield "tiles", 1, 1
        return out
    margin = -(-margin // multiple) * multiple
    core = max(multiple, (tile - 2 * margin) // multiple * multiple)
    starts = [(y0, x0) for y0 in range(0, ny, core) for x0 in range(0, nx, core)]
    out = None
    for done, (y0, x0) in enumerate(starts):
        yield "tiles", done, len(starts)
        ya, xa = max(0, y0 - margin), max(0, x0 - margin)
        yb, xb = min(ny, y0 + core + margin), min(nx, x0 + core + margin)
        piece = predict(maps[..., ya:yb, xa:xb])
        if out is None:
            out = np.empty((*piece.shape[:-2], ny, nx), np.float32)
        h, w = min(core, ny - y0), min(core, nx - x0)
        out[..., y0:y0 + h, x0:x0 + w] = piece[..., y0 - ya:y0 - ya + h, x0 - xa:x0 - xa + w]
    yield "tiles", len(starts), len(starts)
    return out


def _work_grid(model: LoadedModel, px: tuple[float, float]) -> float:
    """Return the pixel size the network runs at: the image's, brought into the model's trained range."""
    lo, hi = model.pixel_size_range
    return float(np.clip(math.sqrt(px[0] * px[1]), lo, hi))


def _tip_heights(tip: Tip, px: float) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TipResampledWarning)
        return tip_for_pixel_size(tip, (px, px)).heights


def _consistency(filled: np.ndarray, surface: np.ndarray, native_tip: np.ndarray) -> np.ndarray:
    """Return ``max(image - dilate(surface, tip), 0)``: how much of the image the result does not explain."""
    consistency = dilate(surface, native_tip)
    np.subtract(filled, consistency, out=consistency)
    return np.maximum(consistency, 0.0, out=consistency)


def _add_reading(total: dict[str, Any] | None, result: dict[str, Any]) -> dict[str, Any]:
    """Fold one reading's frame result into the running combination (in place: a large frame is not kept twice).

    Surfaces, the intervals' bounds (and older models' spreads) are summed;
    :func:`_averaged_readings` finishes the combination.
    """
    if total is None:
        return dict(result, readings=1)
    for key in ("surface", "lower", "upper", "lower50", "upper50"):
        if total.get(key) is not None:
            total[key] += result[key]
    if total.get("lower") is None and total.get("uncertainty") is not None:
        total["uncertainty"] += result["uncertainty"]
    total["readings"] += 1
    return total


def _scale_intervals(result: dict[str, Any], entry: Mapping[str, Any] | None) -> None:
    """Scale a result's interval bounds about its surface by the factors of a card entry (in place).

    ``intervals["blind"]``: the margins are fitted with the true tip; a tip read from the image
    adds an error they do not know, and on the calibration pairs the blind 90 % interval covered
    90 % of pixels where the given tip's covers the 92 % it aims at.  ``intervals["mirror"]``:
    averaged over the mirror images the result is closer to the truth and the quantiles narrower,
    so the single pass's margins over-cover (:mod:`.pipeline_calibration`).
    ``intervals["blind_mirror"]``: both at once, after the two factors above (the blind factors
    were fitted on one-pass readings; with them alone the averaged readings covered up to 95.1 %
    of a kind's pixels).
    """
    scales = (entry or {}).get("scale") or {}
    surface = result["surface"]
    for level, suffix in (("0.9", ""), ("0.5", "50")):
        factor = scales.get(level)
        lower, upper = result.get(f"lower{suffix}"), result.get(f"upper{suffix}")
        if factor is None or lower is None or upper is None:
            continue
        result[f"lower{suffix}"] = (surface - float(factor) * (surface - lower)).astype(lower.dtype, copy=False)
        result[f"upper{suffix}"] = (surface + float(factor) * (upper - surface)).astype(upper.dtype, copy=False)
    if result.get("lower") is not None:
        result["uncertainty"] = 0.5 * (result["upper"] - result["lower"])


def _line_noise_factors(intervals: Mapping[str, Any], blind: bool) -> tuple[dict[str, float], float]:
    """Return a card's line-noise factors for the mode (``{}`` without them) and the largest calibrated ratio."""
    entry = intervals.get("line_noise") or {}
    factors = (entry.get("factors") or {}).get("blind" if blind else "given") or {}
    return factors, float(entry["ratio_range"][1]) if factors else math.inf


def _widen_for_line_noise(result: dict[str, Any], factors: Mapping[str, float], largest: float) -> float:
    """Widen a result's interval bounds for its frame's scan-line noise by a card entry's factors (in place).

    ``intervals["line_noise"]``: the margins were fitted on virtual scans of white noise.  Each
    real scan line also wanders on its own, an error the result keeps (nothing tells it from the
    surface), and with it the interval covered as few as 68 % of a kind's pixels (benchmarks/
    RESULTS.md, session 42).  Both bounds move out by ``factor x`` :func:`~.calibration.line_noise_unit`,
    one factor per level and per mode (:func:`_line_noise_factors`); ratios above ``largest``
    count as it.  Returns the unit, nm (0 where the frame's noise is white), widened or not.
    """
    unit = line_noise_unit(result["noise_nm"], result["line_noise_ratio"], largest)
    if not factors or result.get("lower") is None:
        return unit
    for level, suffix in (("0.9", ""), ("0.5", "50")):
        if factors.get(level) is None or result.get(f"lower{suffix}") is None:
            continue
        widening = float(factors[level]) * unit
        result[f"lower{suffix}"] -= widening
        result[f"upper{suffix}"] += widening
    result["uncertainty"] = 0.5 * (result["upper"] - result["lower"])
    return unit


def _line_noise_note(calibrated: bool, largest: float, ratio: float, widening_nm: float, erosion_only: bool) -> str:
    """Say how the frame's scan-line noise widened the interval (empty when it did not or could not)."""
    if erosion_only or ratio < LINE_NOISE_NOTE_RATIO:
        return ""
    reading = (f"the noise reads {ratio:.2g} x higher across them than along them" if math.isfinite(ratio)
               else "the lines are noise-free along their length but not across them")
    if not calibrated:
        return (f"uncertainty: the scan lines wander on their own ({reading}), which this model's intervals were not "
                "calibrated for: they may be too narrow")
    beyond = (f"; that is more than the {largest:.2g} x of the calibration scans, so the widening is theirs and may be "
              "too small") if ratio > largest else ""
    return (f"uncertainty: the scan lines wander on their own ({reading}): the 90 % interval's bounds are moved out "
            f"by {widening_nm:.2g} nm (fitted on virtual scans with such wander){beyond}")


def _averaged_readings(total: dict[str, Any], frame: np.ndarray, bluntest: Tip) -> dict[str, Any]:
    """Finish the combination of one frame's results for several readings of the tip (:func:`_add_reading`).

    The surface is the readings' mean and so are the intervals' bounds (each reading's bounds hold
    its surface, so the mean bounds hold the mean surface).  On the wide validation seeds the
    readings' union covered 93-98 % of pixels per kind for a nominal 90 % (58-71 % for 50 %); the
    mean bounds 88-95 % and 44-55 %, like the intervals for a given tip (benchmarks/RESULTS.md).
    The consistency map is recomputed for the mean surface with the bluntest reading: its dilation
    is the highest, so the map shows what no reading of the tip explains.  With the central
    reading, a third more validation images were flagged than with one reading (22 against 15 of
    36); with the bluntest, as many as with one.
    """
    n = total.pop("readings")
    if n == 1:
        return total
    for key in ("surface", "lower", "upper", "lower50", "upper50"):
        if total.get(key) is not None:
            total[key] /= n
    if total.get("lower") is not None:
        total["uncertainty"] = 0.5 * (total["upper"] - total["lower"])
    elif total.get("uncertainty") is not None:
        total["uncertainty"] /= n
    finite = np.isfinite(frame)
    filled = _fill_nan(np.asarray(frame, np.float64))
    surface = np.where(finite, total["surface"], filled)
    consistency = _consistency(filled, surface, usable_tip(bluntest.heights, filled))
    consistency[~finite] = np.nan
    total["consistency"] = consistency
    return total


def _unexplained_by_tip(frame: np.ndarray, tip: Tip, noise_nm: float) -> int:
    """Count the pixels that no surface imaged by ``tip`` explains: the image above its opening by 3x the noise.

    The opening (the erosion imaged by the tip) is the highest image any surface can give with
    this tip, so where the image lies above it, a result's inconsistency is not the network's:
    the image has features sharper than the tip, or artifacts sharper than its noise.
    """
    finite = np.isfinite(frame)
    filled = _fill_nan(np.asarray(frame, np.float64))
    heights = usable_tip(tip.heights, filled)
    residual = filled - dilate(erode(filled, heights), heights)
    return int(((residual > 3.0 * max(float(noise_nm), NOISE_FLOOR_NM)) & finite).sum())


def _erosion_frame(model: LoadedModel, image: np.ndarray, tip: Tip, with_consistency: bool) -> dict[str, Any]:
    """Deconvolve a frame coarser than the model's calibrated pixel sizes: the noise-corrected erosion (:mod:`.coarse`)."""
    finite = np.isfinite(image)
    filled = _fill_nan(np.asarray(image, np.float64))
    native_tip = usable_tip(tip.heights, filled)
    along, across = noise_levels(image)
    noise = max(along, across)
    surface, certain = erosion_surface(filled, native_tip, noise)
    result: dict[str, Any] = {"surface": surface}
    for level, suffix in ((0.9, ""), (0.5, "50")):
        lower, upper = erosion_interval(filled, surface, certain, noise, level, model.card["intervals"]["coarse"])
        result.update({f"lower{suffix}": lower, f"upper{suffix}": upper})
    result["uncertainty"] = 0.5 * (result["upper"] - result["lower"])
    if with_consistency:
        result["consistency"] = _consistency(filled, surface, native_tip)
    for value in result.values():
        value[..., ~finite] = np.nan
    result["noise_nm"] = noise
    result["line_noise_ratio"] = line_noise_ratio(along, across)
    return result


def _frame_steps(model: LoadedModel, image: np.ndarray, px: tuple[float, float], tip: Tip, uncertainty: bool,
                 tile: int, margin: int, keep_quantiles: bool = False, with_consistency: bool = True,
                 erosion_only: bool = False, mirror: bool = False,
                 ) -> Generator[tuple[str, int, int], None, dict[str, Any]]:
    finite = np.isfinite(image)
    if not finite.any():
        raise InputError("the image has no finite pixels")
    if erosion_only:
        return _erosion_frame(model, image, tip, with_consistency)
    filled = _fill_nan(np.asarray(image, np.float64))
    target = _work_grid(model, px)
    same_grid = abs(px[0] - target) < 1e-6 * target and abs(px[1] - target) < 1e-6 * target
    shape = image.shape if same_grid else (max(8, round(image.shape[0] * px[0] / target)),
                                           max(8, round(image.shape[1] * px[1] / target)))
    work = _resize(filled, shape)
    native_tip = usable_tip(tip.heights, filled)
    work_tip = native_tip if same_grid else usable_tip(_tip_heights(tip, target), work)
    # the substrate the network does not see: a large frame's is local (its bow), as in its training scenes
    plane = substrate_background(work) if model.tip_conditioned else substrate_plane(work)
    multiple = int(getattr(model.network, "multiple", 16))
    along, across = noise_levels(image)  # once per frame: for the bound, the condition and the summary
    noise_native = max(along, across)
    noise_work = noise_native if same_grid and finite.all() else noise_level(work)
    if model.tip_conditioned:
        # erosion and certainty of the image as measured (a plane changes the physics); the plane
        # is removed from the heights the network sees, as in training on level scenes
        eroded, certain = condition_maps(work, work_tip, noise_corrected=model.noise_corrected, noise_nm=noise_work)
        # single precision from here to the network, filled in place: an 8192² frame stays within 8 GB
        maps = np.empty((3, *work.shape), np.float32)
        np.subtract(work, plane, out=maps[0], casting="same_kind")
        np.subtract(eroded, plane, out=maps[1], casting="same_kind")
        maps[2] = certain
        condition = condition_vector(work_tip, target, work, model.network.n_condition, noise_nm=noise_work)
        predict = _predictor(model, condition, float(np.median(maps[0])), MIRROR_PASSES if mirror else 1)
        out = yield from _tiled(predict, maps, tile, margin, multiple)
        del maps
        if same_grid:
            out += plane  # (5, ny, nx) float32, in place
            quantiles = out
        else:
            quantiles = np.empty((len(out), *image.shape), np.float32)
            for i, q in enumerate(out):
                quantiles[i] = _resize(q.astype(np.float64) + plane, image.shape)
        del out
        median = quantiles[QUANTILES.index(0.5)]
    else:
        eroded = erode(work, work_tip)
        maps = np.stack([work - plane, eroded - plane]).astype(np.float32)
        flips = MIRROR_PASSES if uncertainty or mirror else 1
        predict = _predictor(model, None, float(np.mean(maps[0])), flips)
        out = yield from _tiled(predict, maps, tile, margin, multiple)
        stack = (out[:, 0] if flips > 1 else out).astype(np.float64) + plane
        median = _resize(stack.mean(axis=0), image.shape)
        spread = _resize(stack.std(axis=0), image.shape) if uncertainty else None
    if same_grid:
        eroded_native = eroded
        certain_native = certain if model.tip_conditioned else np.nan_to_num(
            certainty_map(filled, native_tip, tolerance=CERTAINTY_TOLERANCE))
    else:
        eroded_native, certain_native = condition_maps(filled, native_tip, noise_nm=noise_native,
                                                       noise_corrected=model.tip_conditioned and model.noise_corrected)
    surface = np.minimum(median, eroded_native)  # float64
    np.copyto(surface, eroded_native, where=certain_native > 0.5)
    result: dict[str, Any] = {"surface": surface}
    if model.tip_conditioned:
        broadening = broadening_nm(filled, surface)
        if keep_quantiles:
            result.update(quantiles=quantiles.copy(), certain=certain_native, broadening_nm=broadening)
        for level, suffix in ((0.9, ""), (0.5, "50")):
            lower, upper = model.interval(quantiles, level, certain_native, broadening, px, noise_native)  # float32
            np.minimum(lower, surface, out=lower, casting="same_kind")
            np.maximum(upper, surface, out=upper, casting="same_kind")
            result.update({f"lower{suffix}": lower, f"upper{suffix}": upper})
        del quantiles, median
        if mirror:
            _scale_intervals(result, (model.card.get("intervals") or {}).get("mirror"))
        result["uncertainty"] = 0.5 * (result["upper"] - result["lower"])
    else:
        result["uncertainty"] = spread
    if with_consistency:  # not for one of several readings: the combination computes its own
        result["consistency"] = _consistency(filled, surface, native_tip)
    for value in result.values():
        if isinstance(value, np.ndarray):
            value[..., ~finite] = np.nan
    result["noise_nm"] = noise_native
    result["line_noise_ratio"] = line_noise_ratio(along, across)
    return result


def _unscanned_as_missing(arr: np.ndarray) -> tuple[np.ndarray, str]:
    """Set the lines an interrupted scan never measured to NaN (a copy); say how many there were."""
    # their stored constant would be a plateau whose edge the erosion digs into by the tip's depth
    out, count = unscanned_to_nan(arr)
    return out, (f"{count} scan lines were never measured (an interrupted scan, stored as one constant): they are "
                 "left out as missing (NaN)" if count else "")


def _cliffs_too_steep(tip: Tip, frame: np.ndarray, deciders: tuple[Tip, ...], notes: list[str]) -> float:
    """Say whether the frame has steps steeper than the blind bound's flanks; return by how much (nm, 0 if none).

    On a real survey frame (``matrix-2.txt``, 370 nm pixels) such steps let the bound's erosion lie up
    to 430 nm below their tops.  Deepening the tip to image them made wide validation images worse
    (mean ratio to the erosion 1.218 -> 1.234 at 0.25-4 nm, 1.106 -> 1.117 at 4-16 nm): the
    generator's raised scan lines and overshoots are such steps too.  So the notes say it instead
    (benchmarks/RESULTS.md, session 40).
    """
    if not np.isfinite(frame).any():
        return 0.0
    clean, _ = _without_dropouts(frame, deciders, [])  # a dropout is no step
    _, cliff = sharpen_for_cliffs(tip.heights, clean)
    if cliff > 0.0:
        notes.append(f"the image falls faster than that tip's flanks allow (by up to {cliff:.3g} nm): the real tip is "
                     "sharper there, or those steps are artifacts, and the result may lie that far below the tops "
                     "of the steepest steps; give a measured or modelled tip if you can")
    return cliff


DROPOUT_MAX_SHARE = 0.2
"""Largest share of a frame replaced as dropouts: beyond it the tip, not the scan lines, is the likelier fault."""


def _without_dropouts(frame: np.ndarray, tips: tuple[Tip, ...],
                      notes: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """Replace the frame's dropouts, found with every tip (a pixel counts only if no tip can image it)."""
    if not tips:
        return frame, None
    noise = noise_level(frame)
    found = None
    for tip in tips:
        marked = find_dropouts(frame, tip, noise_nm=noise)
        found = marked if found is None else found & marked
        if not found.any():
            return frame, None
    share = float(found.sum()) / max(int(np.isfinite(frame).sum()), 1)
    if share > DROPOUT_MAX_SHARE:
        note = (f"dropouts: {share:.0%} of a frame lies lower than the tip can image, far more than dropped scan "
                "lines would: the tip is probably blunter than the real one; nothing was replaced")
        if note not in notes:
            notes.append(note)
        return frame, None
    return replace_dropouts(frame, found), found


def dropout_note(count: int, n_pixels: int) -> str:
    """Say in words how many pixels were replaced as dropouts."""
    return (f"dropouts: {count} pixels ({count / max(n_pixels, 1):.2%}) lay lower than the tip can image, below "
            "pixels on both sides (scan lines that dropped out or read too low); they were replaced by the mean of "
            "their neighbours before deconvolving, so the result there is interpolated, not measured "
            "(dropouts='keep' leaves them, and the erosion digs a trench the tip's shape at each)")


def frame_quantiles(image: np.ndarray, *, pixel_size_nm: float, tip: TipChoice,
                    model: str | Path | LoadedModel = "default", mirror_average: bool = False) -> dict[str, Any]:
    """Deconvolve one 2-D frame as :func:`deconvolve` does and keep what interval calibration needs.

    Returns the frame's outputs (``surface``, ``lower``, ``upper``, ...) plus the network's
    ``quantiles`` ``(5, ny, nx)`` on the image's grid (with ``mirror_average``, their mean over
    the mirror images), the ``certain`` map and the frame's ``broadening_nm``.  Tip-conditioned
    models only.
    """
    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    if not loaded.tip_conditioned:
        raise InputError(f"{loaded.path.name} is not tip-conditioned: it has no quantiles to calibrate")
    frame = np.asarray(image, np.float64)
    if frame.ndim != 2 or min(frame.shape) < 8:
        raise InputError(f"frame_quantiles needs one 2-D frame of at least 8 x 8 px; got shape {frame.shape}")
    px = pixel_size_pair(pixel_size_nm, needed_for="deconvolution")
    used, _ = resolve_tip(tip, image=frame, pixel_size_nm=px, nominal=loaded.card.get("tip"))
    frame, _ = _without_dropouts(frame, (used,), [])  # as deconvolve does by default
    return drain(_frame_steps(loaded, frame, px, used, False, 1 << 30, 0, keep_quantiles=True,
                              mirror=mirror_average))


MAX_TILT_SLOPE = 1.0
"""Steepest removed tilt accepted (45 degrees): beyond it no AFM image describes a tilted sample."""


def _removed_tilts(removed_tilt: Any, n_frames: int) -> np.ndarray | None:
    """Check ``removed_tilt`` and return one ``(dz/dy, dz/dx)`` row per frame, or None when there is none."""
    if removed_tilt is None:
        return None
    tilts = np.asarray(removed_tilt, dtype=np.float64)
    if tilts.shape == (2,):
        tilts = np.tile(tilts, (n_frames, 1))
    if tilts.shape != (n_frames, 2):
        raise InputError(f"removed_tilt must be a pair (dz/dy, dz/dx) or one pair per frame ({n_frames}, 2); "
                         f"got shape {tilts.shape}")
    if not np.isfinite(tilts).all():
        raise InputError("removed_tilt has non-finite slopes")
    steepest = float(np.abs(tilts).max())
    if steepest > MAX_TILT_SLOPE:
        raise InputError(f"removed_tilt slope {steepest:.3g} nm/nm ({math.degrees(math.atan(steepest)):.1f} deg) is "
                         f"steeper than {MAX_TILT_SLOPE:g} (45 deg): give slopes in nm per nm, not nm per pixel or "
                         "degrees")
    return None if not tilts.any() else tilts


def tilt_ramp(shape: tuple[int, int], pixel_size_nm: tuple[float, float], slopes: np.ndarray) -> np.ndarray:
    """Return the plane of ``slopes`` (dz/dy, dz/dx, nm per nm) on a grid, zero at its centre (nm)."""
    y = (np.arange(shape[0]) - (shape[0] - 1) / 2.0) * pixel_size_nm[0]
    x = (np.arange(shape[1]) - (shape[1] - 1) / 2.0) * pixel_size_nm[1]
    return slopes[0] * y[:, None] + slopes[1] * x[None, :]


def tilt_note(tilts: np.ndarray) -> str:
    """Say in words the tilt put back for the network."""
    dy, dx = np.degrees(np.arctan(np.median(tilts, axis=0)))
    return (f"removed tilt ({dy:.2f} deg along y, {dx:.2f} deg along x) put back for the network, since the tip met "
            "the sample tilted, and taken out of the result again")


CONSISTENCY_FLAG_SHARE = 0.05
"""A result is flagged when more than this share of pixels is inconsistent with the image."""

NOISE_FLOOR_NM = 0.05
"""Smallest noise level the consistency check assumes: AFM height noise is rarely lower, and a
noise-free virtual image would otherwise flag deviations of picometres."""


def consistency_summary(consistency: np.ndarray, noise_nm: float) -> dict[str, Any]:
    """Median, 99th percentile and share above 3x the noise of a consistency map; flagged when that share is large."""
    values = consistency[np.isfinite(consistency)]
    noise_nm = max(float(noise_nm), NOISE_FLOOR_NM)
    limit = 3.0 * noise_nm
    share = float((values > limit).mean()) if values.size else 0.0
    return {"consistency_median_nm": float(np.median(values)) if values.size else 0.0,
            "consistency_p99_nm": float(np.percentile(values, 99)) if values.size else 0.0,
            "noise_nm": float(noise_nm), "share_above_3_noise": share, "flagged": share > CONSISTENCY_FLAG_SHARE}


def tip_is_the_cause(summary: Mapping[str, Any]) -> bool:
    """Whether a flagged result's failure is the tip's: its opening leaves at least half as many pixels unexplained.

    On wide virtual images deconvolved with their true tip, 9 of 15 flagged results were such
    (artifacts sharper than the noise); with a tip half as sharp as the true one, 35 of 35
    (benchmarks/RESULTS.md).
    """
    return summary.get("tip_unexplained_share", 0.0) >= 0.5 * summary["share_above_3_noise"]


def consistency_sentence(summary: dict[str, Any]) -> str:
    """Say the consistency check in words."""
    share, noise = summary["share_above_3_noise"], summary["noise_nm"]
    if summary["flagged"]:
        failed = (f"check failed: in {share:.1%} of pixels the result, imaged by the tip, lies more than 3x the noise "
                  f"({noise:.2g} nm) below the image, so it does not explain the image there")
        if tip_is_the_cause(summary):
            return (f"{failed}; the plain erosion by the tip, imaged by it, does not explain "
                    f"{summary['tip_unexplained_share']:.1%} of pixels either, so the cause is not the network: the "
                    "image has features sharper "
                    "than the tip (is the tip too blunt?) or artifacts sharper than its noise (scan-line steps, "
                    "edge overshoot; correct scan lines first)")
        return (f"{failed}, where the erosion by the tip does: the network's result departs from what the tip allows "
                "(features or artifacts the network has not seen, or a wrong tip); trust the erosion there")
    return (f"consistent: the result imaged by the tip reproduces the image to within 3x the noise ({noise:.2g} nm) "
            f"in {1 - share:.1%} of pixels (median deviation {summary['consistency_median_nm']:.2g} nm)")


def deconvolve_steps(image: np.ndarray, *, pixel_size_nm: float | tuple[float, float] | None,
                     tip: TipChoice = None, tip_pixel_size_nm: float | tuple[float, float] | None = None,
                     model: str | Path | LoadedModel = "default", uncertainty: bool = False, tile: int = 1024,
                     overlap: int | None = None, removed_tilt: Any = None, tip_estimator: Any = "default",
                     mirror_average: bool = False, dropouts: str = "replace",
                     ) -> Generator[tuple[str, int, int], None, Deconvolved]:
    """Deconvolve with progress: yields ``("frame", i, n)`` and ``("tiles", i, n)``; returns :class:`Deconvolved`.

    Parameters are those of :func:`deconvolve`.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_afm_profiler.progress import drain
    >>> image = np.zeros((64, 64)); image[20:40, 20:40] = 5.0
    >>> result = drain(deconvolve_steps(image, pixel_size_nm=2.0))
    >>> result.surface.shape, bool((result.surface <= image + 1e-6).all())
    ((64, 64), True)
    """
    if dropouts not in DROPOUT_MODES:
        raise InputError(f"dropouts must be one of {', '.join(DROPOUT_MODES)}; got {dropouts!r}")
    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim not in (2, 3) or min(arr.shape[-2:]) < 8:
        raise InputError(f"deconvolution needs a 2-D image or a 3-D stack of at least 8 x 8 px; got shape {arr.shape}")
    px = pixel_size_pair(pixel_size_nm, needed_for="deconvolution")
    arr, unscanned_note = _unscanned_as_missing(arr)
    target = _work_grid(loaded, px)
    px_mean = math.sqrt(px[0] * px[1])
    limit = erosion_limit_nm(loaded.card.get("intervals")) if loaded.tip_conditioned else None
    erosion_only = limit is not None and px_mean > limit
    # the erosion works on the image's own grid; only the network needs a resampled copy
    work_shape = arr.shape[-2:] if erosion_only else check_resampled_size(
        arr.shape, px, target, step="a deconvolution", alternative=(
            "crop the region of interest, or use the Villarrubia erosion alone (afm-profiler tip erode), which works "
            "at the image's own pixel size"))
    notes: list[str] = [unscanned_note] if unscanned_note else []
    if erosion_only:
        notes.append(f"pixels of {px_mean:.3g} nm are coarser than the {limit:g} nm up to which the "
                     "model's intervals are calibrated: the result is the erosion by the tip (raised by the noise's "
                     "expected pull where the tip did not certainly touch) on the image's own grid, with an interval "
                     "calibrated for it; at such pixels the network gained nothing over the erosion on validation "
                     "images (benchmarks/RESULTS.md)")
    if max(work_shape) > int(tile) and not erosion_only:
        # measured (one backward pass, cached per network) only when the image is cut into tiles
        radius = _receptive_radius(loaded.network)
        margin = radius if overlap is None else int(overlap)
        if margin < radius:
            notes.append(f"tile overlap {margin} px is below the network's receptive radius ({radius} px): "
                         "large images may show seams between tiles")
    else:
        margin = 0 if overlap is None else int(overlap)
    if int(tile) < 64 or margin < 0 or 2 * margin >= int(tile):
        raise InputError(f"tile must be >= 64 px and the overlap in [0, tile/2); got tile {tile}, overlap {overlap}")
    frames = arr[None] if arr.ndim == 2 else arr
    tilts = _removed_tilts(removed_tilt, len(frames))
    if tilts is not None:
        notes.append(tilt_note(tilts))
    used, description = resolve_tip(tip, image=frames[0], pixel_size_nm=px, tip_pixel_size_nm=tip_pixel_size_nm,
                                    nominal=loaded.card.get("tip"))
    notes.append(f"tip: {description}")
    readings = None
    blind = isinstance(tip, str) and tip == ESTIMATE
    if blind and tip_estimator is not None and erosion_only:
        # the estimator was trained at 0.5-2 nm; at coarser pixels its readings were too blunt, and the
        # erosion dug with them (wide validation seed at 4-16 nm: worse than the raw image on 31 of 90
        # images, the blind bound limited by the typical training tip on 6, the true tip on 5)
        notes.append("at pixels this coarse the tip estimator (trained at 0.5-2 nm) is not used: the blind "
                     "(Villarrubia) bound is, limited by the model's typical training tip")
    unreadable = False
    if blind and tip_estimator is not None and not erosion_only:
        try:
            readings, description, disagree = tips_read_from_image(used, frames[0], tip_estimator)
        except TipUnreadableError as error:  # a reading far outside any the estimator gave on validation images
            unreadable = True
            notes.append(f"{error}; the blind (Villarrubia) bound is used instead, limited by the model's typical "
                         "training tip")
        else:
            used = readings[len(readings) // 2]  # the central reading: its erosion's noise correction and summary
            notes[-1] = f"tip: {description}"
            if disagree:
                notes.append(disagree)
    blind_bound = blind and (tip_estimator is None or erosion_only or unreadable) \
        and loaded.tip_conditioned  # the limit needs the model's tip range
    if blind_bound:
        used, limited = limit_blind_estimate(used, loaded.card)
        if limited:
            notes.append(limited)
    readings = readings or (used,)
    # the tips that decide which pixels no tip could image: for the dropouts and the blind bound's cliffs
    deciders = dropout_tips(readings, blind=blind, card=loaded.card, pixel_size_nm=px,
                            height_nm=float(np.nanmax(arr) - np.nanmin(arr)) + 1.0 if np.isfinite(arr).any() else 1.0,
                            ) if dropouts == "replace" or blind_bound else ()
    too_blunt_nm = _cliffs_too_steep(used, frames[0], deciders, notes) if blind_bound else 0.0
    cropped = tip_crop_loss(max(readings, key=lambda reading: reading.size), frames[0])
    if cropped:
        notes.append(cropped)
        warnings.warn(cropped, TipCroppedWarning, stacklevel=3)
    if loaded.tip_conditioned and not erosion_only:  # the range of the network's training: no network, no range
        outside = tip_outside_training(used, frames[0], loaded.card)
        if outside:
            notes.append(outside)
            warnings.warn(outside, TipRangeWarning, stacklevel=3)
    if not erosion_only and (abs(px[0] - target) > 1e-6 * target or abs(px[1] - target) > 1e-6 * target):
        lo, hi = loaded.pixel_size_range
        message = (f"image resampled from {px[0]:.4g} x {px[1]:.4g} nm/px to {target:.4g} nm/px (the model was "
                   f"trained at {lo:g}-{hi:g} nm/px) and back")
        notes.append(message)
        if max(px) / target > 2 or min(px) / target < 0.5:
            warnings.warn(f"pixel size far from the model's: {message}; results may be poor", PixelSizeWarning,
                          stacklevel=3)
    if np.isnan(arr).any():
        notes.append(f"{int(np.isnan(arr).sum())} NaN pixels filled for the network and restored as NaN")
    results = []
    unexplained = 0
    line_units: list[float] = []
    line_ratios: list[float] = []
    line_factors, largest_ratio = _line_noise_factors(loaded.card.get("intervals") or {}, blind)
    replaced = np.zeros(frames.shape, bool)
    if dropouts == "keep":
        deciders = ()
    for i, frame in enumerate(frames):
        yield "frame", i, len(frames)
        # the tip met a tilted sample: put the plane back, deconvolve, take it out of the heights
        ramp = None if tilts is None else tilt_ramp(frame.shape, px, tilts[i])
        met = frame if ramp is None else frame + ramp
        met, found = _without_dropouts(met, deciders, notes)
        if found is not None:
            replaced[i] = found
        total = None
        for reading in readings:
            total = _add_reading(total, (yield from _frame_steps(loaded, met, px, reading, uncertainty, int(tile),
                                                                  margin, with_consistency=len(readings) == 1,
                                                                  erosion_only=erosion_only,
                                                                  mirror=mirror_average)))
        out = _averaged_readings(total, met, readings[-1])
        # only for a frame whose check fails: what the tip itself cannot explain, to tell the cause
        if consistency_summary(out["consistency"], out["noise_nm"])["flagged"]:
            unexplained += _unexplained_by_tip(met, readings[-1], out["noise_nm"])
        if blind and not erosion_only:
            for mode in ("blind", "blind_mirror") if mirror_average else ("blind",):
                _scale_intervals(out, (loaded.card.get("intervals") or {}).get(mode))
        if loaded.tip_conditioned and not erosion_only:
            line_units.append(_widen_for_line_noise(out, line_factors, largest_ratio))
        line_ratios.append(out["line_noise_ratio"])
        if ramp is None:
            results.append(out)
            continue
        for key in ("surface", "lower", "upper", "lower50", "upper50"):
            if out.get(key) is not None:
                out[key] -= ramp
        results.append(out)
    yield "frame", len(frames), len(frames)

    def stacked(key: str) -> np.ndarray | None:
        if results[0].get(key) is None:
            return None
        return np.stack([r[key] for r in results]) if arr.ndim == 3 else results[0][key]

    consistency = stacked("consistency")
    noise = float(np.median([r["noise_nm"] for r in results]))
    summary = {"tip": description, "tip_size_px": used.size, "method": "erosion" if erosion_only else "network",
               "mirror_average": bool(mirror_average and not erosion_only), **consistency_summary(consistency, noise),
               "tip_unexplained_share": unexplained / max(int(np.isfinite(arr).sum()), 1),
               "dropout_pixels": int(replaced.sum()), "steps_steeper_than_tip_nm": too_blunt_nm,
               "line_noise_ratio": float(np.median(line_ratios)),
               "line_noise_unit_nm": float(np.median(line_units)) if line_units else 0.0}
    summary["line_noise_widening_nm"] = float(line_factors.get("0.9", 0.0)) * summary["line_noise_unit_nm"]
    if replaced.any():
        notes.append(dropout_note(int(replaced.sum()), int(np.isfinite(arr).sum())))
    if mirror_average:
        notes.append("mirror averaging: none needed, the result is the erosion" if erosion_only else
                     f"network: the mean of its results for the image and its {MIRROR_PASSES - 1} mirror images")
    if "read_from_image" in used.parameters:
        summary["tip_read_from_image"] = used.parameters["read_from_image"]
    notes.append(consistency_sentence(summary))
    if loaded.tip_conditioned and loaded.noise_corrected:
        bias = erosion_noise_bias(usable_tip(used.heights, frames[0]), noise)
        summary["erosion_noise_bias_nm"] = bias
        if bias > 0:
            notes.append(f"bound: the erosion raised by {bias:.2g} nm where the tip did not certainly touch (the "
                         f"image's noise, {noise:.2g} nm, pulls the plain erosion down by that much on average)")
    if loaded.tip_conditioned:
        intervals = loaded.card.get("intervals") or {}
        blind_scale, mirror_scale, both_scale = (((intervals.get(mode) or {}).get("scale") or {}).get("0.9")
                                                 for mode in ("blind", "mirror", "blind_mirror"))
        if blind_scale is not None and mirror_average and both_scale is not None:
            blind_scale *= both_scale  # fitted on blind readings averaged over the mirror images
        if mirror_average and not erosion_only:
            notes.append(f"uncertainty: averaged over the mirror images, the interval's bounds are scaled by "
                         f"{mirror_scale:.3g} about the result (fitted on calibration pairs)" if mirror_scale is not None
                         else "uncertainty: the model's card has no calibration for mirror averaging: the interval, "
                         "calibrated for one pass, may be a little wide")
        if blind and not erosion_only and blind_scale is not None:
            notes.append(f"uncertainty: with the tip read from the image, the interval's bounds are scaled by "
                         f"{blind_scale:.3g} about the result (the error of the tip read, fitted on calibration pairs)")
        line_note = _line_noise_note("0.9" in line_factors, largest_ratio, summary["line_noise_ratio"],
                                     summary["line_noise_widening_nm"], erosion_only)
        if line_note:
            notes.append(line_note)
        finest = (intervals.get("fine") or intervals).get("pixel_size_nm", (0.0, 0.0))[0]
        if px_mean < float(finest):
            # without margins of their own, frames of 0.0625-0.25 nm were covered 54-96 % per kind
            # (validation seed 424242, benchmarks/RESULTS.md)
            message = (f"uncertainty: pixels of {px_mean:.3g} nm are finer than the {finest:g} nm down to which "
                       "the intervals are calibrated; the 90 % interval may be too narrow there (uncalibrated, "
                       "it held the true height in as few as 54 % of pixels of fine virtual images)")
            notes.append(message)
            warnings.warn(message, PixelSizeWarning, stacklevel=3)
        elif px_mean < float(intervals.get("pixel_size_nm", (0.0, 0.0))[0]):
            # validation seeds 424242 and 555555 at 0.0625-0.25 nm: 91-93 % overall, 75-100 % per kind
            notes.append("uncertainty: half-width of the 90 % interval of the true height, calibrated on held-out "
                         "virtual data of such fine pixels; there it held the truth in about 90 % of pixels overall, "
                         "but per kind of scene from 75 % (rough fractal surfaces) to 99 %")
        else:
            notes.append("uncertainty: half-width of the 90 % interval of the true height, calibrated on held-out "
                         "virtual data")
    return Deconvolved(surface=stacked("surface"), uncertainty=stacked("uncertainty"), notes=tuple(notes),
                       lower=stacked("lower"), upper=stacked("upper"), consistency=consistency,
                       summary=dict(summary, tip_heights=used.heights), lower50=stacked("lower50"),
                       upper50=stacked("upper50"),
                       dropouts=(replaced if arr.ndim == 3 else replaced[0]) if replaced.any() else None)


def deconvolve(image: np.ndarray, *, pixel_size_nm: float | tuple[float, float] | None,
               tip: TipChoice = None, tip_pixel_size_nm: float | tuple[float, float] | None = None,
               model: str | Path | LoadedModel = "default", uncertainty: bool = False, tile: int = 1024,
               overlap: int | None = None, removed_tilt: Any = None, tip_estimator: Any = "default",
               mirror_average: bool = False, dropouts: str = "replace") -> Deconvolved:
    """Remove tip convolution from an image (or a stack, frame by frame) with a trained network.

    Parameters
    ----------
    image : (M, N) or (F, M, N) float ndarray, nm
        Levelled AFM heights; NaN pixels are filled for the network and restored.  A remaining
        tilt, and on frames larger than the network's 128² training scenes a bow, is removed
        before the network (:func:`~napari_afm_profiler.deconv.conditioning.substrate_background`)
        and restored after it.
    pixel_size_nm : float or (dy, dx)
        The image's pixel size (required: the tip and the network work in nm).  Outside the
        model's trained range the image is resampled into it and back.
    tip : None, "estimate", mapping, Tip, ndarray, str or Path
        The tip that made the image: a model ``{"shape": "cone", "radius_nm": 8,
        "half_angle_deg": 20}``, a :class:`~napari_afm_profiler.tip.Tip`, an array or a tip file
        (resampled to the image's grid), or ``"estimate"`` (read from the image itself: see
        ``tip_estimator``).
        None uses the model's nominal tip, and the notes say so.
    tip_pixel_size_nm : float or (dy, dx), optional
        Pixel size of a tip array or ``.npy`` file (default: the image's).
    model : str, Path or LoadedModel
        ``"default"`` (shipped), a model folder, or a loaded model.
    uncertainty : bool
        Older (not tip-conditioned) models: also return the spread over the four mirror images
        (4x the time).  Tip-conditioned models always return the calibrated interval.
    tile, overlap : int
        Tile size for large images, and the context each tile core sees on every side (default:
        the network's measured receptive radius, so tiles match a whole-image pass).
    removed_tilt : (dz/dy, dz/dx) or (F, 2) array_like, optional
        The tilt that levelling took out of the image, as slopes (nm per nm, the tangent of the
        angle; one pair per frame or one for all), e.g. from
        :func:`~napari_afm_profiler.preprocess.removed_tilt`.  The tip met the sample tilted, so
        a levelled image is the level surface imaged by a *tilted* tip, which the tip given does
        not describe.  The plane is put back before the network and taken out of the result, so
        the result stays level.  Best: deconvolve before levelling, or pass this.
    tip_estimator : str, Path, LoadedEstimator or None
        With ``tip="estimate"``: the network that reads the tip's model, apex radius and
        half-angle from the image (:mod:`~napari_afm_profiler.deconv.tip_estimator`;
        ``"default"``: the one shipped); the results for the parametric tips it reads at the
        quantiles its card names (-1, 0 and +1 SD of the radius and the half-angle) are averaged
        (so are the intervals' bounds; the consistency map is that of the bluntest reading, the
        summary the central reading's), and the blind (Villarrubia) estimate is compared with
        the central reading in the notes.  None uses the blind estimate
        itself, limited by the model's typical training tip where it is blunter.
    mirror_average : bool
        Run the network on the image and its three mirror images (flipped columns, rows, both)
        and average the results, flipped back: about 4x the network's time for a result closer
        to the truth (on wide validation images the median RMSE fell by about 5 %, to 0.61 x the
        erosion's; benchmarks/RESULTS.md); the interval is calibrated for it where the model's
        card has an ``intervals["mirror"]`` entry (with ``tip="estimate"``, also
        ``intervals["blind_mirror"]``).  Frames coarser than the calibrated pixel
        sizes take the erosion and need no network.
    dropouts : {"replace", "keep"}
        Pixels lower than the tip can image, below pixels on both sides of some line through
        them (scan lines that dropped out or read too low;
        :func:`~napari_afm_profiler.tip.dropouts.find_dropouts`; with ``tip="estimate"``, for the
        sharpest tip found plausible: :func:`~napari_afm_profiler.deconv.tips.dropout_tips`),
        are replaced by the mean of their neighbours before
        deconvolving (``"replace"``, default; counted in ``summary["dropout_pixels"]`` and the
        notes), or left as they are (``"keep"``), when the erosion digs a trench the tip's shape
        at each.

    Returns
    -------
    Deconvolved
        ``surface`` (never above the erosion by the tip; for a tip read from the image, by its
        sharpest reading), ``lower``/``upper`` (90 % interval), ``uncertainty``, ``consistency``
        map, ``summary`` and ``notes``.

    Examples
    --------
    >>> from napari_afm_profiler.synth import particles_on_substrate
    >>> from napari_afm_profiler.tip import dilate, erode, make_tip
    >>> surface, _ = particles_on_substrate(seed=1)
    >>> tip = make_tip("paraboloid", pixel_size_nm=2.0, radius_nm=10.0)
    >>> image = dilate(surface, tip)
    >>> result = deconvolve(image, pixel_size_nm=2.0, tip={"shape": "paraboloid", "radius_nm": 10.0})
    >>> bool((result.surface <= erode(image, tip) + 1e-6).all())
    True
    >>> bool(abs(result.surface - surface).mean() < abs(image - surface).mean())
    True
    """
    steps = deconvolve_steps(image, pixel_size_nm=pixel_size_nm, tip=tip, tip_pixel_size_nm=tip_pixel_size_nm,
                             model=model, uncertainty=uncertainty, tile=tile, overlap=overlap,
                             removed_tilt=removed_tilt, tip_estimator=tip_estimator, mirror_average=mirror_average,
                             dropouts=dropouts)
    return drain(steps)
