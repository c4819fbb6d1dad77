"""Every dock fits a 1280 x 800 screen beside the canvas: tall docks scroll instead of growing."""

from __future__ import annotations

import pytest
import yaml
from qtpy.QtWidgets import QLabel

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


@pytest.mark.parametrize("name", WIDGETS)
def test_a_long_message_wraps_instead_of_widening_the_dock(make_napari_viewer, name):
    """A 600-character status (a consistency warning, an error naming a long path) must wrap."""
    from magicgui.widgets import Label

    viewer = make_napari_viewer()
    dock, widget = viewer.window.add_plugin_dock_widget("napari-afm-profiler", name)
    messages = [w for w in getattr(widget, "_list", []) if isinstance(w, Label)]
    if not messages:
        pytest.skip(f"{name} shows no messages")
    for label in messages:
        label.value = " ".join(["a-long-word"] * 55)
    assert dock.minimumSizeHint().width() <= MAX_DOCK[0], f"{name}: {dock.minimumSizeHint().width()} px wide"


def test_docks_of_the_gui_leave_the_canvas_its_room(make_napari_viewer, qtbot):
    """Rendered in a 1280 x 800 window with the main docks tabbed, the canvas keeps its room."""
    from napari_afm_profiler._napari.launch import MAIN_WIDGETS, dock_main_widgets

    viewer = make_napari_viewer(show=True)
    window = viewer.window._qt_window
    window.resize(*SCREEN)
    docks = dock_main_widgets(viewer)
    for dock in docks:
        for child in dock.findChildren(QLabel):
            if child.wordWrap():  # message lines: fill them with a long message
                child.setText(" ".join(["a-long-message"] * 50))
    qtbot.wait(50)
    canvas = viewer.window._qt_viewer.canvas.native
    assert len(docks) == len(MAIN_WIDGETS)
    assert window.width() <= SCREEN[0] + 1, f"the window grew to {window.width()} px"
    assert canvas.width() >= SCREEN[0] // 3, f"the canvas has {canvas.width()} of {window.width()} px"
