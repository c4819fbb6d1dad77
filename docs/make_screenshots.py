"""Take the README screenshots in a real (Xvfb) napari window.

Run: ``xvfb-run -a -s "-screen 0 1600x1100x24" python docs/make_screenshots.py [NAME ...]`` with NAME among
level, tip, virtual, deconvolve, roughness, classify
(all by default).  Each opens a fresh viewer, drives one dock and saves ``docs/<name>.png``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import napari

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "afm-samples"


def _wait(worker: Any) -> None:
    app = napari.qt.get_qapp()
    while not getattr(worker, "afm_done", False):  # set by start_worker, connected before the start
        app.processEvents()


def _open(viewer: napari.Viewer, name: str) -> list[Any]:
    layers = viewer.open(str(SAMPLES / name), plugin="napari-afm-profiler")
    for layer in layers[1:]:
        layer.visible = False
    return layers


def level(viewer: napari.Viewer) -> None:
    """Level a Veeco file line by line."""
    layers = _open(viewer, "Veeco_20160622.003")
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Level")
    widget.image.value = layers[0]
    widget.method.value = "lines-match"
    widget()
    layers[0].visible = False


def tip(viewer: napari.Viewer) -> None:
    """Erode a Nanoscope file with a cone tip and map where that is certain."""
    layers = _open(viewer, "kpg20080408.007")
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Tip")
    widget.image.value = layers[0]
    widget.radius.value, widget.half_angle.value = 8.0, 20.0
    for op in ("erode", "certainty"):
        _wait(widget.apply(op))
    layers[0].visible = False


def virtual(viewer: napari.Viewer) -> None:
    """Preview mixed virtual scenes with the paper's artifacts: true surface | AFM image."""
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Virtual data")
    widget.kind.value, widget.artifacts.value = "mixed", "paper"
    _wait(widget.show_preview())


def deconvolve(viewer: napari.Viewer) -> None:
    """Level, then deconvolve, an Asylum image of thin features with the shipped model."""
    layers = _open(viewer, "sample_0.ibw")
    _, leveller = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Level")
    leveller.image.value = layers[0]
    leveller.method.value = "lines-match"
    leveller()
    levelled = viewer.layers[-1]
    _, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", "Deconvolve")
    widget.image.value = levelled
    widget.uncertainty.value = False
    _wait(widget.run())
    layers[0].visible = levelled.visible = False


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


SHOTS: dict[str, tuple[Callable[[napari.Viewer], None], str]] = {
    "level": (level, "screenshot.png"), "tip": (tip, "tip_widget.png"),
    "virtual": (virtual, "virtual_data.png"), "deconvolve": (deconvolve, "deconvolve.png"),
    "roughness": (roughness, "roughness.png"), "classify": (classify, "classifier.png"),
}


def main() -> None:
    """Take the screenshots named on the command line (all by default)."""
    for name in sys.argv[1:] or list(SHOTS):
        make, filename = SHOTS[name]
        viewer = napari.Viewer(show=True)
        viewer.window._qt_window.resize(1500, 950)
        make(viewer)
        viewer.scale_bar.visible = True
        viewer.reset_view()
        app = napari.qt.get_qapp()
        for _ in range(30):
            app.processEvents()
        viewer.screenshot(path=str(ROOT / "docs" / filename), canvas_only=False, flash=False)
        viewer.close()


if __name__ == "__main__":
    main()
