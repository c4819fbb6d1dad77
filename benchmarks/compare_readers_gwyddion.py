"""Every sample file read by our plugin next to Gwyddion's own file modules (Gwyddion 2.x, built here).

Gwyddion (GPL) is an outside reference: ``benchmarks/gwyddion/gwy_load.c`` is compiled against the
system's Gwyddion and run under ``xvfb-run`` as a separate process.  For each of our channels the
script finds Gwyddion's channel of the same shape with the closest values and reports the largest
difference (relative to the channel's largest magnitude), the pixel sizes of both, and whether our
rows are in Gwyddion's display order (``same``) or flipped.  Files written to NT-MDT's classic-frame
layout (``tests/io/test_mdt_scanned.py``) are compared too: no public sample holds such frames.

    python benchmarks/compare_readers_gwyddion.py [--samples ../shared/afm-samples]

Needs ``gwyddion libgwyddion20-dev pkg-config build-essential xvfb`` (Debian).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from _gwyddion import build_gwyddion_tool
from _samples import SAMPLES

from napari_afm_profiler.io import read_afm
from napari_afm_profiler.io.units import to_canonical

ORIENTATIONS = {"same": np.s_[:, :], "flipped up-down": np.s_[::-1, :], "flipped left-right": np.s_[:, ::-1],
                "rotated 180": np.s_[::-1, ::-1]}


def gwyddion_channels(tool: Path, path: Path, work: Path) -> list[dict] | str:
    """Gwyddion's channels of ``path`` (values converted to our units), or why it could not read it."""
    run = subprocess.run(["xvfb-run", "-a", str(tool), str(path), str(work / path.stem)], capture_output=True,
                         text=True, timeout=300)
    if run.returncode != 0:
        return run.stderr.strip().splitlines()[-1] if run.stderr.strip() else f"exit {run.returncode}"
    channels = json.loads(run.stdout.strip().splitlines()[-1])
    for ch in channels:
        values = np.fromfile(ch["file"], dtype="<f8").reshape(ch["yres"], ch["xres"])
        ch["values"], ch["unit"] = to_canonical(values, ch["unit_z"])
        ch["pixel_nm"] = (ch["yreal"] * 1e9 / ch["yres"], ch["xreal"] * 1e9 / ch["xres"]) \
            if ch["unit_xy"] == "m" else None
    return channels


def best_match(data: np.ndarray, channels: list[dict]) -> tuple[float, str, dict] | None:
    best = None
    for ch in channels:
        if ch["values"].shape != data.shape:
            continue
        scale = float(np.nanmax(np.abs(ch["values"]))) or 1.0
        for name, sl in ORIENTATIONS.items():
            err = float(np.nanmax(np.abs(data[sl] - ch["values"]))) / scale
            if best is None or err < best[0]:
                best = (err, name, ch)
    return best


def classic_mdt_files(folder: Path) -> list[Path]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.io.test_mdt_scanned import CURRENT, HEIGHT, mdt_file, scanned_frame

    path = folder / "classic_frames_synthetic.mdt"
    path.write_bytes(mdt_file([scanned_frame(HEIGHT), scanned_frame(
        CURRENT, x=(5.0, 0.3, -2), y=(1.0, 0.2, -2), z=(0.5, 0.002, 1), channel=4, title=b"", n_dots=2)]))
    return [path]


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import writes_results  # noqa: E402


@writes_results("readers-gwyddion", "Readers against Gwyddion's file modules (script-written)", "1")
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=Path, default=SAMPLES)
    args = parser.parse_args()
    tool = build_gwyddion_tool("gwy_load")
    if tool is None:
        print("Gwyddion (pkg-config gwyddion) or a C compiler is missing: nothing to compare")
        return
    work = Path(tempfile.mkdtemp(prefix="gwy_load_out_"))
    files = sorted(p for p in args.samples.iterdir() if p.is_file() and p.suffix.lower() not in (".md", ".json"))
    files += classic_mdt_files(work)
    print(f"{'file':36s} {'our channel':26s} {'Gwyddion channel':22s} {'max diff':>9s} {'rows':18s} "
          f"{'pixel ours (nm)':>16s} {'pixel Gwyddion':>15s}")
    for path in files:
        channels = gwyddion_channels(tool, path, work)
        if isinstance(channels, str):
            print(f"{path.name:36s} Gwyddion cannot read it ({channels})")
            continue
        for scan in read_afm(path):
            data = scan.data if scan.data.ndim == 2 else scan.data[0]
            match = best_match(data, channels)
            ours_px = "none" if scan.pixel_size_nm is None else f"{scan.pixel_size_nm[1]:.5g}"
            if match is None:
                print(f"{path.name:36s} {scan.channel[:26]:26s} no Gwyddion channel of shape {data.shape}")
                continue
            err, rows, ch = match
            gwy_px = "none" if ch["pixel_nm"] is None else f"{ch['pixel_nm'][1]:.5g}"
            print(f"{path.name:36s} {scan.channel[:26]:26s} {ch['title'][:22]:22s} {err:9.1e} {rows:18s} "
                  f"{ours_px:>16s} {gwy_px:>15s}")


if __name__ == "__main__":
    main()
