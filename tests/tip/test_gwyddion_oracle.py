"""Agreement with Gwyddion 2.62's own tip morphology outputs (../shared/oracles/gwyddion-tip)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from napari_afm_profiler.tip import certainty_map, dilate, erode, estimate_tip
from tests.conftest import GWYDDION_TIP_ORACLE

MORPH_CASES = ["morph_cone21", "morph_asym15", "morph_asym31"]
BLIND_CASES = ["blind_11", "blind_15"]


def _case(name: str) -> dict[str, np.ndarray]:
    folder = GWYDDION_TIP_ORACLE / name
    if not folder.is_dir():
        pytest.skip(f"Gwyddion oracle {name} is not available")
    arrays = {f.stem: np.load(f) for f in folder.glob("*.npy")}
    arrays["case"] = json.loads((folder / "case.json").read_text())
    return arrays


@pytest.mark.parametrize("name", MORPH_CASES)
def test_dilation_matches_gwyddion(name):
    case = _case(name)
    np.testing.assert_allclose(dilate(case["surface"], case["tip"]), case["dilated"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", MORPH_CASES)
def test_erosion_matches_gwyddion(name):
    case = _case(name)
    np.testing.assert_allclose(erode(case["dilated"], case["tip"]), case["eroded"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", MORPH_CASES)
def test_certainty_map_matches_gwyddion_exactly(name):
    case = _case(name)
    ours = certainty_map(case["dilated"], case["tip"])
    assert np.array_equal(ours, case["certainty"])


def _rmse_to_truth(tip: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean(((tip - np.nanmax(tip)) - (truth - truth.max())) ** 2)))


@pytest.mark.parametrize("name", BLIND_CASES)
@pytest.mark.parametrize("full", [False, True])
def test_blind_estimate_at_least_as_close_as_gwyddion(name, full):
    case = _case(name)
    truth = case["tip_true"]
    threshold = case["case"]["threshold_full_nm" if full else "threshold_partial_nm"]
    ours = estimate_tip(case["image"], truth.shape[0], threshold, full)
    theirs = case["estimate_full" if full else "estimate_partial"]
    assert _rmse_to_truth(ours, truth) <= _rmse_to_truth(theirs, truth)
    # a blind estimate is an upper bound of the true tip
    assert np.all(ours - np.nanmax(ours) >= truth - truth.max() - 1e-9)
