"""The default deconvolution model on real AFM images of thin features (DNA on mica).

For each file: level (plane, then median scan-line matching), deconvolve with the shipped
model (resampled to its 1 nm/px and back), and measure the features before and after:

* apparent height: 99th percentile of the feature pixels above the image's median background (nm);
* projected feature area: pixels higher than half the *original* apparent height above the
  original background (nm²), the same absolute threshold before and after, as the paper
  measures projected areas; and the mean width at that level, area / skeleton length of the
  original mask (the skeleton of the thresholded result fragments, so it is not re-measured).

Tip broadening makes thin, low features (DNA is ~2 nm wide) look far wider than they are;
a correct deconvolution narrows them and keeps their height.

The last column measures the 2-pixel artefact of networks that work on 2x2-folded pixels: on the
model's own grid (the image resampled to its pixel size), the removed height is split into its
mean over each 2x2 cell and the three patterns that alternate within a cell (checkerboard and
the two stripe directions); the column gives the RMS of those patterns as a percentage of the
RMS of the removed height.  Real edges contribute too, so compare models on the same files.

With ``--uncertainty`` the result is the mean of the four mirrored passes of the uncertainty
mode; mirroring an even-sized grid moves every pixel to the other position of its 2x2 cell, so
that mean also averages the pattern out.

Run: ``python benchmarks/real_data_deconv.py [--model MODEL] [--uncertainty] [FILES...]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from skimage.morphology import remove_small_objects, skeletonize

from napari_afm_profiler.deconv.infer import deconvolve, load_model
from napari_afm_profiler.io import read_afm
from napari_afm_profiler.preprocess import level

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "afm-samples"
DEFAULT_FILES = ("sample_0.jpk", "sample_0.ibw", "sample_0.stp", "sample_0.h5-jpk")


def features(height: np.ndarray, background: float, threshold: float) -> tuple[float, np.ndarray]:
    """Apparent height (nm) and the feature mask above ``background + threshold``."""
    relief = height - background
    mask = remove_small_objects(np.nan_to_num(relief) > threshold, max_size=20)
    return (float(np.nanpercentile(relief[mask], 99)) if mask.any() else 0.0), mask


def two_pixel_pattern(removed: np.ndarray) -> float:
    """RMS of the within-2x2-cell alternating patterns of ``removed``, in % of its RMS."""
    ny, nx = (removed.shape[0] // 2) * 2, (removed.shape[1] // 2) * 2
    r = np.nan_to_num(removed[:ny, :nx])
    a, b, c, d = r[0::2, 0::2], r[0::2, 1::2], r[1::2, 0::2], r[1::2, 1::2]
    patterns = [(a - b - c + d) / 4, (a - b + c - d) / 4, (a + b - c - d) / 4]
    energy = sum(float(np.mean(q**2)) for q in patterns)
    return 100.0 * np.sqrt(energy / max(float(np.mean(r**2)), 1e-30))


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import writes_results  # noqa: E402


@writes_results("deconv-real", "Deconvolution of real images (script-written)", "torch default (all cores)")
def main(files: list[str], model_name: str, uncertainty: bool = False) -> None:
    from skimage.transform import resize

    model = load_model(model_name)
    print(f"model: {model_name}" + (" (mean of the 4 mirrored passes)" if uncertainty else ""))
    print("| file | pixel (nm) | apparent height before → after (nm) | feature area before → after (nm²) "
          "| mean width at half height before → after (nm) | 2-px pattern (% of removed height) |")
    print("|---|---|---|---|---|---|")
    for name in files:
        path = SAMPLES / name
        if not path.exists():
            continue
        scan = read_afm(path)[0]
        data = scan.data[0] if scan.data.ndim == 3 else scan.data
        flat = level(level(np.asarray(data, float), "plane"), "lines")
        result = deconvolve(flat, pixel_size_nm=scan.pixel_size_nm, model=model, uncertainty=uncertainty).surface
        grid = tuple(int(round(n * p / model.pixel_size_nm)) for n, p in zip(flat.shape, scan.pixel_size_nm))
        on_grid = resize(flat, grid, order=1, anti_aliasing=False)
        pattern = two_pixel_pattern(on_grid - deconvolve(on_grid, pixel_size_nm=model.pixel_size_nm, model=model,
                                                         uncertainty=uncertainty).surface)
        px = float(scan.pixel_size_nm[1])
        background = float(np.nanmedian(flat))
        threshold = float(np.nanpercentile(flat - background, 99.5)) / 2
        h0, m0 = features(flat, background, threshold)
        h1, m1 = features(result, background, threshold)
        length = max(int(skeletonize(m0).sum()), 1) * px
        a0, a1 = m0.sum() * px * px, m1.sum() * px * px
        print(f"| {name} ({scan.channel}) | {px:.3g} | {h0:.2f} → {h1:.2f} | {a0:.0f} → {a1:.0f} ({100 * (a1 / a0 - 1):+.0f} %) "
              f"| {a0 / length:.1f} → {a1 / length:.1f} | {pattern:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", default=list(DEFAULT_FILES))
    parser.add_argument("--model", default="default")
    parser.add_argument("--uncertainty", action="store_true", help="use the mean of the 4 mirrored passes")
    parser.add_argument("--write", action="store_true", help="write the table into RESULTS.md")
    args = parser.parse_args()
    main(args.files, args.model, args.uncertainty)
