"""Tip morphology speed and accuracy: ours vs scipy.ndimage and Gwyddion 2.62, same run, same threads.

Every operation is timed twice: with one thread on both sides (numba's thread count set to
1, Gwyddion's OpenMP off) and with all cores on both sides (numba's default, Gwyddion's
``--threads N``).  Gwyddion runs through the oracle tool of
``../shared/oracles/gwyddion-tip/tool`` (its own C library call, timed inside the program);
it is built in a temporary folder when ``libgwyddion20-dev`` is installed, else its columns
read "n/a".  Gwyddion is GPL and is only run here as an outside reference, never imported by
the package.  scipy.ndimage has no threads (1-thread column only).

Run: ``python benchmarks/bench_tip.py [--quick] [--write]``  (prints markdown tables;
``--write`` also replaces the ``tip`` section of ``RESULTS.md``)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
from scipy import ndimage as ndi

from napari_afm_profiler.tip import certainty_map, dilate, erode, estimate_tip, make_tip

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import provenance, write_section  # noqa: E402

TOOL = Path(__file__).resolve().parents[2] / "shared" / "oracles" / "gwyddion-tip" / "tool"
RNG = np.random.default_rng(7)
ALL = os.cpu_count() or 1


def _gwyddion():
    """Import the oracle wrapper, building the binary in a temporary folder if needed."""
    if not (TOOL / "gwy_oracle.py").exists() or shutil.which("pkg-config") is None:
        return None
    build = Path(tempfile.mkdtemp(prefix="gwy_oracle_"))
    for name in ("gwy_oracle.c", "Makefile", "gwy_oracle.py"):
        shutil.copy(TOOL / name, build / name)
    if subprocess.run(["make", "-s"], cwd=build, capture_output=True).returncode != 0:
        return None
    os.environ["GWY_ORACLE_BIN"] = str(build / "gwy_oracle")
    spec = importlib.util.spec_from_file_location("gwy_oracle", build / "gwy_oracle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best_time(func, *args, repeat=3, **kwargs):
    best, result = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = func(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, result


def surface(n, amplitude=50.0):
    return ndi.gaussian_filter(RNG.normal(size=(n, n)), 3.0) * amplitude


def spiky_image(tip):
    """Sparse sharp spikes on a rough background, dilated by ``tip`` (the oracle README's case)."""
    s = ndi.gaussian_filter(RNG.normal(size=(256, 256)), 1.0)
    idx = RNG.integers(15, 241, (2, 60))
    s[idx[0], idx[1]] += RNG.uniform(1.2, 2.0, 60) * (tip.max() - tip.min())
    return dilate(s, tip)


TIPS = {"paraboloid R 10 nm": ("paraboloid", {"radius_nm": 10.0}),
        "cone R 5 nm, 20°": ("cone", {"radius_nm": 5.0, "half_angle_deg": 20.0})}


def cases(quick):
    """(label, image, tip, operation) for every timed case."""
    sizes = (512,) if quick else (512, 1024)
    for n in sizes:
        s = surface(n)
        for tn in (21, 41):
            for tip_name, (shape, kw) in TIPS.items():
                tip = make_tip(shape, pixel_size_nm=1.0, size=tn, **kw).heights
                yield f"{n}²", f"{tn}² {tip_name}", "dilation", s, tip
                yield f"{n}²", f"{tn}² {tip_name}", "erosion", dilate(s, tip), tip
    # a surface far taller than the tip is deep: no tip pixel can be skipped
    s = surface(sizes[-1], amplitude=1000.0)
    tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=10.0, size=41).heights
    yield f"{sizes[-1]}², 1 µm tall", "41² paraboloid R 10 nm", "dilation", s, tip
    tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=10.0, size=21).heights
    for n in (256,) + sizes:
        yield f"{n}²", "21² paraboloid R 10 nm", "certainty map", dilate(surface(n), tip), tip
    tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=10.0, size=41).heights
    yield f"{sizes[-1]}²", "41² paraboloid R 10 nm", "certainty map", dilate(surface(sizes[-1]), tip), tip
    tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=10.0, size=15).heights
    image = spiky_image(tip)
    yield "256² spikes", "15² (true tip)", "blind partial", image, tip
    yield "256² spikes", "15² (true tip)", "blind full", image, tip


