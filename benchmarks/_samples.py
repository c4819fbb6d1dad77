"""Height channels of the real sample files, for the comparison benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from napari_afm_profiler.io import read_afm

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "afm-samples"


def height_channels(samples: Path = SAMPLES, min_side: int = 32) -> Iterator[tuple[str, object]]:
    """Yield ``(file name, AfmScan)`` for each sample whose first channel is a calibrated, finite 2D height."""
    for path in sorted(p for p in samples.iterdir() if p.is_file() and p.suffix.lower() not in (".md", ".json")):
        try:
            scan = read_afm(path)[0]
        except Exception:  # noqa: BLE001, S112 - unreadable samples are the reader tests' business
            continue
        ok = (scan.pixel_size_nm is not None and scan.data.ndim == 2 and min(scan.data.shape) >= min_side
              and scan.z_unit == "nm" and np.all(np.isfinite(scan.data)))
        if ok:
            yield path.name, scan
