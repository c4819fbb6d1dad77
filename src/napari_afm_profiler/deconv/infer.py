"""Inference: load a model folder (safetensors + JSON card) and deconvolve images of any size and pixel size.

The image is resampled to the model's pixel size and back (level it first: the network
was trained on levelled scenes), NaN pixels are filled for the network and restored,
large images are cut into overlapping tiles blended with smooth weights, and the result
never exceeds the image.  An uncertainty map is the spread of the
predictions over the four mirror images of the input (test-time augmentation).
"""

from __future__ import annotations

import functools
import json
import math
import os
import warnings
from collections.abc import Generator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import ndimage as ndi

from napari_afm_profiler.deconv.model import build_model, model_inputs
from napari_afm_profiler.errors import AFMFormatError, InputError
from napari_afm_profiler.pixels import pixel_size_pair
from napari_afm_profiler.preprocess.fit import fit_polynomial
from napari_afm_profiler.progress import drain
from napari_afm_profiler.tip import erode, make_tip
from napari_afm_profiler.tip.models import crop_tip

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
        """The pixel size the model was trained at."""
        return float(self.card["pixel_size_nm"])


def model_folder(name_or_path: str | Path) -> Path:
    """Resolve ``"default"`` (shipped in the package) or a folder / ``.safetensors`` file to a model folder."""
    if str(name_or_path) == "default":
        return Path(str(resources.files("napari_afm_profiler.deconv") / "models" / "default"))
    path = Path(name_or_path)
    if path.suffix.lower() in REFUSED_SUFFIXES:
        raise AFMFormatError(path, "only safetensors model files are accepted (pickle-based files can run code)")
    return path.parent if path.suffix.lower() in (".safetensors", ".json") else path


@functools.lru_cache(maxsize=4)
def _load(folder: str) -> LoadedModel:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(folder)
    card_file, weights = path / "config.json", path / "weights.safetensors"
    for f in (card_file, weights):
        if not f.is_file():
            raise AFMFormatError(f, "model file missing: a model folder holds config.json and weights.safetensors")
    try:
        card = json.loads(card_file.read_text())
        architecture, kwargs = card["architecture"], dict(card["model"])
        float(card["pixel_size_nm"])
    except (ValueError, KeyError, TypeError) as exc:
        raise AFMFormatError(card_file, f"not a model card (needs architecture, model, pixel_size_nm): {exc}") from exc
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise AFMFormatError(weights, f"not a readable safetensors file ({exc})") from exc
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
    """Result of :func:`deconvolve`: surface, optional uncertainty, and what was done."""

    surface: np.ndarray
    uncertainty: np.ndarray | None
    notes: tuple[str, ...]


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


def substrate_plane(a: np.ndarray) -> np.ndarray:
    """Return the plane of the substrate under an image: fitted, then refitted to the pixels below it.

    The network was trained on level substrates; a residual tilt (an image only line-levelled,
    a tilted sample) makes it dig pits where the image is high.  Fitting the lower half of the
    residuals keeps particles and rough peaks from tilting the plane, so an already level image
    is left almost unchanged.  Fitted on at most about 65 000 pixels of a regular subgrid.
    """
    ny, nx = a.shape
    stride = max(1, int(math.sqrt(a.size / 65536)))
    sub = a[::stride, ::stride]
    y, x = np.arange(0, ny, stride), np.arange(0, nx, stride)
    use = np.isfinite(sub)
    for _ in range(2):
        plane = fit_polynomial(sub, 1, use=use, y=y, x=x)
        residual = plane.subtract_from(sub)
        use = np.isfinite(sub) & (residual <= np.nanmedian(residual))
    return fit_polynomial(sub, 1, use=use, y=y, x=x).evaluate(a.shape)


def _weights(n: int, overlap: int) -> np.ndarray:
    ramp = np.ones(n)
    if overlap > 0:
        edge = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, overlap + 2)[1:-1])
        ramp[:overlap], ramp[-overlap:] = edge, edge[::-1]
    return ramp


