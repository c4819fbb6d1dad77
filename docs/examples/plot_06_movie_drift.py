"""
HS-AFM movies: open lazily and correct drift
============================================

A high-speed AFM movie opens as a dask stack, read frame by frame; ``align_frames`` measures
the lateral drift between frames by cross-correlation and moves the frames back.
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy import ndimage as ndi

import napari_afm_profiler as ap

here = Path(__file__).resolve() if "__file__" in globals() else Path.cwd() / "x.py"
SAMPLES = Path(os.environ.get("AFM_SAMPLES", here.parents[3] / "shared" / "afm-samples"))
path = SAMPLES / "asd_sample_0.asd"
if path.exists():
    movie = ap.read(path, lazy=True)[0]
    print(f"{path.name}: {movie.data.shape[0]} frames of {movie.data.shape[1:]} (lazy: {type(movie.data).__name__})")
    frames = movie.data
else:  # no sample files: a virtual scene drifting by a known amount
    scene = ndi.gaussian_filter(np.random.default_rng(0).normal(size=(200, 200)), 3)
    frames = np.stack([scene[40 + k:140 + k, 40 + k // 2:140 + k // 2] for k in range(12)])

aligned, drift = ap.preprocess.align_frames(ap.level(frames, "plane"))
table = drift.table()
for k in range(0, len(table["frame"]), max(1, len(table["frame"]) // 8)):
    state = "" if table["registered"][k] else "  (not registered: nothing in common with the reference)"
    print(f"frame {table['frame'][k]:3d}: dy {table['dy_px'][k]:+6.2f} px, dx {table['dx_px'][k]:+6.2f} px{state}")

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(table["dy_px"], label="dy")
ax.plot(table["dx_px"], label="dx")
ax.set_xlabel("frame")
ax.set_ylabel("drift (px)")
ax.legend()
fig.tight_layout()
