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
    dock_main_widgets(viewer)
    napari.run()
    return 0


MAIN_WIDGETS = ("Level", "Tip", "Deconvolve", "Particles", "Roughness", "Classifier")
"""The docks ``afm-profiler-gui`` opens, tabified on the right, in the order of the work."""


def dock_main_widgets(viewer: object) -> list[object]:
    """Dock :data:`MAIN_WIDGETS` in one tabbed area (Level in front); return the dock widgets."""
    docks = [viewer.window.add_plugin_dock_widget("napari-afm-profiler", name)[0] for name in MAIN_WIDGETS]
    qt_window = viewer.window._qt_window  # napari has no public tabify; the Qt main window does it
    for dock in docks[1:]:
        qt_window.tabifyDockWidget(docks[0], dock)
    docks[0].raise_()
    return docks


def _headless_pipeline() -> int:
    from napari_afm_profiler.cli import main as cli

    out = Path(tempfile.mkdtemp(prefix="afm-profiler-"))
    print(f"no display: running the pipeline on the virtual sample scene in {out}")
    scene, flat = out / "scene.tif", out / "scene_levelled.tif"
    for argv in (["sample", "-o", str(scene)],
                 ["export", str(scene), "--level", "plane", "-o", str(flat)],
                 ["info", str(flat)],
                 ["deconvolve", str(flat), "--tip-shape", "paraboloid", "--tip-radius", "10",
                  "-o", str(out / "deconvolved.tif"), "--consistency", str(out / "consistency.tif")],
                 ["particles", str(out / "deconvolved.tif"), "--level", "none", "-o", str(out / "particles.csv")],
                 ["roughness", str(out / "deconvolved.tif"), "--groups", "height,hybrid", "--format", "csv",
                  "-o", str(out / "roughness.csv")]):
        print("$ afm-profiler " + " ".join(argv), flush=True)
        code = cli(argv)
        if code:
            return code
    print(f"done: the results are in {out} (start napari with a display to see them as layers)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
