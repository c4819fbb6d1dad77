"""What a failed consistency check is telling: the tip's part of the failure against the network's.

Deconvolution flags a result when more than 5 % of its pixels, imaged by the tip, lie more than
3 noise SDs below the image.  For such a frame it also counts the pixels the tip's own erosion
leaves that far below (``tip_unexplained_share``), and the notes put the failure down to the tip
(too blunt, or artifacts sharper than the noise) when that count is at least half the result's
(:func:`napari_afm_profiler.deconv.infer.tip_is_the_cause`).  This script counts, on wide virtual
pairs, how many results are flagged and how many of those the notes put down to the tip, given
the true tip, a tip half as sharp (its heights halved: it cannot have made the image) and the tip
read from the image.

Run: ``python benchmarks/bench_consistency.py [--n 6] [--seed 555555] [--pixel-size 0.25 4]``
(a validation seed by default; use a never-used one for a final table).
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import replace

from napari_afm_profiler.deconv.infer import deconvolve, tip_is_the_cause
from napari_afm_profiler.synth.wide import WideSpec, pairs_per_scene
from napari_afm_profiler.tip.models import Tip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6, help="pairs per scene kind")
    parser.add_argument("--seed", type=int, default=555555)
    parser.add_argument("--pixel-size", type=float, nargs=2, default=(0.25, 4.0), metavar=("LO", "HI"))
    args = parser.parse_args()
    spec = replace(WideSpec(), pixel_size_nm=tuple(args.pixel_size))
    counts = {name: [0, 0, 0] for name in ("the true tip", "a tip half as sharp (heights halved)",
                                           "read from the image")}
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for pair in pairs_per_scene(spec, args.seed, args.n):
            px = pair.pixel_size_nm
            tips = (Tip(heights=pair.tip, pixel_size_nm=(px, px)), Tip(heights=0.5 * pair.tip, pixel_size_nm=(px, px)),
                    "estimate")
            for count, tip in zip(counts.values(), tips):
                summary = deconvolve(pair.image, pixel_size_nm=px, tip=tip).summary
                count[0] += 1
                count[1] += bool(summary["flagged"])
                count[2] += bool(summary["flagged"] and tip_is_the_cause(summary))
    print(f"{args.n} wide pairs per kind, seed {args.seed}, pixel sizes {args.pixel_size[0]:g}-"
          f"{args.pixel_size[1]:g} nm; {time.perf_counter() - start:.0f} s\n")
    print("| tip given | flagged | of them the tip's cause |\n|---|---|---|")
    for name, (total, flagged, tip_cause) in counts.items():
        print(f"| {name} | {flagged} of {total} | {tip_cause} |")


if __name__ == "__main__":
    main()
