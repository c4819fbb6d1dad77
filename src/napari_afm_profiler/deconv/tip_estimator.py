"""A learned estimate of the tip's model and parameters from an AFM image alone.

Blind estimation (Villarrubia) bounds the tip from above only where the image has features
sharper than the tip; elsewhere it stays blunt, and a deconvolution with a too-blunt tip digs
below the surface.  A small network, trained on the wide generator
(:mod:`napari_afm_profiler.synth.wide`: every scene kind, tip model, apex radius and
half-angle the deconvolution network knows), reads the image and returns the tip model's
probabilities, and for the apex radius and the half-angle a normal distribution (of the log
radius, and of the angle).  A deconvolution then averages its results for the parametric tips of
the most probable model at a few quantiles of both (the card's ``use.readings_z``: the radius is
uncertain, a sharper tip errs toward the image, a blunter one digs); the blind estimate is only
compared with them (cf. Lei & Chen 2025, a learned AFM tip
estimator).

The network sees heights in pixel units (``(image - plane) / pixel size``): dilation by a tip is
the same geometry on every grid, and the radius is learned in pixels, ``log(R / px)``; the pixel
size and the image's noise level enter as two numbers after pooling.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import ndimage
from torch import nn
from torch.nn import functional as F  # noqa: N812

from napari_afm_profiler.deconv.model import ResBlock, dihedral
from napari_afm_profiler.errors import AFMFormatError, InputError
from napari_afm_profiler.pixels import check_resampled_size

#: tip models the estimator tells apart, in the order of its class outputs
ESTIMATOR_SHAPES = ("cone", "pyramid", "paraboloid")
#: the half-angle is predicted as (angle - ANGLE_CENTRE) / ANGLE_SCALE
ANGLE_CENTRE, ANGLE_SCALE = 22.5, 7.5
#: heights in pixels are divided by this before the network
HEIGHT_SCALE = 8.0
#: side of the windows the estimator is trained on and reads a large image in
WINDOW = 128
#: at most this many windows of a large image are read
MAX_WINDOWS = 16
#: windows x orientations read per image (all 8 orientations of up to 4 windows; fewer for more windows)
MAX_READS = 32


class TipEstimatorNet(nn.Module):
    """Convolutional regressor: image (heights in pixels) + [log px, log noise/px] → tip model and parameters.

    Outputs 7 numbers: mean and log-SD of ``log(R / px)``, mean and log-SD of the scaled
    half-angle, and the logits of :data:`ESTIMATOR_SHAPES`.

    Parameters
    ----------
    base : int
        Channels at half resolution (doubled twice, then kept).
    """

    def __init__(self, base: int = 24) -> None:
        super().__init__()
        self.base = base
        self.full_res = nn.Conv2d(1, 8, 3, padding=1)
        chans = [base, 2 * base, 4 * base, 4 * base]
        self.blocks = nn.ModuleList([ResBlock(32, chans[0])] +
                                    [ResBlock(chans[i], chans[i + 1]) for i in range(len(chans) - 1)])
        self.head = nn.Sequential(nn.Linear(2 * chans[-1] + 2, 64), nn.SiLU(), nn.Linear(64, 4 + len(ESTIMATOR_SHAPES)))

    def forward(self, x: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        """Return the 7 outputs per image of ``x`` (n, 1, h, w), h and w multiples of 2."""
        h = F.pixel_unshuffle(F.silu(self.full_res(x)), 2)
        for i, block in enumerate(self.blocks):
            if i:
                h = F.avg_pool2d(h, 2, ceil_mode=True)
            h = block(h)
        pooled = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3)), scalars], dim=1)
        return self.head(pooled)


def estimator_inputs(image: np.ndarray, pixel_size_nm: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the network's inputs for one image: heights in pixels (scaled) and the two scalars.

    The substrate plane is removed first (a tilted sample has the same tip); the median of the
    rest is zero.

    Parameters
    ----------
    image : (ny, nx) ndarray
        Heights, nm, finite.
    pixel_size_nm : float

    Returns
    -------
    x : (1, ny, nx) float32 ndarray
    scalars : (2,) float32 ndarray
        ``log(px)`` and ``log(noise / px)``.

    Examples
    --------
    >>> import numpy as np
    >>> x, s = estimator_inputs(np.zeros((32, 32)), 1.0)
    >>> x.shape, float(abs(x).max()), s.shape
    ((1, 32, 32), 0.0, (2,))
    """
    from napari_afm_profiler.deconv.conditioning import substrate_plane
    from napari_afm_profiler.deconv.tips import noise_level

    arr = np.asarray(image, np.float64)
    arr = arr - substrate_plane(arr)
    arr = arr - float(np.median(arr))
    noise = noise_level(arr)
    x = (arr / pixel_size_nm / HEIGHT_SCALE).astype(np.float32)[None]
    scalars = np.array([math.log(pixel_size_nm), math.log(noise / pixel_size_nm + 1e-3)], np.float32)
    return x, scalars


