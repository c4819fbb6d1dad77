"""Virtual data generation speed and the paper's fractal-roughness numbers.

Run: ``python benchmarks/bench_synth.py [N]``  (default 2000 pairs per kind row)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from napari_afm_profiler.synth import ArtifactSpec, ObjectSpec, SynthConfig, make_dataset


def ra(stack: np.ndarray) -> np.ndarray:
    return np.mean(np.abs(stack - stack.mean(axis=(1, 2), keepdims=True)), axis=(1, 2))


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import writes_results  # noqa: E402


@writes_results("synth", "Virtual data (script-written)", "1")
def main(n: int = 2000) -> None:
    make_dataset(SynthConfig(shape=(32, 32), objects=ObjectSpec(size_nm=(6, 8))), 1)  # compile the tip kernels
    print("| kind | artifacts | pairs | 128² pairs/s | total [s] | goal |")
    print("|---|---|---|---|---|---|")
    for kind, artifacts in (("mixed", "paper"), ("dome", "paper"), ("fractal", "paper"), ("dome", "none")):
        spec = ArtifactSpec.paper() if artifacts == "paper" else ArtifactSpec()
        t0 = time.perf_counter()
        make_dataset(SynthConfig(kind=kind, artifacts=spec), n, seed=1)
        dt = time.perf_counter() - t0
        goal = "≤ 60 s" if artifacts == "paper" else ""
        print(f"| {kind} | {artifacts} | {n} | {n / dt:.0f} | {dt:.1f} | {goal} |")
    data = make_dataset(SynthConfig(kind="fractal"), 400, seed=7)
    true, afm = ra(data["surface"]), ra(data["image"])
    print()
    print("| fractal Ra (400 images, RMS 5 nm, H 0.5, cone R 10 nm 20°) | ours | paper |")
    print("|---|---|---|")
    print(f"| true surface | {true.mean():.2f} ± {true.std():.2f} nm | 4.01 ± 0.10 nm |")
    print(f"| virtual AFM image | {afm.mean():.2f} ± {afm.std():.2f} nm | 3.75 ± 0.17 nm |")


if __name__ == "__main__":
    counts = [a for a in sys.argv[1:] if a != "--write"]
    main(int(counts[0]) if counts else 2000)
