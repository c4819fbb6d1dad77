"""Tip morphology speed and accuracy: ours vs scipy.ndimage and Gwyddion 2.62 in the same run.

Gwyddion is timed through the oracle tool of ``../shared/oracles/gwyddion-tip/tool`` (its own
C library call, single-threaded as shipped); it is built in a temporary folder when
``libgwyddion20-dev`` is installed, else its columns read "n/a".  Gwyddion is GPL and is only
run here as an outside reference, never imported by the package.

Run: ``python benchmarks/bench_tip.py``  (prints a markdown table)
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from napari_afm_profiler.tip import certainty_map, dilate, erode, estimate_tip, make_tip

TOOL = Path(__file__).resolve().parents[2] / "shared" / "oracles" / "gwyddion-tip" / "tool"
RNG = np.random.default_rng(7)


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


def surface(n):
    return ndi.gaussian_filter(RNG.normal(size=(n, n)), 3.0) * 50.0


def main() -> None:
    gwy = _gwyddion()
    rows = []
    dilate(np.zeros((64, 64)), np.zeros((3, 3)))  # compile once, outside the timings
    erode(np.zeros((64, 64)), np.zeros((3, 3)))
    for n in (512, 1024):
        s = surface(n)
        for tn in (21, 41):
            tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=10.0, size=tn).heights
            repeat = 3 if n * n * tn * tn < 3e8 else 1
            structure = tip[::-1, ::-1] - tip.max()
            td, d = best_time(dilate, s, tip, repeat=repeat)
            te, e = best_time(erode, d, tip, repeat=repeat)
            sd, d_ref = best_time(ndi.grey_dilation, s, structure=structure, mode="nearest", repeat=repeat)
            se, e_ref = best_time(ndi.grey_erosion, d, structure=structure, mode="nearest", repeat=repeat)
            gd = ge = None
            diff_g = ""
            if gwy:
                d_g, gd = gwy.dilate(s, tip, 1.0, repeat=repeat)
                e_g, ge = gwy.erode(d, tip, 1.0, repeat=repeat)
                diff_g = f"{max(np.abs(d - d_g).max(), np.abs(e - e_g).max()):.1e}"
            diff_s = f"{max(np.abs(d - d_ref).max(), np.abs(e - e_ref).max()):.1e}"
            rows.append((f"{n}²", f"{tn}²", "dilation", td, sd, gd, diff_s, diff_g))
            rows.append((f"{n}²", f"{tn}²", "erosion", te, se, ge, diff_s, diff_g))
    for n in (256, 512):
        tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=10.0, size=21).heights
        d = dilate(surface(n), tip)
        tc, c = best_time(certainty_map, d, tip)
        gc, diff = None, ""
        if gwy:
            c_g, gc = gwy.cmap(d, tip, 1.0)
            diff = f"{int((c != c_g).sum())} px"
        rows.append((f"{n}²", "21²", "certainty map", tc, None, gc, "", diff))
    # blind estimation: sparse sharp spikes on a rough background (the oracle README's case)
    tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=10.0, size=15).heights
    s = ndi.gaussian_filter(RNG.normal(size=(256, 256)), 1.0)
    idx = RNG.integers(15, 241, (2, 60))
    s[idx[0], idx[1]] += RNG.uniform(1.2, 2.0, 60) * (tip.max() - tip.min())
    image = dilate(s, tip)
    step = (image.max() - image.min()) / 1e4
    estimate_tip(image[:40, :40], 15, 2 * step, True)  # compile
    for full in (False, True):
        tb, est = best_time(estimate_tip, image, 15, 2 * step, full)
        rmse = np.sqrt(np.mean((est - (tip - tip.max())) ** 2))
        gb, note = None, f"RMSE ours {rmse:.2g} nm"
        if gwy:
            est_g, gb = gwy.blind(image, 15, 2 * step, 1.0, full=full)
            g = est_g[::-1, ::-1] - est_g.max()
            note += f", Gwyddion {np.sqrt(np.mean((g - (tip - tip.max())) ** 2)):.2g} nm"
        rows.append(("256²", "15²", f"blind {'full' if full else 'partial'} (thr 2 steps)", tb, None, gb, "", note))

    def fmt(v):
        return "n/a" if v is None else f"{v:.4f}"

    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cores, "
          f"Gwyddion {'2.62 via gwy_oracle (1 thread)' if gwy else 'not available'}")
    print("| image | tip | operation | ours [s] | scipy.ndimage [s] | Gwyddion [s] | Gwyddion / ours "
          "| max diff vs scipy | vs Gwyddion |")
    print("|---|---|---|---|---|---|---|---|---|")
    for img, tn, op, ours, sc, gw, ds, dg in rows:
        ratio = f"{gw / ours:.1f}x" if gw else "n/a"
        print(f"| {img} | {tn} | {op} | {fmt(ours)} | {fmt(sc)} | {fmt(gw)} | {ratio} | {ds} | {dg} |")


if __name__ == "__main__":
    sys.exit(main())