def run_ours(op, image, tip, repeat):
    if op == "dilation":
        return best_time(dilate, image, tip, repeat=repeat)
    if op == "erosion":
        return best_time(erode, image, tip, repeat=repeat)
    if op == "certainty map":
        return best_time(certainty_map, image, tip, repeat=repeat)
    step = (image.max() - image.min()) / 1e4
    return best_time(estimate_tip, image, tip.shape[0], 2 * step, op == "blind full", repeat=repeat)


def run_gwyddion(gwy, op, image, tip, threads, repeat):
    kw = {"threads": threads if threads > 1 else 0, "repeat": repeat}
    if op == "dilation":
        return gwy.dilate(image, tip, 1.0, **kw)
    if op == "erosion":
        return gwy.erode(image, tip, 1.0, **kw)
    if op == "certainty map":
        return gwy.cmap(image, tip, 1.0, **kw)
    step = (image.max() - image.min()) / 1e4
    est, t = gwy.blind(image, tip.shape[0], 2 * step, 1.0, full=op == "blind full", **kw)
    return est[::-1, ::-1] - est.max(), t  # Gwyddion returns the tip point-reflected


def run_scipy(op, image, tip, repeat):
    structure = tip[::-1, ::-1] - tip.max()
    func = {"dilation": ndi.grey_dilation, "erosion": ndi.grey_erosion}.get(op)
    if func is None:
        return None, None
    return best_time(func, image, structure=structure, mode="nearest", repeat=repeat)


def agreement(op, ours, gwy_result, tip):
    if gwy_result is None:
        return "n/a"
    if op in ("dilation", "erosion"):
        return f"{np.abs(ours - gwy_result).max():.1e} nm"
    if op == "certainty map":
        return f"{int((ours != gwy_result).sum())} px differ"
    true = tip - tip.max()
    return (f"RMSE to true tip: ours {np.sqrt(np.mean((ours - true) ** 2)):.2g} nm, "
            f"Gwyddion {np.sqrt(np.mean((gwy_result - true) ** 2)):.2g} nm")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="512² only (about a minute)")
    parser.add_argument("--write", action="store_true", help="replace the 'tip' section of RESULTS.md")
    args = parser.parse_args()
    gwy = _gwyddion()
    # compile (or load the cached compilation) once, outside the timings
    dilate(np.zeros((64, 64)), np.zeros((3, 3)))
    erode(np.zeros((64, 64)), np.zeros((3, 3)))
    certainty_map(surface(64), make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=10.0, size=5).heights)
    warm = spiky_image(np.zeros((5, 5)))
    estimate_tip(warm[:40, :40], 5, 0.01, True)
    lines = ["| image | tip | operation | threads | ours [s] | Gwyddion [s] | Gwyddion / ours | scipy.ndimage [s] "
             "| agreement with Gwyddion |", "|---|---|---|---|---|---|---|---|---|"]
    for img, tip_label, op, image, tip in cases(args.quick):
        repeat = 3 if image.size * tip.size < 3e8 else 1
        for threads in dict.fromkeys((1, ALL)):
            numba.set_num_threads(threads)
            ours_t, ours = run_ours(op, image, tip, repeat)
            gwy_t, gwy_result = (None, None)
            if gwy is not None:
                gwy_result, gwy_t = run_gwyddion(gwy, op, image, tip, threads, repeat)
            sc_t = run_scipy(op, image, tip, repeat)[0] if threads == 1 else None
            ratio = f"{gwy_t / ours_t:.1f}×" if gwy_t else "n/a"
            sc = "" if sc_t is None else f"{sc_t:.4f}"
            gw = "n/a" if gwy_t is None else f"{gwy_t:.4f}"
            lines.append(f"| {img} | {tip_label} | {op} | {threads} | {ours_t:.4f} | {gw} | {ratio} | {sc} "
                         f"| {agreement(op, ours, gwy_result, tip)} |")
            print(lines[-1], flush=True)
    numba.set_num_threads(ALL)
    head = (f"{provenance(f'1 and {ALL} on both sides')}; numpy {np.__version__}, numba {numba.__version__}, "
            f"Gwyddion {'2.62 via gwy_oracle (OpenMP threads as in the column)' if gwy else 'not available'}.")
    print(head)
    if args.write:
        write_section("tip", head + "\n\n" + "\n".join(lines), title="Tip morphology at equal thread counts (issue 17)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
