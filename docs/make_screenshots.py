"""Take the README and documentation screenshots in a real (Xvfb) napari window.

Run: ``xvfb-run -a -s "-screen 0 1600x1100x24" python docs/make_screenshots.py [NAME ...]`` with NAME among
level, tip, virtual, deconvolve, particles, roughness, classify (all by default).  Each opens a
fresh viewer, drives one dock as a user would and saves ``docs/<file>.png``.  CI runs it before
the documentation build, so the pictures always show the current docks.  Real instrument files
from ``../shared/afm-samples`` are used when that folder is there; otherwise the shots use the
plugin's own virtual data, so the script runs on any machine.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import napari

# the docks start from their defaults and what the script sets in them is not saved as the user's
os.environ.setdefault("NAPARI_AFM_PROFILER_SETTINGS_DIR", tempfile.mkdtemp(prefix="afm-screenshot-settings-"))

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "afm-samples"
WINDOW = (1500, 950)
DOCK_WIDTH = 560


def _wait(worker: Any) -> None:
    if worker is None:
        raise RuntimeError("the dock refused to run: see its status line")
    app = napari.qt.get_qapp()
    while not getattr(worker, "afm_done", False):  # set by start_worker, connected before the start
        app.processEvents()


def _scroll_to_plot(widget: Any) -> None:
    """Scroll a tall dock so that its plot (the result a user looks at) is in view."""
    from qtpy.QtWidgets import QScrollArea

    app = napari.qt.get_qapp()
    for _ in range(10):
        app.processEvents()
    for area in widget.native.findChildren(QScrollArea):
        area.ensureWidgetVisible(widget.canvas, 0, 0)


def _open(viewer: napari.Viewer, name: str) -> Any:
    """Open a sample file (its height layer on top, others hidden), or the virtual scene without the samples."""
    if not (SAMPLES / name).is_file():
        viewer.open_sample("napari-afm-profiler", "virtual_scene")
        return viewer.layers[0]
    layers = viewer.open(str(SAMPLES / name), plugin="napari-afm-profiler")
    height = layers[-1]  # the reader puts the main height channel on top, the others hidden
    for layer in layers[:-1]:
        layer.visible = False
    return height


def level(viewer: napari.Viewer) -> None:
    """Level a Veeco file line by line."""
    height = _open(viewer, "Veeco_20160622.003")
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Level")
    widget.image.value = height
    widget.method.value = "lines-match"
    _wait(widget.run_level())
    height.visible = False


def tip(viewer: napari.Viewer) -> None:
    """Erode a Nanoscope file with a cone tip and map where that is certain."""
    height = _open(viewer, "kpg20080408.007")
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Tip")
    widget.image.value = height
    widget.radius.value, widget.half_angle.value = 8.0, 20.0
    for op in ("erode", "certainty"):
        _wait(widget.apply(op))
    height.visible = False


def virtual(viewer: napari.Viewer) -> None:
    """Preview mixed virtual scenes with the paper's artifacts: true surface | AFM image."""
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Virtual data")
    widget.kind.value, widget.artifacts.value = "mixed", "paper"
    _wait(widget.show_preview())


def deconvolve(viewer: napari.Viewer) -> None:
    """Level, then deconvolve, an Asylum image of thin features with the shipped model and a named tip."""
    from napari_afm_profiler._napari.widgets.deconvolve import TIP_MODEL

    height = _open(viewer, "sample_0.ibw")
    level_dock, leveller = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Level")
    leveller.image.value = height
    leveller.method.value = "lines-match"
    _wait(leveller.run_level())
    levelled = viewer.layers[-1]
    viewer.window.remove_dock_widget(level_dock)  # the picture is about the Deconvolve dock
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Deconvolve")
    widget.image.value = levelled
    widget.tip.value = TIP_MODEL  # the tip the user names (cone, R and half-angle in the dock)
    widget.uncertainty.value = False
    _wait(widget.run())
    height.visible = levelled.visible = False