MAX_READABLE_LOG_RADIUS_SD = 1.5
"""Largest SD of the log apex radius a reading may have and still be used (a factor 4.5 per SD).

On the wide validation seeds (720 images of 0.25-4 nm pixels) the estimator's SD never exceeded
0.80; on a test seed five images of 0.26-0.45 nm pixels (downsampled for the estimator) gave 3.1
to 6e25, and the largest overflowed the radius's exponential (benchmarks/RESULTS.md)."""

MAX_READABLE_ANGLE_SD_DEG = 20.0
"""Largest SD of the half-angle a reading may have and still be used (validation: at most 8.0 degrees)."""

RADIUS_LIMITS_NM = (1e-3, 1e6)
"""Apex radii a reading is clipped to: beyond them the exponential of a wild reading overflows."""


class TipUnreadableError(InputError):
    """The tip estimator's reading of an image is too uncertain, or not finite, to be used."""


@dataclass(frozen=True)
class TipGuess:
    """What the estimator reads from an image.

    Attributes
    ----------
    shape_probabilities : dict
        Probability of each tip model of :data:`ESTIMATOR_SHAPES`.
    log_radius_nm : (float, float)
        Mean and SD of the natural log of the apex radius in nm.
    half_angle_deg : (float, float)
        Mean and SD of the half-angle (cone, pyramid).
    """

    shape_probabilities: dict[str, float]
    log_radius_nm: tuple[float, float]
    half_angle_deg: tuple[float, float]

    @property
    def shape(self) -> str:
        """The most probable tip model."""
        return max(self.shape_probabilities, key=self.shape_probabilities.get)

    def radius_nm(self, z: float = 0.0) -> float:
        """Apex radius at ``z`` SDs from the mean of its log (negative: sharper), within :data:`RADIUS_LIMITS_NM`."""
        mean, sd = self.log_radius_nm
        lo, hi = (math.log(v) for v in RADIUS_LIMITS_NM)
        value = mean + z * sd
        return float(math.exp(min(max(value, lo), hi) if math.isfinite(value) else hi))

    def unreadable(self) -> str | None:
        """Say why this reading cannot be used (too uncertain, or not finite), or return None when it can.

        Examples
        --------
        >>> TipGuess({"cone": 1.0}, (math.log(8.0), 0.3), (20.0, 5.0)).unreadable() is None
        True
        >>> TipGuess({"cone": 1.0}, (math.log(8.0), 40.0), (20.0, 5.0)).unreadable()
        'its apex radius is uncertain by a factor of more than 1e+10 at 1 SD (readable images: below 2.2)'
        """
        values = [*self.log_radius_nm, *self.half_angle_deg, *self.shape_probabilities.values()]
        if not all(math.isfinite(v) for v in values):
            return "its reading is not finite"
        sd = self.log_radius_nm[1]
        if sd > MAX_READABLE_LOG_RADIUS_SD:
            factor = math.exp(min(sd, 700.0))
            return (f"its apex radius is uncertain by a factor of {'more than 1e+10' if factor > 1e10 else f'{factor:.3g}'}"
                    f" at 1 SD (readable images: below {math.exp(0.8):.2g})")
        if self.half_angle_deg[1] > MAX_READABLE_ANGLE_SD_DEG:
            return f"its half-angle is uncertain by {self.half_angle_deg[1]:.3g} degrees at 1 SD (readable images: below 8)"
        return None

    def angle_deg(self, z: float = 0.0) -> float:
        """Half-angle at ``z`` standard deviations from its mean, kept within 1-80 degrees."""
        mean, sd = self.half_angle_deg
        return float(np.clip(mean + z * sd, 1.0, 80.0))


