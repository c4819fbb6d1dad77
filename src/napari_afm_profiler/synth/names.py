"""Names of the virtual-data kinds, importable without the generator (the CLI builds its parser from them)."""

OBJECT_KINDS = ("dome", "cuboid", "prism", "cylinder", "rod")
"""``cylinder`` stands on its base (a flat-topped disc); ``rod`` is a cylinder lying on its side."""

KINDS = (*OBJECT_KINDS, "fractal", "mixed")
"""Dataset kinds: one object class per image, fractal rough surfaces, or mixed scenes."""
