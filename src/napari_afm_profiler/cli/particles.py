"""``afm-profiler particles`` and ``profile``: particle segmentation and measurements, line profiles."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from napari_afm_profiler.cli._common import add_tip_arguments, load_scans
from napari_afm_profiler.cli.files import LEVEL_CHOICES

# the methods, listed here so that building the parser imports no science
THRESHOLD_CHOICES = ("relative", "absolute", "otsu", "local")


def _height(args: argparse.Namespace) -> Any:
    from napari_afm_profiler.errors import InputError
    from napari_afm_profiler.preprocess import level

    scan = load_scans(args.file, args.pixel_size, args.channel)[0]
    if scan.data.ndim != 2:
        raise InputError(f"{args.file}: channel {scan.channel!r} is a stack; choose a single image")
    if scan.pixel_size_nm is None:
        raise InputError(f"{args.file}: the image has no pixel size; give --pixel-size in nm")
    data = level(scan.data, args.level) if args.level != "none" else scan.data
    return scan, data


def _tilt(scan: Any, data: Any) -> Any:
    """Return the tilt levelling took out of ``scan`` (nm per nm), or None when nothing was levelled."""
    from napari_afm_profiler.preprocess import removed_tilt

    return None if data is scan.data else removed_tilt(scan.data, data, scan.pixel_size_nm)


def cmd_particles(args: argparse.Namespace) -> int:
    """Segment particles, measure them (and, with --deconvolve, the same particles deconvolved); write CSV."""
    import numpy as np

    from napari_afm_profiler.io.writers import atomic_write, write_image
    from napari_afm_profiler.particles import match_particles, measure_particles, segment_particles

    scan, data = _height(args)
    options = {"pixel_size_nm": scan.pixel_size_nm, "method": args.method, "threshold_nm": args.threshold,
               "min_area_nm2": args.min_area, "min_height_nm": args.min_height, "split": not args.no_split,
               "min_separation_nm": args.min_separation, "exclude_edge": args.exclude_edge}
    seg = segment_particles(data, **options)
    for note in seg.notes:
        print(f"note: {note}", file=sys.stderr)
    table = measure_particles(data, seg.labels, pixel_size_nm=scan.pixel_size_nm, substrate_nm=seg.substrate_nm,
                              volume=args.volume)
    df = table.to_pandas()
    if args.deconvolve:
        from napari_afm_profiler.cli._common import dropout_choice, tip_choice
        from napari_afm_profiler.deconv import deconvolve

        result = deconvolve(data, pixel_size_nm=scan.pixel_size_nm, model=args.model, tip=tip_choice(args),
                            tip_pixel_size_nm=args.tip_pixel_size, removed_tilt=_tilt(scan, data),
                            mirror_average=args.mirror_average, dropouts=dropout_choice(args))
        for note in result.notes:
            print(f"note: deconvolution: {note}", file=sys.stderr)
        surface = result.surface
        deseg = segment_particles(surface, **options)
        after = measure_particles(surface, deseg.labels, pixel_size_nm=scan.pixel_size_nm,
                                  substrate_nm=deseg.substrate_nm, volume=args.volume).to_pandas().set_index("label")
        match = match_particles(seg.labels, deseg.labels)
        matched = match[df["label"].to_numpy()]
        df["deconvolved_label"] = matched
        for col in ("area_nm2", "equivalent_radius_nm", "max_height_nm", "volume_nm3", "aspect_ratio",
                    "min_feret_nm", "max_feret_nm"):
            df[f"deconvolved_{col}"] = [after[col].get(m, np.nan) if m else np.nan for m in matched]
    if args.labels_out:
        write_image(args.labels_out, seg.labels.astype(np.float32), pixel_size_nm=scan.pixel_size_nm,
                    channel="particles (labels)", z_unit="")
    out = atomic_write(args.output, lambda tmp: df.to_csv(tmp, index=False))
    print(f"wrote {out}: {len(df)} particles above {seg.substrate_nm:.3g} nm (threshold {seg.threshold_nm:.3g} nm)",
          file=sys.stderr)
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    """Height profile along a line (in pixels) of one file's channels; CSV to a file or stdout."""
    from napari_afm_profiler.errors import InputError
    from napari_afm_profiler.io.writers import atomic_write
    from napari_afm_profiler.particles import line_profile

    try:
        y0, x0, y1, x1 = (float(v) for v in args.line.split(","))
    except ValueError:
        raise InputError(f"--line must be y0,x0,y1,x1 in pixels; got {args.line!r}") from None
    scans = load_scans(args.file, args.pixel_size, args.channel)
    images = {s.channel: s.data for s in scans if s.data.ndim == 2}
    if not images:
        raise InputError(f"{args.file}: no single-image channel to profile")
    pixel = scans[0].pixel_size_nm
    if pixel is None:
        raise InputError(f"{args.file}: the image has no pixel size; give --pixel-size in nm")
    profile = line_profile(images, (y0, x0), (y1, x1), pixel_size_nm=pixel, width_px=args.width)
    df = profile.to_pandas()
    if args.parameters:
        _write_profile_parameters(profile, args)
    if args.output:
        print(f"wrote {atomic_write(args.output, lambda tmp: df.to_csv(tmp, index=False))}", file=sys.stderr)
    else:
        df.to_csv(sys.stdout, index=False)
    return 0


