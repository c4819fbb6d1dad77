"""Dock settings that persist between napari starts, with a "Restore defaults" button.

Each dock's plain settings (numbers, check boxes, text choices, file paths) are saved as JSON
in the user's configuration folder whenever one changes, and applied again the next time the
dock opens, as stardist-napari does.  Layer choices are not saved (layers do not outlive a
session), and neither are buttons, labels or tables.  A saved value the dock can no longer take
(a choice that was removed, a number out of the new range) is skipped: the default stays.

The folder is ``platformdirs.user_config_dir("napari-afm-profiler")/docks``; the environment
variable ``NAPARI_AFM_PROFILER_SETTINGS_DIR`` points it elsewhere (tests use a temporary one).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SETTINGS_DIR_VARIABLE = "NAPARI_AFM_PROFILER_SETTINGS_DIR"
_PLAIN = (bool, int, float, str)


def settings_dir() -> Path:
    """Folder holding one ``<dock>.json`` per dock."""
    override = os.environ.get(SETTINGS_DIR_VARIABLE)
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir("napari-afm-profiler")) / "docks"


def remember_settings(container: Any, dock: str, exclude: tuple[Any, ...] = ()) -> Any:
    """Restore ``container``'s saved settings, save them on every change, add "Restore defaults".

    Call it at the end of a dock's ``__init__`` (before ``make_scrollable``); ``exclude`` names
    controls that hold the dock's state rather than a setting (a pair index, say).  Returns the
    button, which is appended to the container.
    """
    from magicgui.widgets import PushButton

    widgets = dict(_persistent_widgets(container, exclude))
    defaults = {name: _encode(w.value) for name, w in widgets.items()}
    path = settings_dir() / f"{dock}.json"
    _apply(widgets, _read(path))

    def save(*_: Any) -> None:
        values = {name: _encode(w.value) for name, w in widgets.items()}
        changed = {k: v for k, v in values.items() if v != defaults[k]}
        _write(path, changed)

    def restore(*_: Any) -> None:
        _apply(widgets, defaults)
        _write(path, {})

    for widget in widgets.values():
        widget.changed.connect(save)
    button = PushButton(text="Restore defaults")
    button.tooltip = f"Reset this dock's settings to their defaults (saved in {path})"
    button.changed.connect(restore)
    container.append(button)
    container.afm_settings_path = path
    return button


def _persistent_widgets(container: Any, exclude: tuple[Any, ...] = (), prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(key, widget)`` for every value widget whose value is plain data (not a layer, not ``exclude``)."""
    from magicgui.widgets import Container, Label, PushButton, Table
    from magicgui.widgets.bases import BaseValueWidget, CategoricalWidget

    for index, widget in enumerate(container):
        key = f"{prefix}{widget.label or widget.name or getattr(widget, 'text', '') or index}"
        if any(widget is w for w in exclude):
            continue
        if isinstance(widget, Container):  # a plain group of controls (FileEdit is a value widget, not this)
            yield from _persistent_widgets(widget, exclude, prefix=f"{key}.")
            continue
        if isinstance(widget, (PushButton, Label, Table)) or not isinstance(widget, BaseValueWidget):
            continue
        if isinstance(widget, CategoricalWidget) and (callable(widget._default_choices) or not widget.choices
                                                      or not all(_is_plain(c) for c in widget.choices)):
            continue  # layer choices and choices filled in later (from a result) are not settings
        if widget.value is not None and not _is_plain(_encode(widget.value)):
            continue
        yield key, widget


def _is_plain(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, _PLAIN)


def _encode(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _apply(widgets: dict[str, Any], values: dict[str, Any]) -> None:
    from magicgui.widgets.bases import CategoricalWidget

    for name, value in values.items():
        widget = widgets.get(name)
        if widget is None:
            continue
        if isinstance(widget, CategoricalWidget):
            allowed = list(widget.choices)
            wanted = value if isinstance(value, list) else [value]
            if not all(v in allowed for v in wanted):
                continue
        try:
            widget.value = value
        except (ValueError, TypeError):
            continue  # out of range or of another type now: keep the default


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # none saved yet, or unreadable: the defaults stand
    return data if isinstance(data, dict) else {}


def _write(path: Path, values: dict[str, Any]) -> None:
    from napari_afm_profiler.io.writers import atomic_write

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(values, indent=1, sort_keys=True)))
    except OSError:
        pass  # a read-only home must not break the dock; the settings simply do not persist
