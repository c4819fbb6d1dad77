"""``afm-profiler batch``: the pipeline over many files on dask, resumable, with an error report."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from napari_afm_profiler.cli._common import add_tip_arguments


def cmd_create_config(args: argparse.Namespace) -> int:
    """Write the commented default configuration."""
    from napari_afm_profiler.batch import DEFAULT_YAML
    from napari_afm_profiler.io.writers import atomic_write

    out = Path(args.output)
    if out.exists() and not args.force:
        print(f"afm-profiler: error: {out} exists (use --force to overwrite)", file=sys.stderr)
        return 2
    atomic_write(out, lambda tmp: tmp.write_text(DEFAULT_YAML, encoding="utf-8"))
    print(f"wrote {out}")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    """Run the batch with a progress bar; exit 0 even when some files failed (see errors.csv)."""
    from tqdm import tqdm

    from napari_afm_profiler.batch import load_config, run_batch_steps
    from napari_afm_profiler.cli._common import tip_choice

    config = load_config(args.config)
    tip = tip_choice(args)
    overrides: dict[str, Any] = {"mirror_average": True} if args.mirror_average else {}
    if args.keep_dropouts:
        overrides["dropouts"] = "keep"
    if tip is not None or args.tip_pixel_size is not None:
        overrides.update(tip=tip if isinstance(tip, (str, dict)) or tip is None else str(tip),
                         tip_pixel_size_nm=args.tip_pixel_size)
    if overrides:
        config = replace(config, deconvolution=replace(config.deconvolution, **overrides))
    steps = run_batch_steps(args.inputs, config, args.output, scheduler=args.scheduler, workers=args.workers)
    bar = None
    try:
        while True:
            try:
                _, done, total = next(steps)
            except StopIteration as stop:
                summary = stop.value
                break
            if bar is None:
                bar = tqdm(total=total, unit="file", desc="batch", disable=args.quiet, file=sys.stderr)
            bar.n = done
            bar.refresh()
    except KeyboardInterrupt:
        steps.close()
        print(f"\ninterrupted: the files finished so far are kept in {args.output}; run the same command to go on",
              file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.close()
    print(summary.line())
    if summary.n_errors:
        print(f"{summary.n_errors} file(s) failed: see {Path(args.output) / 'errors.csv'}", file=sys.stderr)
    return 0


def add_batch_parser(sub: Any) -> None:
    """Register ``batch`` (and ``batch create-config``) on the ``afm-profiler`` sub-command parser."""
    p = sub.add_parser("batch", help="the pipeline over many files (dask), resumable, with an error report",
                       description="afm-profiler batch INPUTS... [--config CONFIG.yaml] [--scheduler ADDRESS] "
                                   "-o OUT_DIR, or: afm-profiler batch create-config [-o batch.yaml]")
    p.add_argument("inputs", nargs="+", help="files, globs (quoted) or folders; 'create-config' writes a config")
    p.add_argument("--config", default=None, help="YAML configuration (default: built-in defaults)")
    p.add_argument("--scheduler", default=None,
                   help="dask scheduler address of an existing cluster, or 'serial' (default: local cluster)")
    p.add_argument("--workers", type=int, default=2, help="processes of the local cluster (default 2)")
    p.add_argument("-o", "--output", default=None, help="output folder (for create-config: the YAML file)")
    p.add_argument("--force", action="store_true", help="create-config: overwrite an existing file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_tip_arguments(p, what="deconvolution step (overrides deconvolution.tip of the config)")
    p.set_defaults(func=_dispatch)


def _dispatch(args: argparse.Namespace) -> int:
    if args.inputs and args.inputs[0] == "create-config":
        if len(args.inputs) > 1:
            print("afm-profiler: error: create-config takes no inputs; use -o FILE", file=sys.stderr)
            return 2
        args.output = args.output or "batch.yaml"
        return cmd_create_config(args)
    if args.output is None:
        print("afm-profiler: error: batch needs -o OUT_DIR", file=sys.stderr)
        return 2
    return cmd_batch(args)
