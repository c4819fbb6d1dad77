"""Pages built from the code when the documentation builds: the API reference and the parameter table.

The API pages list exactly the curated names of each subpackage (``__all__``), so the reference
can never show a function the package does not export, or miss one it does.  The roughness
parameter table is written from the registry, the single source the core, the CLI and the
widget read too.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

SUBPACKAGES = {
    "io": "Reading instrument files",
    "preprocess": "Levelling and drift correction",
    "tip": "Tip models, morphology and blind estimation",
    "deconv": "Deep-learning tip deconvolution",
    "particles": "Particles (grains) and line profiles",
    "roughness": "Surface roughness parameters",
    "classify": "Classification from roughness parameters",
    "batch": "Batch processing",
    "synth": "Virtual AFM data",
}
TOP = ["read", "level", "align_frames", "deconvolve"]


def _write(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:  # unchanged pages keep Sphinx's cache
        path.write_text(text, encoding="utf-8")


def _directive(qualified: str, obj: object) -> str:
    if inspect.isclass(obj):
        return f".. autoclass:: {qualified}\n   :members:\n"
    if callable(obj):
        return f".. autofunction:: {qualified}\n"
    # a constant (a registry dict, a tuple of names): its type's docstring would say nothing
    size = f", {len(obj)} entries" if hasattr(obj, "__len__") else ""
    return f"- ``{qualified.rsplit('.', 1)[1]}``: {type(obj).__name__}{size}\n"


def api_pages(out: Path) -> None:
    """Write ``api/index.rst`` and one page per subpackage."""
    import napari_afm_profiler as ap

    out.mkdir(parents=True, exist_ok=True)
    index = ["API reference", "=============", "",
             "``import napari_afm_profiler as ap``: the names below load on first use.", "",
             "Top level", "---------", ""]
    for name in TOP:
        obj = getattr(ap, name)
        # documented in full on its subpackage's page; listed here without a second index entry
        index.append(f".. autofunction:: {obj.__module__}.{name}\n   :no-index:\n")
    index += ["", ".. toctree::", "   :maxdepth: 1", ""] + [f"   {sub}" for sub in SUBPACKAGES]
    _write(out / "index.rst", "\n".join(index) + "\n")
    for sub, title in SUBPACKAGES.items():
        module = importlib.import_module(f"napari_afm_profiler.{sub}")
        head = f"``ap.{sub}``: {title}"
        lines = [head, "=" * len(head), "", f".. automodule:: napari_afm_profiler.{sub}", ""]
        for name in sorted(module.__all__, key=lambda n: (not callable(getattr(module, n)), n.lower())):
            obj = getattr(module, name)
            home = getattr(obj, "__module__", None) if (inspect.isclass(obj) or inspect.isfunction(obj)) else None
            qualified = f"{home}.{name}" if home and hasattr(importlib.import_module(home), name) else \
                f"napari_afm_profiler.{sub}.{name}"
            lines.append(_directive(qualified, obj))
        _write(out / f"{sub}.rst", "\n".join(lines) + "\n")


def parameter_table(out: Path) -> None:
    """Write the roughness parameter table (markdown) from the registry."""
    from napari_afm_profiler.roughness.registry import PARAMETERS

    lines = ["# Roughness parameters", "",
             "Every parameter the package computes, from its registry (`napari_afm_profiler.roughness.registry`).",
             "Units are for a height channel in nm.", "",
             "| symbol | group | unit | name | how it is computed | reference |", "|---|---|---|---|---|---|"]
    for p in PARAMETERS.values():
        cells = [f"`{p.symbol}`", p.group, p.unit, p.name, p.definition, p.reference]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    out.parent.mkdir(parents=True, exist_ok=True)
    _write(out, "\n".join(lines) + "\n")


def _generate(app: object) -> None:
    docs = Path(app.srcdir)  # type: ignore[attr-defined]
    api_pages(docs / "api")
    parameter_table(docs / "generated" / "parameters.md")


def setup(app: object) -> dict[str, object]:
    """Sphinx entry point: generate the pages before reading the sources."""
    app.connect("builder-inited", _generate)  # type: ignore[attr-defined]
    return {"parallel_read_safe": True, "version": "1"}
