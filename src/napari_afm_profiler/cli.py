"""The ``afm-profiler`` command line: files in, files out, same core functions as the widgets."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler import __version__
from napari_afm_profiler.errors import AfmProfilerError


def _load(path: str, pixel_size: float | None, channel: str | None = None) -> Any:
    from napari_afm_profiler.io import read_afm
    from napari_afm_profiler.io.generic import read_npy

    if Path(path).suffix.lower() == ".npy":
        # the CLI contract: a .npy image holds heights in nm, the pixel size comes from --pixel-size
        scans = read_npy(path, pixel_size_nm=(pixel_size, pixel_size) if pixel_size else None, z_unit="nm")
    else:
        scans = read_afm(path)
    if channel is None:
        return scans
    for scan in scans:
        if scan.channel == channel:
            return [scan]
    names = ", ".join(repr(s.channel) for s in scans)
    raise AfmProfilerError(f"{Path(path).name}: no channel {channel!r}; channels are {names}")


def _stats(data: np.ndarray) -> tuple[float | None, float | None, float | None]:
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        return None, None, None
    return float(finite.min()), float(finite.max()), float(finite.mean())


def cmd_info(args: argparse.Namespace) -> int:
    """Print the format and every channel's shape, calibration and value range."""
    scans = _load(args.file, args.pixel_size)
    channels = []
    for s in scans:
        lo, hi, mean = _stats(s.data)
        channels.append({"name": s.channel, "shape": list(s.data.shape),
                         "pixel_size_nm": list(s.pixel_size_nm) if s.pixel_size_nm else None,
                         "z_unit": s.z_unit, "min": lo, "max": hi, "mean": mean})
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
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export one channel (height by default), optionally levelled, to .npy/.tif/.gwy."""
    from napari_afm_profiler.io.level import level
    from napari_afm_profiler.io.writers import write_image

    scan = _load(args.file, args.pixel_size, args.channel)[0]
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


def build_parser() -> argparse.ArgumentParser:
    """Build the argparse parser of ``afm-profiler`` (exposed for documentation and tests)."""
    from napari_afm_profiler.io.level import LEVEL_METHODS

    parser = argparse.ArgumentParser(prog="afm-profiler", description="AFM images to trustworthy numbers.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    info = sub.add_parser("info", help="formats, channels, calibration and value ranges of a file")
    info.add_argument("file")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    info.add_argument("--pixel-size", type=float, default=None, help="pixel size in nm for .npy input")
    info.set_defaults(func=cmd_info)

    export = sub.add_parser("export", help="export a channel to .npy/.tif/.gwy, optionally levelled")
    export.add_argument("file")
    export.add_argument("--channel", default=None, help="channel name (default: the height channel)")
    export.add_argument("--level", choices=sorted(LEVEL_METHODS), default=None)
    export.add_argument("--pixel-size", type=float, default=None, help="pixel size in nm for .npy input")
    export.add_argument("-o", "--output", required=True)
    export.set_defaults(func=cmd_export)

    sample = sub.add_parser("sample", help="write the virtual sample scene (no display needed)")
    sample.add_argument("-o", "--output", required=True)
    sample.add_argument("--seed", type=int, default=0)
    sample.set_defaults(func=cmd_sample)

    from napari_afm_profiler.cli_batch import add_batch_parser
    from napari_afm_profiler.cli_classify import add_classify_parser
    from napari_afm_profiler.cli_deconv import add_deconv_parsers
    from napari_afm_profiler.cli_roughness import add_roughness_parser
    from napari_afm_profiler.cli_synth import add_synth_parser
    from napari_afm_profiler.cli_tip import add_tip_parser

    add_tip_parser(sub)
    add_synth_parser(sub)
    add_deconv_parsers(sub)
    add_roughness_parser(sub)
    add_classify_parser(sub)
    add_batch_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: bad input prints one line naming the file and the problem, exit code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AfmProfilerError as exc:
        print(f"afm-profiler: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"afm-profiler: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
