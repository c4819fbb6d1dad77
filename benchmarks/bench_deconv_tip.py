"""Deconvolution for the user's tip, on scenes of every kind: accuracy, safety and calibrated intervals (issue 18).

Test pairs come from the wide generator (:mod:`napari_afm_profiler.synth.wide`) with a seed used
nowhere else (``--seed``, default 424242: not the training seed 0, the validation seed 1000003 or
the calibration seed 2000006), ``--n`` per scene kind.  Every pair has its own tip (cone, pyramid,
paraboloid; apex radius 2-30 nm; half-angle 10-35 deg; asymmetric and double tips), pixel size
(0.5-2 nm, or ``--pixel-size LO HI``: issue 18's distribution spans 0.25-4 nm), noise and scan
artifacts.  Methods:

* raw image;
* Villarrubia erosion with the true tip;
* the tip-conditioned model given the true tip, the model's nominal tip, and (``--estimate``) the
  tip read from the image itself: by the tip estimator (the default; the results for its readings
  at -1, 0 and +1 SD averaged), or the blind (Villarrubia) estimate limited by the model's typical
  training tip (as before the estimator);
* ``--previous FOLDER``: an earlier model that knows one tip only (for example the default of
  commit 26a6d03: ``git show 26a6d03:src/napari_afm_profiler/deconv/models/default/<file>``);
* ``--baseline FOLDER``: the paper's encoder-decoder trained on the same data.

Per scene: median per-image RMSE (nm) and its ratio to the erosion's, the share of images where a
method is worse than the raw image, the share of pixels more than 1 nm below the true surface
(digging), and the coverage of the calibrated 50 % and 90 % intervals (per kind and per quarter
of the images' noise level).  A reliability curve
follows, then the case of issue 18's report (hemispherical domes of radius 16-20 nm imaged by
the nominal cone), then the intervals' coverage on the paper's classes (``--n-paper`` per class).

``--mirror`` adds the results averaged over the image's mirror images (``deconvolve(mirror_average=True)``).

Run: ``python benchmarks/bench_deconv_tip.py [--n 30] [--estimate] [--mirror] [--pixel-size 0.25 4] [--previous F] [--write]``
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import defaultdict
from dataclasses import replace

import numpy as np
from _results import writes_results
from scipy.stats import norm

from napari_afm_profiler.deconv.conditioning import usable_tip
from napari_afm_profiler.deconv.infer import deconvolve, frame_quantiles, load_model
from napari_afm_profiler.synth import SynthConfig, make_pair
from napari_afm_profiler.synth.names import KINDS, WIDE_SCENES
from napari_afm_profiler.synth.wide import WideSpec, pairs_per_scene, wander_range
from napari_afm_profiler.tip import erode
from napari_afm_profiler.tip.models import Tip


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


def _interval_at(result, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Interval at any nominal level from the calibrated 50 % and 90 % intervals (half-widths linear in the normal z)."""
    med = result.surface
    t = (norm.ppf(0.5 + level / 2) - norm.ppf(0.75)) / (norm.ppf(0.95) - norm.ppf(0.75))
    below = (med - result.lower50) + t * ((med - result.lower) - (med - result.lower50))
    above = (result.upper50 - med) + t * ((result.upper - med) - (result.upper50 - med))
    return med - np.maximum(below, 0), med + np.maximum(above, 0)


def run_model(model, image: np.ndarray, px: float, tip, tip_estimator="default", mirror: bool = False) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return deconvolve(image, pixel_size_nm=px, tip=tip, model=model, tip_estimator=tip_estimator,
                          mirror_average=mirror)


