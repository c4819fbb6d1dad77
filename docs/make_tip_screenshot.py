"""Take the Tip widget screenshot: a real AFM file, a cone tip, its dilation and certainty map.

Run under Xvfb: xvfb-run -a python docs/make_tip_screenshot.py [FILE]
"""

from __future__ import annotations

import sys
from pathlib import Path

import napari

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "afm-samples" / "kpg20080408.007"


def main() -> None:
    """Open the file, dock the Tip widget, erode with a cone tip, save docs/tip_widget.png."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(1500, 950)
    layers = viewer.open(str(path), plugin="napari-afm-profiler")
    for layer in layers[1:]:
        layer.visible = False
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Tip")
    widget.image.value = layers[0]
    widget.radius.value = 8.0
    widget.half_angle.value = 20.0
    app = napari.qt.get_qapp()
    for op in ("erode", "certainty"):
        done = []
        widget.apply(op).finished.connect(lambda flag=done: flag.append(True))
        while not done:
            app.processEvents()
    viewer.layers[0].visible = False
    viewer.scale_bar.visible = True
    viewer.reset_view()
    for _ in range(30):
        app.processEvents()
    viewer.screenshot(path=str(ROOT / "docs" / "tip_widget.png"), canvas_only=False, flash=False)
    viewer.close()


if __name__ == "__main__":
    main()
