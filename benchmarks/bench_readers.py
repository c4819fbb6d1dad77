"""Time to open each sample file through the plugin next to the underlying library call alone.

Run: python benchmarks/bench_readers.py [--repeat N]
For formats parsed by our own code there is no separate library; the reference then is the
bare numpy read of the same data block (np.fromfile on the file), the floor any reader pays.
Where a library is the reference, a second reference adds a float64 copy of every image the
library returned: design.md's float64 arrays cannot be had for less.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from napari_afm_profiler._napari.reader import read_layers
from napari_afm_profiler.io import detect_format

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "afm-samples"


def _gwyfile(p: Path):
    import gwyfile

    return gwyfile.load(str(p))


def _igor(p: Path):
    from igor2 import binarywave

    return binarywave.load(str(p))


def _tifffile(p: Path):
    import tifffile

    with tifffile.TiffFile(str(p)) as tif:
        return [page.asarray() for page in tif.pages]


def _h5(p: Path):
    import h5py

    with h5py.File(str(p), "r") as f:
        return [d[()] for d in _datasets(f)]


def _datasets(group):
    import h5py

    for v in group.values():
        if isinstance(v, h5py.Dataset):
            yield v
        else:
            yield from _datasets(v)


def _nsf(p: Path):
    from NSFopen.read import read

    return read(str(p))


def _raw(p: Path):
    return np.fromfile(p, dtype=np.uint8)


LIBRARY: dict[str, tuple[str, Callable[[Path], object]]] = {
    "gwy": ("gwyfile.load", _gwyfile),
    "ibw": ("igor2 binarywave.load", _igor),
    "jpk": ("tifffile (all pages)", _tifffile),
    "tiff": ("tifffile (all pages)", _tifffile),
    "park": ("tifffile (all pages)", _tifffile),
    "jpk-h5": ("h5py (all datasets)", _h5),
    "nid": ("NSFopen read", _nsf),
}


def _images(result: object) -> list[np.ndarray]:
    """Every numeric array of two or more dimensions in a library's result (dicts, lists, objects)."""
    if isinstance(result, np.ndarray):
        return [result] if result.ndim >= 2 and result.dtype.kind in "iuf" else []
    if isinstance(result, dict):
        values = list(result.values())
    elif isinstance(result, (list, tuple)):
        values = list(result)
    elif hasattr(result, "__dict__"):
        values = list(vars(result).values())
    else:
        return []
    return [a for v in values for a in _images(v)]


def with_float64(func: Callable[[Path], object]) -> Callable[[Path], object]:
    """The reference followed by a float64 copy of each image it returned: the floor of design.md's contract."""

    def run(p: Path) -> object:
        result = func(p)
        return result, [np.array(a, dtype=np.float64, order="C") for a in _images(result)]

    return run


def best_time(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return min(times)


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import writes_results  # noqa: E402


@writes_results("readers", "Readers (script-written)", "1 (pure Python/numpy)")
def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    files = sorted(p for p in SAMPLES.iterdir() if p.is_file() and p.suffix not in (".md", ".json"))
    print(f"{'file':40s} {'format':12s} {'plugin (ms)':>12s} {'reference':>28s} {'ref (ms)':>10s} {'ratio':>7s} "
          f"{'ref+f64 (ms)':>13s} {'ratio':>7s}")
    for path in files:
        fmt = detect_format(path)
        if fmt is None:
            continue
        if fmt == "gwy" and path.read_bytes()[:4] == b"GWYO":
            name, ref = "np.fromfile (no GWYO library)", _raw
        else:
            name, ref = LIBRARY.get(fmt, ("np.fromfile (own parser)", _raw))
        ours = best_time(lambda p=path: read_layers(str(p)), args.repeat)
        theirs = best_time(lambda p=path, f=ref: f(p), args.repeat)
        floor = ""
        if ref is not _raw:
            t64 = best_time(lambda p=path, f=with_float64(ref): f(p), args.repeat)
            floor = f" {t64 * 1e3:13.2f} {ours / t64:7.2f}"
        print(f"{path.name[:40]:40s} {fmt:12s} {ours * 1e3:12.2f} {name[:28]:>28s} {theirs * 1e3:10.2f} "
              f"{ours / theirs:7.2f}{floor}")


if __name__ == "__main__":
    main()
