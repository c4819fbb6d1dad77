"""Levelling: time and peak memory of our plane / polynomial fits vs a design-matrix least squares.

    python benchmarks/bench_level.py [--sizes 1024 2048 4096] [--write]

The reference is the textbook fit (and this project's fit before issue 17): a per-pixel design
matrix of monomials solved by ``numpy.linalg.lstsq`` and the background evaluated on full
coordinate grids.  Each measurement runs in a fresh child process; "extra peak" is the peak of
the memory allocated during the call (``tracemalloc``, which sees numpy's allocations), in
multiples of the float64 image; the levelled result itself is one image.  The
backgrounds of both are compared (max |difference|, nm).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import provenance, write_section  # noqa: E402

CHILD = """
import json, sys, time, tracemalloc
import numpy as np
n, order, impl = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(0)
yy, xx = np.ogrid[0:n, 0:n]
z = rng.normal(size=(n, n)) + 1e-3 * xx + 2e-3 * yy + 1e-7 * (xx - n / 2) ** 2
z[rng.random((n, n)) < 0.01] = np.nan
del yy, xx
tracemalloc.start()
t = time.perf_counter()
if impl == "ours":
    from napari_afm_profiler.preprocess import level_polynomial
    out = level_polynomial(z, order)
else:
    use = np.isfinite(z)
    y, x = np.mgrid[0:n, 0:n].astype(np.float64)
    x = 2.0 * x / (n - 1) - 1.0
    y = 2.0 * y / (n - 1) - 1.0
    terms = [(i, t - i) for t in range(order + 1) for i in range(t + 1)]
    design = np.stack([x[use] ** i * y[use] ** j for i, j in terms], axis=1)
    coeffs = np.linalg.lstsq(design, z[use], rcond=None)[0]
    background = np.zeros_like(z)
    for c, (i, j) in zip(coeffs, terms):
        background += c * x**i * y**j
    out = z - background
seconds = time.perf_counter() - t
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
np.save(sys.argv[4], out[::7, ::7])
print(json.dumps({"seconds": seconds, "extra": peak / z.nbytes}))
"""


def main() -> int:
    import tempfile

    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    parser.add_argument("--write", action="store_true", help="replace the 'level' section of RESULTS.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            for order, name in ((1, "plane"), (3, "polynomial order 3")):
                res = {}
                for impl in ("ours", "lstsq"):
                    out = Path(tmp) / f"{impl}.npy"
                    proc = subprocess.run([sys.executable, "-c", CHILD, str(n), str(order), impl, str(out)],
                                          capture_output=True, text=True, check=True)
                    res[impl] = json.loads(proc.stdout.strip().splitlines()[-1])
                    res[impl]["out"] = np.load(out)
                diff = float(np.nanmax(np.abs(res["ours"]["out"] - res["lstsq"]["out"])))
                rows.append(f"| {n}² | {name} | {res['ours']['seconds']:.3f} | {res['lstsq']['seconds']:.3f} | "
                            f"{res['ours']['extra']:.2f}× | {res['lstsq']['extra']:.2f}× | {diff:.1e} |")
                print(rows[-1], flush=True)
    head = provenance("BLAS default") + "; image: N(0,1) noise + tilt + bow, 1 % NaN pixels."
    table = "\n".join(["| image | fit | ours [s] | design-matrix lstsq [s] | ours: extra peak memory "
                       "| lstsq: extra peak memory | max diff [nm] |", "|---|---|---|---|---|---|---|", *rows])
    print(head)
    if args.write:
        write_section("level", head + "\n\n" + table + "\n\nMemory in multiples of the float64 image; the result "
                      "itself is one image. Goal (issue 17): one lean fit instead of 8–23 images of memory.",
                      title="Levelling: time and memory of the one fit (issue 17)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
