"""Sphinx configuration: API reference from the docstrings, pages in Markdown, a gallery of examples.

Build offline with ``python -m sphinx -b html docs docs/_build/html`` (nothing is downloaded:
no intersphinx, no remote themes).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import napari_afm_profiler  # noqa: E402

project = "napari-afm-profiler"
author = "napari-afm-profiler developers"
copyright = "2026, napari-afm-profiler developers (BSD-3-Clause)"  # noqa: A001
release = napari_afm_profiler.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "afm_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "examples/*.py", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "**/*.json"]
myst_heading_anchors = 3
# "ref.python": numpydoc types such as "(rows, columns)" become references, and "columns" names
# attributes of two tables: an ambiguity of the prose, not a broken link
suppress_warnings = ["myst.header", "myst.xref_missing", "ref.python"]

napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # dataclass fields are documented once, in the Attributes section
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"undoc-members": False, "exclude-members": "__init__"}

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "reset_modules": ("matplotlib",),
}

html_theme = "alabaster"
html_static_path: list[str] = []
html_title = f"napari-afm-profiler {release}"
