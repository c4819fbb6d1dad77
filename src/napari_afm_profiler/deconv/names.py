"""Names the CLI offers without importing torch."""

ARCHITECTURE_NAMES = ("tip-conditioned-unet", "bounded-unet", "paper-encoder-decoder")
TRAINING_KINDS = ("dome", "cuboid", "prism", "cylinder", "rod", "fractal", "mixed")
