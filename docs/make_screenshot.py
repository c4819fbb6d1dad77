"""Take the README screenshot: a real AFM file open in napari with the Level widget docked.

Run under Xvfb: xvfb-run -a python docs/make_screenshot.py [FILE]
"""

from __future__ import annotations

import sys
from pathlib import Path

import napari

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "afm-samples" / "Veeco_20160622.003"


def main() -> None:
    """Open the file, dock and run the Level widget, save docs/screenshot.png."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(1400, 850)
    layers = viewer.open(str(path), plugin="napari-afm-profiler")
    for layer in layers[1:]:
        layer.visible = False
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Level")
    widget.image.value = layers[0]
    widget.method.value = "lines-match"
    widget()
    layers[0].visible = False
    viewer.scale_bar.visible = True
    dock = viewer.window._dock_widgets.get("Level (AFM Profiler)")
    if dock is not None:
        dock.show()
    app = napari.qt.get_qapp()
    for _ in range(20):
        app.processEvents()
    viewer.screenshot(path=str(ROOT / "docs" / "screenshot.png"), canvas_only=False, flash=False)
    viewer.close()


if __name__ == "__main__":
    main()
