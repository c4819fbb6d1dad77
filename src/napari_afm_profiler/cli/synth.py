"""``afm-profiler synth``: a paired virtual dataset (surface, image, mask, ground truth) as ``.npz``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from napari_afm_profiler.progress import drain


def cmd_synth(args: argparse.Namespace) -> int:
    """Generate the dataset with progress on stderr and write it atomically."""
    from napari_afm_profiler.synth import ArtifactSpec, ObjectSpec, SynthConfig, TipSpec, generate_dataset, save_dataset

    objects = ObjectSpec(size_nm=tuple(args.object_size), height_nm=tuple(args.object_height), count=tuple(args.count),
                         max_overlap=args.overlap)
    base = ArtifactSpec.paper() if args.artifacts == "paper" else ArtifactSpec()
    overrides = {k: v for k, v in {"line_probability": args.line_probability, "edge_overshoot": args.edge_overshoot,
                                   "noise_nm": args.noise, "tilt_deg": args.tilt, "bow_nm": args.bow,
                                   "drift_px": args.drift}.items() if v is not None}
    artifacts = ArtifactSpec(**{**base.to_dict(), **overrides})
    tip_spec = TipSpec(shape=args.tip_shape, radius_nm=args.tip_radius, half_angle_deg=args.tip_half_angle,
                       variation=args.tip_variation)
    config = SynthConfig(kind=args.kind, shape=(args.size, args.size), pixel_size_nm=args.pixel_size, objects=objects,
                         mixed_kinds=tuple(args.mixed_kinds),
                         substrate_rms_nm=args.substrate_rms, fractal_rms_nm=args.rms, fractal_hurst=args.hurst,
                         tip=tip_spec, artifacts=artifacts)
    tip_array = None
    if args.tip:
        from napari_afm_profiler.cli.tip import load_tip_for

        tip_array = load_tip_for(args.tip, args.pixel_size, tip_pixel_nm=args.tip_pixel_size)
    steps = generate_dataset(config, args.n, args.seed, tip=tip_array)
    start, shown = time.perf_counter(), [-1]

    def report(step: tuple[str, int, int]) -> None:
        _, i, n = step
        if i * 10 // n != shown[0]:
            shown[0] = i * 10 // n
            print(f"synth: {i}/{n} pairs ({time.perf_counter() - start:.1f} s)", file=sys.stderr)

    data = drain(steps, report)
    out = save_dataset(args.output, data)
    print(f"wrote {out}: {args.n} {args.kind} pairs of {args.size}x{args.size} px at {args.pixel_size:g} nm/px, "
          f"{len(data['objects_kind'])} objects, tip {data['tip'].shape[0]}x{data['tip'].shape[0]} px")
    return 0


def add_synth_parser(sub: Any) -> None:
    """Add ``synth`` to the ``afm-profiler`` parser (options per ``../shared/design.md``)."""
    from napari_afm_profiler.synth.names import KINDS, OBJECT_KINDS
    from napari_afm_profiler.tip.names import TIP_SHAPE_NAMES

    p = sub.add_parser("synth", help="paired virtual dataset (true surface, simulated AFM image, mask) as .npz")
    p.add_argument("--kind", choices=KINDS, default="dome")
    p.add_argument("--n", type=int, default=100, help="number of pairs")
    p.add_argument("--size", type=int, default=128, help="image size in px (square)")
    p.add_argument("--pixel-size", type=float, default=1.0, help="nm per pixel")
    p.add_argument("--seed", type=int, default=0)
    tip = p.add_argument_group("tip (a model, or --tip FILE)")
    tip.add_argument("--tip", default=None, help="tip file (.npy heights in nm, or an image file)")
    tip.add_argument("--tip-pixel-size", type=float, default=None, help="pixel size of a .npy tip (resampled)")
    tip.add_argument("--tip-shape", choices=TIP_SHAPE_NAMES, default="cone")
    tip.add_argument("--tip-radius", type=float, default=10.0, help="apex radius, nm (paper: ~10)")
    tip.add_argument("--tip-half-angle", type=float, default=20.0, help="side half-angle, degrees")
    tip.add_argument("--tip-variation", type=float, default=0.0, help="relative random variation per pair")
    obj = p.add_argument_group("objects")
    obj.add_argument("--object-size", type=float, nargs=2, default=(16.0, 20.0), metavar=("MIN", "MAX"))
    obj.add_argument("--object-height", type=float, nargs=2, default=(16.0, 20.0), metavar=("MIN", "MAX"))
    obj.add_argument("--count", type=int, nargs=2, default=(3, 6), metavar=("MIN", "MAX"))
    obj.add_argument("--overlap", type=float, default=0.0, help="largest footprint fraction on other objects")
    obj.add_argument("--mixed-kinds", nargs="+", choices=OBJECT_KINDS, default=list(OBJECT_KINDS),
                     help="object classes of --kind mixed")
    obj.add_argument("--substrate-rms", type=float, default=0.0, help="rough substrate under objects, nm")
    obj.add_argument("--rms", type=float, default=5.0, help="fractal RMS height, nm")
    obj.add_argument("--hurst", type=float, default=0.5, help="fractal Hurst exponent in (0, 1)")
    art = p.add_argument_group("artifacts")
    art.add_argument("--artifacts", choices=("none", "paper"), default="none")
    art.add_argument("--line-probability", type=float, default=None)
    art.add_argument("--edge-overshoot", type=float, default=None, help="fraction of a steep step")
    art.add_argument("--noise", type=float, default=None, help="white noise SD, nm")
    art.add_argument("--tilt", type=float, default=None, help="largest tilt, degrees")
    art.add_argument("--bow", type=float, default=None, help="largest bow, nm")
    art.add_argument("--drift", type=float, default=None, help="largest lateral drift, px")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_synth)
