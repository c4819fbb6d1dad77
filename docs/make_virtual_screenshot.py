"""Take the Virtual data widget screenshot: mixed scenes with artifacts, surface | image side by side.

Run under Xvfb: xvfb-run -a python docs/make_virtual_screenshot.py
"""

from __future__ import annotations

from pathlib import Path

import napari

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Dock the widget, preview three mixed pairs with the paper's artifacts, save docs/virtual_data.png."""
    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(1500, 950)
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Virtual data")
    widget.kind.value = "mixed"
    widget.artifacts.value = "paper"
    app = napari.qt.get_qapp()
    done = []
    widget.show_preview().finished.connect(lambda: done.append(True))
    while not done:
        app.processEvents()
    viewer.scale_bar.visible = True
    viewer.reset_view()
    for _ in range(30):
        app.processEvents()
    viewer.screenshot(path=str(ROOT / "docs" / "virtual_data.png"), canvas_only=False, flash=False)
    viewer.close()


if __name__ == "__main__":
    main()