@writes_results("deconv-tip", "Deconvolution for the user's tip (issue 18, script-written)", "torch default (all cores)")
def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30, help="test pairs per scene kind")
    parser.add_argument("--seed", type=int, default=424242)
    parser.add_argument("--model", default="default")
    parser.add_argument("--previous", default=None, help="an earlier (single-tip) model folder")
    parser.add_argument("--baseline", default=None, help="the paper's encoder-decoder trained on the same data")
    parser.add_argument("--estimate", action="store_true", help="also deconvolve with a blind tip estimate")
    parser.add_argument("--n-paper", type=int, default=20, help="images per paper class for the interval coverage")
    parser.add_argument("--mirror", action="store_true",
                        help="also deconvolve averaged over the image's mirror images (true tip; blind with --estimate)")
    parser.add_argument("--pixel-size", type=float, nargs=2, default=None, metavar=("LO", "HI"),
                        help="draw the pixel size from this range (nm) instead of the generator's 0.5-2 nm: the "
                             "model resamples images outside its trained range into it and back")
    parser.add_argument("--line-wander", type=float, nargs="+", default=[0.0], metavar="J",
                        help="give every image scan-line wander of J times its white noise (WideSpec.line_wander), "
                             "as real scans have; two values: a multiple drawn uniformly between them per image")
    parser.add_argument("--line-probability", type=float, default=None, metavar="P",
                        help="draw each image's share of offset or shifted scan lines from 0-P (the generator's "
                             "WideSpec.line_probability, 0.02 by default)")
    args = parser.parse_args()
    model = load_model(args.model)
    previous = load_model(args.previous) if args.previous else None
    baseline = load_model(args.baseline) if args.baseline else None
    spec = WideSpec() if args.pixel_size is None else replace(WideSpec(), pixel_size_nm=tuple(args.pixel_size))
    if args.line_probability is not None:
        spec = replace(spec, line_probability=args.line_probability)
    if len(args.line_wander) > 2:
        parser.error("--line-wander takes one multiple or a range LO HI")
    spec = replace(spec, line_wander=args.line_wander[0] if len(args.line_wander) == 1 else tuple(args.line_wander))
    methods = ["raw image", "erosion (true tip)", "ours, true tip", "ours, nominal tip",
               *(["ours, blind-estimated tip", "ours, blind tip, typical-tip limit"] if args.estimate else []),
               *(["previous model"] if previous else []), *(["paper encoder-decoder"] if baseline else []),
               *(["ours, true tip, mirror-averaged"] if args.mirror else []),
               *(["ours, blind-estimated tip, mirror-averaged"] if args.mirror and args.estimate else [])]
    stats: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    coverage: dict[str, list[tuple[float, float]]] = defaultdict(list)
    blind_coverage: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    mirror_coverage: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    levels = np.round(np.arange(0.1, 1.0, 0.1), 2)
    reliability = defaultdict(list)
    by_noise: list[tuple[float, float, float, float]] = []
    counts: dict[str, int] = defaultdict(int)
    t0 = time.perf_counter()
    for pair in pairs_per_scene(spec, args.seed, args.n):
        counts[pair.scene] += 1
        true, image, px = pair.surface, pair.image, pair.pixel_size_nm
        tip = Tip(heights=pair.tip, pixel_size_nm=(px, px))
        preds = {"raw image": image, "erosion (true tip)": erode(image, usable_tip(pair.tip, image))}
        res = run_model(model, image, px, tip)
        preds["ours, true tip"] = res.surface
        preds["ours, nominal tip"] = run_model(model, image, px, None).surface
        if args.estimate:
            blind = run_model(model, image, px, "estimate")
            preds["ours, blind-estimated tip"] = blind.surface
            if blind.lower is not None:
                blind_coverage[pair.scene].append((
                    float(np.mean((blind.lower50 <= true) & (true <= blind.upper50))),
                    float(np.mean((blind.lower <= true) & (true <= blind.upper))), float(np.mean(blind.uncertainty))))
            preds["ours, blind tip, typical-tip limit"] = run_model(model, image, px, "estimate",
                                                                    tip_estimator=None).surface
        if args.mirror:
            for method, choice in (("ours, true tip, mirror-averaged", tip),
                                   *((("ours, blind-estimated tip, mirror-averaged", "estimate"),)
                                     if args.estimate else ())):
                mirrored = run_model(model, image, px, choice, mirror=True)
                preds[method] = mirrored.surface
                if mirrored.lower is not None:
                    mirror_coverage[(pair.scene, method)].append((
                        float(np.mean((mirrored.lower50 <= true) & (true <= mirrored.upper50))),
                        float(np.mean((mirrored.lower <= true) & (true <= mirrored.upper))),
                        float(np.mean(mirrored.uncertainty))))
        if previous:
            preds["previous model"] = run_model(previous, image, px, None).surface
        if baseline:
            preds["paper encoder-decoder"] = run_model(baseline, image, px, None).surface
        raw_rmse = rmse(image, true)
        for method, pred in preds.items():
            stats[(pair.scene, method)].append({"rmse": rmse(pred, true), "worse": float(rmse(pred, true) > raw_rmse),
                                                "worse5": float(rmse(pred, true) > 1.05 * raw_rmse),
                                                "dig": float(np.mean(pred < true - 1.0))})
        if res.lower is not None:
            inside90 = float(np.mean((res.lower <= true) & (true <= res.upper)))
            inside50 = float(np.mean((res.lower50 <= true) & (true <= res.upper50)))
            coverage[pair.scene].append((inside50, inside90, float(np.mean(res.uncertainty))))
            by_noise.append((pair.noise_nm, inside50, inside90, float(res.summary.get("line_noise_ratio", 1.0))))
            for level in levels:
                lo, hi = _interval_at(res, float(level))
                reliability[float(level)].append(float(np.mean((lo <= true) & (true <= hi))))
    elapsed = time.perf_counter() - t0
    print(f"test pairs: {args.n} per scene kind from the wide generator, seed {args.seed} (never used in training, "
          f"model selection or calibration); pixel sizes {spec.pixel_size_nm[0]:g}-{spec.pixel_size_nm[1]:g} nm; "
          f"model {model.path.name} ({model.card.get('architecture')})"
          + (f"; offset or shifted lines 0-{spec.line_probability:g} of them" if args.line_probability is not None
             else "")
          + (f"; scan-line wander {'-'.join(f'{v:g}' for v in dict.fromkeys(wander_range(spec.line_wander)))} x "
             "the white noise" if wander_range(spec.line_wander)[1] else "")
          + f"; {elapsed:.0f} s\n")
    print("| scene | method | median RMSE (nm) | RMSE / erosion (median) | worse than raw | pixels > 1 nm too deep |")
    print("|---|---|---|---|---|---|")
    scenes = [scene for scene in WIDE_SCENES if counts[scene]]
    for scene in scenes:
        ero = np.array([s["rmse"] for s in stats[(scene, "erosion (true tip)")]])
        for method in methods:
            rows = stats[(scene, method)]
            r = np.array([s["rmse"] for s in rows])
            ratio = np.median(r / np.maximum(ero, 1e-9))
            print(f"| {scene} | {method} | {np.median(r):.3f} | {ratio:.2f} | "
                  f"{np.mean([s['worse'] for s in rows]):.0%} | {np.mean([s['dig'] for s in rows]):.2%} |")
    print("\nAll scenes together:\n")
    print("| method | median RMSE / erosion | images worse than raw | of them by more than 5 % | "
          "pixels > 1 nm too deep |")
    print("|---|---|---|---|---|")
    for method in methods:
        rows = [s for scene in scenes for s in stats[(scene, method)]]
        ero = [s["rmse"] for scene in scenes for s in stats[(scene, "erosion (true tip)")]]
        ratio = np.median(np.array([s["rmse"] for s in rows]) / np.maximum(ero, 1e-9))
        print(f"| {method} | {ratio:.2f} | {int(sum(s['worse'] for s in rows))} of {len(rows)} | "
              f"{int(sum(s['worse5'] for s in rows))} | {np.mean([s['dig'] for s in rows]):.2%} |")
    if coverage:
        print("\nCalibrated intervals (ours, true tip; with --estimate also the blind mode's, whose bounds are the "
              "mean of its three readings'): share of pixels whose true height lies inside, per scene "
              "(goal for 90 %: 85-95 %)\n")
        blind_columns = " | blind: 50 % | blind: 90 % | blind: 90 % half-width (nm)" if blind_coverage else ""
        print(f"| scene | 50 % interval | 90 % interval | 90 % half-width, mean (nm){blind_columns} |")
        print("|---|---|---|---|" + "---|---|---|" * bool(blind_coverage))
        for scene in scenes:
            c = np.array(coverage[scene]).reshape(-1, 3)
            row = f"| {scene} | {np.mean(c[:, 0]):.1%} | {np.mean(c[:, 1]):.1%} | {np.mean(c[:, 2]):.2f} |"
            if blind_coverage:
                b = np.array(blind_coverage[scene]).reshape(-1, 3)
                row += f" {np.mean(b[:, 0]):.1%} | {np.mean(b[:, 1]):.1%} | {np.mean(b[:, 2]):.2f} |"
            print(row)
        if mirror_coverage:
            print("\nCalibrated intervals averaged over the mirror images (the card's mirror factors):\n")
            print("| scene | method | 50 % interval | 90 % interval | 90 % half-width, mean (nm) |")
            print("|---|---|---|---|---|")
            for scene in scenes:
                for method in methods:
                    if (scene, method) in mirror_coverage:
                        m = np.array(mirror_coverage[(scene, method)]).reshape(-1, 3)
                        print(f"| {scene} | {method} | {np.mean(m[:, 0]):.1%} | {np.mean(m[:, 1]):.1%} | "
                              f"{np.mean(m[:, 2]):.2f} |")
        noise = np.array(by_noise)
        for column, what, header in ((0, "white noise level", "noise SD (nm)"),
                                     (3, "across/along noise ratio", "across/along")):
            if column == 3 and not wander_range(spec.line_wander)[1]:
                continue
            edges = np.quantile(noise[:, column], [0.25, 0.5, 0.75])
            quarter = np.searchsorted(edges, noise[:, column])
            print(f"\nCoverage by the image's {what} (quarters of the test images, true tip):\n")
            print(f"| {header} | 50 % interval | 90 % interval |")
            print("|---|---|---|")
            for k in range(4):
                rows_k = noise[quarter == k]
                if len(rows_k):
                    print(f"| {rows_k[:, column].min():.3g}-{rows_k[:, column].max():.3g} | {rows_k[:, 1].mean():.1%} | "
                          f"{rows_k[:, 2].mean():.1%} |")
        if reliability:
            print("\nReliability curve (all scenes): nominal coverage -> observed share of pixels inside\n")
            print("| nominal | " + " | ".join(f"{lv:.0%}" for lv in levels) + " |")
            print("|---|" + "---|" * len(levels))
            print("| observed | " + " | ".join(f"{np.mean(reliability[float(lv)]):.1%}" for lv in levels) + " |")
    print("\nIssue 18's report: hemispherical domes of radius 16-20 nm (the paper's generator), imaged by the "
          "nominal cone (R 10 nm, 20 deg), 40 images:\n")
    print("| method | RMSE (nm) | pixels > 1 nm below the truth |")
    print("|---|---|---|")
    rows = defaultdict(list)
    for child in np.random.SeedSequence(args.seed + 7).spawn(40):
        pair = make_pair(SynthConfig(kind="dome"), child)
        cone = {"shape": "cone", "radius_nm": 10.0, "half_angle_deg": 20.0}
        preds = {"raw image": pair.image, "erosion": erode(pair.image, usable_tip(pair.tip, pair.image)),
                 "ours (tip given)": run_model(model, pair.image, 1.0, cone).surface}
        if previous:
            preds["previous model"] = run_model(previous, pair.image, 1.0, None).surface
        for method, pred in preds.items():
            rows[method].append((rmse(pred, pair.surface), float(np.mean(pred < pair.surface - 1.0))))
    for method, values in rows.items():
        v = np.array(values)
        print(f"| {method} | {np.sqrt(np.mean(v[:, 0] ** 2)):.2f} | {np.mean(v[:, 1]):.2%} |")
    if model.tip_conditioned and args.n_paper:
        print(f"\nCalibrated intervals on the paper's classes (their own generator and cone, the tip given; "
              f"{args.n_paper} images per class, seed {args.seed + 11}; calibrated on the wide generator only). "
              "Where the tip touched, the result is the erosion, which on these nearly noise-free images is the "
              "truth: any interval holding the result covers those pixels, so the last columns count the others:\n")
        print("| class | 50 % interval | 90 % interval | pixels the tip touched | 90 % interval where it did not "
              "| 90 % half-width, mean (nm) |")
        print("|---|---|---|---|---|---|")
        for k, kind in enumerate(KINDS):
            covered = []
            for child in np.random.SeedSequence([args.seed + 11, k]).spawn(args.n_paper):
                pair = make_pair(SynthConfig(kind=kind), child)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = frame_quantiles(pair.image, pixel_size_nm=1.0, model=model,
                                          tip=Tip(heights=pair.tip, pixel_size_nm=(1.0, 1.0)))
                t, touched = pair.surface, res["certain"] > 0.5
                inside = (res["lower"] <= t) & (t <= res["upper"])
                covered.append((float(np.mean((res["lower50"] <= t) & (t <= res["upper50"]))), float(inside.mean()),
                                float(touched.mean()), float(inside[~touched].mean()) if (~touched).any() else np.nan,
                                float(np.mean(res["uncertainty"]))))
            c = np.array(covered)
            print(f"| {kind} | {np.mean(c[:, 0]):.1%} | {np.mean(c[:, 1]):.1%} | {np.mean(c[:, 2]):.0%} | "
                  f"{np.nanmean(c[:, 3]):.1%} | {np.mean(c[:, 4]):.2f} |")

if __name__ == "__main__":
    main()
