"""Training: seeded and deterministic on CPU, checkpoint every epoch, resume, validation, early stopping.

A model is saved as a folder: ``weights.safetensors`` and ``config.json`` (the model card:
architecture, pixel size, the nominal tip, training data, validation metrics, command).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812

from napari_afm_profiler import __version__
from napari_afm_profiler.deconv.conditioning import (
    CERTAINTY_TOLERANCE,
    N_CONDITION,
    network_inputs,
    substrate_background,
)
from napari_afm_profiler.deconv.model import (
    QUANTILES,
    TipConditionedUNet,
    build_model,
    dihedral,
    model_inputs,
    widen_condition,
)
from napari_afm_profiler.deconv.names import TRAINING_KINDS
from napari_afm_profiler.errors import InputError
from napari_afm_profiler.io.writers import atomic_write
from napari_afm_profiler.progress import drain
from napari_afm_profiler.synth import ArtifactSpec, ObjectSpec, SynthConfig, TipSpec, load_dataset, make_pair
from napari_afm_profiler.synth.wide import WideSpec, make_wide_pair
from napari_afm_profiler.tip import erode, make_tip
from napari_afm_profiler.tip.models import crop_tip

# A height jump between neighbouring pixels steeper than this (nm per nm) is a step for ``edge_weight``.
_STEP_SLOPE = 2.0


@dataclass(frozen=True)
class TrainConfig:
    """What to train on and how.

    Attributes
    ----------
    architecture : str
        ``bounded-unet`` (ours) or ``paper-encoder-decoder`` (baseline).
    model : dict
        Keyword arguments of the network (``in_channels``, ``base``, ``depth``).
    kinds : tuple of str
        Virtual kinds mixed in equal parts (ignored with ``dataset``).
    synth : SynthConfig
        Generator settings of the virtual pairs (its ``kind`` is replaced per pair).
    dataset : str, optional
        A ``.npz`` paired dataset to train on instead of virtual pairs.
    n_train, n_val : int
        Virtual pairs for training and validation (validation uses its own seed).
    epochs, batch_size, learning_rate, patience : training schedule; early stopping after
        ``patience`` epochs without a better validation loss.
    augment : bool
        Random flips and transposes (valid for tips symmetric under them).
    seed : int
        Seed of everything.
    small_fraction : float
        Fraction of virtual pairs drawn from ``small``: low, small features (DNA, proteins,
        1-16 nm) on flatter or rougher substrates, imaged by a tip whose radius varies more.
        The paper's sizes alone teach a network that broad low bumps are real.
    small : SynthConfig
        Generator settings of those pairs.
    roughness_weight : float
        Weight of a term matching each pair's Ra and Rq (mean absolute and RMS height about
        the mean) to the truth's, added to the L1 loss: L1 alone predicts unseen pits as their
        average, which is smoother than a real rough surface.
    roughness_kinds : tuple of str
        Virtual kinds the roughness term applies to (empty: all pairs).
    roughness_start : float
        Fraction of the epochs trained on L1 alone before the roughness term is switched on
        (the term refines a network that already places edges; from the first step it slows
        that).  From then on the best epoch is chosen by the validation L1 + roughness term.
    grad_clip : float
        Largest gradient norm of a step (0: no clipping).  A rare batch with a huge gradient at
        the peak of the learning-rate cycle can otherwise throw training back for epochs.
    edge_weight : float
        Extra weight of the L1 loss on pixels within one pixel of a step in the true surface
        (a height jump steeper than 2 nm per nm between neighbouring pixels): the loss of a pixel
        there is ``1 + edge_weight`` times that of a pixel elsewhere.  Such pixels are a few
        percent of a scene, yet the projected area of particles depends on them; with plain L1
        the network learns to place walls last, leaving a blurred rim that makes particles look
        larger.  0 (default): plain L1.
    init : str, optional
        A model folder to start from (fine-tuning), e.g. ``default``.
    generator : str
        ``paper`` (the paper's scenes, :class:`SynthConfig`; ``kinds``, ``synth`` and ``small``) or
        ``wide`` (:class:`~napari_afm_profiler.synth.wide.WideSpec`: many scene kinds, tips and
        pixel sizes, each pair imaged by its own tip).
    wide : WideSpec
        Ranges of the wide generator.
    paper_fraction : float
        With the ``wide`` generator: share of pairs drawn from the paper's generator instead
        (``kinds``, ``synth`` and ``small``, 1 nm pixels, the tip varied about the nominal one),
        spread evenly through the set and labelled ``paper-<kind>``.  The wide ranges hold the
        paper's scenes only thinly (16-20 nm boxes of aspect 1 imaged by a 10 nm cone are a small
        corner of them); without them a wide network keeps blurred walls on exactly the scenes
        the paper measures.
    quantile_weight : float
        Weight of the quantile (pinball) losses of a ``tip-conditioned-unet``'s interval heads,
        added to the L1 loss of its median.
    workers : int
        Processes that make the virtual pairs (results do not depend on it).
    certainty_tolerance : int
        Height steps of the certainty map the network sees (see
        :data:`~napari_afm_profiler.deconv.conditioning.CERTAINTY_TOLERANCE`; 0 is Gwyddion's
        exact rule, which the first two stages of the shipped model were trained with).
    paper_noise_nm : (lo, hi), optional
        With ``paper_fraction``: white-noise SD of each paper pair drawn uniformly from this range
        (0 allowed) instead of ``synth``'s fixed level, so that a network conditioned on the noise
        level (``model["n_condition"]`` of
        :data:`~napari_afm_profiler.deconv.conditioning.N_CONDITION`) learns how far to trust small
        dips of the erosion on clean images.

    erosion_noise_correction : bool
        The network sees, and its median is bounded by, the erosion raised by its expected noise
        bias (:func:`~napari_afm_profiler.deconv.conditioning.erosion_noise_bias`); inference
        then bounds and pins the result the same way.  Without it a noisy flat scene comes out
        at the erosion, two to three noise SDs too low, worse than the raw image.

    Notes
    -----
    With the wide generator's ``tilt_probability`` above 0 (tilted samples), the substrate of
    each image (:func:`~napari_afm_profiler.deconv.conditioning.substrate_background`: the plane
    on scenes of at most 128², local planes beyond) is removed from the image, the erosion and the
    target, exactly as inference removes it.
    """

    architecture: str = "bounded-unet"
    model: dict[str, Any] = field(default_factory=lambda: {"in_channels": 2, "base": 24, "depth": 3, "refine": 0})
    kinds: tuple[str, ...] = TRAINING_KINDS
    synth: SynthConfig = field(default_factory=lambda: SynthConfig(
        tip=TipSpec(variation=0.15), artifacts=ArtifactSpec(noise_nm=0.1, line_probability=0.01, edge_overshoot=0.05)))
    dataset: str | None = None
    n_train: int = 4000
    n_val: int = 400
    epochs: int = 30
    batch_size: int = 16
    learning_rate: float = 2e-3
    patience: int = 6
    augment: bool = True
    seed: int = 0
    roughness_weight: float = 0.0
    roughness_kinds: tuple[str, ...] = ()
    roughness_start: float = 0.0
    grad_clip: float = 1.0
    edge_weight: float = 0.0
    init: str | None = None
    generator: str = "paper"
    wide: WideSpec = field(default_factory=WideSpec)
    quantile_weight: float = 1.0
    workers: int = 1
    small_fraction: float = 0.5
    paper_fraction: float = 0.0
    certainty_tolerance: int = CERTAINTY_TOLERANCE
    paper_noise_nm: tuple[float, float] | None = None
    erosion_noise_correction: bool = False
    small: SynthConfig = field(default_factory=lambda: SynthConfig(
        objects=ObjectSpec(size_nm=(2.0, 16.0), height_nm=(1.0, 16.0), count=(4, 14), max_overlap=0.2),
        substrate_rms_nm=0.3, fractal_rms_nm=2.0, tip=TipSpec(variation=0.5),
        artifacts=ArtifactSpec(noise_nm=0.15, line_probability=0.01, edge_overshoot=0.05)))

    def check(self) -> None:
        """Raise :class:`InputError` naming the first impossible parameter."""
        for name in ("n_train", "n_val", "epochs", "batch_size", "patience"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 1:
                raise InputError(f"{name} must be a whole number >= 1; got {getattr(self, name)}")
        if not self.learning_rate > 0:
            raise InputError(f"learning_rate must be > 0; got {self.learning_rate}")
        if not self.grad_clip >= 0:
            raise InputError(f"grad_clip must be >= 0; got {self.grad_clip}")
        if not self.edge_weight >= 0:
            raise InputError(f"edge_weight must be >= 0; got {self.edge_weight}")
        if not 0 <= self.roughness_start < 1:
            raise InputError(f"roughness_start must be in [0, 1); got {self.roughness_start}")
        if not 0 <= self.small_fraction <= 1:
            raise InputError(f"small_fraction must be in [0, 1]; got {self.small_fraction}")
        if not 0 <= self.paper_fraction <= 1:
            raise InputError(f"paper_fraction must be in [0, 1]; got {self.paper_fraction}")
        if self.paper_noise_nm is not None and not 0 <= self.paper_noise_nm[0] <= self.paper_noise_nm[1]:
            raise InputError(f"paper_noise_nm must be a range 0 <= min <= max; got {self.paper_noise_nm}")
        if self.paper_fraction and self.generator != "wide":
            raise InputError("paper_fraction mixes the paper's scenes into the wide generator: use it with "
                             "generator 'wide'")
        if self.generator not in ("paper", "wide"):
            raise InputError(f"generator must be 'paper' or 'wide'; got {self.generator!r}")
        if self.generator == "wide" and self.architecture == "bounded-unet":
            raise InputError("the wide generator images every pair with its own tip: train a tip-conditioned-unet on "
                             "it (or the paper-encoder-decoder, as a baseline that never sees the tip)")
        if int(self.certainty_tolerance) != self.certainty_tolerance or self.certainty_tolerance < 0:
            raise InputError(f"certainty_tolerance must be a whole number >= 0; got {self.certainty_tolerance}")
        if int(self.workers) != self.workers or self.workers < 1:
            raise InputError(f"workers must be a whole number >= 1; got {self.workers}")
        if self.generator == "wide":
            self.wide.check()
        if self.dataset is None and (self.generator == "paper" or self.paper_fraction):
            small = replace(self.small, shape=self.synth.shape, pixel_size_nm=self.synth.pixel_size_nm)
            for kind in self.kinds:
                replace(self.synth, kind=kind).check()
                if self.small_fraction:
                    replace(small, kind=kind).check()

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for the model card."""
        return asdict(self)


