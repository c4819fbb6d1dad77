"""HS-AFM movies: time to the first frame and memory of a 2 GB ``.asd``, and drift correction speed.

    python benchmarks/bench_movies.py [--gb 2.0] [--write]

A movie of 256 x 256 frames (12-bit counts of a drifting rough scene) is written to a
temporary folder in the published ASD version-1 layout.  Each measurement runs in a fresh
child process so that its peak resident memory (``ru_maxrss``) is its own:

* ``read_afm(lazy=True)`` and the first frame as numpy (what the CLI and the API do);
* the napari reader (``read_layers``: layer data and contrast limits from the first frame),
  also with the libraries imported first, as in a running napari, and then the cache dropped;
* the eager read, for comparison (float64 of the whole movie), on a movie of 1/8 the size;
* drift estimation (``estimate_drift``) over 200 frames, frames per second.

The page cache is dropped before the cold measurements when the system allows it (root);
the table says whether it was.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _results import provenance, write_section  # noqa: E402
from tests.io.test_asd_versions import FRAME_HEADER_SIZE, asd_bytes, frame_header  # noqa: E402

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
import numpy as np
path, what, preload = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
if preload:  # as in a running napari: the libraries are imported; then the file cache is dropped
    import dask.array, distributed
    import napari_afm_profiler._napari.reader, napari_afm_profiler.io.readers
    import os
    os.sync()
    open("/proc/sys/vm/drop_caches", "w").write("3")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
if what == "lazy":
    from napari_afm_profiler.io import read_afm
    scan = read_afm(path, lazy=True)[0]
    frame = np.asarray(scan.data[0])
elif what == "napari":
    from napari_afm_profiler._napari.reader import read_layers
    data, kwargs, _ = read_layers(path)[0]
    frame = np.asarray(data[0])
elif what == "eager":
    from napari_afm_profiler.io import read_afm
    scan = read_afm(path)[0]
    frame = scan.data[0]
else:
    from napari_afm_profiler.io import read_afm
    from napari_afm_profiler.preprocess import estimate_drift
    scan = read_afm(path, lazy=True)[0]
    t = time.perf_counter()
    drift = estimate_drift(scan.data[:200])
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "extra_mb": (peak - base) / 1024,
                  "with_imports": time.perf_counter() - t0}))
"""


def write_movie(path: Path, frames: int, size: int = 256) -> None:
    """Write a drifting-scene movie frame by frame (never the whole movie in memory)."""
    from scipy import ndimage as ndi

    rng = np.random.default_rng(0)
    scene = ndi.gaussian_filter(rng.normal(size=(size + 200, size + 200)), 3.0)
    scene = (scene - scene.min()) / np.ptp(scene) * 3000 + 500
    template = np.zeros((2, size, size), np.int16)
    head = asd_bytes(1, template, x_nm=500, y_nm=500)
    head = head[:len(head) - 2 * (FRAME_HEADER_SIZE + 2 * size * size)]
    blob = bytearray(head)
    import struct
    struct.pack_into("<i", blob, 32, frames)  # number of frames (twice in the main header)
    struct.pack_into("<i", blob, 36, frames)
    with open(path, "wb") as fh:
        fh.write(blob)
        for k in range(frames):
            dy, dx = int(50 + 40 * np.sin(k / 500)), int(50 + k * 100 // frames)
            frame = np.rint(scene[dy:dy + size, dx:dx + size] + rng.normal(size=(size, size)) * 5).astype(np.int16)
            fh.write(frame_header(k + 1, frame) + frame.astype("<i2").tobytes())


def drift_accuracy() -> str:
    """Known sub-pixel drift of a noisy virtual movie (60 frames of 256², random walk): the error of the track."""
    from scipy import ndimage as ndi

    from napari_afm_profiler.preprocess import estimate_drift

    rng = np.random.default_rng(1)
    scene = ndi.gaussian_filter(rng.normal(size=(400, 400)), 3.0)
    truth = np.cumsum(rng.uniform(-1.5, 1.5, (60, 2)), axis=0)
    truth -= truth[0]
    frames = np.stack([ndi.shift(scene, -d, order=3, mode="nearest")[72:328, 72:328] for d in truth])
    frames += rng.normal(size=frames.shape) * 0.1 * scene.std()
    error = np.abs(estimate_drift(frames).shifts_px - truth)
    return (f"| drift accuracy: 60 noisy frames (SNR 10), random-walk drift up to {np.abs(truth).max():.0f} px | "
            f"virtual | | | | | track error: median {np.median(error):.3f} px, max {error.max():.3f} px |")


def drop_caches() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def child(path: Path, what: str, preload: bool = False) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), what, str(int(preload))], capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=2.0, help="size of the large movie (default 2 GB)")
    parser.add_argument("--write", action="store_true", help="replace the 'movies' section of RESULTS.md")
    args = parser.parse_args()
    frame_bytes = FRAME_HEADER_SIZE + 2 * 256 * 256
    frames = int(args.gb * 1e9 / frame_bytes)
    rows = []
    with tempfile.TemporaryDirectory(prefix="afm_movies_") as tmp:
        big, small = Path(tmp) / "big.asd", Path(tmp) / "small.asd"
        write_movie(big, frames)
        write_movie(small, frames // 8)
        can_drop = drop_caches()
        cases = [("read_afm(lazy=True) + first frame, cold cache", big, "lazy", True, False),
                 ("read_afm(lazy=True) + first frame, warm", big, "lazy", False, False),
                 ("napari reader (layer + contrast from frame 0), cold cache", big, "napari", True, False),
                 ("eager read_afm (whole movie as float64)", small, "eager", False, False),
                 ("estimate_drift, 200 frames of 256²", big, "drift", False, False)]
        if can_drop:
            cases.insert(3, ("napari reader, libraries already imported (a running napari), cold file cache", big,
                             "napari", False, True))
        for label, path, what, cold, preload in cases:
            dropped = drop_caches() if cold else (True if preload else None)
            r = child(path, what, preload)
            size_gb = path.stat().st_size / 1e9
            note = "" if dropped is None else ("cache dropped" if dropped else "cache NOT dropped (not root)")
            extra = f"{200 / r['seconds']:.0f} frames/s" if what == "drift" else note
            rows.append(f"| {label} | {size_gb:.2f} GB | {r['seconds']:.3f} | {r['with_imports']:.2f} | "
                        f"{r['extra_mb']:.0f} | {r['peak_mb']:.0f} | {extra} |")
            print(rows[-1], flush=True)
    rows.append(drift_accuracy())
    print(rows[-1], flush=True)
    head = provenance("numba/BLAS default") + f"; movie: {frames} frames of 256² (int16) + 32-byte frame headers."
    table = "\n".join(["| step | file | seconds | with imports [s] | extra peak RSS [MB] | peak RSS [MB] | note |",
                       "|---|---|---|---|---|---|---|", *rows])
    print(head)
    if args.write:
        write_section("movies", head + "\n\n" + table + "\n\n\"seconds\" start after numpy is imported: the rows of "
                      "a fresh process include importing the readers and dask (about 0.6 s, 1 s from a cold disk); the "
                      "row \"libraries already imported\" is what a napari user waits for. Goal (issue 17): first frame "
                      "≤ 1 s for a 2 GB movie, memory bounded (the lazy rows must not grow with the file).",
                      title="HS-AFM movies: lazy opening and drift correction (issue 17)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
