"""``afm-profiler-gui``: napari with the plugin's widgets docked and the sample scene loaded.

Without a display, runs the same pipeline on the sample data from the CLI instead.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def main() -> int:
    """Start napari (or, headless, the CLI pipeline on the virtual sample scene)."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and sys.platform.startswith("linux"):
        return _headless_pipeline()
    import napari

    viewer = napari.Viewer()
    viewer.open_sample("napari-afm-profiler", "virtual_scene")
    viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Level")
    napari.run()
    return 0


def _headless_pipeline() -> int:
    from napari_afm_profiler.cli import main as cli

    out = Path(tempfile.mkdtemp(prefix="afm-profiler-"))
    print(f"no display: running the pipeline on the virtual sample scene in {out}")
    for argv in (["sample", "-o", str(out / "scene.tif")],
                 ["export", str(out / "scene.tif"), "--level", "plane", "-o", str(out / "scene_levelled.gwy")],
                 ["info", str(out / "scene_levelled.gwy")]):
        code = cli(argv)
        if code:
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