@dataclass(frozen=True)
class LoadedEstimator:
    """A tip estimator network with its card."""

    network: TipEstimatorNet
    card: dict[str, Any]
    path: Path

    @property
    def readings_z(self) -> tuple[float, ...]:
        """The quantiles (standard deviations of the log radius and the angle) a deconvolution averages over."""
        use = self.card.get("use", {})
        if "readings_z" in use:
            return tuple(float(z) for z in use["readings_z"])
        return (float(use.get("z", 0.0)),)  # cards of session 33: one reading


def estimator_folder(name_or_path: str | Path = "default") -> Path:
    """Resolve ``"default"`` (shipped in the package) or a folder to a tip-estimator folder."""
    if str(name_or_path) == "default":
        return Path(str(resources.files("napari_afm_profiler.deconv") / "models" / "tip-estimator"))
    return Path(name_or_path)


@functools.lru_cache(maxsize=4)
def _load(folder: str) -> LoadedEstimator:
    from napari_afm_profiler.deconv.infer import read_model_folder

    path = Path(folder)
    card, state = read_model_folder(path, "tip estimator")
    try:
        network = TipEstimatorNet(**card["model"])
        network.load_state_dict(state)
    except (KeyError, TypeError, RuntimeError) as exc:
        raise AFMFormatError(path, f"not a tip estimator (its card needs model, its weights must fit it): {exc}") \
            from exc
    return LoadedEstimator(network=network.eval(), card=card, path=path)


def load_tip_estimator(name_or_path: str | Path = "default") -> LoadedEstimator:
    """Load (once, cached) a tip estimator; a missing or foreign folder raises :class:`AFMFormatError`.

    Examples
    --------
    >>> estimator = load_tip_estimator()  # shipped in the package
    >>> estimator.card["pixel_size_range_nm"]
    [0.5, 2.0]
    """
    return _load(str(estimator_folder(name_or_path).resolve()))


def _windows(shape: tuple[int, int]) -> list[tuple[slice, slice]]:
    """Up to :data:`MAX_WINDOWS` windows of :data:`WINDOW` px spread evenly over an image."""
    def starts(n: int) -> list[int]:
        if n <= WINDOW:
            return [0]
        count = min(math.ceil(n / WINDOW), int(math.isqrt(MAX_WINDOWS)))
        return sorted({round(v) for v in np.linspace(0, n - WINDOW, count)})

    return [(slice(y, y + WINDOW), slice(x, x + WINDOW)) for y in starts(shape[0]) for x in starts(shape[1])]


