"""A tip far outside the model's training tips is named in a warning; the training tips never are."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from napari_afm_profiler.deconv.infer import load_model
from napari_afm_profiler.deconv.tips import TipRangeWarning, tip_outside_training
from napari_afm_profiler.synth.wide import WideSpec, draw_tip, make_wide_pair
from napari_afm_profiler.tip import make_tip
from napari_afm_profiler.tip.models import Tip


@pytest.fixture(scope="module")
def card():
    return load_model("default").card


def test_tips_of_the_training_distribution_pass(card):
    """Tips drawn as the training drew them (asymmetric and double ones included) at the ends and middle
    of the trained pixel sizes: no warning."""
    spec = WideSpec()
    rng = np.random.default_rng(12345)
    image = make_wide_pair(spec, 7).image
    for k in range(45):
        px = (0.5, 1.0, 2.0)[k % 3]
        heights, params = draw_tip(spec, px, 40.0, rng)
        assert tip_outside_training(Tip(heights=heights, pixel_size_nm=(px, px)), image, card) is None, params


@pytest.mark.parametrize("made, word", [
    (lambda: make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=400.0, size=41), "blunter"),
    (lambda: make_tip("sphere", pixel_size_nm=1.0, radius_nm=150.0, size=41), "blunter"),
    (lambda: make_tip("cone", pixel_size_nm=1.0, radius_nm=0.3, half_angle_deg=2.0, size=41), "sharper"),
])
def test_a_tip_far_outside_is_named(card, made, word):
    image = np.zeros((96, 96))
    image[40:56, 40:56] = 30.0
    sentence = tip_outside_training(made(), image, card)
    assert sentence is not None and sentence.startswith(f"the tip is {word}") and "results may be poor" in sentence


def test_deconvolve_warns_and_notes_a_tip_far_outside():
    from napari_afm_profiler.deconv import deconvolve

    image = np.zeros((64, 64))
    image[24:40, 24:40] = 20.0
    with pytest.warns(TipRangeWarning, match="blunter"):
        result = deconvolve(image, pixel_size_nm=1.0, tip={"shape": "paraboloid", "radius_nm": 500.0})
    assert any("blunter than any tip" in note for note in result.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TipRangeWarning)
        deconvolve(image, pixel_size_nm=1.0, tip={"shape": "cone", "radius_nm": 10.0, "half_angle_deg": 20.0})
