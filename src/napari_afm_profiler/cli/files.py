"""``afm-profiler info|export|sample``: what a file holds, one channel out, the virtual sample scene."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from napari_afm_profiler.cli._common import channel_stats, load_scans

# the levelling methods, listed here so that building the parser imports no levelling code
LEVEL_CHOICES = ("lines", "lines-match", "lines-poly", "plane", "poly2", "poly3")


def cmd_info(args: argparse.Namespace) -> int:
    """Print the format and every channel's shape, calibration and value range."""
    scans = load_scans(args.file, args.pixel_size, lazy=True, keep_unscanned=True)  # the values as stored
    channels = []
    for s in scans:
        lo, hi, mean, unscanned = channel_stats(s.data)
        channels.append({"name": s.channel, "shape": list(s.data.shape),
                         "pixel_size_nm": list(s.pixel_size_nm) if s.pixel_size_nm else None,
                         "z_unit": s.z_unit, "min": lo, "max": hi, "mean": mean, "unscanned_lines": unscanned})
    report = {"format": scans[0].file_format, "channels": channels}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{Path(args.file).name}  format: {report['format']}")
    print(f"{'channel':32s} {'shape':>14s} {'pixel (nm)':>20s} {'unit':>6s} {'min':>12s} {'max':>12s} {'mean':>12s}")
    for c in channels:
        px = "uncalibrated" if c["pixel_size_nm"] is None else "{:.4g} x {:.4g}".format(*c["pixel_size_nm"])
        vals = [f"{v:.6g}" if v is not None else "-" for v in (c["min"], c["max"], c["mean"])]
        print(f"{c['name'][:32]:32s} {'x'.join(map(str, c['shape'])):>14s} {px:>20s} {c['z_unit']:>6s} "
              f"{vals[0]:>12s} {vals[1]:>12s} {vals[2]:>12s}")
    unscanned = max(c["unscanned_lines"] for c in channels)
    if unscanned:
        print(f"{unscanned} scan lines were never measured (an interrupted scan): the values above include the "
              "constant stored there; processing commands leave those lines out (NaN)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export one channel (height by default), optionally levelled, to .npy/.tif/.gwy."""
    from napari_afm_profiler.io.writers import write_image
    from napari_afm_profiler.preprocess import level

    scan = load_scans(args.file, args.pixel_size, args.channel, keep_unscanned=not args.level)[0]
    data = scan.data
    if args.level:
        data = level(data, args.level)
    out = write_image(args.output, data, pixel_size_nm=scan.pixel_size_nm, channel=scan.channel,
                      z_unit=scan.z_unit, metadata={"source": str(args.file), "level": args.level})
    print(f"wrote {out}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    """Write the virtual sample scene (particles on a rough substrate) and print its statistics."""
    from napari_afm_profiler.io.writers import write_image
    from napari_afm_profiler.synth import particles_on_substrate

    height, labels = particles_on_substrate(seed=args.seed)
    out = write_image(args.output, height, pixel_size_nm=(2.0, 2.0), channel="Height (virtual)")
    print(f"wrote {out}: 256x256 at 2 nm/px, {labels.max()} particles, "
          f"heights {height.min():.2f} .. {height.max():.2f} nm")
    return 0




def add_file_parsers(sub: Any) -> None:
    """Add ``info``, ``export`` and ``sample`` to the ``afm-profiler`` parser."""
    info = sub.add_parser("info", help="formats, channels, calibration and value ranges of a file")
    info.add_argument("file")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    info.add_argument("--pixel-size", type=float, default=None, help="pixel size in nm for .npy input")
    info.set_defaults(func=cmd_info)

    export = sub.add_parser("export", help="export a channel to .npy/.tif/.gwy, optionally levelled")
    export.add_argument("file")
    export.add_argument("--channel", default=None, help="channel name (default: the height channel)")
    export.add_argument("--level", choices=LEVEL_CHOICES, default=None)
    export.add_argument("--pixel-size", type=float, default=None, help="pixel size in nm for .npy input")
    export.add_argument("-o", "--output", required=True)
    export.set_defaults(func=cmd_export)

    sample = sub.add_parser("sample", help="write the virtual sample scene (no display needed)")
    sample.add_argument("-o", "--output", required=True)
    sample.add_argument("--seed", type=int, default=0)
    sample.set_defaults(func=cmd_sample)
