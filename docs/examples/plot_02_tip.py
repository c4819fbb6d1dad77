"""
Model, apply and estimate a tip
===============================

A tip model on the image's pixel grid, the image it would record (dilation), Villarrubia's
reconstruction (erosion), the pixels where that reconstruction is certain, and a blind
estimate of the tip from the image alone.
"""

import matplotlib.pyplot as plt
import numpy as np

import napari_afm_profiler as ap

surface, labels = ap.synth.particles_on_substrate(seed=2)
tip = ap.tip.make_tip("paraboloid", pixel_size_nm=2.0, radius_nm=12.0)
image = ap.tip.dilate(surface, tip)
reconstruction = ap.tip.erode(image, tip)
certain = ap.tip.certainty_map(image, tip)
print(f"tip {tip.size}x{tip.size} px; mean error of the image {np.mean(image - surface):.2f} nm, "
      f"of the reconstruction {np.mean(reconstruction - surface):.2f} nm; certain pixels {certain.mean():.1%}")

# %%
# Blind estimation: the bluntest tip consistent with the image (an upper bound of the real
# one), with a noise threshold of a few height steps.
size = 15  # the apex region the particles can reveal
estimate = ap.tip.estimate_tip(image, size, threshold=0.05, full=True)
c, h = tip.size // 2, size // 2
true = (tip.heights - tip.heights.max())[c - h:c + h + 1, c - h:c + h + 1]
print(f"blind estimate ({size}x{size} px): RMS difference to the true apex {np.sqrt(np.mean((estimate - true) ** 2)):.3f} nm "
      f"(an upper bound: never below the true tip: {bool((estimate >= true - 0.06).all())})")

fig, axes = plt.subplots(1, 4, figsize=(12, 3))
for ax, data, title in zip(axes, (image, reconstruction, certain), ("image (dilated)", "eroded", "certain")):
    ax.imshow(data, cmap="afmhot" if title != "certain" else "gray")
    ax.set_title(title)
axes[3].plot(true[h], label="true tip")
axes[3].plot(estimate[h], "--", label="blind estimate")
axes[3].set_title("tip profile (nm)")
axes[3].legend()
fig.tight_layout()
