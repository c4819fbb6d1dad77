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


def test_a_needle_given_as_nan_beside_the_apex_is_the_sharpest_tip_not_the_bluntest(card):
    """NaN marks pixels with no tip material: a tip that is NaN everywhere but its apex is a needle."""
    needle = np.full((11, 11), np.nan)
    needle[5, 5] = 0.0
    image = np.zeros((96, 96))
    image[40:56, 40:56] = 30.0
    sentence = tip_outside_training(Tip(heights=needle, pixel_size_nm=(1.0, 1.0)), image, card)
    assert sentence is not None and sentence.startswith("the tip is sharper")


def test_a_tip_larger_than_the_image_is_named_only_when_the_cut_off_part_could_touch():
    from napari_afm_profiler.deconv import deconvolve
    from napari_afm_profiler.deconv.tips import TipCroppedWarning

    image = np.zeros((48, 48))
    image[18:30, 18:30] = 12.0
    # 81 px paraboloid, R 80 nm: 24-40 px from the apex (cut off) it is only 3.6-10 nm deep, within 12 nm
    blunt = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=80.0, size=81).heights
    with pytest.warns(TipCroppedWarning, match=r"larger than the image \(48 x 48 px\) and was cropped to 47 px"):
        result = deconvolve(image, pixel_size_nm=1.0, tip=blunt)
    assert any("cropped to 47 px" in note for note in result.notes)
    # a sharp cone is 12 nm deep within a few px: the part cut off never touches, no warning
    sharp = make_tip("cone", pixel_size_nm=1.0, radius_nm=5.0, half_angle_deg=15.0, size=81).heights
    with warnings.catch_warnings():
        warnings.simplefilter("error", TipCroppedWarning)
        result = deconvolve(image, pixel_size_nm=1.0, tip=sharp)
    assert not any("cropped" in note for note in result.notes)


@pytest.mark.parametrize("where", ["tip_from_array", "erode"])
def test_a_tip_with_plus_infinity_is_refused_by_name(where):
    from napari_afm_profiler.errors import InputError
    from napari_afm_profiler.tip import erode
    from napari_afm_profiler.tip.models import tip_from_array

    tip = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=5.0, size=9).heights
    tip[0, 0] = np.inf
    with pytest.raises(InputError, match=r"\+inf heights at 1 pixel"):
        tip_from_array(tip) if where == "tip_from_array" else erode(np.zeros((32, 32)), tip)
