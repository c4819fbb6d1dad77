"""Random arrays the tests never saw: our ``afm-profiler tip`` CLI against Gwyddion 2.62.

Surfaces (smooth, spiky, rounded heights), lopsided tips of odd sizes with arbitrary height
offsets (and rounded values for ties); every case goes through the CLI exactly as a user
would run it, and is compared with Gwyddion's own library call via the oracle tool in
``../shared/oracles/gwyddion-tip/tool``.  Also compares our tip models with Gwyddion's presets.

Run: ``python benchmarks/check_tip_gwyddion.py [N_CASES]``
"""

from __future__ import annotations

import contextlib
import io
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
from bench_tip import _gwyddion
from scipy import ndimage as ndi

from napari_afm_profiler.cli import main as cli
from napari_afm_profiler.tip import make_tip


def random_case(rng: np.random.Generator, kind: int) -> tuple[np.ndarray, np.ndarray]:
    ny, nx = rng.integers(30, 120, 2)
    n = int(rng.choice([3, 5, 7, 9, 11, 15, 21]))
    n = min(n, ny - 1 + ny % 2, nx - 1 + nx % 2)
    surface = ndi.gaussian_filter(rng.normal(size=(ny, nx)), rng.uniform(0.5, 3)) * rng.uniform(1, 100)
    surface += rng.uniform(-50, 50)
    if kind == 1:
        surface[rng.integers(0, ny, 10), rng.integers(0, nx, 10)] += rng.uniform(5, 50, 10)
    c = n // 2
    y, x = np.mgrid[-c:c + 1, -c:c + 1]
    tip = -(rng.uniform(0.1, 3) * np.abs(y) ** rng.uniform(1, 2) + rng.uniform(0.1, 3) * np.abs(x) ** rng.uniform(1, 2)
            + rng.uniform(0, 1) * np.maximum(x, 0)) + rng.uniform(-100, 100)
    if kind == 2:
        tip = np.round(tip, 1)
    if kind == 3:
        surface = np.round(surface, 2)
    return surface, tip


def run_cli(*args: str) -> np.ndarray:
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli(["tip", *args]) == 0
    return np.load(args[args.index("-o") + 1])


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import writes_results  # noqa: E402


@writes_results("tip-gwyddion", "Tip operations against Gwyddion through the CLI (script-written)", "1")
def main(cases: int = 40) -> None:
    gwy = _gwyddion()
    if gwy is None:
        print("Gwyddion oracle tool not available (install libgwyddion20-dev)")
        return
    rng = np.random.default_rng(2026)
    worst = {"dilate": 0.0, "erode": 0.0}
    cmap_pixels = cmap_cases = 0
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for i in range(cases):
            surface, tip = random_case(rng, i % 4)
            np.save(d / "s.npy", surface)
            np.save(d / "t.npy", tip)
            ours = run_cli("dilate", str(d / "s.npy"), "--tip", str(d / "t.npy"), "-o", str(d / "o.npy"))
            theirs, _ = gwy.dilate(surface, tip, 1e-9)
            worst["dilate"] = max(worst["dilate"], float(np.abs(ours - theirs).max()))
            np.save(d / "i.npy", theirs)
            ours = run_cli("erode", str(d / "i.npy"), "--tip", str(d / "t.npy"), "-o", str(d / "o.npy"))
            worst["erode"] = max(worst["erode"], float(np.abs(ours - gwy.erode(theirs, tip, 1e-9)[0]).max()))
            ours = run_cli("certainty", str(d / "i.npy"), "--tip", str(d / "t.npy"), "-o", str(d / "o.npy"))
            differing = int((ours != gwy.cmap(theirs, tip, 1e-9)[0]).sum())
            cmap_pixels += differing
            cmap_cases += differing > 0
    print(f"{cases} random cases through the CLI vs Gwyddion 2.62:")
    print(f"  dilation max |diff| {worst['dilate']:.2e} nm, erosion max |diff| {worst['erode']:.2e} nm")
    print(f"  certainty map: {cmap_pixels} differing pixels in {cmap_cases} cases")
    print("tip models vs Gwyddion presets (1 nm/px, 41x41, max |diff| in nm):")
    for name, ours, params in (
        ("Parabola R=10", make_tip("paraboloid", pixel_size_nm=1, radius_nm=10, size=41), [10e-9]),
        ("Cone R=10 20deg", make_tip("cone", pixel_size_nm=1, radius_nm=10, half_angle_deg=20, size=41),
         [10e-9, math.radians(20)]),
        ("Pyramid R=10 35deg", make_tip("pyramid", pixel_size_nm=1, radius_nm=10, half_angle_deg=35, size=41),
         [10e-9, 0.0, 4, math.radians(35)]),
    ):
        theirs, _ = gwy.tipmodel(name.split()[0], params, px=1e-9, shape=(41, 41))
        theirs = (theirs - theirs.max()) * 1e9
        print(f"  {name:20s} {np.abs(theirs - ours.heights).max():.2e}")


if __name__ == "__main__":
    counts = [a for a in sys.argv[1:] if a != "--write"]
    main(int(counts[0]) if counts else 40)