def nominal_tip(config: TrainConfig, pixel_size_nm: float | None = None) -> np.ndarray:
    """Return the model's tip: the generator's tip without variation, deep enough for 60 nm features."""
    tip = config.synth.tip
    return make_tip(tip.shape, pixel_size_nm=pixel_size_nm or config.synth.pixel_size_nm, radius_nm=tip.radius_nm,
                    half_angle_deg=tip.half_angle_deg if tip.shape in ("cone", "pyramid") else None,
                    height_nm=60.0).heights


@dataclass(frozen=True)
class TrainingArrays:
    """Network inputs and targets of a training or validation set (float32, nm).

    Attributes
    ----------
    x : (n, c, ny, nx) ndarray
        ``(image, erosion)`` (older networks) or ``(image, erosion, certainty)`` (tip-conditioned).
    y : (n, 1, ny, nx) ndarray
        True surfaces.
    condition : (n, k) ndarray or None
        Tip profile and pixel size of each pair (tip-conditioned networks).
    kinds : (n,) ndarray of str
        Scene kind of each pair (``dataset`` for a file).
    """

    x: np.ndarray
    y: np.ndarray
    condition: np.ndarray | None
    kinds: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


def _conditioned(config: TrainConfig) -> bool:
    return config.architecture == "tip-conditioned-unet"


