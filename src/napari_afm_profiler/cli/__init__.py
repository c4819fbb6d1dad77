"""The ``afm-profiler`` command line: files in, files out, same core functions as the widgets.

One module per sub-command; building the parser imports none of the science (numpy, scipy,
scikit-learn, numba and torch load inside the command that needs them), so ``--help`` is quick.
"""

from __future__ import annotations

import argparse
import sys

from napari_afm_profiler import __version__
from napari_afm_profiler.errors import AfmProfilerError


def build_parser() -> argparse.ArgumentParser:
    """Build the argparse parser of ``afm-profiler`` (exposed for documentation and tests)."""
    from napari_afm_profiler.cli.align import add_align_parser
    from napari_afm_profiler.cli.batch import add_batch_parser
    from napari_afm_profiler.cli.classify import add_classify_parser
    from napari_afm_profiler.cli.deconv import add_deconv_parsers
    from napari_afm_profiler.cli.files import add_file_parsers
    from napari_afm_profiler.cli.particles import add_particles_parsers
    from napari_afm_profiler.cli.roughness import add_roughness_parser
    from napari_afm_profiler.cli.synth import add_synth_parser
    from napari_afm_profiler.cli.tip import add_tip_parser

    parser = argparse.ArgumentParser(prog="afm-profiler", description="AFM images to trustworthy numbers.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    add_file_parsers(sub)
    add_align_parser(sub)
    add_tip_parser(sub)
    add_synth_parser(sub)
    add_deconv_parsers(sub)
    add_roughness_parser(sub)
    add_particles_parsers(sub)
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