def guess_tip(image: np.ndarray, pixel_size_nm: float | tuple[float, float],
              estimator: str | Path | LoadedEstimator = "default") -> TipGuess:
    """Read the tip's model, apex radius and half-angle from an image.

    An image whose pixel size lies outside the estimator's training range is resampled into it;
    a large image is read in up to 16 windows of 128 px whose estimates are combined (weighted
    by their precision; the SD is not narrowed, the windows share one scene). Each window is read
    in up to 8 orientations (flips and transposes; all 8 for up to 4 windows) and the readings
    averaged.

    Parameters
    ----------
    image : (ny, nx) ndarray
        Heights, nm (NaNs are filled with the median).
    pixel_size_nm : float or (dy, dx)
    estimator : str, Path or LoadedEstimator
        ``"default"`` (shipped) or a folder.

    Returns
    -------
    TipGuess

    Examples
    --------
    >>> import numpy as np
    >>> from napari_afm_profiler.synth.wide import WideSpec, make_wide_pair
    >>> pair = make_wide_pair(WideSpec(scenes=("rods",)), 11)
    >>> guess = guess_tip(pair.image, pair.pixel_size_nm)
    >>> guess.shape in ESTIMATOR_SHAPES and 0.5 < guess.radius_nm() < 100
    True
    """
    loaded = estimator if isinstance(estimator, LoadedEstimator) else load_tip_estimator(estimator)
    arr = np.asarray(image, np.float64)
    if arr.ndim != 2 or min(arr.shape) < 16:
        raise InputError(f"the tip estimator needs one image of at least 16 x 16 px; got shape {arr.shape}")
    finite = np.isfinite(arr)
    if not finite.any():
        raise InputError("the image has no finite pixel to estimate the tip from")
    arr = np.where(finite, arr, np.median(arr[finite]))
    py, px = (float(pixel_size_nm),) * 2 if np.isscalar(pixel_size_nm) else map(float, pixel_size_nm)
    lo, hi = loaded.card["pixel_size_range_nm"]
    target = float(np.clip(math.sqrt(py * px), lo, hi))
    if abs(py - target) > 1e-6 * target or abs(px - target) > 1e-6 * target:
        check_resampled_size(arr.shape, (py, px), target, step="the tip estimator", alternative=(
            "at pixels this coarse the tip's apex is far below one pixel and the image cannot tell it; give the tip "
            "(a model or a measured array) or estimate it on a smaller scan of the same tip"))
        arr = ndimage.zoom(arr, (py / target, px / target), order=1)
    if min(arr.shape) < 16:
        ny, nx = np.asarray(image).shape
        raise InputError(f"the image covers only {ny * py:.3g} x {nx * px:.3g} nm, too little to read a tip from: "
                         f"the tip estimator needs at least 16 x 16 px at {target:.3g} nm/px "
                         f"({16 * target:.3g} x {16 * target:.3g} nm); give the tip instead")
    xs, scalars = [], []
    for win in _windows(arr.shape):
        x, s = estimator_inputs(arr[win], target)  # each window its own plane and noise level, as in training
        h, w = x.shape[-2:]
        xs.append(np.pad(x, ((0, 0), (0, h % 2), (0, w % 2)), mode="edge"))
        scalars.append(s)
    # the tip's radius and angle do not change when the image is flipped or transposed: reading each
    # window in several of these orientations and averaging narrows the radius error (validation:
    # median factor 1.15 -> 1.13, benchmarks/RESULTS.md)
    batch_x, batch_s = torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(scalars))
    with torch.no_grad():
        out = np.mean([loaded.network(dihedral(batch_x, k).contiguous(), batch_s).numpy()
                       for k in range(max(1, min(8, MAX_READS // len(xs))))], axis=0)
    out = out.astype(np.float64)

    def combine(mean: np.ndarray, log_sd: np.ndarray) -> tuple[float, float]:
        precision = np.exp(-2 * log_sd)
        return float(np.sum(precision * mean) / np.sum(precision)), float(math.sqrt(1 / np.mean(precision)))

    r_mean, r_sd = combine(out[:, 0], out[:, 1])
    a_mean, a_sd = combine(out[:, 2], out[:, 3])
    logits = out[:, 4:].mean(axis=0)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    return TipGuess(shape_probabilities={s: float(p) for s, p in zip(ESTIMATOR_SHAPES, probs)},
                    log_radius_nm=(r_mean + math.log(target), r_sd),
                    half_angle_deg=(ANGLE_CENTRE + ANGLE_SCALE * a_mean, ANGLE_SCALE * a_sd))
