"""The menus the README names are the menus the manifest registers (and napari shows)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _registered() -> set[tuple[str, ...]]:
    manifest = yaml.safe_load((ROOT / "napari.yaml").read_text(encoding="utf-8"))
    titles = {c["id"]: c["title"] for c in manifest["contributions"]["commands"]}
    names = {w["command"]: w["display_name"] for w in manifest["contributions"]["widgets"]}
    entries = set()
    for menu, items in manifest["contributions"]["menus"].items():
        path = tuple(part.replace("_", " ").title().replace("Io ", "IO ") for part in menu.split("/")[1:])
        for item in items:
            entries.add((*path, names.get(item["command"], titles[item["command"]])))
    return entries


def test_every_menu_path_in_the_readme_is_registered():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    named = {tuple(m.split(" › ")) for m in re.findall(r"\*((?:Layers|File) › [^*]+)\*", text)}
    named = {n for n in named if n[:2] not in (("File", "Open Sample"), ("File", "Save Selected Layers…"))}
    assert named, "the README names no menu"
    missing = named - _registered()
    assert not missing, f"README names menus the manifest does not register: {sorted(missing)}"


def test_every_registered_widget_is_in_a_menu():
    manifest = yaml.safe_load((ROOT / "napari.yaml").read_text(encoding="utf-8"))
    in_menus = {i["command"] for items in manifest["contributions"]["menus"].values() for i in items}
    widgets = {w["command"] for w in manifest["contributions"]["widgets"]}
    assert widgets <= in_menus
