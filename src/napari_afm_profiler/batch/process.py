"""One file through the pipeline: read → level → deconvolve → regions → roughness → classify.

Runs inside a worker (a dask process or the calling process). Every failure becomes the
file's error message; nothing raised here stops a batch.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.batch.config import BatchConfig
from napari_afm_profiler.errors import AfmProfilerError, InputError

CHUNK = 1 << 20


@dataclass(frozen=True)
class FileOutcome:
    """What one file produced.

    Attributes
    ----------
    file : str
        Path as given to the batch.
    key : str
        Content hash of the file and digest of the configuration: the resume key.
    rows : list of dict
        ``file``, ``channel``, (``frame`` for stacks), ``region``, then the parameters.
    error : str or None
        Why the file gave no rows (None when it worked).
    seconds : float
        Time spent on it.
    """

    file: str
    key: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def file_key(path: str | Path, config: BatchConfig) -> str:
    """Resume key: where the file is, what it holds (SHA-256 of its bytes) and the configuration digest.

    The path is part of the key because two copies of one file are two rows of the results.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    where = hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:8]
    return f"{where}-{digest.hexdigest()[:20]}-{config.digest()}"


def process_file(path: str, config: BatchConfig, key: str | None = None) -> FileOutcome:
    """Run the configured pipeline on one file, catching every error into the outcome.

    Parameters
    ----------
    path : str
        The file.
    config : BatchConfig
    key : str, optional
        Its resume key if already computed.

    Returns
    -------
    FileOutcome
    """
    start = time.perf_counter()
    try:
        key = key or file_key(path, config)
        rows = _rows(Path(path), config)
        return FileOutcome(str(path), key, rows, None, time.perf_counter() - start)
    except (AfmProfilerError, OSError) as exc:
        return FileOutcome(str(path), key or "", [], str(exc), time.perf_counter() - start)
    except MemoryError:
        return FileOutcome(str(path), key or "", [], "out of memory", time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - a batch records every failure and carries on
        return FileOutcome(str(path), key or "", [], f"unexpected {type(exc).__name__}: {exc}",
                           time.perf_counter() - start)


def _choose(scans: list[Any], wanted: list[str] | None, name: str) -> list[Any]:
    if wanted is None:
        heights = [s for s in scans if s.is_height]
        if not heights:
            raise InputError(f"{name}: no height channel; channels are " + ", ".join(repr(s.channel) for s in scans))
        return heights[:1]
    by_name = {s.channel: s for s in scans}
    missing = [c for c in wanted if c not in by_name]
    if missing:
        raise InputError(f"{name}: no channel {missing[0]!r}; channels are " + ", ".join(repr(c) for c in by_name))
    return [by_name[c] for c in wanted]


def _rows(path: Path, config: BatchConfig) -> list[dict[str, Any]]:
    from napari_afm_profiler.io import read_afm
    from napari_afm_profiler.io.generic import read_npy
    from napari_afm_profiler.io.unscanned import mask_unscanned

    # a .npy in a batch folder holds heights in nm, as on the command line (its pixel size is unknown)
    found = read_npy(path, z_unit="nm") if path.suffix.lower() == ".npy" else read_afm(path)
    # lines an interrupted scan never measured are missing data, not heights
    scans = [mask_unscanned(scan) for scan in _choose(found, config.channels, path.name)]
    rows: list[dict[str, Any]] = []
    for scan in scans:
        if scan.pixel_size_nm is None:
            raise InputError(f"{path.name}: channel {scan.channel!r} has no pixel size")
        frames = [scan.data] if scan.data.ndim == 2 else list(scan.data)
        for f, data in enumerate(frames):
            if not np.isfinite(data).any():
                raise InputError(f"{path.name}: channel {scan.channel!r} has no finite value (NaN-only image)")
            image = _prepare(data, scan.pixel_size_nm, config)
            labels = _labels(path, image, config, scan.pixel_size_nm)
            for row in _roughness_rows(image, labels, scan.pixel_size_nm, config):
                head = {"file": str(path), "channel": scan.channel}
                if len(frames) > 1:
                    head["frame"] = f
                rows.append({**head, **row})
    if config.classification.model:
        rows = _classify(rows, config.classification.model)
    return rows


def _prepare(data: np.ndarray, pixel: tuple[float, float], config: BatchConfig) -> np.ndarray:
    from napari_afm_profiler.preprocess import level, removed_tilt

    original = np.asarray(data, dtype=np.float64)
    image, tilt = original, None
    if config.level != "none":
        image = level(original, config.level)
        tilt = removed_tilt(original, image, pixel)
    if config.deconvolution.enabled:
        from napari_afm_profiler.deconv.infer import deconvolve

        spec = config.deconvolution
        # the tip met the sample with the tilt that levelling took out (see deconvolve's removed_tilt)
        image = deconvolve(image, pixel_size_nm=pixel, model=spec.model, tip=spec.tip,
                           tip_pixel_size_nm=spec.tip_pixel_size_nm, removed_tilt=tilt,
                           mirror_average=spec.mirror_average, dropouts=spec.dropouts).surface
    return image


def _labels(path: Path, image: np.ndarray, config: BatchConfig, pixel: tuple[float, float]) -> np.ndarray | None:
    from napari_afm_profiler.io.labels import LABEL_SUFFIXES, load_labels

    source = config.labels.source
    if source == "none":
        return None
    if source == "file":
        stem = path.name[: -len("".join(path.suffixes))] if path.suffixes else path.name
        for suffix in LABEL_SUFFIXES:
            candidate = path.with_name(stem + config.labels.suffix + suffix)
            if candidate.is_file():
                labels = load_labels(str(candidate))
                if labels.shape != image.shape[-2:]:
                    raise InputError(f"{candidate.name}: labels of shape {labels.shape} for an image of shape "
                                     f"{image.shape}")
                return labels
        raise InputError(f"{path.name}: missing labels file {stem + config.labels.suffix}.npy/.tif beside it")
    if source == "particles":
        from napari_afm_profiler.particles import segment_particles

        seg = segment_particles(image, pixel_size_nm=pixel, method="relative", threshold_nm=config.labels.threshold_nm,
                                min_area_nm2=config.labels.min_area_px * pixel[0] * pixel[1])
        if seg.count == 0:
            raise InputError(f"{path.name}: no particle found ({'; '.join(seg.notes)})")
        return seg.labels
    return threshold_regions(image, config.labels.threshold_nm, config.labels.min_area_px, name=path.name)


def threshold_regions(image: np.ndarray, threshold_nm: float | None, min_area_px: int, *, name: str = "image") -> np.ndarray:
    """Label the connected regions higher than a threshold (Otsu's when None) above the mean plane.

    Parameters
    ----------
    image : (ny, nx) float ndarray, nm
        Levelled heights.
    threshold_nm : float or None
    min_area_px : int
        Smaller regions are dropped.
    name : str
        For the error message.

    Returns
    -------
    labels : (ny, nx) int ndarray
    """
    from skimage.filters import threshold_otsu
    from skimage.measure import label
    from skimage.segmentation import relabel_sequential

    finite = np.isfinite(image)
    z = np.where(finite, image - np.nanmean(image), -np.inf)
    level = threshold_otsu(z[finite]) if threshold_nm is None else threshold_nm
    labels = label(z > level, connectivity=2)
    sizes = np.bincount(labels.ravel())
    small = sizes < min_area_px
    small[0] = False
    labels[small[labels]] = 0
    labels = relabel_sequential(labels)[0]
    if labels.max() == 0:
        raise InputError(f"{name}: no region above the threshold ({level:.3g} nm over the mean plane)")
    return labels


def _roughness_rows(image: np.ndarray, labels: np.ndarray | None, pixel: tuple[float, float],
                    config: BatchConfig) -> list[dict[str, Any]]:
    from napari_afm_profiler.progress import drain
    from napari_afm_profiler.roughness import RoughnessSettings, channel_table_steps

    r = config.roughness
    settings = RoughnessSettings(level=r.level, wolf_pruning_pct=r.wolf_pruning_pct, acf_threshold=r.acf_threshold,
                                 s_filter_nm=r.s_filter_nm, l_filter_nm=r.l_filter_nm, l_filter_robust=r.l_filter_robust)
    table = drain(channel_table_steps({"image": image}, pixel_size_nm=pixel, labels=labels, groups=r.groups,
                                      settings=settings, border_erosion_px=r.border_erosion_px,
                                      tiles=tuple(r.tiles) if r.tiles else None, region_level=r.region_level))
    rows = table.rows()
    echo = settings.echo()
    for row in rows:
        row["warnings"] = "; ".join(row["warnings"])
        row.update(echo)
    return rows


@lru_cache(maxsize=4)
def _model(path: str) -> Any:
    from napari_afm_profiler.classify import load_classifier

    return load_classifier(path)


def _classify(rows: list[dict[str, Any]], model_path: str) -> list[dict[str, Any]]:
    import pandas as pd

    from napari_afm_profiler.classify import predict_table

    if not rows:
        return rows
    model = _model(model_path)
    df = pd.DataFrame(rows)
    keys = [k for k in ("file", "frame", "region") if k in df]
    if any(":" in name for name in model.feature_names):
        # a model trained on several channels: one wide row per region, columns "<channel>:<parameter>"
        skip = {"file", "channel", "frame", "region", "warnings"}
        wide = df.pivot_table(index=keys, columns="channel", values=[c for c in df.columns if c not in skip],
                              aggfunc="first")
        wide.columns = [f"{ch}:{p}" for p, ch in wide.columns]
        predicted = predict_table(model, wide.reset_index())[[*keys, "predicted_class", "probability"]]
        return df.merge(predicted, on=keys, how="left").to_dict("records")
    out = predict_table(model, df)
    return out.drop(columns=[c for c in out.columns if c.startswith("probability_")]).to_dict("records")
