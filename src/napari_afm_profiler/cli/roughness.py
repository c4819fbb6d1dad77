"""``afm-profiler roughness``: ISO 25178 parameters of an image, its tiles or its labelled regions."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from napari_afm_profiler.errors import InputError


def _settings(args: argparse.Namespace) -> Any:
    from napari_afm_profiler.roughness import RoughnessSettings

    return RoughnessSettings(level=args.level, smr_c_nm=args.smr_c, smc_mr_pct=args.smc_mr,
                             wolf_pruning_pct=args.wolf_pruning, acf_threshold=args.acf_threshold,
                             s_filter_nm=args.s_filter, l_filter_nm=args.l_filter, l_filter_robust=args.robust_l_filter)


def _table_text(rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    out = io.StringIO()
    keys = [k for k in rows[0] if k != "warnings"] if rows else ["region"]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*keys, "warnings"])
    for row in rows:
        writer.writerow([("" if row[k] is None else repr(row[k]) if isinstance(row[k], float) else row[k]) for k in keys]
                        + ["; ".join(row["warnings"])])
    return out.getvalue()


def _with_progress_bar(steps: Any) -> Any:
    """Drain ``steps`` with a progress bar on the terminal (none when stderr is not one)."""
    from tqdm import tqdm

    with tqdm(unit="step", desc="roughness", file=sys.stderr, disable=None, leave=False) as bar:
        while True:
            try:
                stage, done, total = next(steps)
            except StopIteration as stop:
                return stop.value
            bar.set_description(f"roughness: {stage}")
            bar.total = total
            bar.n = done
            bar.refresh()


def cmd_roughness(args: argparse.Namespace) -> int:
    """Compute the parameters and print or write them as JSON or CSV."""
    from napari_afm_profiler.cli._common import load_scans as _load
    from napari_afm_profiler.io.labels import load_labels
    from napari_afm_profiler.io.writers import atomic_write
    from napari_afm_profiler.roughness import channel_table_steps

    scans = _load(args.image, args.pixel_size)
    if args.channel:
        names = {s.channel: s for s in scans}
        missing = [c for c in args.channel if c not in names]
        if missing:
            raise InputError(f"{Path(args.image).name}: no channel {missing[0]!r}; channels are "
                             + ", ".join(repr(n) for n in names))
        chosen = [names[c] for c in args.channel]
    else:
        chosen = scans if args.all_channels else scans[:1]
    pixel = args.pixel_size or chosen[0].pixel_size_nm
    if pixel is None:
        raise InputError(f"{Path(args.image).name} has no pixel size; give it with --pixel-size NM")
    channels = {}
    for s in chosen:
        if s.data.ndim != 2:
            raise InputError(f"{Path(args.image).name}: channel {s.channel!r} is a stack of shape {s.data.shape}; "
                             "roughness takes one 2D image")
        channels[s.channel] = s.data
    labels = load_labels(args.labels) if args.labels else None
    tiles = None
    if args.tiles:
        parts = args.tiles.lower().split("x")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise InputError(f"--tiles must look like 2x2; got {args.tiles!r}")
        tiles = (int(parts[0]), int(parts[1]))
    groups = args.groups.split(",") if args.groups else None
    settings = _settings(args)
    steps = channel_table_steps(channels, pixel_size_nm=pixel, labels=labels, groups=groups, settings=settings,
                                border_erosion_px=args.border_erosion, tiles=tiles, tile_rows=args.tile_rows,
                                region_level=args.region_level)
    table = _with_progress_bar(steps)
    echo = settings.echo()
    if labels is not None:
        echo["region_level"] = args.region_level
    text = _table_text([{**row, **echo} for row in table.rows()], args.format)
    if args.output:
        out = atomic_write(args.output, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        print(f"wrote {out}: {len(table)} row(s)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def add_roughness_parser(sub: Any) -> None:
    """Register ``roughness`` on the ``afm-profiler`` sub-command parser."""
    from napari_afm_profiler.roughness.registry import GROUPS
    from napari_afm_profiler.roughness.settings import LEVEL_CHOICES

    p = sub.add_parser("roughness", help="ISO 25178 surface parameters per image, tile or labelled region")
    p.add_argument("image", help="AFM file or .npy height map (nm)")
    p.add_argument("--labels", default=None, help="labels image (.npy or .tif, 0 = background): one row per label")
    p.add_argument("--pixel-size", type=float, default=None, help="pixel size in nm (needed for .npy input)")
    p.add_argument("--channel", action="append", default=None,
                   help="channel to evaluate (repeat for several; columns are then prefixed 'channel:')")
    p.add_argument("--all-channels", action="store_true", help="evaluate every channel of the file")
    p.add_argument("--groups", default=None, help=f"comma-separated parameter groups (default all): {','.join(GROUPS)}")
    p.add_argument("--tiles", default=None, help="without labels: average over RxC tiles, e.g. 2x2")
    p.add_argument("--tile-rows", action="store_true",
                   help="with --tiles: one row per tile (region = tile number) instead of their mean")
    p.add_argument("--border-erosion", type=int, default=0, help="pixels removed from each region's border")
    p.add_argument("--level", choices=LEVEL_CHOICES, default="plane",
                   help="F-operator inside each evaluation area: plane (default), polynomial polyN, or none (mean)")
    p.add_argument("--s-filter", type=float, default=None, metavar="NM",
                   help="S-filter nesting index, nm (areal Gaussian, ISO 16610-61): removes shorter wavelengths")
    p.add_argument("--l-filter", type=float, default=None, metavar="NM",
                   help="L-filter nesting index, nm: removes longer wavelengths (evaluates the S-L surface)")
    p.add_argument("--robust-l-filter", action="store_true", help="robust Gaussian L-filter (ISO 16610-71)")
    p.add_argument("--region-level", choices=("own", "substrate", "none"), default="own",
                   help="with --labels: level each region by its own fit (default), by the substrate's "
                        "(background) fit of the whole image, or not at all")
    p.add_argument("--smr-c", type=float, default=0.0, help="height c of Smr(c), nm about the mean plane")
    p.add_argument("--smc-mr", type=float, default=10.0, help="material ratio of Smc(mr), %%")
    p.add_argument("--wolf-pruning", type=float, default=5.0, help="Wolf pruning threshold, %% of Sz")
    p.add_argument("--acf-threshold", type=float, default=0.2, help="autocorrelation value s of Sal and Str")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.add_argument("-o", "--output", default=None, help="output file (default: standard output)")
    p.set_defaults(func=cmd_roughness)
