"""
Open an instrument file and level it
====================================

``ap.read`` returns every channel of a file, calibrated: heights in nm, pixel sizes in nm.
``ap.level`` removes a background (plane, polynomial) or scan-line offsets; the input is
never modified.
"""

import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import napari_afm_profiler as ap

here = Path(__file__).resolve() if "__file__" in globals() else Path.cwd() / "x.py"
SAMPLES = Path(os.environ.get("AFM_SAMPLES", here.parents[3] / "shared" / "afm-samples"))
path = SAMPLES / "kpg20080408.007"  # a Bruker Nanoscope file
if not path.exists():  # no sample files: a tilted virtual scene written as a Gwyddion file
    from napari_afm_profiler.io.writers import write_image

    height, _ = ap.synth.particles_on_substrate(seed=0)
    yy, xx = np.mgrid[0:256, 0:256]
    path = write_image(Path(tempfile.mkdtemp()) / "scene.gwy", height + 0.05 * xx + 0.02 * yy + 1e-4 * xx**2,
                       pixel_size_nm=(2.0, 2.0))

scans = ap.read(path)
for scan in scans:
    print(f"{scan.channel:30s} {scan.data.shape} {scan.pixel_size_nm} {scan.z_unit}")

# %%
# The height channel comes first.  Median offsets per scan line, then a second-order
# polynomial, take out line jumps, tilt and scanner bow.
height = scans[0]
flat = ap.level(ap.level(height.data, "lines"), "poly2")
rms = [float(np.sqrt(np.nanmean((z - np.nanmean(z)) ** 2))) for z in (height.data, flat)]
print(f"RMS height about the mean: {rms[0]:.2f} nm as recorded, {rms[1]:.2f} nm levelled")

fig, axes = plt.subplots(1, 2, figsize=(8, 4))
for ax, data, title in zip(axes, (height.data, flat), ("as recorded", "levelled")):
    extent = (0, data.shape[1] * height.pixel_size_nm[1], 0, data.shape[0] * height.pixel_size_nm[0])
    im = ax.imshow(data, cmap="afmhot", extent=extent)
    ax.set_title(title)
    ax.set_xlabel("x (nm)")
    fig.colorbar(im, ax=ax, label="height (nm)", shrink=0.8)
fig.tight_layout()