def _run(network: torch.nn.Module, image: np.ndarray, eroded: np.ndarray, flips: int) -> list[np.ndarray]:
    multiple = int(getattr(network, "multiple", 16))
    ny, nx = image.shape
    py, px = (-ny) % multiple, (-nx) % multiple
    mode = "reflect" if min(ny, nx) > max(py, px) else "edge"
    stacked = np.pad(np.stack([image, eroded]), ((0, 0), (0, py), (0, px)), mode=mode)
    x = torch.from_numpy(stacked.astype(np.float32))[None].to(next(network.parameters()).device)
    outs = []
    with torch.inference_mode():
        for k in range(flips):
            dims = [d for d, bit in ((-1, 1), (-2, 2)) if k & bit]
            xi = x.flip(dims) if dims else x
            net_in, offset = model_inputs(xi[:, :1], xi[:, 1:2], network.in_channels)
            y = network(net_in) + offset
            y = y.flip(dims) if dims else y
            outs.append(y[0, 0, :ny, :nx].cpu().numpy().astype(np.float64))
    return outs


def _frame_steps(model: LoadedModel, image: np.ndarray, pixel_size_nm: tuple[float, float], uncertainty: bool,
                 tile: int, overlap: int) -> Generator[tuple[str, int, int], None, tuple]:
    finite = np.isfinite(image)
    if not finite.any():
        raise InputError("the image has no finite pixels")
    filled = _fill_nan(np.asarray(image, np.float64))
    target = model.pixel_size_nm
    factor = (pixel_size_nm[0] / target, pixel_size_nm[1] / target)
    shape = (max(8, round(image.shape[0] * factor[0])), max(8, round(image.shape[1] * factor[1])))
    work = _resize(filled, shape)
    plane = substrate_plane(work)
    work = work - plane
    eroded = erode(work, crop_tip(model.tip, min(work.shape)))
    flips = 4 if uncertainty else 1
    ny, nx = work.shape
    if ny <= tile and nx <= tile:
        yield "tiles", 0, 1
        outs = _run(model.network, work, eroded, flips)
        yield "tiles", 1, 1
    else:
        step = tile - overlap
        starts_y = sorted({*range(0, max(ny - tile, 0) + 1, step), max(ny - tile, 0)})
        starts_x = sorted({*range(0, max(nx - tile, 0) + 1, step), max(nx - tile, 0)})
        acc = [np.zeros((ny, nx)) for _ in range(flips)]
        weight = np.zeros((ny, nx))
        total = len(starts_y) * len(starts_x)
        done = 0
        for y0 in starts_y:
            for x0 in starts_x:
                sl = (slice(y0, y0 + tile), slice(x0, x0 + tile))
                pieces = _run(model.network, work[sl], eroded[sl], flips)
                h, w = pieces[0].shape
                wgt = np.outer(_weights(h, overlap if h == tile else 0), _weights(w, overlap if w == tile else 0))
                for a, p in zip(acc, pieces):
                    a[sl] += p * wgt
                weight[sl] += wgt
                done += 1
                yield "tiles", done, total
        outs = [a / weight for a in acc]
    stack = np.stack(outs) + plane
    surface = _resize(stack.mean(axis=0), image.shape)
    spread = _resize(stack.std(axis=0), image.shape) if uncertainty else None
    surface = np.minimum(surface, filled)  # dilation only raises a surface: never above the image
    surface[~finite] = np.nan
    if spread is not None:
        spread[~finite] = np.nan
    return surface, spread


