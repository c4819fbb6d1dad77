"""
Remove tip convolution with the trained network
===============================================

The network shipped in the package was trained on virtual surfaces imaged by many modelled tips
(``afm-profiler train --architecture tip-conditioned-unet --generator wide`` re-trains it) and
is told which tip made the image.  Here the true surface is known, so the raw image, the
classical erosion with that tip and the network can be scored, and the consistency check read.
"""

import matplotlib.pyplot as plt
import numpy as np

import napari_afm_profiler as ap

surface, labels = ap.synth.particles_on_substrate(seed=5)
tip = ap.tip.make_tip("paraboloid", pixel_size_nm=2.0, radius_nm=10.0)
image = ap.tip.dilate(surface, tip) + np.random.default_rng(0).normal(0, 0.1, surface.shape)
result = ap.deconvolve(image, pixel_size_nm=2.0, tip=tip)
# the network run on the image and its three mirror images, averaged: about 4x the time
mirrored = ap.deconvolve(image, pixel_size_nm=2.0, tip=tip, mirror_average=True)
eroded = ap.tip.erode(image, tip)

for name, estimate in (("raw image", image), ("erosion, same tip", eroded), ("network", result.surface),
                       ("network, mirror-averaged", mirrored.surface)):
    error = np.abs(estimate - surface)
    area = (estimate - surface.min() > 1.0).sum() / (surface - surface.min() > 1.0).sum() - 1
    print(f"{name:26s} mean |error| {error.mean():.3f} nm   projected-area error {area:+.0%}")
print("notes:", "; ".join(result.notes) or "none")

fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
for ax, data, title in zip(axes, (surface, image, result.surface), ("true surface", "image", "deconvolved")):
    ax.imshow(data, cmap="afmhot", vmin=surface.min(), vmax=surface.max())
    ax.set_title(title)
fig.tight_layout()
