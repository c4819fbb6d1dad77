"""The default deconvolution model on real AFM images of thin features (DNA on mica).

For each file: level (plane, then median scan-line matching), deconvolve with the shipped
model (resampled to its 1 nm/px and back), and measure the features before and after:

* apparent height: 99th percentile of the feature pixels above the median background (nm);
* apparent width: feature area / skeleton length (nm), features = pixels higher than half
  the apparent height above the background (the full width at half maximum, on average).

Tip broadening makes thin, low features (DNA is ~2 nm wide) look far wider than they are;
a correct deconvolution narrows them and keeps their height.

Run: ``python benchmarks/real_data_deconv.py [FILES...]``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from skimage.morphology import remove_small_objects, skeletonize

from napari_afm_profiler.deconv.infer import deconvolve
from napari_afm_profiler.io import read_afm
from napari_afm_profiler.io.level import level

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "afm-samples"
DEFAULT_FILES = ("sample_0.jpk", "sample_0.ibw", "sample_0.stp", "sample_0.h5-jpk")


def features(height: np.ndarray, pixel_nm: float) -> tuple[float, float, int]:
    """Apparent height (nm), apparent width (nm) and number of feature pixels."""
    background = float(np.nanmedian(height))
    relief = height - background
    top = float(np.nanpercentile(relief, 99.5))
    mask = remove_small_objects(np.nan_to_num(relief) > top / 2, max_size=20)
    skeleton = skeletonize(mask)
    width = mask.sum() / max(skeleton.sum(), 1) * pixel_nm
    return float(np.nanpercentile(relief[mask], 99)) if mask.any() else 0.0, float(width), int(mask.sum())


def main(files: list[str]) -> None:
    print("| file | pixel (nm) | apparent height before → after (nm) | apparent width before → after (nm) |")
    print("|---|---|---|---|")
    for name in files:
        path = SAMPLES / name
        if not path.exists():
            continue
        scan = read_afm(path)[0]
        data = scan.data[0] if scan.data.ndim == 3 else scan.data
        flat = level(level(np.asarray(data, float), "plane"), "lines")
        result = deconvolve(flat, pixel_size_nm=scan.pixel_size_nm).surface
        px = float(scan.pixel_size_nm[1])
        h0, w0, _ = features(flat, px)
        h1, w1, _ = features(result, px)
        print(f"| {name} ({scan.channel}) | {px:.3g} | {h0:.2f} → {h1:.2f} | {w0:.1f} → {w1:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1:] or list(DEFAULT_FILES))
