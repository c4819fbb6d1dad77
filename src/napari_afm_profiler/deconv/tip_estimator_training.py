"""Train the tip estimator (:mod:`.tip_estimator`) on pairs of the wide generator.

Each pair's image goes in; its tip's model, apex radius and half-angle are the targets.  The
loss is the Gaussian negative log-likelihood of ``log(R / px)`` and of the scaled half-angle
(cone and pyramid tips only), plus the cross-entropy of the tip model, so the network learns
how sure it can be from each image.  Images are flipped and transposed at random (the tip's
parameters do not change).  The best epoch on the validation pairs (seed + 1 000 003) is kept;
a checkpoint after each epoch lets a stopped run resume with the same result.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812

from napari_afm_profiler.deconv.model import dihedral
from napari_afm_profiler.deconv.tip_estimator import (
    ANGLE_CENTRE,
    ANGLE_SCALE,
    ESTIMATOR_SHAPES,
    TipEstimatorNet,
    estimator_inputs,
)
from napari_afm_profiler.deconv.training import save_model
from napari_afm_profiler.errors import InputError
from napari_afm_profiler.io.writers import atomic_write
from napari_afm_profiler.synth.wide import WideSpec, make_wide_pair

#: validation pairs come from the training seed plus this
VALIDATION_OFFSET = 1_000_003


def _default_spec() -> WideSpec:
    # the distribution of the shipped deconvolution network's last stages (its card's training.wide)
    return WideSpec(noise_nm=(0.005, 0.5), tilt_probability=0.2)


@dataclasses.dataclass
class TipEstimatorConfig:
    """Settings of a tip-estimator training run.

    Parameters
    ----------
    n_train, n_val : int
        Training and validation pairs of the wide generator.
    epochs : int
    batch_size : int
    learning_rate : float
        Peak of a cosine schedule (AdamW).
    base : int
        Width of the network (:class:`~.tip_estimator.TipEstimatorNet`).
    seed : int
        Seed of the training pairs and of the run; validation pairs use ``seed + 1 000 003``.
    workers : int
        Processes making the pairs.
    wide : WideSpec
        The generator's ranges.
    readings_z : tuple of float
        The quantiles, in standard deviations from the mean, at which a deconvolution reads the
        radius and half-angle and averages its results (written into the card's ``use``; -1, 0,
        +1 were chosen on the wide validation set: benchmarks/RESULTS.md).
    """

    n_train: int = 16000
    n_val: int = 800
    epochs: int = 8
    batch_size: int = 32
    learning_rate: float = 2e-3
    base: int = 24
    seed: int = 7
    workers: int = 2
    wide: WideSpec = dataclasses.field(default_factory=_default_spec)
    readings_z: tuple[float, ...] = (-1.0, 0.0, 1.0)

    def check(self) -> None:
        """Raise :class:`InputError` naming the first impossible setting."""
        for name in ("n_train", "n_val", "epochs", "batch_size", "base", "workers"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"{name} must be >= 1; got {getattr(self, name)}")
        if not self.readings_z or not all(abs(float(z)) <= 3 for z in self.readings_z):
            raise InputError(f"readings_z must name one or more quantiles within 3 standard deviations; "
                             f"got {self.readings_z}")
        if not self.learning_rate > 0:
            raise InputError(f"learning_rate must be > 0; got {self.learning_rate}")
        self.wide.check()

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready values."""
        d = dataclasses.asdict(self)
        d["wide"] = self.wide.to_dict()
        return d


