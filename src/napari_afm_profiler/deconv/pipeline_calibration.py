"""Calibrate a tip-conditioned model's intervals on the whole pipeline's outputs (split conformal).

Training calibrates the network's quantiles on its own held-out pairs.  What the user gets has
passed through more: the image's own erosion and certainty map, the bound by the erosion,
resampling back to the image's grid.  On the wide validation set the network-level margins
left rods and mixed scenes near 82-84 % for a nominal 90 %.  Here the model runs exactly as
:func:`~napari_afm_profiler.deconv.infer.deconvolve` runs it, given the true tip, on pairs of
the wide generator from a seed used for nothing else, ``n_per_kind`` of each scene kind.  The
margins are fitted on the interval the pipeline reports, per certainty group and per bin of the
frame's broadening and of the pixel's relative width, and per pixel regime (:mod:`.calibration`),
and written into the model card together with the seed, the pairs and the in-sample coverage per
kind.  The pairs' pixel sizes span 0.25-4 nm, wider than the network's trained range: images
outside it are resampled, and margins fitted inside it covered only 80 % of 2-4 nm images.

Beyond the calibration pairs' pixel sizes the pipeline returns the noise-corrected erosion
(:mod:`.coarse`); its interval is fitted here too, on pairs of ``coarse_pixel_size_nm`` from the
next seed.

The paper's classes are left out on purpose: the network is much surer there, and with them in
the calibration set the wide kinds fell to 82 % while the paper's classes stayed at 89-99 %.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Generator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.deconv.calibration import (
    LEVELS,
    PIXEL_REGIMES,
    WIDTH_FLOOR_NM,
    conformal_interval,
    conformal_quantile,
    fit_margins,
    group_index,
    group_names,
    pixel_regime,
    relative_width,
)
from napari_afm_profiler.deconv.coarse import erosion_surface, fit_erosion_intervals, interval_scale
from napari_afm_profiler.deconv.conditioning import usable_tip
from napari_afm_profiler.deconv.infer import deconvolve, frame_quantiles, load_model
from napari_afm_profiler.deconv.names import (
    BROADENING_BINS,
    CALIBRATION_LINE_WANDER,
    CALIBRATION_PIXEL_SIZES_NM,
    COARSE_CALIBRATION_PIXEL_SIZES_NM,
    FINE_CALIBRATION_PIXEL_SIZES_NM,
    MIRROR_PASSES,
    NOISE_WIDTH_FACTOR,
    PIPELINE_CALIBRATION_SEED,
    WIDTH_BINS,
)
from napari_afm_profiler.deconv.tips import noise_level
from napari_afm_profiler.errors import InputError
from napari_afm_profiler.io.writers import atomic_write
from napari_afm_profiler.progress import drain
from napari_afm_profiler.synth.names import WIDE_SCENES
from napari_afm_profiler.synth.wide import WideSpec, pairs_per_scene, wander_range
from napari_afm_profiler.tip.models import Tip


def _edges(values: np.ndarray, bins: int) -> list[float]:
    if bins <= 1 or not values.size:
        return []
    return [float(v) for v in np.quantile(values, np.arange(1, bins) / bins)]


def calibrate_pipeline_steps(model: str | Path = "default", *, n_per_kind: int = 60,
                             seed: int = PIPELINE_CALIBRATION_SEED, bins: int = BROADENING_BINS,
                             width_bins: int = WIDTH_BINS, write: bool = True, command: str | None = None,
                             aim_90: float = 0.9, pixel_size_nm: tuple[float, float] = CALIBRATION_PIXEL_SIZES_NM,
                             pixel_regimes: bool = True,
                             coarse_pixel_size_nm: tuple[float, float] | None = COARSE_CALIBRATION_PIXEL_SIZES_NM,
                             noise_width_factor: float = NOISE_WIDTH_FACTOR,
                             fine_pixel_size_nm: tuple[float, float] | None = FINE_CALIBRATION_PIXEL_SIZES_NM,
                             blind_pairs_per_kind: int | None = None, mirror_pairs_per_kind: int | None = None,
                             blind_mirror_pairs_per_kind: int | None = None,
                             line_pairs_per_kind: int | None = None,
                             line_wander: tuple[float, float] = CALIBRATION_LINE_WANDER,
                             ) -> Generator[tuple[str, int, int], None, dict[str, Any]]:
    """Fit the intervals of a tip-conditioned model on the pipeline's outputs; yields ``("pairs", i, n)`` progress.

    Parameters
    ----------
    model : str or Path
        A model folder (or ``"default"``); its card is updated in place when ``write``.
    n_per_kind : int
        Calibration pairs per scene kind of the wide generator (9 kinds).
    seed : int
        Seed of the pairs; never one used for training, validation or a benchmark.
    bins : int
        Broadening bins per certainty group (1: the two plain groups).
    width_bins : int
        Bins of the pixel's relative width (:func:`~.calibration.relative_width`) within each of
        those groups, their edges at equal shares of the uncertain calibration pixels (1: no split).
    write : bool
        Update the model card (atomically) and the loaded model.
    command : str, optional
        The command that ran the calibration, recorded in the card.
    aim_90 : float
        The share of the calibration pixels the 90 % interval's margins are fitted to cover.
        Pixels of one scene miss together (a pit's floor has one depth), so the coverage per
        kind spreads around the overall one; aiming a little above 0.9 lifts the least covered
        kind back into the 85-95 % the interval promises (benchmarks/RESULTS.md).
    pixel_size_nm : (lo, hi)
        The calibration pairs' pixel sizes (log-uniform), nm.  Wider than the model's trained
        range on purpose: images outside it are resampled, and their intervals must hold too.
    pixel_regimes : bool
        Split the groups once more by the frame's pixel size against the model's trained range
        (within, finer, coarser: :func:`~.calibration.pixel_regime`).  A regime without
        calibration pairs keeps the largest margin of the others.
    coarse_pixel_size_nm : (lo, hi) or None
        Pixel sizes of the pairs (``n_per_kind`` per kind, seed ``seed + 1``) the erosion's
        interval is fitted on; ``lo`` must be ``pixel_size_nm``'s upper end, beyond which
        deconvolution returns the erosion.  None: no erosion regime (the network everywhere).
    noise_width_factor : float
        Noise SDs of each frame added to the width floor (:func:`~.calibration.width_floor`);
        0: the constant floor of older cards.
    fine_pixel_size_nm : (lo, hi) or None
        Pixel sizes of the pairs (``n_per_kind`` per kind, seed ``seed + 2``) that calibrate the
        finest regime; ``hi`` must be ``pixel_size_nm``'s lower end.  Frames finer than that get
        these margins (within the pixel regimes only).  None, or no ``pixel_regimes``: they get
        the finer regime's, and deconvolution warns that their interval is not calibrated.
    blind_pairs_per_kind : int, optional
        Pairs per kind (seed ``seed + 3``, ``pixel_size_nm``) deconvolved with the tip read from
        the image, on which one factor per level is fitted that scales the blind mode's bounds
        about its result (``intervals["blind"]``); default a third of ``n_per_kind`` (at least 1),
        0: none.
    mirror_pairs_per_kind : int, optional
        Pairs per kind (seed ``seed + 4``, ``pixel_size_nm``) deconvolved given the true tip with
        ``mirror_average``, on which the factors of ``intervals["mirror"]`` are fitted likewise;
        default a third of ``n_per_kind`` (at least 1), 0: none.
    blind_mirror_pairs_per_kind : int, optional
        Pairs per kind (seed ``seed + 5``, ``pixel_size_nm``) deconvolved with the tip read from
        the image and ``mirror_average``, the two factors above applied; the factors fitted on
        them (``intervals["blind_mirror"]``) scale that mode's bounds once more.  Default the
        smaller of the two counts above (0 when either mode is left out), 0: none.
    line_pairs_per_kind : int, optional
        Pairs per kind, with scan-line wander drawn from ``line_wander`` (``WideSpec.line_wander``),
        that fit how far the bounds move out for a frame's line noise (``intervals["line_noise"]``):
        deconvolved given the true tip (seed ``seed + 6``) and with the tip read from the image
        (seed ``seed + 7``), after every factor above.  Default a third of ``n_per_kind`` (at
        least 1), 0: none.
    line_wander : (lo, hi)
        The range of those pairs' wander, in white-noise SDs.

    Returns
    -------
    dict
        The card's new ``intervals`` entry.

    Examples
    --------
    >>> from napari_afm_profiler.progress import drain
    >>> seen = []
    >>> steps = calibrate_pipeline_steps("default", n_per_kind=1, bins=2, width_bins=1, pixel_regimes=False,
    ...                                  write=False)
    >>> entry = drain(steps, seen.append)
    >>> seen[-1], len(entry["broadening_edges_nm"]), sorted(entry["0.9"]["margins"])[:2]
    (('tip-read line-noise pairs', 9, 9), 1, ['certain 0', 'certain 1'])
    >>> entry["coarse"]["pixel_size_nm"], sorted(entry["coarse"]["0.9"])
    ([4.0, 16.0], ['certain', 'coverage_by_kind', 'uncertain'])
    >>> entry["blind"]["pairs"], sorted(entry["blind"]["scale"]), sorted(entry["mirror"]["scale"])
    (9, ['0.5', '0.9'], ['0.5', '0.9'])
    >>> entry["blind_mirror"]["pairs"], entry["blind_mirror"]["calibration_seed"] - entry["calibration_seed"]
    (9, 5)
    >>> sorted(entry["line_noise"]["factors"]), sorted(entry["line_noise"]["factors"]["given"])
    (['blind', 'given'], ['0.5', '0.9'])
    """
    if n_per_kind < 1 or bins < 1 or width_bins < 1:
        raise InputError(f"n_per_kind, bins and width_bins must be >= 1; got {n_per_kind}, {bins} and {width_bins}")
    if not 0.5 < aim_90 < 1.0:
        raise InputError(f"aim_90 must lie between 0.5 and 1; got {aim_90}")
    if not 0.0 <= noise_width_factor <= 100.0:
        raise InputError(f"noise_width_factor must lie between 0 and 100 noise SDs; got {noise_width_factor}")
    loaded = load_model(model)
    if not loaded.tip_conditioned:
        raise InputError(f"{loaded.path.name} is not tip-conditioned: only tip-conditioned models have intervals")
    training = loaded.card.get("training") or {}
    if training.get("generator") != "wide" or training.get("dataset"):
        warnings.warn(f"{loaded.path.name} was not trained on the wide generator: its intervals are calibrated "
                      "on wide virtual pairs, which may lie outside what it learned", UserWarning, stacklevel=2)
    spec = replace(WideSpec(), pixel_size_nm=(float(pixel_size_nm[0]), float(pixel_size_nm[1])))
    spec.check()
    fine = fine_pixel_size_nm if pixel_regimes else None
    if fine is not None and not (abs(fine[1] - pixel_size_nm[0]) < 1e-9 and 0 < fine[0] < fine[1]):
        raise InputError(f"fine pixel sizes must end where the calibration pairs' start ({pixel_size_nm[0]:g} nm) "
                         f"and start above 0; got {fine_pixel_size_nm}")
    if coarse_pixel_size_nm is not None and not (
            abs(coarse_pixel_size_nm[0] - pixel_size_nm[1]) < 1e-9 and coarse_pixel_size_nm[1] > coarse_pixel_size_nm[0]):
        raise InputError(f"coarse pixel sizes must start where the calibration pairs' end ({pixel_size_nm[1]:g} nm) "
                         f"and rise; got {coarse_pixel_size_nm}")
    rows = yield from _pipeline_outputs(loaded, spec, seed, n_per_kind, "pairs")
    main = len(rows["kind"])
    if fine is not None:  # below the pairs' pixel sizes: the finest regime, margins of its own
        fine_spec = replace(spec, pixel_size_nm=(float(fine[0]), float(fine[1])))
        fine_spec.check()
        fine_rows = yield from _pipeline_outputs(loaded, fine_spec, seed + 2, n_per_kind, "fine pairs")
        fine_rows["regime"] = [PIXEL_REGIMES.index("finest")] * len(fine_rows["kind"])
        rows = {key: rows[key] + fine_rows[key] for key in rows}
    shapes = {q.shape for q in rows["quantiles"]}
    if len(shapes) != 1:  # the generators make one shape; pad-free stacking needs it
        raise InputError(f"calibration pairs of different shapes: {sorted(shapes)}")
    q, c, t, s, b, n = (np.stack(rows[key]) for key in ("quantiles", "certain", "truth", "surface", "broadening",
                                                          "noise"))
    del rows["quantiles"], rows["truth"], rows["surface"]
    kinds_arr = np.array(rows["kind"])
    is_main = np.arange(len(kinds_arr)) < main
    regime = np.array(rows["regime"], np.uint8) if pixel_regimes else None
    edges = _edges(b[is_main], bins)  # the main pairs' bins: their margins do not depend on the fine pairs
    relative = relative_width(q, b)
    width_edges = _edges(relative[is_main][~c[is_main]], width_bins)
    entry: dict[str, Any] = {
        "method": "conformalised quantiles, normalised scores, fitted on the pipeline's reported interval; one "
                  "margin per certainty group (tip touched or not), bin of the frame's broadening, bin of the "
                  "pixel's relative width (predicted 90 % half-width / the frame's broadening)"
                  + (" and pixel regime (within, finer or coarser than the trained range"
                     + (", or finer than the pairs' pixel sizes" if fine is not None else "") + ")"
                     if pixel_regimes else "")
                  + (f"; width floor {WIDTH_FLOOR_NM} nm + {noise_width_factor:g} x the frame's noise level"
                     if noise_width_factor else ""),
        "calibrated_on": "pipeline", "calibration_seed": int(seed), "pairs": int(main),
        "n_per_kind": int(n_per_kind), "pixel_size_nm": list(spec.pixel_size_nm),
        "pixel_regimes": bool(pixel_regimes), "trained_pixel_size_nm": list(loaded.pixel_size_range),
        "groups": group_names(edges, width_edges, pixel_regimes, fine is not None), "broadening_edges_nm": edges,
        "relative_width_edges": width_edges, "width_floor_nm": WIDTH_FLOOR_NM,
        "noise_width_factor": float(noise_width_factor), "aim_90": float(aim_90),
    }
    if fine is not None:
        entry["fine"] = {"pixel_size_nm": [float(fine[0]), float(fine[1])], "calibration_seed": int(seed + 2),
                         "pairs": int((~is_main).sum())}
    previous = loaded.card.get("intervals") or {}
    network_level = previous.get("network_level") if previous.get("calibrated_on") == "pipeline" else previous
    if network_level:  # training's own calibration, kept for the record
        entry["network_level"] = network_level
    index = group_index(c, b, edges, relative, width_edges, regime)  # the same groups for both levels
    del relative
    pixels = {name: int((index == g).sum()) for g, name in enumerate(entry["groups"])}
    for level in LEVELS:
        margins = fit_margins(q, t, c, level, broadening=b, edges=edges, width_edges=width_edges, regime=regime,
                              surface=s, aim=aim_90 if level == 0.9 else level, noise_nm=n,
                              noise_factor=noise_width_factor)
        lower, upper = conformal_interval(q, level, margins, c, b, edges, width_edges, regime, noise_nm=n,
                                          noise_factor=noise_width_factor)
        inside = (np.minimum(lower, s) <= t) & (t <= np.maximum(upper, s))
        entry[str(level)] = {
            "margins": margins,
            "coverage_by_kind": _by_kind(inside[is_main], kinds_arr[is_main]),
            "pixels_per_group": pixels,
        }
        if fine is not None:
            entry["fine"][str(level)] = {"coverage_by_kind": _by_kind(inside[~is_main], kinds_arr[~is_main])}
    if coarse_pixel_size_nm is not None:
        entry["coarse"] = yield from _coarse_entry(spec, seed + 1, n_per_kind, coarse_pixel_size_nm, aim_90)
    extra = {name: max(1, n_per_kind // 3) if pairs is None else int(pairs)
             for name, pairs in (("blind", blind_pairs_per_kind), ("mirror", mirror_pairs_per_kind))}
    extra["blind_mirror"] = (min(extra.values()) if blind_mirror_pairs_per_kind is None
                             else int(blind_mirror_pairs_per_kind))
    for name, run, offset, mode in (
            ("blind", _blind_run, 3, "the tip read from the image"),
            ("mirror", _mirror_run, 4, f"the mean over the image's {MIRROR_PASSES} mirror images, the true tip given"),
            ("blind_mirror", _blind_mirror_run, 5,
             f"the tip read from the image and the mean over the image's {MIRROR_PASSES} mirror images, after the "
             "blind and mirror factors")):
        if extra[name] > 0:  # in this order: each fit runs with the factors fitted before it in the entry
            scaling = yield from _scaling_entry(loaded, entry, spec, seed + offset, extra[name], aim_90,
                                                f"{name.replace('_', ' ')} pairs", run(loaded))
            entry[name] = dict(scaling, mode=mode)
    line_pairs = max(1, n_per_kind // 3) if line_pairs_per_kind is None else int(line_pairs_per_kind)
    if line_pairs > 0:
        entry["line_noise"] = yield from _line_noise_entry(loaded, entry, replace(spec, line_wander=tuple(line_wander)),
                                                           seed + 6, line_pairs, aim_90)
    entry["command"] = command
    if write:
        card_file = loaded.path / "config.json"
        card = json.loads(card_file.read_text())
        card["intervals"] = entry
        atomic_write(card_file, lambda tmp: tmp.write_text(json.dumps(card, indent=2, default=str)))
        loaded.card["intervals"] = entry  # the cached model applies the new margins at once
    return entry


def _by_kind(inside: np.ndarray, kinds: np.ndarray) -> dict[str, float]:
    return {k: float(inside[kinds == k].mean()) for k in dict.fromkeys(kinds.tolist())}


def _pipeline_outputs(loaded: Any, spec: WideSpec, seed: int, n_per_kind: int, label: str,
                      ) -> Generator[tuple[str, int, int], None, dict[str, list[Any]]]:
    """Run the pipeline as deconvolution does, given the true tip, on ``n_per_kind`` wide pairs per kind; yields progress."""
    total = n_per_kind * len(WIDE_SCENES)
    rows: dict[str, list[Any]] = {key: [] for key in ("kind", "quantiles", "certain", "truth", "surface",
                                                      "broadening", "noise", "regime")}
    for i, pair in enumerate(pairs_per_scene(spec, seed, n_per_kind)):
        yield label, i, total
        px = pair.pixel_size_nm
        out = frame_quantiles(pair.image, pixel_size_nm=px, tip=Tip(heights=pair.tip, pixel_size_nm=(px, px)),
                              model=loaded)
        rows["kind"].append(pair.scene)
        rows["quantiles"].append(out["quantiles"].astype(np.float32))
        rows["certain"].append(out["certain"] > 0.5)
        rows["truth"].append(np.asarray(pair.surface, np.float32))
        rows["surface"].append(out["surface"].astype(np.float32))
        rows["broadening"].append(out["broadening_nm"])
        rows["noise"].append(out["noise_nm"])
        rows["regime"].append(pixel_regime(px, loaded.pixel_size_range))
    yield label, total, total
    return rows


def _scaling_entry(loaded: Any, entry: dict[str, Any], spec: WideSpec, seed: int, n_per_kind: int, aim_90: float,
                   label: str, run: Callable[[Any], Any]) -> Generator[tuple[str, int, int], None, dict[str, Any]]:
    """Fit the factors that scale a mode's interval bounds about its result, on pairs that ``run`` deconvolves.

    The mode runs with the margins just fitted (the card's entry is swapped in for the run); a
    pixel's score is how far, in units of the interval's side toward the truth, the truth lies
    from the result, and the factor is the score's conformal quantile at the level's aim.
    """
    total = n_per_kind * len(WIDE_SCENES)
    scores: dict[str, list[np.ndarray]] = {"0.9": [], "0.5": []}
    previous = loaded.card.get("intervals")
    loaded.card["intervals"] = entry  # without this mode's entry: the bounds as the margins alone give them
    try:
        for i, pair in enumerate(pairs_per_scene(spec, seed, n_per_kind)):
            yield label, i, total
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = run(pair)
            for level, suffix in (("0.9", ""), ("0.5", "50")):
                scores[level].append(_widening_scores(result.surface, getattr(result, f"lower{suffix}"),
                                                      getattr(result, f"upper{suffix}"), pair.surface))
    finally:
        loaded.card["intervals"] = previous
    yield label, total, total
    scale = {}
    for level, aim in (("0.9", aim_90), ("0.5", 0.5)):
        scale[level] = conformal_quantile(np.concatenate(scores[level]), aim)
    return {"method": "bounds scaled about the result by one factor per level, the conformal quantile of "
                      "|truth - result| / (the bound on the truth's side - result)",
            "scale": scale, "calibration_seed": int(seed), "pairs": int(total),
            "pixel_size_nm": list(spec.pixel_size_nm)}


def _line_noise_entry(loaded: Any, entry: dict[str, Any], spec: WideSpec, seed: int, n_per_kind: int,
                      aim_90: float) -> Generator[tuple[str, int, int], None, dict[str, Any]]:
    """Fit how far the bounds move out for a frame's scan-line noise, on pairs of ``spec`` (its ``line_wander``).

    Each mode (a tip given: ``seed``; read from the image: ``seed + 1``) runs with the card's
    entry fitted so far.  A pixel's score is how far the truth lies outside the bound on its side
    of the result, in units of the frame's :func:`~.calibration.line_noise_unit` (0 inside); the
    factor is the scores' conformal quantile at the level's aim, pooled over every frame with line
    noise (ratio above 1), so one factor serves every ratio (the needed widening grew about in
    proportion to ``ratio - 1``).
    """
    spec.check()
    total = n_per_kind * len(WIDE_SCENES)
    fitted: dict[str, Any] = {"factors": {}, "coverage_by_kind": {}}
    ratios: list[float] = []
    previous = loaded.card.get("intervals")
    loaded.card["intervals"] = entry  # without a line-noise entry: the bounds before any widening
    try:
        for mode, offset, run in (("given", 0, _given_run(loaded)), ("blind", 1, _blind_run(loaded))):
            scores: dict[str, list[np.ndarray]] = {"0.9": [], "0.5": []}
            kinds: list[np.ndarray] = []
            label = f"{'tip-given' if mode == 'given' else 'tip-read'} line-noise pairs"
            for i, pair in enumerate(pairs_per_scene(spec, seed + offset, n_per_kind)):
                yield label, i, total
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = run(pair)
                unit = float(result.summary["line_noise_unit_nm"])
                ratios.append(float(result.summary["line_noise_ratio"]))
                if unit <= 0:  # white noise (ratio 1 or below): nothing to widen, nothing to fit
                    continue
                for level, suffix in (("0.9", ""), ("0.5", "50")):
                    scores[level].append(_outside_scores(result.surface, getattr(result, f"lower{suffix}"),
                                                         getattr(result, f"upper{suffix}"), pair.surface, unit))
                kinds.append(np.full(scores["0.9"][-1].size, pair.scene))
            yield label, total, total
            if not kinds:
                raise InputError("none of the line-noise pairs has line noise (across/along noise ratio above 1): "
                                 "give a wider line_wander")
            pixel_kinds = np.concatenate(kinds)
            factors, covered = {}, {}
            for level, aim in (("0.9", aim_90), ("0.5", 0.5)):
                pooled = np.concatenate(scores[level])
                factors[level] = conformal_quantile(pooled, aim)
                covered[level] = _by_kind(pooled <= factors[level], pixel_kinds)
            fitted["factors"][mode] = factors
            fitted["coverage_by_kind"][mode] = covered
    finally:
        loaded.card["intervals"] = previous
    lo, hi = wander_range(spec.line_wander)
    return dict(fitted, method="both bounds moved out by factor x (ratio - 1) x the frame's noise level, ratio its "
                               "across/along noise ratio; one factor per level and mode, the conformal quantile of "
                               "how far the truth lies outside the bound on its side in those units",
                line_wander=[float(lo), float(hi)], ratio_range=[float(min(ratios)), float(max(ratios))],
                calibration_seed=int(seed), pairs=int(total), pixel_size_nm=list(spec.pixel_size_nm))


def _outside_scores(surface: np.ndarray, lower: np.ndarray, upper: np.ndarray, truth: np.ndarray,
                    unit: float) -> np.ndarray:
    """Each finite pixel's distance from the bound on the truth's side out to the truth, over ``unit`` (0 inside)."""
    surface, truth = np.asarray(surface, np.float64), np.asarray(truth, np.float64)
    gap = np.where(truth < surface, np.asarray(lower, np.float64) - truth, truth - np.asarray(upper, np.float64))
    ok = np.isfinite(surface) & np.isfinite(truth) & np.isfinite(gap)
    gap = np.maximum(gap[ok], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gap > 0, gap / unit if unit > 0 else np.inf, 0.0).astype(np.float32)


def _given_run(loaded: Any, mirror_average: bool = False) -> Callable[[Any], Any]:
    """Deconvolve a pair given its true tip."""
    def run(pair: Any) -> Any:
        px = pair.pixel_size_nm
        return deconvolve(pair.image, pixel_size_nm=px, tip=Tip(heights=pair.tip, pixel_size_nm=(px, px)),
                          model=loaded, mirror_average=mirror_average)
    return run


def _blind_run(loaded: Any) -> Callable[[Any], Any]:
    """Deconvolve a pair with the tip read from the image (the blind mode)."""
    return lambda pair: deconvolve(pair.image, pixel_size_nm=pair.pixel_size_nm, tip="estimate", model=loaded)


def _blind_mirror_run(loaded: Any) -> Callable[[Any], Any]:
    """Deconvolve a pair with the tip read from the image, averaged over the image's mirror images."""
    return lambda pair: deconvolve(pair.image, pixel_size_nm=pair.pixel_size_nm, tip="estimate", model=loaded,
                                   mirror_average=True)


def _mirror_run(loaded: Any) -> Callable[[Any], Any]:
    """Deconvolve a pair given its true tip, averaged over the image's mirror images."""
    return _given_run(loaded, mirror_average=True)


def _widening_scores(surface: np.ndarray, lower: np.ndarray, upper: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Each finite pixel's distance from the result to the truth over the interval's side toward the truth."""
    surface, truth = np.asarray(surface, np.float64), np.asarray(truth, np.float64)
    below, above = surface - np.asarray(lower, np.float64), np.asarray(upper, np.float64) - surface
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(truth < surface, (surface - truth) / below,
                         np.where(truth > surface, (truth - surface) / above, 0.0))
    score = score[np.isfinite(surface) & np.isfinite(truth)]
    return np.nan_to_num(score, nan=0.0, posinf=1e6)


def _coarse_entry(spec: WideSpec, seed: int, n_per_kind: int, pixel_size_nm: tuple[float, float],
                  aim_90: float) -> Generator[tuple[str, int, int], None, dict[str, Any]]:
    """Fit the erosion's interval (:mod:`.coarse`) on wide pairs of coarse pixels, as deconvolution computes it."""
    coarse = replace(spec, pixel_size_nm=(float(pixel_size_nm[0]), float(pixel_size_nm[1])))
    coarse.check()
    total = n_per_kind * len(WIDE_SCENES)
    scores, certain, kinds = [], [], []
    for i, pair in enumerate(pairs_per_scene(coarse, seed, n_per_kind)):
        yield "coarse pairs", i, total
        noise = noise_level(pair.image)
        surface, touched = erosion_surface(pair.image, usable_tip(pair.tip, pair.image), noise)
        scores.append((pair.surface - surface) / interval_scale(noise, pair.image, surface))
        certain.append(touched)
        kinds.append(pair.scene)
    yield "coarse pairs", total, total
    entry = {"method": "the noise-corrected erosion; split-conformal quantiles of (truth - result) / scale per "
                       "certainty group, scale the frame's noise level floored at 0.05 nm plus half the pixel's dig "
                       "(image - result)",
             "pixel_size_nm": list(coarse.pixel_size_nm), "calibration_seed": int(seed), "pairs": len(kinds)}
    return dict(entry, **fit_erosion_intervals(scores, certain, kinds, aim_90))


def calibrate_pipeline(model: str | Path = "default", *, n_per_kind: int = 60,
                       seed: int = PIPELINE_CALIBRATION_SEED, bins: int = BROADENING_BINS,
                       width_bins: int = WIDTH_BINS, write: bool = True, command: str | None = None,
                       aim_90: float = 0.9, pixel_size_nm: tuple[float, float] = CALIBRATION_PIXEL_SIZES_NM,
                       pixel_regimes: bool = True,
                       coarse_pixel_size_nm: tuple[float, float] | None = COARSE_CALIBRATION_PIXEL_SIZES_NM,
                       noise_width_factor: float = NOISE_WIDTH_FACTOR,
                       fine_pixel_size_nm: tuple[float, float] | None = FINE_CALIBRATION_PIXEL_SIZES_NM,
                       blind_pairs_per_kind: int | None = None,
                       mirror_pairs_per_kind: int | None = None,
                       blind_mirror_pairs_per_kind: int | None = None,
                       line_pairs_per_kind: int | None = None,
                       line_wander: tuple[float, float] = CALIBRATION_LINE_WANDER) -> dict[str, Any]:
    """Calibrate to completion (see :func:`calibrate_pipeline_steps`) and return the card's ``intervals`` entry.

    Examples
    --------
    >>> entry = calibrate_pipeline("default", n_per_kind=1, bins=1, width_bins=1, pixel_regimes=False, write=False)
    >>> entry["pairs"], entry["groups"], entry["calibrated_on"]
    (9, ['certain', 'uncertain'], 'pipeline')
    """
    return drain(calibrate_pipeline_steps(model, n_per_kind=n_per_kind, seed=seed, bins=bins, width_bins=width_bins,
                                          write=write, command=command, aim_90=aim_90, pixel_size_nm=pixel_size_nm,
                                          pixel_regimes=pixel_regimes, coarse_pixel_size_nm=coarse_pixel_size_nm,
                                          noise_width_factor=noise_width_factor,
                                          fine_pixel_size_nm=fine_pixel_size_nm,
                                          blind_pairs_per_kind=blind_pairs_per_kind,
                                          mirror_pairs_per_kind=mirror_pairs_per_kind,
                                          blind_mirror_pairs_per_kind=blind_mirror_pairs_per_kind,
                                          line_pairs_per_kind=line_pairs_per_kind, line_wander=line_wander))
