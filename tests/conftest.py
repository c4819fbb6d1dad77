from __future__ import annotations

import json
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "afm-samples"
GWYDDION_TIP_ORACLE = Path(__file__).resolve().parents[2] / "shared" / "oracles" / "gwyddion-tip"


def samples_dir() -> Path:
    return SAMPLES


def load_expected_channels() -> dict:
    path = SAMPLES / "expected_channels.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text())


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip("../shared/afm-samples is not available")
    return SAMPLES


def load_oracle() -> list[dict]:
    path = SAMPLES / "oracle.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())


@pytest.fixture
def wait_worker(qtbot):
    """Wait for a dock's worker to finish, race-free.

    ``start_worker`` connects the flag ``afm_done`` before starting the worker; waiting on the
    ``finished`` signal instead could miss a worker quicker than the test's own connection.
    """

    def wait(worker, timeout=300000):
        assert worker is not None
        qtbot.waitUntil(lambda: getattr(worker, "afm_done", False), timeout=timeout)

    return wait


@pytest.fixture(autouse=True)
def _dock_settings_dir(tmp_path_factory, monkeypatch):
    """Each test's docks start from their defaults: saved dock settings go to a fresh folder."""
    monkeypatch.setenv("NAPARI_AFM_PROFILER_SETTINGS_DIR", str(tmp_path_factory.mktemp("dock-settings")))