def _item(job: tuple[WideSpec, np.random.SeedSequence]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    spec, child = job
    torch.set_num_threads(1)
    pair = make_wide_pair(spec, child)
    px = pair.pixel_size_nm
    x, scalars = estimator_inputs(pair.image, px)
    tip = pair.parameters["tip"]
    angle = tip.get("half_angle_deg")
    target = np.array([math.log(tip["radius_nm"] / px),
                       0.0 if angle is None else (angle - ANGLE_CENTRE) / ANGLE_SCALE,
                       0.0 if angle is None else 1.0,
                       ESTIMATOR_SHAPES.index(tip["shape"])], np.float32)
    return x.astype(np.float16), scalars, target


def estimator_arrays(spec: WideSpec, n: int, seed: int, workers: int = 1) -> dict[str, np.ndarray]:
    """Make ``n`` estimator inputs and targets from the wide generator (pair ``i`` from child ``i`` of ``seed``).

    Returns
    -------
    dict
        ``x`` (n, 1, h, w) float16, ``scalars`` (n, 2), ``target`` (n, 4): ``log(R / px)``, scaled
        half-angle, 1 where the tip has a half-angle, tip-model index.

    Examples
    --------
    >>> arrays = estimator_arrays(WideSpec(shape=(32, 32)), 2, 5)
    >>> arrays["x"].shape, arrays["target"].shape
    ((2, 1, 32, 32), (2, 4))
    """
    jobs = [(spec, child) for child in np.random.SeedSequence(seed).spawn(n)]
    if workers > 1:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(int(workers)) as pool:
            items = pool.map(_item, jobs, chunksize=32)
    else:
        items = [_item(job) for job in jobs]
    return {"x": np.stack([it[0] for it in items]), "scalars": np.stack([it[1] for it in items]),
            "target": np.stack([it[2] for it in items])}


def estimator_loss(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Gaussian NLL of log radius and (where defined) scaled angle, plus the tip model's cross-entropy."""
    log_sd_r = out[:, 1].clamp(-4, 3)
    log_sd_a = out[:, 3].clamp(-4, 3)
    nll_r = 0.5 * ((target[:, 0] - out[:, 0]) / log_sd_r.exp()) ** 2 + log_sd_r
    nll_a = (0.5 * ((target[:, 1] - out[:, 2]) / log_sd_a.exp()) ** 2 + log_sd_a) * target[:, 2]
    ce = F.cross_entropy(out[:, 4:], target[:, 3].long())
    return nll_r.mean() + 0.5 * nll_a.sum() / target[:, 2].sum().clamp(min=1) + 0.3 * ce


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    return dihedral(x, int(torch.randint(0, 8, (1,), generator=gen)))


def evaluate_estimator(network: TipEstimatorNet, arrays: dict[str, np.ndarray], batch: int = 64) -> dict[str, float]:
    """Return validation figures: loss, median radius error (factor), angle error, tip-model accuracy, coverage."""
    outs = []
    network.eval()
    with torch.no_grad():
        for i in range(0, len(arrays["x"]), batch):
            outs.append(network(torch.from_numpy(arrays["x"][i:i + batch].astype(np.float32)),
                                torch.from_numpy(arrays["scalars"][i:i + batch])))
    out = torch.cat(outs)
    target = torch.from_numpy(arrays["target"])
    o, t = out.numpy(), arrays["target"]
    err_r = np.abs(o[:, 0] - t[:, 0])
    has_angle = t[:, 2] > 0
    err_a = np.abs(o[has_angle, 2] - t[has_angle, 1]) * ANGLE_SCALE
    return {"loss": float(estimator_loss(out, target)),
            "radius_factor_median": float(np.exp(np.median(err_r))),
            "radius_within_25pct": float(np.mean(err_r < math.log(1.25))),
            "radius_coverage90": float(np.mean(err_r < 1.645 * np.exp(np.clip(o[:, 1], -4, 3)))),
            "angle_error_median_deg": float(np.median(err_a)) if err_a.size else float("nan"),
            "shape_accuracy": float(np.mean(o[:, 4:].argmax(axis=1) == t[:, 3]))}


def train_tip_estimator_steps(config: TipEstimatorConfig, out: str | Path, *, command: str | None = None,
                          ) -> Generator[dict[str, Any], None, dict[str, Any]]:
    """Train a tip estimator into the folder ``out``; yields one progress dict per epoch; returns the card.

    A ``checkpoint.pt`` in ``out`` (written after each epoch) is resumed from.

    Parameters
    ----------
    config : TipEstimatorConfig
    out : str or Path
        Folder for ``weights.safetensors``, ``config.json`` (the card) and the checkpoint.
    command : str, optional
        The command that ran the training, recorded in the card.

    Returns
    -------
    dict
        The card: settings, validation figures of the best epoch, history.

    Examples
    --------
    >>> import tempfile
    >>> from dataclasses import replace
    >>> from napari_afm_profiler.progress import drain
    >>> tiny = TipEstimatorConfig(n_train=8, n_val=4, epochs=1, base=4, workers=1,
    ...                           wide=replace(WideSpec(), shape=(32, 32)))
    >>> epochs = []
    >>> card = drain(train_tip_estimator_steps(tiny, tempfile.mkdtemp()), epochs.append)
    >>> len(epochs), card["validation"]["epoch"]
    (1, 1)
    """
    config.check()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    train = estimator_arrays(config.wide, config.n_train, config.seed, config.workers)
    val = estimator_arrays(config.wide, config.n_val, config.seed + VALIDATION_OFFSET, config.workers)
    data_seconds = time.perf_counter() - t0
    torch.manual_seed(config.seed)
    network = TipEstimatorNet(base=config.base)
    optimiser = torch.optim.AdamW(network.parameters(), lr=config.learning_rate, weight_decay=1e-4)
    steps = config.epochs * math.ceil(config.n_train / config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, config.learning_rate, total_steps=steps,
                                                   pct_start=0.1)
    gen = torch.Generator().manual_seed(config.seed)
    history: list[dict[str, Any]] = []
    best: dict[str, Any] = {"loss": float("inf")}
    start = 0
    checkpoint = out / "checkpoint.pt"
    if checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)
        network.load_state_dict(state["network"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        gen.set_state(state["generator"])
        history, best, start = state["history"], state["best"], state["epoch"]
    for epoch in range(start, config.epochs):
        network.train()
        order = torch.randperm(config.n_train, generator=gen)
        total = 0.0
        for i in range(0, config.n_train, config.batch_size):
            idx = order[i:i + config.batch_size].numpy()
            x = _augment(torch.from_numpy(train["x"][idx].astype(np.float32)), gen)
            loss = estimator_loss(network(x, torch.from_numpy(train["scalars"][idx])),
                                  torch.from_numpy(train["target"][idx]))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            total += loss.item() * len(idx)
        metrics = evaluate_estimator(network, val)
        history.append({"epoch": epoch + 1, "train_loss": total / config.n_train, **metrics,
                        "seconds": time.perf_counter() - t0})
        if metrics["loss"] < best["loss"]:
            best = {**metrics, "epoch": epoch + 1,
                    "state": {k: v.detach().clone() for k, v in network.state_dict().items()}}
        state = {"network": network.state_dict(), "optimiser": optimiser.state_dict(),
                 "schedule": schedule.state_dict(), "generator": gen.get_state(), "history": history, "best": best,
                 "epoch": epoch + 1}
        atomic_write(checkpoint, lambda tmp, state=state: torch.save(state, tmp))
        yield history[-1]
    network.load_state_dict(best["state"])
    card = {"format": "napari-afm-profiler tip estimator 1", "model": {"base": config.base},
            "pixel_size_range_nm": list(config.wide.pixel_size_nm), "shapes": list(ESTIMATOR_SHAPES),
            "training": config.to_dict(), "validation": {k: v for k, v in best.items() if k != "state"},
            "history": history, "command": command, "data_seconds": data_seconds, "torch_version": torch.__version__,
            "threads": torch.get_num_threads(), "use": {"readings_z": sorted(float(z) for z in config.readings_z)}}
    save_model(out, network, card)
    return json.loads((out / "config.json").read_text())  # with the weights' sha256


def train_tip_estimator(config: TipEstimatorConfig, out: str | Path, *, command: str | None = None) -> dict[str, Any]:
    """Train a tip estimator to completion (see :func:`train_tip_estimator_steps`); return its card.

    Examples
    --------
    >>> import tempfile
    >>> from dataclasses import replace
    >>> tiny = TipEstimatorConfig(n_train=8, n_val=4, epochs=1, base=4, workers=1,
    ...                           wide=replace(WideSpec(), shape=(32, 32)))
    >>> card = train_tip_estimator(tiny, tempfile.mkdtemp())
    >>> card["format"], card["shapes"]
    ('napari-afm-profiler tip estimator 1', ['cone', 'pyramid', 'paraboloid'])
    """
    from napari_afm_profiler.progress import drain

    return drain(train_tip_estimator_steps(config, out, command=command))
