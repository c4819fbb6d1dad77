"""``afm-profiler tip model|dilate|erode|certainty|estimate``: the tip operations on files."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from napari_afm_profiler.progress import drain


def _image(args: argparse.Namespace) -> Any:
    from napari_afm_profiler.cli._common import load_scans as _load

    scans = _load(args.image, args.pixel_size, args.channel)
    scan = scans[0]
    if scan.pixel_size_nm is None and args.pixel_size is None and Path(args.image).suffix.lower() != ".npy":
        print(f"note: {Path(args.image).name} has no pixel size; the tip is used pixel for pixel", file=sys.stderr)
    return scan


def _write(path: str, data: Any, scan: Any, what: str) -> None:
    from napari_afm_profiler.io.writers import write_image

    out = write_image(path, data, pixel_size_nm=scan.pixel_size_nm, channel=f"{scan.channel} ({what})",
                      z_unit="nm" if what != "certainty" else "", metadata={"source": str(scan.metadata.get("path", ""))})
    print(f"wrote {out}")


def load_tip_for(path: str, image_pixel_nm: Any, *, tip_pixel_nm: float | None = None, reflect: bool = False) -> Any:
    """Load a tip file on the image's grid, printing a note when it is resampled or off-centre."""
    from napari_afm_profiler.tip.files import load_tip
    from napari_afm_profiler.tip.models import tip_for_pixel_size

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        tip = load_tip(path, pixel_size_nm=tip_pixel_nm, reflect=reflect)
        tip = tip_for_pixel_size(tip, image_pixel_nm)
    for w in caught:
        print(f"note: {w.message}", file=sys.stderr)
    return tip.heights


def _tip_for(args: argparse.Namespace, scan: Any) -> Any:
    return load_tip_for(args.tip, scan.pixel_size_nm, tip_pixel_nm=args.tip_pixel_size, reflect=args.reflect_tip)


def cmd_model(args: argparse.Namespace) -> int:
    """Sample a tip model and save it."""
    from napari_afm_profiler.io.writers import write_image
    from napari_afm_profiler.tip import make_tip

    tip = make_tip(args.shape, pixel_size_nm=args.pixel_size, radius_nm=args.radius, half_angle_deg=args.half_angle,
                   size=args.size, height_nm=args.height, rotation_deg=args.rotation)
    out = write_image(args.output, tip.heights, pixel_size_nm=tip.pixel_size_nm, channel=f"tip ({tip.shape})",
                      metadata={"tip": {k: v for k, v in tip.parameters.items()}})
    print(f"wrote {out}: {tip.shape} tip {tip.size}x{tip.size} px at {args.pixel_size:g} nm/px, "
          f"depth {-min(v for v in tip.heights.flat if v == v):.3g} nm")
    return 0


def _morph(args: argparse.Namespace, op: str) -> int:
    import numpy as np

    from napari_afm_profiler import tip as tipmod

    scan = _image(args)
    tip = _tip_for(args, scan)
    func = {"dilate": tipmod.dilate, "erode": tipmod.erode, "certainty": tipmod.certainty_map}[op]
    data = scan.data
    if getattr(args, "replace_dropouts", False):
        frames = np.asarray(data, np.float64)
        frames = frames[None] if frames.ndim == 2 else frames
        masks = [tipmod.find_dropouts(frame, tip) for frame in frames]
        data = np.stack([tipmod.replace_dropouts(frame, mask) for frame, mask in zip(frames, masks)])
        data = data[0] if np.ndim(scan.data) == 2 else data
        print(f"dropouts: {sum(int(m.sum()) for m in masks)} pixels lower than the tip can image were replaced by "
              "their neighbours' mean first", file=sys.stderr)
    _write(args.output, func(data, tip), scan, {"dilate": "dilated", "erode": "eroded"}.get(op, op))
    return 0


def cmd_estimate(args: argparse.Namespace) -> int:
    """Blind tip estimation from an image."""
    from napari_afm_profiler.io.writers import write_image
    from napari_afm_profiler.tip import estimate_tip_steps

    scan = _image(args)
    data = scan.data
    if data.ndim == 3:
        print("note: using the first frame of the stack", file=sys.stderr)
        data = data[0]
    steps = estimate_tip_steps(data, args.size, args.threshold, args.full)
    tip = drain(steps, lambda p: print(f"{p[0]} sweep {p[1]}: {p[2]} tip pixels lowered", file=sys.stderr))
    out = write_image(args.output, tip, pixel_size_nm=scan.pixel_size_nm, channel="tip (blind estimate)",
                      metadata={"tip": {"threshold_nm": args.threshold, "full": args.full, "source": str(args.image)}})
    print(f"wrote {out}: {args.size}x{args.size} px tip, depth {-tip[tip == tip].min():.3g} nm")
    return 0


def add_tip_parser(sub: Any) -> None:
    """Add the ``tip`` command and its five subcommands to the ``afm-profiler`` parser."""
    from napari_afm_profiler.tip.names import TIP_SHAPE_NAMES

    tip = sub.add_parser("tip", help="tip models, simulated imaging, reconstruction, certainty, blind estimation")
    ops = tip.add_subparsers(dest="tip_command", required=True)

    model = ops.add_parser("model", help="sample a tip model on a pixel grid")
    model.add_argument("--shape", choices=TIP_SHAPE_NAMES, required=True)
    model.add_argument("--radius", type=float, required=True, help="apex radius in nm")
    model.add_argument("--half-angle", type=float, default=None, help="side half-angle in degrees (cone, pyramid)")
    model.add_argument("--pixel-size", type=float, required=True, help="pixel size in nm")
    model.add_argument("--size", type=int, default=None, help="tip width in px (odd); default: reaches --height")
    model.add_argument("--height", type=float, default=None, help="height range in nm the tip must cover (default 100)")
    model.add_argument("--rotation", type=float, default=0.0, help="pyramid rotation in degrees")
    model.add_argument("-o", "--output", required=True)
    model.set_defaults(func=cmd_model)

    def image_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("image", help=".npy (with --pixel-size) or any readable AFM file")
        p.add_argument("--channel", default=None, help="channel name (default: the height channel)")
        p.add_argument("--pixel-size", type=float, default=None, help="pixel size in nm for .npy input")
        p.add_argument("-o", "--output", required=True)

    for name, text in (("dilate", "simulate imaging of a surface by the tip"),
                       ("erode", "Villarrubia reconstruction of the surface under an image"),
                       ("certainty", "1 where the reconstruction is exact, 0 elsewhere")):
        p = ops.add_parser(name, help=text)
        image_args(p)
        p.add_argument("--tip", required=True, help="tip file (.npy in nm, or an image file)")
        p.add_argument("--tip-pixel-size", type=float, default=None,
                       help="the tip's pixel size in nm if its file has none (resampled to the image's)")
        p.add_argument("--reflect-tip", action="store_true", help="point-reflect the tip (Gwyddion blind estimates)")
        if name != "dilate":
            p.add_argument("--replace-dropouts", action="store_true",
                           help="first replace pixels lower than the tip can image (dropped scan lines) by their "
                                "neighbours' mean; left in, the erosion digs a trench the tip's shape at each")
        p.set_defaults(func=lambda a, op=name: _morph(a, op))

    est = ops.add_parser("estimate", help="Villarrubia blind tip estimation")
    image_args(est)
    est.add_argument("--size", type=int, required=True, help="tip width in px (odd)")
    est.add_argument("--threshold", type=float, default=0.0, help="noise threshold in nm (about the image noise)")
    est.add_argument("--full", action="store_true", help="refine with every image point, not only local maxima")
    est.set_defaults(func=cmd_estimate)