def _write_profile_parameters(profile: Any, args: argparse.Namespace) -> None:
    """ISO 21920-2 parameters of each channel's profile, as JSON (with the operators used)."""
    import json

    from napari_afm_profiler.io.writers import atomic_write
    from napari_afm_profiler.roughness.profiles import profiles_parameters

    results = profiles_parameters(profile.distance_nm, profile.values, level=args.profile_level,
                                  s_filter_nm=args.s_filter, l_filter_nm=args.l_filter)
    spacing = float(profile.distance_nm[1] - profile.distance_nm[0])
    out = {name: {"parameters": r.values, "operators": r.operators, "spacing_nm": spacing}
           for name, r in results.items()}
    text = json.dumps(out, indent=2) + "\n"
    if args.parameters == "-":
        sys.stdout.write(text)
    else:
        print(f"wrote {atomic_write(args.parameters, lambda tmp: tmp.write_text(text))}", file=sys.stderr)


def add_particles_parsers(sub: Any) -> None:
    """Add ``particles`` and ``profile`` to the ``afm-profiler`` parser."""
    p = sub.add_parser("particles", help="segment particles (grains) and measure each in nm; CSV")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True, help="CSV, one row per particle")
    p.add_argument("--channel", default=None, help="channel name (default: the height channel)")
    p.add_argument("--pixel-size", type=float, default=None, help="pixel size in nm for .npy input")
    p.add_argument("--level", choices=(*LEVEL_CHOICES, "none"), default="plane", help="levelling first (default plane)")
    p.add_argument("--method", choices=THRESHOLD_CHOICES, default="relative",
                   help="threshold: above the substrate (default), absolute height, Otsu, or local")
    p.add_argument("--threshold", type=float, default=None,
                   help="threshold in nm (relative: above the substrate; absolute: height); default Otsu")
    p.add_argument("--min-area", type=float, default=0.0, help="drop particles smaller than this, nm²")
    p.add_argument("--min-height", type=float, default=0.0, help="drop particles lower than this above the substrate, nm")
    p.add_argument("--min-separation", type=float, default=None, help="smallest distance between particle tops, nm")
    p.add_argument("--no-split", action="store_true", help="do not split touching particles")
    p.add_argument("--exclude-edge", action="store_true", help="drop particles touching the image edge")
    p.add_argument("--volume", choices=("pixels", "interpolated"), default="pixels",
                   help="particle volume: positive heights summed over its pixels (default), or Gwyddion's "
                        "zero-based grain volume (surface interpolated from each pixel's neighbours)")
    p.add_argument("--deconvolve", action="store_true",
                   help="also deconvolve, segment the result and measure the same particles (matched by overlap)")
    p.add_argument("--model", default="default", help="deconvolution model (with --deconvolve)")
    add_tip_arguments(p, what="deconvolution (with --deconvolve)")
    p.add_argument("--labels-out", default=None, help="write the particle labels (.tif, .npy, .gwy)")
    p.set_defaults(func=cmd_particles)
    q = sub.add_parser("profile", help="height profile along a line; CSV (distance in nm, one column per channel)")
    q.add_argument("file")
    q.add_argument("--line", required=True, help="y0,x0,y1,x1 in pixels")
    q.add_argument("--width", type=int, default=1, help="average a band this many pixels wide (default 1)")
    q.add_argument("--channel", default=None, help="one channel only (default: every single-image channel)")
    q.add_argument("--pixel-size", type=float, default=None, help="pixel size in nm for .npy input")
    q.add_argument("-o", "--output", default=None, help="CSV file (default: standard output)")
    q.add_argument("--parameters", default=None, metavar="JSON",
                   help="also write the ISO 21920-2 profile parameters of each channel (Ra, Rq, Rsk, Rku, Rp, Rv, "
                        "Rz, Rt, Rdq, RSm) as JSON ('-': standard output)")
    q.add_argument("--profile-level", choices=("line", "none"), default="line",
                   help="F-operator of the profile parameters: least-squares line (default) or the mean only")
    q.add_argument("--s-filter", type=float, default=None, metavar="NM",
                   help="profile S-filter nesting index, nm (Gaussian, ISO 16610-21)")
    q.add_argument("--l-filter", type=float, default=None, metavar="NM", help="profile L-filter nesting index, nm")
    q.set_defaults(func=cmd_profile)
