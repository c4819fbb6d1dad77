"""Deconvolve every real sample file blind and look for results no surface could have: deep holes.

For each file, the first height channel (its first frame) is plane-levelled (or left as read,
``--as-read``), cropped to its central 512² and deconvolved with the tip read from the image.
Frames finer than 0.0625 nm are skipped (STM scans).  Frames coarser than 4 nm get the erosion,
which digs too: at dropouts, and below cliffs steeper than the tip used.  Per file: how far the
result lies below the image (largest, and 99.9th percentile) against the image's height range,
the consistency check, the across/along noise ratio of the frame and how far its interval's
bounds moved out for scan-line noise (``intervals["line_noise"]``).  There is no ground truth on
real data, but a result that lies tens of nm below a smooth image, on isolated pixels, is the
network failing (benchmarks/RESULTS.md, session 39).

``--compare-plane`` repeats each file with the frame's plane alone as the network's background
(the behaviour before session 39), in the same run; ``--compare-dropouts`` repeats it with the
dropouts kept (``deconvolve(dropouts="keep")``, the behaviour before session 40).  The depth of
the result below the image is not counted at replaced dropouts, where the result is meant to lie
above the image.

Run: ``python benchmarks/real_data_sweep.py [--as-read] [--compare-plane] [--compare-dropouts] [FILES...]``
(default: every file in ``../shared/afm-samples``).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

from napari_afm_profiler.deconv import infer
from napari_afm_profiler.deconv.conditioning import substrate_background, substrate_plane
from napari_afm_profiler.io import read_afm
from napari_afm_profiler.io.unscanned import mask_unscanned
from napari_afm_profiler.preprocess import level

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "afm-samples"
CROP = 512


def _height_frame(path: Path) -> tuple[np.ndarray, float, str] | None:
    """Return the first height channel's first frame (nm), its pixel size and its name, or None."""
    for scan in read_afm(path):
        scan = mask_unscanned(scan)  # as the CLI and the viewer read it
        if scan.z_unit != "nm":
            continue
        data = np.asarray(scan.data, np.float64)
        data = data[0] if data.ndim == 3 else data
        if data.ndim != 2 or min(data.shape) < 16 or not np.isfinite(data).any():
            continue
        dy, dx = scan.pixel_size_nm
        if abs(dy - dx) > 1e-6 * max(dy, dx):
            continue
        return data, float(dx), str(scan.channel)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--as-read", action="store_true", help="do not plane-level first")
    parser.add_argument("--compare-plane", action="store_true", help="also with the frame's plane alone")
    parser.add_argument("--compare-dropouts", action="store_true", help="also with the dropouts kept")
    args = parser.parse_args()
    files = args.files or sorted(p for p in SAMPLES.glob("*") if p.is_file() and p.suffix not in (".json", ".md"))
    variants = [("local planes", substrate_background, "replace")]
    if args.compare_plane:
        variants.append(("plane only", substrate_plane, "replace"))
    if args.compare_dropouts:
        variants.append(("dropouts kept", substrate_background, "keep"))
    rows, skipped = [], []
    start = time.perf_counter()
    for path in files:
        try:
            found = _height_frame(path)
        except Exception as error:  # a file the readers refuse is not this sweep's concern
            skipped.append(f"{path.name} (unreadable: {type(error).__name__})")
            continue
        if found is None:
            skipped.append(f"{path.name} (no square-pixel height channel in nm)")
            continue
        image, px, channel = found
        if px < 0.0625:
            skipped.append(f"{path.name} ({px:.3g} nm pixels)")
            continue
        ny, nx = image.shape
        y0, x0 = max(0, (ny - CROP) // 2), max(0, (nx - CROP) // 2)
        image = image[y0:y0 + CROP, x0:x0 + CROP]
        if not args.as_read:
            image = level(image, "plane")
        span = float(np.nanpercentile(image, 99.9) - np.nanpercentile(image, 0.1))
        for name, background, dropouts in variants:
            infer.substrate_background = background
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = infer.deconvolve(image, pixel_size_nm=px, tip="estimate", dropouts=dropouts)
            dig = image - result.surface
            dig[dig < 0] = 0.0  # replaced dropouts lie below the result on purpose
            rows.append((path.name, name, px, image.shape, span, float(np.nanmax(dig)),
                         float(np.nanpercentile(dig, 99.9)), result.summary["dropout_pixels"],
                         result.summary["flagged"],
                         infer.tip_is_the_cause(result.summary) if result.summary["flagged"] else False,
                         result.summary["line_noise_ratio"], result.summary["line_noise_widening_nm"],
                         float(np.nanmedian(result.upper - result.lower)) / 2))
    infer.substrate_background = substrate_background
    print(f"{len(rows)} runs on {len({r[0] for r in rows})} files ({'as read' if args.as_read else 'plane-levelled'}, "
          f"central {CROP}², tip read from the image); {time.perf_counter() - start:.0f} s\n")
    print("| file | variant | pixel (nm) | shape | height range (nm) | largest dig (nm) | 99.9 % dig (nm) "
          "| dropouts replaced | check | across/along noise | line-noise widening (nm) | 90 % half-width, median (nm) |"
          "\n|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (file, name, px, shape, span, largest, p999, replaced, flagged, tip_cause, ratio, widening,
         half) in sorted(rows, key=lambda r: -r[5]):
        check = ("failed, the tip's cause" if tip_cause else "failed") if flagged else "passed"
        print(f"| {file} | {name} | {px:.3g} | {shape[0]}x{shape[1]} | {span:.1f} | {largest:.1f} | {p999:.2f} "
              f"| {replaced} | {check} | {ratio:.2f} | {widening:.2f} | {half:.2f} |")
    print(f"\nskipped: {'; '.join(skipped)}")


if __name__ == "__main__":
    main()
