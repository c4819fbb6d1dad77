"""``afm-profiler train``, ``deconvolve``, ``calibrate`` and ``train-tip-estimator``."""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import replace
from typing import Any

from napari_afm_profiler.progress import drain

SCALING_MODES = {
    "blind": ("with the tip read from the image", "with the tip read from the image", "a third of --n-per-kind"),
    "mirror": ("averaged over the mirror images", "with --mirror-average", "a third of --n-per-kind"),
    "blind_mirror": ("with the tip read and averaged over the mirror images (after both factors above)",
                     "with the tip read from the image and --mirror-average",
                     "the smaller of the two counts above"),
}
"""Modes whose interval bounds calibration scales: (how the result says it, how the help says it, default count)."""


def cmd_train(args: argparse.Namespace) -> int:
    """Train a deconvolution model on virtual pairs or a paired ``.npz`` dataset."""
    from napari_afm_profiler.deconv.training import TrainConfig, train_steps
    from napari_afm_profiler.synth import SynthConfig, TipSpec

    base = TrainConfig()
    synth = replace(base.synth, shape=(args.size, args.size), pixel_size_nm=args.pixel_size,
                    tip=TipSpec(shape=args.tip_shape, radius_nm=args.tip_radius, half_angle_deg=args.tip_half_angle,
                                variation=args.tip_variation))
    if args.architecture == "bounded-unet":
        model = {**base.model, "base": args.base, "refine": args.refine}
    elif args.architecture == "tip-conditioned-unet":
        from napari_afm_profiler.deconv.conditioning import N_CONDITION

        model = {"n_condition": N_CONDITION - 1 if args.no_noise_condition else N_CONDITION, "base": args.base,
                 "depth": 3}
    else:
        model = {"in_channels": 1, "base": args.base, "depth": 3}
    config = TrainConfig(architecture=args.architecture, model=model, generator=args.generator,
                         quantile_weight=args.quantile_weight, workers=args.workers,
                         kinds=tuple(args.kinds), synth=synth if isinstance(synth, SynthConfig) else base.synth,
                         dataset=args.dataset, n_train=args.n_train, n_val=args.n_val, epochs=args.epochs,
                         batch_size=args.batch_size, learning_rate=args.learning_rate, patience=args.patience,
                         augment=not args.no_augment, seed=args.seed, small_fraction=args.small_fraction,
                         paper_fraction=args.paper_fraction,
                         paper_noise_nm=None if args.paper_noise is None else tuple(args.paper_noise),
                         erosion_noise_correction=args.noise_corrected_erosion,
                         wide=replace(base.wide, tilt_probability=args.tilt_probability,
                                      noise_nm=tuple(args.wide_noise) if args.wide_noise else base.wide.noise_nm,
                                      pixel_size_nm=tuple(args.wide_pixel_size) if args.wide_pixel_size
                                      else base.wide.pixel_size_nm,
                                      line_wander=tuple(args.wide_line_wander) if args.wide_line_wander
                                      else base.wide.line_wander),
                         certainty_tolerance=base.certainty_tolerance if args.certainty_tolerance is None
                         else args.certainty_tolerance,
                         roughness_weight=args.roughness_weight, roughness_kinds=tuple(args.roughness_kinds),
                         roughness_start=args.roughness_start, grad_clip=args.grad_clip,
                         edge_weight=args.edge_weight, init=args.init)
    command = "afm-profiler " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["train"] else None
    steps = train_steps(config, args.output, resume=args.resume, command=command)

    def report(p: dict[str, Any]) -> None:
        if p["stage"] == "epoch":
            mark = " *" if p["improved"] else ""
            print(f"epoch {p['epoch'] + 1}/{p['epochs']}: train loss {p['train_loss']:.4f} nm, "
                  f"validation MAE {p['val_loss']:.4f} nm, objective {p['val_objective']:.4f} nm{mark}",
                  file=sys.stderr, flush=True)
        elif p["stage"] == "data":
            print(p["message"], file=sys.stderr, flush=True)

    card = drain(steps, report)
    print(f"wrote {args.output}: validation MAE {card['validation']['mae_nm']:.4f} nm "
          f"(raw image {card['validation']['raw_image_mae_nm']:.4f}, erosion {card['validation']['erosion_mae_nm']:.4f})")
    return 0


