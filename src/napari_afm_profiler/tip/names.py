"""Names of the tip models, importable without numpy (the CLI builds its parser from them)."""

TIP_SHAPE_NAMES = ("cone", "pyramid", "paraboloid", "sphere", "cylinder")
