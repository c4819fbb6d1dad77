"""Names of the virtual-data kinds, importable without the generator (the CLI builds its parser from them)."""

OBJECT_KINDS = ("dome", "cuboid", "prism", "cylinder", "rod")
"""``cylinder`` stands on its base (a flat-topped disc); ``rod`` is a cylinder lying on its side."""

SHAPE_KINDS = (*OBJECT_KINDS, "cap", "ridge")
"""Every shape :func:`~napari_afm_profiler.synth.objects.place_objects` draws: the paper's five, plus spherical
caps of any height-to-width ratio and ridges of triangular cross-section (used by the wide generator)."""

KINDS = (*OBJECT_KINDS, "fractal", "mixed")
"""Dataset kinds: one object class per image, fractal rough surfaces, or mixed scenes."""

WIDE_SCENES = ("caps", "boxes", "ridges", "rods", "tubes", "pits", "terraces", "fractal", "mixed")
"""Scene kinds of the wide generator (:mod:`napari_afm_profiler.synth.wide`), equal shares by default."""
