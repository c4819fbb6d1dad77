"""Speed of the roughness parameters: whole images next to surfalize, and 100 labels.

surfalize (GPL-3.0) is an outside reference only, imported here if installed in the benchmark
environment; the package never depends on it. Run:

    python benchmarks/bench_roughness.py [--repeats 3]

Both sides start from the same array: ours levels the plane and computes all 42 parameters
of ``napari_afm_profiler.roughness``; surfalize levels its plane (``level()``) and computes its
34 ISO parameters (``Surface.ISO_PARAMETERS``) on a fresh ``Surface`` each time (it caches
per instance). Best of ``--repeats`` runs, after one warm-up (numba kernels load from cache).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from napari_afm_profiler.roughness import region_table, surface_parameters
from napari_afm_profiler.synth.scene import fractal_surface

PIXEL_NM = 2.0


def best_of(func, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return min(times)


def surfalize_all(z: np.ndarray) -> None:
    import surfalize

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = surfalize.Surface(z / 1000.0, PIXEL_NM / 1000.0, PIXEL_NM / 1000.0).level()
        for name in surfalize.Surface.ISO_PARAMETERS:
            getattr(s, name)()


def disk_labels(n: int, per_side: int) -> np.ndarray:
    labels = np.zeros((n, n), np.int32)
    pitch = n // per_side
    yy, xx = np.mgrid[0:n, 0:n]
    k = 1
    for i in range(per_side):
        for j in range(per_side):
            cy, cx = pitch // 2 + i * pitch, pitch // 2 + j * pitch
            labels[(yy - cy) ** 2 + (xx - cx) ** 2 <= (0.45 * pitch) ** 2] = k
            k += 1
    return labels


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import writes_results  # noqa: E402


@writes_results("roughness", "Surface roughness speed (script-written)", "library defaults on both sides")
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    try:
        import surfalize

        version = surfalize.__version__
    except ImportError:
        version = None
    surface_parameters(fractal_surface((64, 64), seed=0), pixel_size_nm=PIXEL_NM)  # warm-up
    print(f"surfalize: {version or 'not installed (its column is empty)'}")
    print(f"{'case':40s} {'ours (s)':>10s} {'surfalize (s)':>14s} {'speed-up':>9s}  goal")
    for n in (512, 1024):
        z = fractal_surface((n, n), rms_nm=3.0, hurst=0.7, seed=n)
        ours = best_of(lambda z=z: surface_parameters(z, pixel_size_nm=PIXEL_NM), args.repeats)
        ref = best_of(lambda z=z: surfalize_all(z), args.repeats) if version else float("nan")
        print(f"{f'whole image {n}x{n}, all parameters':40s} {ours:10.3f} {ref:14.3f} {ref / ours:8.1f}x  >= 3x")
    n = 1024
    z = fractal_surface((n, n), rms_nm=3.0, hurst=0.7, seed=7)
    labels = disk_labels(n, 10)
    per_label = np.bincount(labels.ravel())[1:].mean()
    t = best_of(lambda: region_table(z, labels, pixel_size_nm=PIXEL_NM), args.repeats)
    print(f"{'100 labels on 1024x1024':40s} {t:10.3f} {'-':>14s} {'':>9s}  <= 2 s "
          f"({per_label:.0f} px per label, all parameters)")


if __name__ == "__main__":
    main()
