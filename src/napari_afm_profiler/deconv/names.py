"""Names the CLI offers without importing torch."""

ARCHITECTURE_NAMES = ("tip-conditioned-unet", "bounded-unet", "paper-encoder-decoder")
TRAINING_KINDS = ("dome", "cuboid", "prism", "cylinder", "rod", "fractal", "mixed")
DROPOUT_MODES = ("replace", "keep")
"""What deconvolution does with pixels lower than the tip can image (``deconvolve(dropouts=...)``)."""

PIPELINE_CALIBRATION_SEED = 3_000_017
"""Default seed of the calibration pairs: not a training (0-6), validation (+1 000 003),
network-calibration (+2 000 006) or benchmark test seed."""

BROADENING_BINS = 3
"""Broadening bins per certainty group.  On the wide validation set (seed 424242) the lowest
per-kind coverage of the 90 % interval was 0.84 with the certainty groups alone, 0.864 with 2 or
3 bins and no better with 4 or 6; the image's height range did as well, noise, slope or predicted
width worse (benchmarks/RESULTS.md)."""

WIDTH_BINS = 3
"""Relative-width bins (predicted 90 % half-width over the frame's broadening) within each broadening
and certainty group.  On the wide validation seeds 424242 and 555555 and cross-fitted on the
calibration pairs, 3 bins lifted the least covered kind (pits, whose unreached floors claim narrow
intervals) by 1-3 points and lowered the most covered (fractal surfaces) by 1-2, with intervals
no wider; 4 or 6 bins did the same (benchmarks/RESULTS.md)."""

NOISE_WIDTH_FACTOR = 3.0
"""Noise SDs of the frame added to :data:`~.calibration.WIDTH_FLOOR_NM` (cards calibrated since session 37).

The result misses the truth by noise-sized amounts even where the network is sure (the erosion
of a noisy image), so a constant floor over-covers clean frames and under-covers noisy ones: on
the wide validation seed 424242, quarters of the frames by noise level were covered 94.1 / 93.4 / 91.6 /
89.4 % with the floor alone and 92.5 / 92.1 / 92.0 / 92.2 % with 3 SDs added (1, 2, 4 and 6 SDs
tried; the mean 90 % half-width fell 6 %, benchmarks/RESULTS.md)."""

FINE_CALIBRATION_PIXEL_SIZES_NM = (0.0625, 0.25)
"""Pixel sizes of the pairs that calibrate frames finer than the calibration pairs (the finest
regime), nm: downsampled more than twofold for the network, such frames were covered only 54-96 %
per kind with the finer regime's margins (validation seed 424242, benchmarks/RESULTS.md)."""

COARSE_CALIBRATION_PIXEL_SIZES_NM = (4.0, 16.0)
"""Pixel sizes of the pairs the erosion's interval is fitted on (:mod:`.coarse`), nm: beyond the
calibration pairs' range the result is the noise-corrected erosion, on the image's own grid."""

CALIBRATION_PIXEL_SIZES_NM = (0.25, 4.0)
"""Pixel sizes of the calibration pairs (log-uniform), nm: the range issue 18's distribution names.
Images outside the model's trained range are resampled; with margins fitted on 0.5-2 nm pairs
only, the 90 % interval covered 80-81 % of the pixels of 2-4 nm images (wide validation seeds
424242 and 555555), and with margins per pixel regime 91-93 % (benchmarks/RESULTS.md)."""

MIRROR_PASSES = 4
"""Network passes of ``deconvolve(mirror_average=True)``: the image, its two flips and its half-turn,
each result flipped back, their quantiles averaged.  Flips keep the scan lines along x, as in
every training image; the four transposed images as well (8 passes) gave the same result
(median RMSE over the erosion's 0.609 against 0.612, wide validation seed 555555; 0.720 against
0.724 on 424242; one pass: 0.648 and 0.757; benchmarks/RESULTS.md)."""

CALIBRATION_LINE_WANDER = (0.0, 4.0)
"""Scan-line wander of the pairs that fit the intervals' widening for line noise, in white-noise SDs.

Uniform over the range: across/along noise ratios of 1 to about 4.3, the span of the shared
sample files (1.6-4 on frames of 0.25-4 nm pixels, benchmarks/RESULTS.md, session 41).
"""