def _n_condition(config: TrainConfig) -> int:
    return int(config.model.get("n_condition", N_CONDITION))


def _pair_inputs(config: TrainConfig, image: np.ndarray, tip: np.ndarray, pixel_size_nm: float,
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    if _conditioned(config):
        return network_inputs(image, tip, pixel_size_nm, config.certainty_tolerance, _n_condition(config),
                              config.erosion_noise_correction)
    return np.stack([image, erode(image, crop_tip(tip, min(image.shape)))]).astype(np.float32), None


def _paper_item(config: TrainConfig, i: int, child: np.random.SeedSequence, tip: np.ndarray):
    kind = config.kinds[i % len(config.kinds)]
    cycle = i // len(config.kinds)  # every kind once per cycle; small cycles spread evenly
    small = math.floor((cycle + 1) * config.small_fraction) > math.floor(cycle * config.small_fraction)
    base = replace(config.small, shape=config.synth.shape, pixel_size_nm=config.synth.pixel_size_nm) if small \
        else config.synth
    if config.paper_noise_nm is not None:
        # its own stream (entropy unlike the pair's), so the scene is the one the seed makes without it
        draw = np.random.default_rng([*map(int, child.generate_state(2)), 0x6E6F697365])
        base = replace(base, artifacts=replace(base.artifacts, noise_nm=float(draw.uniform(*config.paper_noise_nm))))
    pair = make_pair(replace(base, kind=kind), child)
    # a conditioned network sees the tip that made the pair; the others the nominal tip
    x, cond = _pair_inputs(config, pair.image, pair.tip if _conditioned(config) else tip, config.synth.pixel_size_nm)
    return x, cond, pair.surface[None].astype(np.float32), kind


def _wide_item(config: TrainConfig, child: np.random.SeedSequence):
    pair = make_wide_pair(config.wide, child)
    if _conditioned(config):
        x, cond = _pair_inputs(config, pair.image, pair.tip, pair.pixel_size_nm)
    else:  # a baseline that never sees the tip: the image (and its erosion by the nominal tip)
        x, cond = _pair_inputs(config, pair.image, nominal_tip(config, pair.pixel_size_nm), pair.pixel_size_nm)
    y = pair.surface[None].astype(np.float32)
    if config.wide.tilt_probability > 0:  # as inference: the network sees and predicts heights above the substrate
        plane = substrate_background(pair.image).astype(np.float32)  # the plane, on the 128² scenes of the default
        x[:2] -= plane
        y = y - plane
    return x, cond, y, pair.scene


def _paper_count(config: TrainConfig, i: int) -> int:
    """Paper pairs among the first ``i`` pairs of a wide set (spread evenly)."""
    return math.floor(i * config.paper_fraction)


def _item(job: tuple[TrainConfig, int, np.random.SeedSequence, np.ndarray | None]):
    config, i, child, tip = job
    torch.set_num_threads(1)
    if config.generator != "wide":
        return _paper_item(config, i, child, tip)
    j = _paper_count(config, i)
    if _paper_count(config, i + 1) == j:
        return _wide_item(config, child)
    x, cond, y, kind = _paper_item(config, j, child, tip if tip is not None else nominal_tip(config))
    return x, cond, y, f"paper-{kind}"


def _virtual_arrays(config: TrainConfig, n: int, seed: int, tip: np.ndarray | None) -> TrainingArrays:
    jobs = [(config, i, child, tip) for i, child in enumerate(np.random.SeedSequence(seed).spawn(n))]
    if config.workers > 1:
        import multiprocessing

        # spawn: the compiled tip kernels' thread pool does not survive fork
        with multiprocessing.get_context("spawn").Pool(int(config.workers)) as pool:
            items = pool.map(_item, jobs, chunksize=32)
    else:
        items = [_item(job) for job in jobs]
    x = np.stack([it[0] for it in items])
    cond = np.stack([it[1] for it in items]) if items[0][1] is not None else None
    return TrainingArrays(x=x, y=np.stack([it[2] for it in items]), condition=cond,
                          kinds=np.array([it[3] for it in items]))


def validation_seed(config: TrainConfig) -> int:
    """Seed of the validation pairs (model selection)."""
    return config.seed + 1_000_003


def calibration_seed(config: TrainConfig) -> int:
    """Seed of the pairs the uncertainty intervals are calibrated on (never trained on, never selected on)."""
    return config.seed + 2_000_006


def training_arrays(config: TrainConfig) -> tuple[TrainingArrays, TrainingArrays, float]:
    """Return training and validation :class:`TrainingArrays` and the pixel size (the wide generator's geometric mean)."""
    if config.dataset is not None:
        data = load_dataset(config.dataset)
        image, surface = data["image"], data["surface"]
        if len(image) < 2:
            raise InputError("a dataset needs at least 2 pairs to hold one out for validation")
        px = float(data["pixel_size_nm"])
        tip = data["tip"] if _conditioned(config) and data.get("tip") is not None else nominal_tip(config, px)
        pairs = [_pair_inputs(config, im, tip, px) for im in image]
        x = np.stack([p[0] for p in pairs])
        cond = np.stack([p[1] for p in pairs]) if pairs[0][1] is not None else None
        targets = surface[:, None].astype(np.float32)
        order = np.random.default_rng(config.seed).permutation(len(image))
        n_val = max(1, int(round(0.1 * len(image))))
        val, train = order[:n_val], order[n_val:]
        kinds = np.array(["dataset"] * len(image))

        def subset(idx: np.ndarray) -> TrainingArrays:
            return TrainingArrays(x=x[idx], y=targets[idx], condition=None if cond is None else cond[idx],
                                  kinds=kinds[idx])

        return subset(train), subset(val), px
    tip = None if config.generator == "wide" else nominal_tip(config)
    px = math.sqrt(config.wide.pixel_size_nm[0] * config.wide.pixel_size_nm[1]) if config.generator == "wide" \
        else config.synth.pixel_size_nm
    return (_virtual_arrays(config, config.n_train, config.seed, tip),
            _virtual_arrays(config, config.n_val, validation_seed(config), tip), px)


def _augment(x: torch.Tensor, y: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    k = int(torch.randint(0, 8, (1,), generator=gen))
    if x.shape[-1] != x.shape[-2]:
        k &= 3  # a transpose would change the shape
    return dihedral(x, k), dihedral(y, k)


def _roughness_mismatch(pred: torch.Tensor, true: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Weighted mean over the batch of |Ra(pred) - Ra(true)| + |Rq(pred) - Rq(true)| (nm)."""
    dp = pred - pred.mean(dim=(-2, -1), keepdim=True)
    dt = true - true.mean(dim=(-2, -1), keepdim=True)
    ra = (dp.abs().mean(dim=(-2, -1)) - dt.abs().mean(dim=(-2, -1))).abs()
    rq = ((dp**2).mean(dim=(-2, -1)).sqrt() - (dt**2).mean(dim=(-2, -1)).sqrt()).abs()
    return ((ra + rq).flatten() * weight).sum() / weight.sum().clamp(min=1.0)


def step_band(surface: torch.Tensor, step_nm: float) -> torch.Tensor:
    """1 on pixels within one pixel (8-neighbourhood) of a height jump larger than ``step_nm``, else 0.

    ``surface`` is a batch ``(n, 1, ny, nx)``; a jump between two neighbouring pixels marks both.
    """
    jump = torch.zeros_like(surface)
    dy = (surface[..., 1:, :] - surface[..., :-1, :]).abs()
    dx = (surface[..., :, 1:] - surface[..., :, :-1]).abs()
    jump[..., 1:, :] = torch.maximum(jump[..., 1:, :], dy)
    jump[..., :-1, :] = torch.maximum(jump[..., :-1, :], dy)
    jump[..., :, 1:] = torch.maximum(jump[..., :, 1:], dx)
    jump[..., :, :-1] = torch.maximum(jump[..., :, :-1], dx)
    return (F.max_pool2d(jump, 3, stride=1, padding=1) > step_nm).to(surface.dtype)


def _l1(pred: torch.Tensor, true: torch.Tensor, edge_weight: float, step_nm: float) -> torch.Tensor:
    """Mean absolute error, pixels near steps weighted ``1 + edge_weight`` (normalised by the weights)."""
    if not edge_weight:
        return F.l1_loss(pred, true)
    weight = 1.0 + edge_weight * step_band(true, step_nm)
    return (weight * (pred - true).abs()).sum() / weight.sum()


def _pinball(pred: torch.Tensor, true: torch.Tensor, tau: float, weight: torch.Tensor | None) -> torch.Tensor:
    err = true - pred
    loss = torch.maximum(tau * err, (tau - 1) * err)
    return loss.mean() if weight is None else (weight * loss).sum() / weight.sum()


def reference_height(maps: torch.Tensor) -> torch.Tensor:
    """Median of each image of a batch ``(n, c, ny, nx)``, shape ``(n, 1, 1, 1)``: the network's height reference."""
    return maps[:, 0].flatten(1).median(dim=1).values[:, None, None, None]


def _forward(model: torch.nn.Module, x: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
    """Return the network's prediction: quantiles ``(n, 5, ...)`` (tip-conditioned) or the surface ``(n, 1, ...)``."""
    if condition is not None:
        return model(x, condition, reference_height(x))
    net_in, offset = model_inputs(x[:, :1], x[:, 1:2], model.in_channels)
    return model(net_in) + offset


def _median(pred: torch.Tensor) -> torch.Tensor:
    return pred[:, QUANTILES.index(0.5):QUANTILES.index(0.5) + 1] if pred.shape[1] > 1 else pred


def _loss(pred: torch.Tensor, y: torch.Tensor, config: TrainConfig, step_nm: float) -> torch.Tensor:
    loss = _l1(_median(pred), y, config.edge_weight, step_nm)
    if pred.shape[1] > 1 and config.quantile_weight:
        weight = 1.0 + config.edge_weight * step_band(y, step_nm) if config.edge_weight else None
        loss = loss + config.quantile_weight * sum(_pinball(pred[:, k:k + 1], y, tau, weight)
                                                   for k, tau in enumerate(QUANTILES) if tau != 0.5)
    return loss


def _tensors(arrays: TrainingArrays, idx: Any, device: torch.device | None = None,
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(a).to(device) if device is not None else torch.from_numpy(a)

    cond = None if arrays.condition is None else tensor(arrays.condition[idx])
    return tensor(arrays.x[idx]), tensor(arrays.y[idx]), cond


def _evaluate(model: torch.nn.Module, arrays: TrainingArrays, batch: int, rough: np.ndarray,
              device: torch.device | None = None) -> dict[str, float]:
    model.eval()
    abs_sum = sq_sum = raw_abs = ero_abs = rough_sum = covered = 0.0
    count = 0
    with torch.inference_mode():
        for i in range(0, len(arrays), batch):
            x, y, cond = _tensors(arrays, slice(i, i + batch), device)
            out = _forward(model, x, cond)
            pred = _median(out)
            abs_sum += float((pred - y).abs().sum())
            sq_sum += float(((pred - y) ** 2).sum())
            raw_abs += float((x[:, :1] - y).abs().sum())
            ero_abs += float((x[:, 1:2] - y).abs().sum())
            if out.shape[1] > 1:
                covered += float(((out[:, :1] <= y) & (y <= out[:, -1:])).sum())
            weight = torch.from_numpy(rough[i:i + batch]).to(y.device)
            rough_sum += float(_roughness_mismatch(pred, y, weight)) * float(weight.sum().clamp(min=1.0))
            count += y.numel()
    model.train()
    metrics = {"mae_nm": abs_sum / count, "rmse_nm": math.sqrt(sq_sum / count), "raw_image_mae_nm": raw_abs / count,
               "erosion_mae_nm": ero_abs / count, "roughness_mismatch_nm": rough_sum / max(float(rough.sum()), 1.0)}
    if arrays.condition is not None:
        metrics["interval90_coverage_uncalibrated"] = covered / count
    return metrics


def _roughness_mask(config: TrainConfig, arrays: TrainingArrays) -> np.ndarray:
    """1 for the pairs the roughness term applies to (their kind is one of ``roughness_kinds``, or all)."""
    if config.dataset is not None or not config.roughness_kinds:
        return np.ones(len(arrays), np.float32)
    kinds = np.char.replace(arrays.kinds.astype(str), "paper-", "")
    return np.isin(kinds, config.roughness_kinds).astype(np.float32)


def save_model(folder: str | Path, model: torch.nn.Module, card: dict[str, Any]) -> Path:
    """Write ``weights.safetensors`` and ``config.json`` (with the weights' sha256) into ``folder``."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / "weights.safetensors"
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write(weights, lambda tmp: save_file(state, str(tmp)))
    card = dict(card, sha256=hashlib.sha256(weights.read_bytes()).hexdigest())
    atomic_write(folder / "config.json", lambda tmp: tmp.write_text(json.dumps(card, indent=2, default=str)))
    return folder


def train_steps(config: TrainConfig, out: str | Path, *, resume: str | Path | None = None,
                command: str | None = None, device: str | torch.device | None = None,
                ) -> Generator[dict[str, Any], None, dict[str, Any]]:
    """Train, yielding a progress dict per batch (``stage="step"``) and per epoch (``stage="epoch"``).

    Parameters
    ----------
    config : TrainConfig
        Data and schedule.
    out : str or Path
        Model folder: the best weights and card are written there, ``checkpoint.pt`` every epoch.
    resume : str or Path, optional
        A ``checkpoint.pt`` to continue from (loaded with ``weights_only=True``).
    command : str, optional
        The command line recorded in the card.
    device : str or torch.device, optional
        Where to train: by default CUDA when PyTorch sees a GPU, else the CPU
        (``AFM_PROFILER_DEVICE`` overrides, as for inference).  The pairs are made on the CPU
        either way; a resumed run is bit-identical to an uninterrupted one on the same device.

    Returns
    -------
    card : dict
        The model card written to ``out/config.json``.

    Examples
    --------
    >>> import tempfile
    >>> from dataclasses import replace
    >>> from napari_afm_profiler.synth import ObjectSpec
    >>> tiny = TrainConfig(model={"in_channels": 2, "base": 4, "depth": 2}, n_train=8, n_val=4, epochs=2,
    ...                    batch_size=4, small_fraction=0.0,
    ...                    synth=replace(TrainConfig().synth, shape=(32, 32), objects=ObjectSpec(size_nm=(6, 8))))
    >>> [row["epoch"] for row in train_steps(tiny, tempfile.mkdtemp()) if row["stage"] == "epoch"]  # counted from 0
    [0, 1]
    """
    config.check()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    yield {"stage": "data", "message": "making training pairs"}
    t0 = time.perf_counter()
    train_set, val_set, pixel_size_nm = training_arrays(config)
    data_seconds = time.perf_counter() - t0
    from napari_afm_profiler.deconv.infer import _device, load_model

    device = torch.device(device) if device is not None else _device()
    model = build_model(config.architecture, **config.model)
    if config.init is not None:
        state = load_model(config.init).network.state_dict()
        if isinstance(model, TipConditionedUNet):
            state = widen_condition(state, model)  # a model from before the noise feature
        model.load_state_dict(state)
    model.to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    steps_per_epoch = math.ceil(len(train_set) / config.batch_size)
    rough, rough_val = _roughness_mask(config, train_set), _roughness_mask(config, val_set)
    rough_from = math.ceil(config.roughness_start * config.epochs) if config.roughness_weight else config.epochs
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=config.learning_rate,
                                                   total_steps=config.epochs * steps_per_epoch, pct_start=0.1)
    gen = torch.Generator().manual_seed(config.seed)
    step_nm = _STEP_SLOPE * pixel_size_nm
    start_epoch, best, best_epoch, history = 0, math.inf, -1, []
    if resume is not None:
        state = torch.load(resume, weights_only=True, map_location=device)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        gen.set_state(state["generator"].cpu())
        start_epoch, best, best_epoch = int(state["epoch"]) + 1, float(state["best"]), int(state["best_epoch"])
        history = json.loads(state["history"])
    card: dict[str, Any] = {}
    for epoch in range(start_epoch, config.epochs):
        rough_weight = config.roughness_weight if epoch >= rough_from else 0.0
        if epoch == rough_from and rough_from > 0:
            best = math.inf  # the objective changes: choose among epochs trained with the roughness term
        order = torch.randperm(len(train_set), generator=gen).numpy()
        losses = []
        for step in range(steps_per_epoch):
            idx = order[step * config.batch_size:(step + 1) * config.batch_size]
            x, y, cond = _tensors(train_set, idx, device)
            if config.augment:
                x, y = _augment(x, y, gen)
            pred = _forward(model, x, cond)
            loss = _loss(pred, y, config, step_nm)
            if rough_weight:
                loss = loss + rough_weight * _roughness_mismatch(_median(pred), y,
                                                                 torch.from_numpy(rough[idx]).to(device))
            optimiser.zero_grad()
            loss.backward()
            if config.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
            yield {"stage": "step", "epoch": epoch, "step": step + 1, "steps": steps_per_epoch, "loss": losses[-1]}
        metrics = _evaluate(model, val_set, 32, rough_val, device)
        objective = metrics["mae_nm"] + rough_weight * metrics["roughness_mismatch_nm"]
        history.append({"epoch": epoch, "train_loss_nm": float(np.mean(losses)), "objective_nm": objective, **metrics})
        improved = objective < best
        if improved:
            best, best_epoch = objective, epoch
            card = dict(_card(config, history, metrics, epoch, command, data_seconds, pixel_size_nm),
                        device=str(device))
            save_model(out, model, card)
        checkpoint = {"model": model.state_dict(), "optimiser": optimiser.state_dict(),
                      "schedule": schedule.state_dict(), "generator": gen.get_state(), "epoch": epoch, "best": best,
                      "best_epoch": best_epoch, "history": json.dumps(history)}
        # atomic: a run killed while saving leaves the previous epoch's checkpoint intact
        atomic_write(out / "checkpoint.pt", lambda tmp, state=checkpoint: torch.save(state, tmp))
        yield {"stage": "epoch", "epoch": epoch, "epochs": config.epochs, "train_loss": history[-1]["train_loss_nm"],
               "val_loss": metrics["mae_nm"], "val_objective": objective, "improved": improved}
        if epoch - best_epoch >= config.patience:
            break
    if _conditioned(config) and (out / "config.json").exists():
        yield {"stage": "data", "message": "calibrating the uncertainty intervals on held-out pairs"}
        calibrate_model(out, config)
    return json.loads((out / "config.json").read_text()) if (out / "config.json").exists() else card


def _predict_quantiles(model: torch.nn.Module, arrays: TrainingArrays, batch: int = 32) -> np.ndarray:
    outs = []
    model.eval()
    with torch.inference_mode():
        for i in range(0, len(arrays), batch):
            x, _, cond = _tensors(arrays, slice(i, i + batch))
            outs.append(_forward(model, x, cond).numpy())
    return np.concatenate(outs)


def calibrate_model(folder: str | Path, config: TrainConfig) -> dict[str, Any]:
    """Fit the interval scale factors of a trained tip-conditioned model on its calibration seed; update its card.

    The calibration pairs come from :func:`calibration_seed` (``n_val`` of them, or the
    validation split of a dataset), so they were used neither for training nor for choosing
    the epoch.  Returns the card's ``intervals`` entry.
    """
    from safetensors.torch import load_file

    from napari_afm_profiler.deconv.calibration import GROUPS, LEVELS, WIDTH_FLOOR_NM, coverage, fit_margins, fit_scale

    folder = Path(folder)
    card = json.loads((folder / "config.json").read_text())
    model = build_model(card["architecture"], **card["model"])
    model.load_state_dict(load_file(str(folder / "weights.safetensors")))
    if config.dataset is not None:
        arrays = training_arrays(config)[1]
    else:
        arrays = _virtual_arrays(config, config.n_val, calibration_seed(config), None if config.generator == "wide"
                                 else nominal_tip(config))
    quantiles = _predict_quantiles(model, arrays)
    truth = arrays.y[:, 0]
    certain = arrays.x[:, 2] if arrays.x.shape[1] > 2 else np.zeros_like(truth)
    intervals: dict[str, Any] = {"calibration_seed": None if config.dataset else calibration_seed(config),
                                 "pairs": len(arrays), "groups": list(GROUPS), "width_floor_nm": WIDTH_FLOOR_NM,
                                 "method": "conformalised quantiles, normalised scores, one margin where the tip "
                                           "certainly touched and one elsewhere"}
    for level in LEVELS:
        margins = fit_margins(quantiles, truth, certain, level)
        by_kind = {str(k): coverage(quantiles[arrays.kinds == k], truth[arrays.kinds == k], level, margins=margins,
                                    certain=certain[arrays.kinds == k]) for k in np.unique(arrays.kinds)}
        intervals[str(level)] = {"margins": margins, "scale": fit_scale(quantiles, truth, level),
                                 "coverage_uncalibrated": coverage(quantiles, truth, level, 1.0),
                                 "coverage_by_kind": by_kind}
    card["intervals"] = intervals
    atomic_write(folder / "config.json", lambda tmp: tmp.write_text(json.dumps(card, indent=2, default=str)))
    return intervals


def init_summary(init: str) -> dict[str, Any]:
    """Return what a fine-tuned model's card records of the model it started from."""
    from napari_afm_profiler.deconv.infer import load_model

    card = load_model(init).card
    return {"model": str(init), "command": card.get("command"), "sha256": card.get("sha256"),
            "validation": card.get("validation"), "fine_tuned_from": card.get("fine_tuned_from")}


def _card(config: TrainConfig, history: list[dict[str, Any]], metrics: dict[str, float], epoch: int,
          command: str | None, data_seconds: float, pixel_size_nm: float) -> dict[str, Any]:
    tip = config.synth.tip
    return {
        "format": "napari-afm-profiler deconvolution model 1",
        "fine_tuned_from": init_summary(config.init) if config.init else None,
        "architecture": config.architecture,
        "model": config.model,
        "pixel_size_nm": pixel_size_nm,
        "pixel_size_range_nm": list(config.wide.pixel_size_nm) if config.generator == "wide" and config.dataset is None
        else [pixel_size_nm, pixel_size_nm],
        "tip": {"shape": tip.shape, "radius_nm": tip.radius_nm, "half_angle_deg": tip.half_angle_deg},
        "tip_conditioned": _conditioned(config),
        "training": config.to_dict(),
        "validation": metrics,
        "best_epoch": epoch,
        "history": history,
        "command": command or " ".join(sys.argv),
        "package_version": __version__,
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "data_seconds": data_seconds,
        "cpu_count": os.cpu_count(),
    }


def train(config: TrainConfig, out: str | Path, *, resume: str | Path | None = None,
          command: str | None = None, device: str | torch.device | None = None) -> dict[str, Any]:
    """Train to completion (see :func:`train_steps`) and return the model card.

    Examples
    --------
    >>> import tempfile
    >>> from dataclasses import replace
    >>> from napari_afm_profiler.synth import ObjectSpec
    >>> tiny = TrainConfig(model={"in_channels": 2, "base": 4, "depth": 2}, n_train=8, n_val=4, epochs=1,
    ...                    batch_size=4, small_fraction=0.0,
    ...                    synth=replace(TrainConfig().synth, shape=(32, 32), objects=ObjectSpec(size_nm=(6, 8))))
    >>> card = train(tiny, tempfile.mkdtemp())
    >>> len(card["history"]), card["pixel_size_nm"] > 0
    (1, True)
    """
    steps = train_steps(config, out, resume=resume, command=command, device=device)
    return drain(steps)
