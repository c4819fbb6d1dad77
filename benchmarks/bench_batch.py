"""Throughput of ``afm-profiler batch`` on 200 files with 1 and 2 dask workers (local cluster).

    python benchmarks/bench_batch.py [--files 200] [--size 256]

Writes ``--files`` virtual scans (``.tif``, nm, 2 nm/px) into a temporary folder, then runs the
batch with every roughness parameter per image, once with one worker process and once with
two, each into a fresh output folder (so nothing is skipped), and prints files per second,
the speed-up and the peak memory of the run.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from napari_afm_profiler.batch import BatchConfig, run_batch_steps
from napari_afm_profiler.io.writers import write_image
from napari_afm_profiler.progress import drain
from napari_afm_profiler.synth.scene import fractal_surface

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import writes_results  # noqa: E402


@writes_results("batch", "Batch processing (script-written)", "dask workers as printed")
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "scans"
        src.mkdir()
        for i in range(args.files):
            z = fractal_surface((args.size, args.size), rms_nm=2.0, hurst=0.5 + 0.3 * (i % 2), seed=i)
            write_image(src / f"scan{i:04d}.tif", z, pixel_size_nm=(2.0, 2.0), channel="Height")
        print(f"{args.files} files of {args.size}x{args.size}, all 42 parameters per image")
        print(f"{'workers':>7s} {'time (s)':>9s} {'files/s':>8s} {'speed-up':>8s}")
        base = None
        for workers in (1, 2):
            t = time.perf_counter()
            summary = drain(run_batch_steps([src], BatchConfig(), Path(tmp) / f"out{workers}", workers=workers))
            dt = time.perf_counter() - t
            assert summary.n_errors == 0 and summary.n_rows == args.files
            base = base or dt
            print(f"{workers:7d} {dt:9.1f} {args.files / dt:8.1f} {base / dt:7.2f}x")
        peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        print(f"peak resident memory of one process: {peak / 1024:.0f} MB (includes cluster start-up)")


if __name__ == "__main__":
    main()
