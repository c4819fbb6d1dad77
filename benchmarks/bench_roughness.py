"""Speed of the roughness parameters next to surfalize, on every kind of surface, 1 thread and all.

surfalize (GPL-3.0) is an outside reference only, imported here if installed in the benchmark
environment; the package never depends on it. Run:

    python benchmarks/bench_roughness.py [--repeats 3] [--large] [--write]

Both sides start from the same array: ours levels the plane and computes all 42 parameters
of ``napari_afm_profiler.roughness``; surfalize levels its plane (``level()``) and computes its
34 ISO parameters (``Surface.ISO_PARAMETERS``) on a fresh ``Surface`` each time (it caches
per instance). Best of ``--repeats`` runs, after one warm-up (numba kernels load from cache).

Fair threads: each table is measured in a fresh process whose thread pools (numba, OpenMP,
BLAS) are limited to 1 thread, then to all cores, for both tools alike.  Surfaces: smooth
random (Gaussian-filtered noise, many peaks), fractal of Hurst 0.3 and 0.8, a sum of sinusoids,
and the height channels of the real sample files (when ``../shared/afm-samples`` is there).
``--large`` adds one 8192² image (ours only: time and peak memory of the process).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

PIXEL_NM = 2.0
THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def best_of(func, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return min(times)


def surfalize_all(z: np.ndarray, pixel_nm: float) -> None:
    import surfalize

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = surfalize.Surface(z / 1000.0, pixel_nm / 1000.0, pixel_nm / 1000.0).level()
        for name in surfalize.Surface.ISO_PARAMETERS:
            getattr(s, name)()


def disk_labels(n: int, per_side: int) -> np.ndarray:
    """``per_side``² round cells on an ``n`` x ``n`` image."""
    labels = np.zeros((n, n), np.int32)
    pitch = n // per_side
    yy, xx = np.mgrid[0:n, 0:n]
    for i in range(per_side):
        for j in range(per_side):
            cy, cx = pitch // 2 + i * pitch, pitch // 2 + j * pitch
            labels[(yy - cy) ** 2 + (xx - cx) ** 2 <= (0.45 * pitch) ** 2] = 1 + i * per_side + j
    return labels


def synthetic_surfaces(n: int) -> dict[str, np.ndarray]:
    """The surface kinds of issue 20, ``n`` x ``n`` px, heights in nm."""
    from scipy import ndimage as ndi

    from napari_afm_profiler.synth.scene import fractal_surface

    rng = np.random.default_rng(n)
    smooth = ndi.gaussian_filter(rng.normal(size=(n, n)), 4.0)
    yy, xx = np.mgrid[0:n, 0:n] * PIXEL_NM
    waves = 3.0 * np.sin(2 * np.pi * xx / 80.0) + 1.5 * np.sin(2 * np.pi * (0.5 * xx + 0.87 * yy) / 37.0)
    return {"smooth random (σ 4 px)": 3.0 * smooth / smooth.std(),
            "fractal H 0.3": fractal_surface((n, n), rms_nm=3.0, hurst=0.3, seed=n),
            "fractal H 0.8": fractal_surface((n, n), rms_nm=3.0, hurst=0.8, seed=n + 1),
            "sinusoids": waves}


def measure(repeats: int, large: str | None) -> None:
    """One table at the thread count this process was started with."""
    from napari_afm_profiler.roughness import surface_parameters

    try:
        import surfalize

        version = surfalize.__version__
    except ImportError:
        version = None
    surface_parameters(np.random.default_rng(0).normal(size=(64, 64)), pixel_size_nm=PIXEL_NM)  # warm-up
    cases = [(f"{name} {n}²", z, PIXEL_NM) for n in (512, 1024) for name, z in synthetic_surfaces(n).items()]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _samples import SAMPLES, height_channels

    if SAMPLES.is_dir():
        cases += [(f"{name} {scan.data.shape[0]}x{scan.data.shape[1]}", scan.data, float(scan.pixel_size_nm[1]))
                  for name, scan in height_channels(SAMPLES, min_side=128)]
    print(f"{'surface':44s} {'ours (s)':>9s} {'surfalize (s)':>14s} {'speed-up':>9s}")
    ratios = []
    for name, z, px in cases:
        ours = best_of(lambda z=z, px=px: surface_parameters(z, pixel_size_nm=px), repeats)
        ref = best_of(lambda z=z, px=px: surfalize_all(z, px), repeats) if version else float("nan")
        ratios.append(ref / ours)
        print(f"{name[:44]:44s} {ours:9.3f} {ref:14.3f} {ref / ours:8.1f}x")
    if version:
        print(f"smallest speed-up {np.nanmin(ratios):.1f}x (goal >= 3x on every surface), median {np.nanmedian(ratios):.1f}x")
    from napari_afm_profiler.roughness import region_table

    z = synthetic_surfaces(1024)["fractal H 0.8"]
    labels = disk_labels(1024, 10)
    t = best_of(lambda: region_table(z, labels, pixel_size_nm=PIXEL_NM), repeats)
    print(f"100 labels on 1024², all parameters: {t:.3f} s (goal <= 2 s)")
    height = best_of(lambda: surface_parameters(z, pixel_size_nm=PIXEL_NM, groups=["height"]), max(repeats, 5))
    print(f"height group alone, 1024²: {1000 * height:.1f} ms (goal <= 20 ms)")
    if large:
        big = np.load(large)  # made by another process: the peak below is the roughness's own (plus this array)
        t = time.perf_counter()
        surface_parameters(big, pixel_size_nm=PIXEL_NM)
        took = time.perf_counter() - t
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print(f"8192² all parameters: {took:.1f} s, peak memory of the process {peak_gb:.1f} GB "
              "(goal <= 20 s within 8 GB)")


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import writes_results  # noqa: E402


@writes_results("roughness", "Surface roughness speed (script-written)",
                "1 and all (numba, OpenMP, BLAS limited alike for both tools)")
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="also 8192² (ours only, time and peak memory)")
    parser.add_argument("--threads", type=int, default=None, help=argparse.SUPPRESS)  # the child's own run
    args = parser.parse_args()
    try:
        import surfalize

        print(f"surfalize: {surfalize.__version__}")
    except ImportError:
        print("surfalize: not installed (its column is empty)")
    with tempfile.TemporaryDirectory() as tmp:
        large = []
        if args.large:
            path = Path(tmp) / "fractal_8192.npy"
            subprocess.run([sys.executable, "-c", "import sys, numpy as np; from napari_afm_profiler.synth.scene import "
                            "fractal_surface; np.save(sys.argv[1], fractal_surface((8192, 8192), rms_nm=3.0, "
                            "hurst=0.8, seed=8192))", str(path)], check=True)
            large = ["--large", str(path)]
        for threads in (1, os.cpu_count() or 1):
            env = dict(os.environ, **{v: str(threads) for v in THREAD_VARIABLES})
            command = [sys.executable, __file__, "--threads", str(threads), "--repeats", str(args.repeats), *large]
            print(f"\n{threads} thread{'s' if threads > 1 else ''}:")
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            print(out.stdout.rstrip())


if __name__ == "__main__":
    if "--threads" in sys.argv:
        child = argparse.ArgumentParser()
        child.add_argument("--threads", type=int)
        child.add_argument("--repeats", type=int, default=3)
        child.add_argument("--large", default=None)
        options = child.parse_args()
        measure(options.repeats, options.large)
    else:
        main()
