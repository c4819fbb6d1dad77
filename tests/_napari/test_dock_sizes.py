"""Every dock fits a 1280 x 800 screen beside the canvas: tall docks scroll instead of growing."""

from __future__ import annotations

import pytest
import yaml

from tests.test_readme_menus import ROOT

napari = pytest.importorskip("napari")

SCREEN = (1280, 800)
# what napari's window leaves a dock on that screen: menu bar, title bars and the layer list above
MAX_DOCK = (SCREEN[0] // 2, SCREEN[1] - 100)

WIDGETS = [w["display_name"] for w in yaml.safe_load((ROOT / "napari.yaml").read_text())["contributions"]["widgets"]]


@pytest.mark.parametrize("name", WIDGETS)
def test_dock_fits_the_screen(make_napari_viewer, name):
    viewer = make_napari_viewer()
    dock, _ = viewer.window.add_plugin_dock_widget("napari-afm-profiler", name)
    hint = dock.minimumSizeHint()
    assert hint.width() <= MAX_DOCK[0], f"{name}: {hint.width()} px wide"
    assert hint.height() <= MAX_DOCK[1], f"{name}: {hint.height()} px tall"