def cmd_deconvolve(args: argparse.Namespace) -> int:
    """Deconvolve an image file (or a .npy image/stack) with the user's tip; write the result and its checks."""
    import json
    import math
    import warnings

    from napari_afm_profiler.cli._common import dropout_choice, tip_choice
    from napari_afm_profiler.cli._common import load_scans as _load
    from napari_afm_profiler.deconv.infer import deconvolve_steps
    from napari_afm_profiler.io.writers import atomic_write, write_image

    scan = _load(args.image, args.pixel_size, args.channel)[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        steps = deconvolve_steps(scan.data, pixel_size_nm=scan.pixel_size_nm, tip=tip_choice(args),
                                 tip_pixel_size_nm=args.tip_pixel_size, model=args.model,
                                 uncertainty=args.uncertainty is not None, removed_tilt=args.removed_tilt,
                                 mirror_average=args.mirror_average, dropouts=dropout_choice(args))
        result = drain(steps, lambda p: print(f"frame {p[1] + 1}/{p[2]}", file=sys.stderr, flush=True)
                       if p[0] == "frame" and p[2] > 1 and p[1] < p[2] else None)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    # strict JSON: a ratio of noise readings is infinite where the lines are noise-free along their length
    summary = {k: None if isinstance(v, float) and not math.isfinite(v) else v
               for k, v in result.summary.items() if k != "tip_heights"}
    meta = {"source": str(args.image), "model": str(args.model), **summary}
    out = write_image(args.output, result.surface, pixel_size_nm=scan.pixel_size_nm,
                      channel=f"{scan.channel} (deconvolved)", metadata=meta)
    print(f"wrote {out}")
    extra = [(args.uncertainty, result.uncertainty, "90 % interval half-width" if result.lower is not None
              else "uncertainty"), (args.consistency, result.consistency, "consistency")]
    if args.interval is not None:
        if result.lower is None:
            print("warning: this model has no calibrated interval (a model from before tip conditioning): "
                  "--interval is not written", file=sys.stderr)
        else:
            extra += [(args.interval[0], result.lower, "90 % interval, lower bound"),
                      (args.interval[1], result.upper, "90 % interval, upper bound")]
    for path, data, name in extra:
        if path is not None and data is not None:
            written = write_image(path, data, pixel_size_nm=scan.pixel_size_nm, channel=f"{scan.channel} ({name})",
                                  metadata=meta)
            print(f"wrote {written}")
    if args.summary is not None:
        atomic_write(args.summary, lambda tmp: tmp.write_text(json.dumps(summary, indent=2)))
        print(f"wrote {args.summary}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Calibrate a tip-conditioned model's intervals on the whole pipeline's outputs; update its card."""
    from napari_afm_profiler.deconv.names import CALIBRATION_LINE_WANDER
    from napari_afm_profiler.deconv.pipeline_calibration import calibrate_pipeline_steps

    command = (f"afm-profiler calibrate {shlex.quote(str(args.model))} --n-per-kind {args.n_per_kind} "
               f"--seed {args.seed} --bins {args.bins} --width-bins {args.width_bins} --aim-90 {args.aim_90:g} "
               f"--pixel-size {args.pixel_size[0]:g} {args.pixel_size[1]:g}"
               + (" --no-pixel-regimes" if args.no_pixel_regimes else "")
               + f" --noise-width-factor {args.noise_width_factor:g}"
               + (" --no-fine-regime" if args.no_fine_regime else f" --fine-down-to {args.fine_down_to:g}")
               + "".join(f" --{mode.replace('_', '-')}-pairs-per-kind {getattr(args, f'{mode}_pairs_per_kind')}"
                         for mode in SCALING_MODES if getattr(args, f"{mode}_pairs_per_kind") is not None)
               + (f" --line-pairs-per-kind {args.line_pairs_per_kind}" if args.line_pairs_per_kind is not None else "")
               + (f" --line-wander {args.line_wander[0]:g} {args.line_wander[1]:g}"
                  if tuple(args.line_wander) != CALIBRATION_LINE_WANDER else "")
               + (" --no-erosion-regime" if args.no_erosion_regime else f" --coarse-up-to {args.coarse_up_to:g}"))
    coarse = None if args.no_erosion_regime else (args.pixel_size[1], args.coarse_up_to)
    fine = None if args.no_fine_regime else (args.fine_down_to, args.pixel_size[0])
    steps = calibrate_pipeline_steps(args.model, n_per_kind=args.n_per_kind, seed=args.seed, bins=args.bins,
                                     width_bins=args.width_bins, command=command, aim_90=args.aim_90,
                                     pixel_size_nm=tuple(args.pixel_size), pixel_regimes=not args.no_pixel_regimes,
                                     coarse_pixel_size_nm=coarse, noise_width_factor=args.noise_width_factor,
                                     fine_pixel_size_nm=fine,
                                     line_pairs_per_kind=args.line_pairs_per_kind,
                                     line_wander=tuple(args.line_wander),
                                     **{f"{mode}_pairs_per_kind": getattr(args, f"{mode}_pairs_per_kind")
                                        for mode in SCALING_MODES})
    entry = drain(steps, lambda p: print(f"{p[0][:-1]} {p[1]}/{p[2]}", file=sys.stderr, flush=True)
                  if p[1] % 50 == 0 or p[1] == p[2] else None)
    print(f"calibrated {args.model} on {entry['pairs']} pairs (seed {entry['calibration_seed']}, pixel sizes "
          f"{entry['pixel_size_nm'][0]:g}-{entry['pixel_size_nm'][1]:g} nm), {len(entry['groups'])} groups"
          f"{' (within, finer and coarser than the trained pixel range)' if entry['pixel_regimes'] else ''}; "
          f"broadening edges {[round(e, 3) for e in entry['broadening_edges_nm']]} nm; "
          f"relative-width edges {[round(e, 3) for e in entry['relative_width_edges']]}")
    for level in ("0.9", "0.5"):
        by_kind = entry[level]["coverage_by_kind"]
        print(f"{float(level):.0%} interval, in-sample coverage per kind: "
              + ", ".join(f"{k} {v:.1%}" for k, v in by_kind.items()))
    for mode, (how, _, _) in SCALING_MODES.items():
        if mode in entry:
            scale = entry[mode]["scale"]
            print(f"{how} the bounds are scaled about the result by {scale['0.9']:.3g} (90 %) and "
                  f"{scale['0.5']:.3g} (50 %), fitted on {entry[mode]['pairs']} pairs (seed "
                  f"{entry[mode]['calibration_seed']})")
    if "line_noise" in entry:
        line = entry["line_noise"]
        for mode, how in (("given", "a tip given"), ("blind", "the tip read from the image")):
            factors, covered = line["factors"][mode], line["coverage_by_kind"][mode]["0.9"]
            print(f"scan-line noise, {how}: the bounds move out by {factors['0.9']:.3g} (90 %) and "
                  f"{factors['0.5']:.3g} (50 %) x (across/along noise ratio - 1) noise SDs, fitted on "
                  f"{line['pairs']} pairs with wander {line['line_wander'][0]:g}-{line['line_wander'][1]:g} x the "
                  "white noise; in-sample 90 % coverage per kind: "
                  + ", ".join(f"{k} {v:.1%}" for k, v in covered.items()))
    if "fine" in entry:
        lo, hi = entry["fine"]["pixel_size_nm"]
        print(f"below {hi:g} nm pixels the intervals have margins of their own, fitted on {entry['fine']['pairs']} "
              f"pairs of {lo:g}-{hi:g} nm (seed {entry['fine']['calibration_seed']}); in-sample 90 % coverage per "
              "kind: " + ", ".join(f"{k} {v:.1%}" for k, v in entry["fine"]["0.9"]["coverage_by_kind"].items()))
    if "coarse" in entry:
        lo, hi = entry["coarse"]["pixel_size_nm"]
        print(f"beyond {lo:g} nm pixels the result is the erosion; its interval, fitted on {entry['coarse']['pairs']} "
              f"pairs of {lo:g}-{hi:g} nm pixels (seed {entry['coarse']['calibration_seed']}), in-sample 90 % "
              "coverage per kind: " + ", ".join(f"{k} {v:.1%}" for k, v in entry["coarse"]["0.9"]["coverage_by_kind"].items()))
    return 0


def cmd_train_tip_estimator(args: argparse.Namespace) -> int:
    """Train the network that reads a tip's model and parameters from an image (used by ``--estimate-tip``)."""
    from napari_afm_profiler.deconv.tip_estimator_training import TipEstimatorConfig, train_tip_estimator_steps

    config = TipEstimatorConfig(n_train=args.n_train, n_val=args.n_val, epochs=args.epochs,
                                batch_size=args.batch_size, learning_rate=args.learning_rate, base=args.base,
                                seed=args.seed, workers=args.workers, readings_z=tuple(args.readings_z))
    command = "afm-profiler " + " ".join(shlex.quote(a) for a in sys.argv[1:]) \
        if sys.argv[1:2] == ["train-tip-estimator"] else None
    steps = train_tip_estimator_steps(config, args.output, command=command)
    card = drain(steps, lambda p: print(
        f"epoch {p['epoch']}/{config.epochs}: train loss {p['train_loss']:.3f}, validation loss {p['loss']:.3f}, "
        f"radius off by a median factor {p['radius_factor_median']:.3f}, within 25 % {p['radius_within_25pct']:.0%}, "
        f"angle off by {p['angle_error_median_deg']:.1f} deg, tip model right {p['shape_accuracy']:.0%}",
        file=sys.stderr, flush=True))
    best = card["validation"]
    print(f"wrote {args.output}: best epoch {best['epoch']}, radius off by a median factor "
          f"{best['radius_factor_median']:.3f}, 90 % interval covers {best['radius_coverage90']:.0%}")
    return 0


def add_deconv_parsers(sub: Any) -> None:
    """Add ``train``, ``deconvolve`` and ``calibrate`` to the ``afm-profiler`` parser."""
    from napari_afm_profiler.cli._common import add_tip_arguments
    from napari_afm_profiler.deconv.names import ARCHITECTURE_NAMES, TRAINING_KINDS
    from napari_afm_profiler.synth.names import KINDS, WIDE_SCENES

    p = sub.add_parser("train", help="train a tip-deconvolution network (virtual pairs or a .npz dataset)")
    p.add_argument("dataset", nargs="?", default=None, help="paired .npz dataset (default: virtual pairs on the fly)")
    p.add_argument("-o", "--output", required=True, help="model folder (weights.safetensors + config.json)")
    p.add_argument("--architecture", choices=list(ARCHITECTURE_NAMES), default="bounded-unet")
    p.add_argument("--generator", choices=["paper", "wide"], default="paper",
                   help="virtual pairs: the paper's scenes and tip, or the wide generator (many scenes, tips and "
                        "pixel sizes; for tip-conditioned-unet)")
    p.add_argument("--quantile-weight", type=float, default=1.0,
                   help="weight of the interval heads' quantile loss (tip-conditioned-unet)")
    p.add_argument("--workers", type=int, default=1, help="processes making the virtual pairs")
    p.add_argument("--base", type=int, default=24, help="channels of the first level")
    p.add_argument("--refine", type=int, default=0,
                   help="unfolded features fed to bounded-unet's full-resolution convolution (0: none)")
    p.add_argument("--kinds", nargs="+", choices=KINDS, default=list(TRAINING_KINDS))
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--pixel-size", type=float, default=1.0)
    p.add_argument("--tip-shape", default="cone")
    p.add_argument("--tip-radius", type=float, default=10.0)
    p.add_argument("--tip-half-angle", type=float, default=20.0)
    p.add_argument("--tip-variation", type=float, default=0.15)
    p.add_argument("--n-train", type=int, default=4000)
    p.add_argument("--n-val", type=int, default=400)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--learning-rate", type=float, default=2e-3)
    p.add_argument("--patience", type=int, default=6)
    p.add_argument("--no-augment", action="store_true", help="no flips/transposes (asymmetric tips)")
    p.add_argument("--small-fraction", type=float, default=0.5,
                   help="share of virtual pairs with low, small features (1-16 nm) and a more varied tip")
    p.add_argument("--paper-fraction", type=float, default=0.0,
                   help="with --generator wide: share of pairs drawn from the paper's scenes and tip instead")
    p.add_argument("--paper-noise", type=float, nargs=2, default=None, metavar=("LO", "HI"),
                   help="with --paper-fraction: noise SD of each paper pair drawn uniformly from LO-HI nm "
                        "(default: the paper settings' fixed 0.1 nm)")
    p.add_argument("--tilt-probability", type=float, default=0.0,
                   help="with --generator wide: share of tilted samples (up to 12 degrees; inputs then levelled "
                        "as at inference)")
    p.add_argument("--wide-noise", type=float, nargs=2, default=None, metavar=("LO", "HI"),
                   help="with --generator wide: noise SD range in nm, log-uniform (default 0.02 0.5)")
    p.add_argument("--wide-line-wander", type=float, nargs=2, default=None, metavar=("LO", "HI"),
                   help="with --generator wide: scan-line wander of each pair, drawn uniformly from LO-HI times its "
                        "white noise (each line a smooth curve of its own, as real scans have; default none)")
    p.add_argument("--wide-pixel-size", type=float, nargs=2, default=None, metavar=("LO", "HI"),
                   help="with --generator wide: pixel size range in nm, log-uniform (default 0.5 2); the model "
                        "resamples images outside it into it")
    p.add_argument("--noise-corrected-erosion", action="store_true",
                   help="bound the result by the erosion raised by its expected noise bias (noisy flat scenes "
                        "otherwise come out two to three noise SDs too low)")
    p.add_argument("--no-noise-condition", action="store_true",
                   help="tip-conditioned network without the noise-level input (as the first three stages of "
                        "the shipped model)")
    p.add_argument("--certainty-tolerance", type=int, default=None,
                   help="height steps of the certainty map the network sees (default 2; 0: Gwyddion's exact rule)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", default=None, help="checkpoint.pt to continue from")
    p.add_argument("--init", default=None, help="fine-tune: start from this model ('default' or a folder)")
    p.add_argument("--roughness-weight", type=float, default=0.0,
                   help="weight of the per-image Ra/Rq matching term added to the L1 loss")
    p.add_argument("--roughness-kinds", nargs="*", choices=sorted({*KINDS, *WIDE_SCENES}), default=[],
                   help="virtual kinds the Ra/Rq term applies to (default: all)")
    p.add_argument("--grad-clip", type=float, default=1.0, help="largest gradient norm of a step (0: none)")
    p.add_argument("--edge-weight", type=float, default=0.0,
                   help="extra L1 weight on pixels next to steps of the true surface (0: plain L1)")
    p.add_argument("--roughness-start", type=float, default=0.0,
                   help="fraction of the epochs trained on L1 alone before the Ra/Rq term starts")
    p.set_defaults(func=cmd_train)

    d = sub.add_parser("deconvolve", help="remove tip convolution with a trained network (default model shipped)")
    d.add_argument("image", help=".npy image or stack (with --pixel-size) or any readable AFM file")
    d.add_argument("-o", "--output", required=True)
    d.add_argument("--model", default="default", help="'default' or a model folder (config.json + weights.safetensors)")
    d.add_argument("--pixel-size", type=float, default=None, help="pixel size in nm for .npy input")
    d.add_argument("--channel", default=None, help="channel name (default: the height channel)")
    d.add_argument("--uncertainty", default=None, metavar="OUT",
                   help="also write the uncertainty: the calibrated 90 %% interval's half-width (older models: the "
                        "spread over mirror images, 4x slower)")
    d.add_argument("--interval", nargs=2, default=None, metavar=("LOWER", "UPPER"),
                   help="also write the calibrated 90 %% interval's bounds of the true height, nm (asymmetric about "
                        "the result: below it the surface may lie deeper than above it)")
    d.add_argument("--consistency", default=None, metavar="OUT",
                   help="also write the consistency map image - dilate(result, tip), nm")
    d.add_argument("--summary", default=None, metavar="JSON",
                   help="write the tip used and the consistency summary as JSON")
    d.add_argument("--removed-tilt", type=float, nargs=2, default=None, metavar=("DZ_DY", "DZ_DX"),
                   help="the tilt levelling took out of the image, as slopes in nm per nm (tan of the angle): the tip "
                        "met the sample tilted; put back for the network and taken out of the result")
    add_tip_arguments(d)
    d.set_defaults(func=cmd_deconvolve)

    from napari_afm_profiler.deconv.names import (
        BROADENING_BINS,
        CALIBRATION_LINE_WANDER,
        CALIBRATION_PIXEL_SIZES_NM,
        COARSE_CALIBRATION_PIXEL_SIZES_NM,
        FINE_CALIBRATION_PIXEL_SIZES_NM,
        NOISE_WIDTH_FACTOR,
        PIPELINE_CALIBRATION_SEED,
        WIDTH_BINS,
    )

    c = sub.add_parser("calibrate", help="calibrate a tip-conditioned model's 50 %% and 90 %% intervals on the "
                                         "whole pipeline's outputs (virtual pairs; updates the model card)")
    c.add_argument("model", help="model folder (config.json + weights.safetensors), or 'default'")
    c.add_argument("--n-per-kind", type=int, default=60, help="calibration pairs per scene kind of the wide generator (9 kinds)")
    c.add_argument("--seed", type=int, default=PIPELINE_CALIBRATION_SEED,
                   help="seed of the calibration pairs (never a training, validation or test seed)")
    c.add_argument("--bins", type=int, default=BROADENING_BINS,
                   help="bins of the frame's broadening per certainty group (1: certainty groups only)")
    c.add_argument("--width-bins", type=int, default=WIDTH_BINS,
                   help="bins of each pixel's predicted 90 %% half-width over the frame's broadening, within each "
                        "of those groups (1: no split)")
    c.add_argument("--aim-90", type=float, default=0.9,
                   help="share of the calibration pixels the 90 %% interval is fitted to cover (a little above 0.9 "
                        "keeps the least covered scene kind above 85 %%)")
    c.add_argument("--pixel-size", type=float, nargs=2, default=list(CALIBRATION_PIXEL_SIZES_NM), metavar=("LO", "HI"),
                   help="pixel sizes of the calibration pairs, nm (log-uniform; images outside the model's trained "
                        "range are resampled, and their intervals are calibrated with the others)")
    c.add_argument("--no-pixel-regimes", action="store_true",
                   help="one set of margins for every pixel size (default: separate margins for images within, "
                        "finer than and coarser than the model's trained pixel range)")
    c.add_argument("--noise-width-factor", type=float, default=NOISE_WIDTH_FACTOR, metavar="SDS",
                   help="noise SDs of each image added to the intervals' width floor of 0.1 nm, so that clean and "
                        "noisy images are covered alike (0: the constant floor of older cards)")
    c.add_argument("--fine-down-to", type=float, default=FINE_CALIBRATION_PIXEL_SIZES_NM[0], metavar="NM",
                   help="images finer than --pixel-size's lower end get margins of their own, fitted on pairs from "
                        "this pixel size up to there, nm (with pixel regimes only)")
    c.add_argument("--no-fine-regime", action="store_true",
                   help="no margins of their own for images finer than --pixel-size's lower end (they get the "
                        "finer regime's, and a warning that their interval is not calibrated)")
    for mode, (_, how, default) in SCALING_MODES.items():
        c.add_argument(f"--{mode.replace('_', '-')}-pairs-per-kind", type=int, default=None, metavar="N",
                       help=f"pairs per kind deconvolved {how}, to fit how much that mode's bounds are scaled "
                            f"(default: {default}; 0: not scaled)")
    c.add_argument("--line-pairs-per-kind", type=int, default=None, metavar="N",
                   help="pairs per kind with scan-line wander, deconvolved given the tip and with the tip read, to fit "
                        "how far the bounds move out for an image's line noise (default: a third of --n-per-kind; "
                        "0: not widened)")
    c.add_argument("--line-wander", type=float, nargs=2, default=list(CALIBRATION_LINE_WANDER), metavar=("LO", "HI"),
                   help="scan-line wander of those pairs, in white-noise SDs (uniform)")
    c.add_argument("--coarse-up-to", type=float, default=COARSE_CALIBRATION_PIXEL_SIZES_NM[1], metavar="NM",
                   help="images coarser than --pixel-size's upper end get the erosion by the tip (the network gains "
                        "nothing there); its interval is fitted on pairs from there up to this pixel size, nm")
    c.add_argument("--no-erosion-regime", action="store_true",
                   help="run the network at every pixel size (coarse images upsampled to its grid)")
    c.set_defaults(func=cmd_calibrate)

    e = sub.add_parser("train-tip-estimator", help="train the network that reads the tip's model, apex radius and "
                                                   "half-angle from an image (virtual pairs of the wide generator)")
    e.add_argument("-o", "--output", required=True, help="folder (weights.safetensors + config.json)")
    e.add_argument("--n-train", type=int, default=16000)
    e.add_argument("--n-val", type=int, default=800)
    e.add_argument("--epochs", type=int, default=8)
    e.add_argument("--batch-size", type=int, default=32)
    e.add_argument("--learning-rate", type=float, default=2e-3)
    e.add_argument("--base", type=int, default=24, help="channels of the first level")
    e.add_argument("--seed", type=int, default=7, help="training pairs (validation: seed + 1000003)")
    e.add_argument("--workers", type=int, default=2, help="processes making the pairs")
    e.add_argument("--readings-z", type=float, nargs="+", default=[-1.0, 0.0, 1.0],
                   help="deconvolution averages its results for the radius and half-angle read at these many SDs "
                        "from the mean (negative: sharper)")
    e.set_defaults(func=cmd_train_tip_estimator)

