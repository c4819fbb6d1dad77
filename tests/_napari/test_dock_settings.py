"""Dock settings persist between napari starts, and "Restore defaults" brings the defaults back."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from tests.test_readme_menus import ROOT

napari = pytest.importorskip("napari")

from napari_afm_profiler._napari.widgets import _settings  # noqa: E402
from napari_afm_profiler._napari.widgets.roughness import RoughnessWidget  # noqa: E402
from napari_afm_profiler._napari.widgets.training_pairs import TrainingPairsWidget  # noqa: E402

WIDGETS = [w["display_name"] for w in yaml.safe_load((ROOT / "napari.yaml").read_text())["contributions"]["widgets"]]


def restore_button(dock):
    from magicgui.widgets import PushButton

    buttons = [w for w in dock if isinstance(w, PushButton) and w.text == "Restore defaults"]
    assert len(buttons) == 1
    return buttons[0]


def test_roughness_settings_come_back_in_a_new_dock(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((8, 8)), name="h")
    first = RoughnessWidget(viewer)
    first.level.value = "poly3"
    first.s_filter.value = 2.5
    first.l_robust.value = True
    first.groups.value = ["height", "hybrid"]
    first.region_level.value = "substrate"
    saved = json.loads(first.afm_settings_path.read_text())
    assert "channels (images)" not in saved and "labels" not in saved  # layers are not settings

    second = RoughnessWidget(viewer)  # as napari would build it at the next start
    assert second.level.value == "poly3"
    assert second.s_filter.value == pytest.approx(2.5)
    assert second.l_robust.value is True
    assert list(second.groups.value) == ["height", "hybrid"]
    assert second.region_level.value == "substrate"

    restore_button(second).clicked.emit()
    assert second.level.value == "plane" and second.s_filter.value == 0 and second.l_robust.value is False
    assert json.loads(second.afm_settings_path.read_text()) == {}
    third = RoughnessWidget(viewer)
    assert third.level.value == "plane" and third.region_level.value == "own"


def test_unusable_saved_values_leave_the_defaults(make_napari_viewer, tmp_path, monkeypatch):
    monkeypatch.setenv(_settings.SETTINGS_DIR_VARIABLE, str(tmp_path))
    (tmp_path / "roughness.json").write_text(json.dumps({
        "F-operator (levelling)": "poly99",          # a choice that does not exist
        "Wolf pruning (% of Sz)": 1e9,               # beyond the control's range
        "erode region border (px)": "three",         # wrong type
        "Sal/Str threshold s": 0.5,                  # fine
    }))
    dock = RoughnessWidget(make_napari_viewer())
    assert dock.level.value == "plane"
    assert dock.wolf.value <= dock.wolf.max
    assert dock.erosion.value == 0
    assert dock.acf_s.value == pytest.approx(0.5)

    (tmp_path / "roughness.json").write_text("{not json")
    assert RoughnessWidget(make_napari_viewer()).acf_s.value == pytest.approx(0.2)


def test_state_controls_are_not_saved(make_napari_viewer):
    dock = TrainingPairsWidget(make_napari_viewer())
    dock.crop.value = dock.crop.value + 16
    saved = json.loads(dock.afm_settings_path.read_text())
    assert "crop (px)" in saved
    assert "pair" not in saved and not any(k.isdigit() for k in saved)


def test_a_read_only_settings_folder_does_not_break_a_dock(make_napari_viewer, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(_settings.SETTINGS_DIR_VARIABLE, str(blocker / "below-a-file"))
    dock = RoughnessWidget(make_napari_viewer())
    dock.level.value = "poly2"  # saving fails quietly; the dock keeps working
    assert dock.level.value == "poly2"


@pytest.mark.parametrize("name", WIDGETS)
def test_every_dock_offers_restore_defaults(make_napari_viewer, name):
    viewer = make_napari_viewer()
    _, dock = viewer.window.add_plugin_dock_widget("napari-afm-profiler", name)
    if not hasattr(dock, "afm_settings_path"):
        pytest.skip(f"{name} has no settings of its own (a one-shot file opener)")
    restore_button(dock)
