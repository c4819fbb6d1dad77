"""``afm-profiler align``: drift correction of a movie (HS-AFM ``.asd``, ``.h5-jpk`` series, stacks)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from napari_afm_profiler.cli._common import load_scans
from napari_afm_profiler.cli.files import LEVEL_CHOICES


def cmd_align(args: argparse.Namespace) -> int:
    """Measure each frame's drift by cross-correlation, write the aligned stack and the shifts table."""
    import numpy as np

    from napari_afm_profiler.errors import InputError
    from napari_afm_profiler.io.writers import write_image
    from napari_afm_profiler.preprocess import apply_drift, estimate_drift, level

    scan = load_scans(args.file, args.pixel_size, args.channel, lazy=True)[0]
    if scan.data.ndim != 3:
        raise InputError(f"{args.file}: channel {scan.channel!r} is a single image (shape {scan.data.shape}), "
                         "not a movie; drift correction needs a stack of frames")
    data = level(scan.data, args.level) if args.level else scan.data
    drift = estimate_drift(data, reference=args.reference, max_step_px=args.max_step)
    aligned = apply_drift(data, drift)
    out = write_image(args.output, aligned, pixel_size_nm=scan.pixel_size_nm, channel=f"{scan.channel} (aligned)",
                      z_unit=scan.z_unit, metadata={"source": str(args.file), "drift_reference": args.reference,
                                                    "drift_shifts_px": drift.shifts_px.tolist()})

    if args.shifts:
        print(f"wrote {drift.write_csv(args.shifts, scan.pixel_size_nm)}", file=sys.stderr)
    else:
        sys.stdout.write(drift.csv_text(scan.pixel_size_nm))
    print(f"wrote {out}: {aligned.shape[0]} frames, largest drift {np.abs(drift.shifts_px).max():.2f} px",
          file=sys.stderr)
    return 0


def add_align_parser(sub: Any) -> None:
    """Add ``align`` to the ``afm-profiler`` parser."""
    p = sub.add_parser("align", help="drift-correct a movie by cross-correlation; prints or saves the shifts")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True, help="aligned stack (.tif, .npy)")
    p.add_argument("--channel", default=None, help="channel name (default: the height channel)")
    p.add_argument("--reference", choices=("previous", "first"), default="previous",
                   help="register each frame to the previous one (default, summed) or to the first")
    p.add_argument("--max-step", type=int, default=None,
                   help="largest shift searched between a frame and its reference, px (default: a quarter frame)")
    p.add_argument("--level", choices=LEVEL_CHOICES, default="plane", help="level each frame first (default plane)")
    p.add_argument("--shifts", default=None, help="write the shifts table to this CSV instead of stdout")
    p.add_argument("--pixel-size", type=float, default=None, help="pixel size in nm for .npy input")
    p.set_defaults(func=cmd_align)
