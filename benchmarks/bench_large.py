"""Large images: time and peak memory of roughness and deconvolution on 8192 x 8192 (and smaller).

    python benchmarks/bench_large.py [--sizes 2048 4096 8192] [--skip-deconv]

Each measurement runs in a fresh child process, so its peak resident memory (ru_maxrss) is the
step's own: reading nothing, it builds a fractal surface of the size, then computes either all
42 roughness parameters or the tiled network deconvolution (no uncertainty map). Goal: 8192²
within 8 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, resource, sys, time
import numpy as np
from napari_afm_profiler.synth.scene import fractal_surface
n, what = int(sys.argv[1]), sys.argv[2]
z = fractal_surface((n, n), rms_nm=3.0, hurst=0.7, pixel_size_nm=1.0, seed=0).astype(np.float64)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
if what == "roughness":
    from napari_afm_profiler.roughness import surface_parameters
    r = surface_parameters(z, pixel_size_nm=1.0)
    ok = sum(v is not None for v in r.values.values())
else:
    from napari_afm_profiler.deconv.infer import deconvolve
    out = deconvolve(z, pixel_size_nm=1.0, model="default", uncertainty=False)
    ok = int(np.isfinite(out.surface).all())
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": dt, "peak_mb": peak / 1024, "input_mb": z.nbytes / 2**20, "ok": ok}))
"""


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import writes_results  # noqa: E402


@writes_results("large", "Large images (script-written)", "library defaults")
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2048, 4096, 8192])
    parser.add_argument("--skip-deconv", action="store_true")
    args = parser.parse_args()
    steps = ["roughness"] + ([] if args.skip_deconv else ["deconvolution"])
    print(f"{'step':14s} {'size':>6s} {'time (s)':>9s} {'peak RSS (MB)':>14s} {'image (MB)':>11s}")
    for what in steps:
        for n in args.sizes:
            run = subprocess.run([sys.executable, "-c", CHILD, str(n), what], capture_output=True, text=True)
            if run.returncode != 0:
                print(f"{what:14s} {n:6d}   failed: {run.stderr.strip().splitlines()[-1] if run.stderr else run.returncode}")
                continue
            r = json.loads(run.stdout.strip().splitlines()[-1])
            print(f"{what:14s} {n:6d} {r['seconds']:9.1f} {r['peak_mb']:14.0f} {r['input_mb']:11.0f}")
    print("goal: 8192 x 8192 within 8 GB (8192 MB) of memory")


if __name__ == "__main__":
    main()
