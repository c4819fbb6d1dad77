"""The gallery's worked examples run (on the sample files when present, virtual data otherwise)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "docs" / "examples").glob("plot_*.py"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(example, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(example)], capture_output=True, text=True, timeout=600, cwd=tmp_path,
                          env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip(), "an example prints what it found"


def test_the_documentation_builds_offline(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    pytest.importorskip("sphinx_gallery")
    docs = Path(__file__).resolve().parents[1] / "docs"
    env = dict(os.environ, MPLBACKEND="Agg")
    # without running the gallery (the test above runs the examples): sphinx-gallery's plot_gallery=0
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-D", "sphinx_gallery_conf.plot_gallery=0",
                           "-d", str(tmp_path / "doctrees"), str(docs), str(tmp_path / "html")],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "html" / "api" / "roughness.html").exists()
    assert "Sdr" in (tmp_path / "html" / "generated" / "parameters.html").read_text(encoding="utf-8")
