"""How well the tip estimator reads the tip from an image, per scene kind (issue 18, blind deconvolution).

Pairs of the wide generator (``--seed``, never used to train or choose the estimator; ``--n`` per
kind, the shipped deconvolution model's training distribution: noise 0.005-0.5 nm, a fifth of the
samples tilted).  Per kind: the median factor by which the apex radius read is off, the share
within 25 % and within a factor 2, the share of true radii inside the estimator's 90 % range, the
median half-angle error (cone and pyramid tips) and the share of tip models named right.  The
reference is the best constant guess a user without the estimator has: the geometric mean of the
trained radii (7.7 nm) and the middle half-angle (22.5 deg).

Run: ``python benchmarks/bench_tip_estimator.py [--n 40] [--seed 8675309] [--estimator default] [--write]``
"""

from __future__ import annotations

import argparse
import math
import time
from collections import defaultdict

import numpy as np
from _results import writes_results

from napari_afm_profiler.deconv.tip_estimator import guess_tip, load_tip_estimator
from napari_afm_profiler.synth.names import WIDE_SCENES
from napari_afm_profiler.synth.wide import WideSpec, pairs_per_scene


@writes_results("tip-estimator", "Reading the tip from the image (issue 18, script-written)", "torch default (all cores)")
def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=40, help="pairs per scene kind")
    parser.add_argument("--seed", type=int, default=8675309)
    parser.add_argument("--estimator", default="default")
    args = parser.parse_args()
    estimator = load_tip_estimator(args.estimator)
    spec = WideSpec(noise_nm=(0.005, 0.5), tilt_probability=0.2)
    constant_r = math.sqrt(spec.tip_radius_nm[0] * spec.tip_radius_nm[1])
    constant_a = float(np.mean(spec.tip_half_angle_deg))
    rows: dict[str, list[dict[str, float]]] = defaultdict(list)
    t0 = time.perf_counter()
    for pair in pairs_per_scene(spec, args.seed, args.n):
        true = pair.parameters["tip"]
        guess = guess_tip(pair.image, pair.pixel_size_nm, estimator)
        err = abs(math.log(guess.radius_nm() / true["radius_nm"]))
        lo, hi = guess.radius_nm(-1.645), guess.radius_nm(1.645)
        angle = true.get("half_angle_deg")
        rows[pair.scene].append({
            "err": err, "const": abs(math.log(constant_r / true["radius_nm"])),
            "in90": float(lo <= true["radius_nm"] <= hi), "shape": float(guess.shape == true["shape"]),
            "angle": abs(guess.angle_deg() - angle) if angle is not None else math.nan,
            "angle_const": abs(constant_a - angle) if angle is not None else math.nan})
    elapsed = time.perf_counter() - t0
    n_all = sum(len(v) for v in rows.values())
    print(f"{n_all} pairs ({args.n} per kind), seed {args.seed}, estimator {estimator.path.name} "
          f"(deconvolution averages the readings at z {', '.join(f'{z:g}' for z in estimator.readings_z)}); {elapsed:.0f} s, "
          f"{1000 * elapsed / n_all:.0f} ms per image\n")
    print("| scene | radius off by (median factor) | constant guess off by | within 25 % | within 2 × | "
          "inside 90 % range | half-angle off (deg) | constant guess off (deg) | tip model right |")
    print("|---|---|---|---|---|---|---|---|---|")
    scenes = [s for s in WIDE_SCENES if rows[s]] + ["all"]
    for scene in scenes:
        r = [x for s in WIDE_SCENES for x in rows[s]] if scene == "all" else rows[scene]

        def col(key: str) -> np.ndarray:
            return np.array([x[key] for x in r])  # noqa: B023

        print(f"| {scene} | {math.exp(np.median(col('err'))):.2f} | {math.exp(np.median(col('const'))):.2f} | "
              f"{np.mean(col('err') < math.log(1.25)):.0%} | {np.mean(col('err') < math.log(2)):.0%} | "
              f"{np.mean(col('in90')):.0%} | {np.nanmedian(col('angle')):.1f} | {np.nanmedian(col('angle_const')):.1f} | "
              f"{np.mean(col('shape')):.0%} |")


if __name__ == "__main__":
    main()