def particles(viewer: napari.Viewer) -> None:
    """Particles of the virtual sample scene: labels, the linked table and the size histograms."""
    viewer.open_sample("napari-afm-profiler", "virtual_scene")
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Particles")
    widget.image.value = viewer.layers[0]
    _wait(widget.run())
    _scroll_to_plot(widget)


def roughness(viewer: napari.Viewer) -> None:
    """Roughness per particle of the virtual sample scene, with the table and a histogram."""
    viewer.open_sample("napari-afm-profiler", "virtual_scene")
    height, labels = viewer.layers
    labels.visible = True
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Roughness")
    widget.images.value = [height]
    widget.labels_layer.value = labels
    _wait(widget.run())
    widget.plot_parameter.value = "Sq"
    _scroll_to_plot(widget)


def classify(viewer: napari.Viewer) -> None:
    """Two virtual cell populations (Hurst 0.4 vs 0.9, four cell maps each), annotated per image, evaluated."""
    import numpy as np

    from napari_afm_profiler.synth.scene import fractal_surface

    yy, xx = np.mgrid[0:192, 0:192]
    cells = np.zeros((192, 192), np.int32)
    for k in range(9):
        cells[(yy - 32 - 64 * (k // 3)) ** 2 + (xx - 32 - 64 * (k % 3)) ** 2 <= 26**2] = k + 1
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Classifier")
    images, labels = [], []
    for i, (hurst, name) in enumerate([(0.4, "rough")] * 4 + [(0.9, "smooth")] * 4):
        z = fractal_surface((192, 192), rms_nm=3.0, hurst=hurst, seed=i)
        z += np.random.default_rng(i).normal(0, 0.1, (192, 192))
        images.append(viewer.add_image(z, name=f"cell map {i} · Height", scale=(2.0, 2.0), units=("nm", "nm"),
                                       colormap="afmhot", visible=i == 0))
        labels.append(viewer.add_labels(cells, name=f"cell map {i} · cells", scale=(2.0, 2.0), units=("nm", "nm"),
                                        opacity=0.25, visible=i == 0))
        dock.labels_layers.value = [labels[-1]]
        dock.class_name.value = name
        dock.assign_to_layers()
    dock.images.value = images
    dock.labels_layers.value = labels
    dock.splits.value = 100
    _wait(dock.run())
    _scroll_to_plot(dock)


SHOTS: dict[str, tuple[Callable[[napari.Viewer], None], str]] = {
    "level": (level, "screenshot.png"), "tip": (tip, "tip_widget.png"),
    "virtual": (virtual, "virtual_data.png"), "deconvolve": (deconvolve, "deconvolve.png"),
    "particles": (particles, "particles.png"), "roughness": (roughness, "roughness.png"),
    "classify": (classify, "classifier.png"),
}


def _narrow_docks(viewer: napari.Viewer, width: int = DOCK_WIDTH) -> None:
    """Give the plugin's docks a dock's usual width, so the canvas keeps the rest of the window."""
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QDockWidget

    window = viewer.window._qt_window
    docks = [d for d in window.findChildren(QDockWidget) if "napari-afm-profiler" in d.windowTitle() and d.isVisible()]
    window.resizeDocks(docks, [width] * len(docks), Qt.Orientation.Horizontal)


def main() -> None:
    """Take the screenshots named on the command line (all by default)."""
    for name in sys.argv[1:] or list(SHOTS):
        make, filename = SHOTS[name]
        viewer = napari.Viewer(show=True)
        viewer.window._qt_window.resize(*WINDOW)
        make(viewer)
        _narrow_docks(viewer)
        viewer.canvas.overlays.scale_bar.visible = True
        viewer.reset_view()
        app = napari.qt.get_qapp()
        for _ in range(30):
            app.processEvents()
        viewer.screenshot(path=str(ROOT / "docs" / filename), canvas_only=False, flash=False)
        viewer.close()


if __name__ == "__main__":
    main()
