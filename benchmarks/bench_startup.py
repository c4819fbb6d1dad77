"""Start-up and whole-command times of the CLI, as a user meets them (issue 17, Deliver 8).

Goals: ``afm-profiler --help`` <= 0.3 s, ``info`` on a ~1 MB file <= 1 s, ``synth`` of 2000 pairs
of 128² with the paper's artifacts <= 60 s including the save. Each command is run as a fresh
process (best and median of ``--repeat`` runs); the Python interpreter's own start-up
(``python -c pass``) is printed beside them as the floor.

    python benchmarks/bench_startup.py [--repeat 5] [--skip-synth]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _samples import SAMPLES

CLI = [sys.executable, "-m", "napari_afm_profiler.cli"]


def timed(cmd: list[str], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import writes_results  # noqa: E402


@writes_results("startup", "CLI start-up (script-written)", "1")
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-synth", action="store_true")
    args = parser.parse_args()
    info_file = SAMPLES / "ScV6Sn6_STM_Aux2_Forward.ibw"  # 1.05 MB, 256 channels
    rows = [("python -c pass (floor)", [sys.executable, "-c", "pass"], None),
            ("afm-profiler --help", [*CLI, "--help"], 0.3),
            (f"afm-profiler info {info_file.name} ({info_file.stat().st_size / 1e6:.2f} MB)",
             [*CLI, "info", str(info_file)], 1.0),
            ("afm-profiler info kpg20080408.007", [*CLI, "info", str(SAMPLES / "kpg20080408.007")], 1.0)]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'command':62s} {'best s':>8s} {'median s':>9s} {'goal s':>7s}")
    for name, cmd, goal in rows:
        best, median = timed(cmd, args.repeat)
        print(f"{name:62s} {best:8.3f} {median:9.3f} {'' if goal is None else f'{goal:.1f}':>7s}")
    if not args.skip_synth:
        out = Path(tempfile.mkdtemp()) / "pairs.npz"
        cmd = [*CLI, "synth", "--kind", "mixed", "--n", "2000", "--size", "128", "--pixel-size", "1",
               "--artifacts", "paper", "--seed", "0", "-o", str(out)]
        best, _ = timed(cmd, 1)
        size = out.stat().st_size / 1e6
        shutil.rmtree(out.parent)
        print(f"{'afm-profiler synth --kind mixed --n 2000 --size 128 --artifacts paper':62s} {best:8.1f} {'':>9s} "
              f"{60.0:7.1f}   ({size:.0f} MB written)")


if __name__ == "__main__":
    main()