def deconvolve_steps(image: np.ndarray, *, pixel_size_nm: float | tuple[float, float] | None,
                     model: str | Path | LoadedModel = "default", uncertainty: bool = False, tile: int = 1024,
                     overlap: int = 64) -> Generator[tuple[str, int, int], None, Deconvolved]:
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
    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim not in (2, 3) or min(arr.shape[-2:]) < 8:
        raise InputError(f"deconvolution needs a 2-D image or a 3-D stack of at least 8 x 8 px; got shape {arr.shape}")
    if int(tile) < 64 or not 0 <= int(overlap) < int(tile) // 2:
        raise InputError(f"tile must be >= 64 px and overlap in [0, tile/2); got tile {tile}, overlap {overlap}")
    notes: list[str] = []
    if pixel_size_nm is None:
        px = (loaded.pixel_size_nm, loaded.pixel_size_nm)
        notes.append(f"no pixel size given: assumed the model's {loaded.pixel_size_nm:g} nm/px")
    else:
        px = pixel_size_pair(pixel_size_nm, needed_for="deconvolution")
        ratio = max(px) / loaded.pixel_size_nm, min(px) / loaded.pixel_size_nm
        if not (0.99 < ratio[1] and ratio[0] < 1.01):
            message = (f"image resampled from {px[0]:.4g} x {px[1]:.4g} nm/px to the model's "
                       f"{loaded.pixel_size_nm:g} nm/px and back")
            notes.append(message)
            if ratio[0] > 2 or ratio[1] < 0.5:
                warnings.warn(f"pixel size far from the model's: {message}; results may be poor", PixelSizeWarning,
                              stacklevel=3)
    if np.isnan(arr).any():
        notes.append(f"{int(np.isnan(arr).sum())} NaN pixels filled for the network and restored as NaN")
    frames = arr[None] if arr.ndim == 2 else arr
    surfaces, spreads = [], []
    for i, frame in enumerate(frames):
        yield "frame", i, len(frames)
        surface, spread = yield from _frame_steps(loaded, frame, px, uncertainty, int(tile), int(overlap))
        surfaces.append(surface)
        spreads.append(spread)
    yield "frame", len(frames), len(frames)
    out = np.stack(surfaces) if arr.ndim == 3 else surfaces[0]
    unc = None if not uncertainty else (np.stack(spreads) if arr.ndim == 3 else spreads[0])
    return Deconvolved(surface=out, uncertainty=unc, notes=tuple(notes))


def deconvolve(image: np.ndarray, *, pixel_size_nm: float | tuple[float, float] | None,
               model: str | Path | LoadedModel = "default", uncertainty: bool = False, tile: int = 1024,
               overlap: int = 64) -> Deconvolved:
    """Remove tip convolution from an image (or a stack, frame by frame) with a trained network.

    Parameters
    ----------
    image : (M, N) or (F, M, N) float ndarray, nm
        Levelled AFM heights; NaN pixels are filled for the network and restored.  A remaining
        tilt is removed before the network (:func:`substrate_plane`) and restored after it.
    pixel_size_nm : float or (dy, dx) or None
        The image's pixel size; the image is resampled to the model's and back.  None assumes
        the model's (stated in the notes).
    model : str, Path or LoadedModel
        ``"default"`` (shipped), a model folder, or a loaded model.
    uncertainty : bool
        Also return the spread over the four mirror images (4x the time).
    tile, overlap : int
        Tile size and overlap in model pixels for large images.

    Returns
    -------
    Deconvolved
        ``surface`` (same shape as ``image``, never above it), ``uncertainty`` (or None), notes.

    Examples
    --------
    >>> from napari_afm_profiler.synth import particles_on_substrate
    >>> from napari_afm_profiler.tip import dilate, make_tip
    >>> surface, _ = particles_on_substrate(seed=1)
    >>> tip = make_tip("paraboloid", pixel_size_nm=2.0, radius_nm=10.0)
    >>> image = dilate(surface, tip)
    >>> result = deconvolve(image, pixel_size_nm=2.0)
    >>> bool((result.surface <= image + 1e-6).all())
    True
    >>> bool(abs(result.surface - surface).mean() < abs(image - surface).mean())
    True
    """
    steps = deconvolve_steps(image, pixel_size_nm=pixel_size_nm, model=model, uncertainty=uncertainty, tile=tile,
                             overlap=overlap)
    return drain(steps)
