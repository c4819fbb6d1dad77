"""Images coarser than the model's calibrated pixel sizes: the noise-corrected erosion, on their own grid, with an interval."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("torch")

from napari_afm_profiler.deconv import infer  # noqa: E402
from napari_afm_profiler.deconv.coarse import erosion_limit_nm  # noqa: E402
from napari_afm_profiler.deconv.conditioning import erosion_noise_bias, usable_tip  # noqa: E402
from napari_afm_profiler.deconv.infer import deconvolve, load_model  # noqa: E402
from napari_afm_profiler.deconv.tips import noise_level  # noqa: E402
from napari_afm_profiler.synth.wide import WideSpec, make_wide_pair, pairs_per_scene  # noqa: E402
from napari_afm_profiler.tip import erode  # noqa: E402
from napari_afm_profiler.tip.models import Tip  # noqa: E402


@pytest.fixture(scope="module")
def model():
    loaded = load_model("default")
    if erosion_limit_nm(loaded.card.get("intervals")) is None:
        pytest.skip("the default model's card has no erosion regime")
    return loaded


def test_a_coarse_scan_gives_the_noise_corrected_erosion_without_the_network(model, monkeypatch):
    pair = make_wide_pair(replace(WideSpec(), pixel_size_nm=(8.0, 8.0), scenes=("boxes",)), 97531)
    px = pair.pixel_size_nm

    def no_network(*args, **kwargs):
        raise AssertionError("the network ran on a coarse scan")

    monkeypatch.setattr(infer, "_predictor", no_network)
    result = deconvolve(pair.image, pixel_size_nm=px, tip=Tip(heights=pair.tip, pixel_size_nm=(px, px)), model=model)
    assert result.surface.shape == pair.image.shape
    assert any("coarser than the 4 nm" in note and "the result is the erosion" in note for note in result.notes)
    # the plain erosion (the tip package's, Gwyddion-exact), raised by the noise's pull or left as it is
    plain = erode(pair.image, usable_tip(pair.tip, pair.image))
    bias = erosion_noise_bias(usable_tip(pair.tip, pair.image), noise_level(pair.image))
    raised = result.surface - plain
    assert np.all(np.isclose(raised, 0.0, atol=1e-9) | np.isclose(raised, bias, atol=1e-9))
    assert np.all(result.lower <= result.surface) and np.all(result.surface <= result.upper)
    assert np.all(result.lower50 >= result.lower) and np.all(result.upper50 <= result.upper)
    assert result.consistency.shape == pair.image.shape


def test_the_erosion_interval_covers_about_90_percent_of_fresh_coarse_pixels(model):
    """18 pairs (2 per kind) of a seed used nowhere else, pixels 4-16 nm: the 90 % interval holds the truth in
    85-95 % of pixels overall (validation: 88.6-96.1 % per kind)."""
    inside, total = 0, 0
    for pair in pairs_per_scene(replace(WideSpec(), pixel_size_nm=(4.0, 16.0)), 86420, 2):
        px = pair.pixel_size_nm
        result = deconvolve(pair.image, pixel_size_nm=px, tip=Tip(heights=pair.tip, pixel_size_nm=(px, px)),
                            model=model)
        inside += int(((result.lower <= pair.surface) & (pair.surface <= result.upper)).sum())
        total += pair.surface.size
    assert 0.85 <= inside / total <= 0.96


def test_a_stack_and_nan_pixels_in_the_erosion_regime(model):
    pair = make_wide_pair(replace(WideSpec(), pixel_size_nm=(6.0, 6.0), scenes=("caps",)), 97532)
    image = pair.image.copy()
    image[5:9, 5:9] = np.nan
    tip = Tip(heights=pair.tip, pixel_size_nm=(6.0, 6.0))
    result = deconvolve(np.stack([image, pair.image]), pixel_size_nm=6.0, tip=tip, model=model)
    assert result.surface.shape == (2, *image.shape)
    assert np.isnan(result.surface[0, 5:9, 5:9]).all() and np.isfinite(result.surface[1]).all()
    assert np.isfinite(result.uncertainty[0][np.isfinite(image)]).all()


def test_a_blind_tip_on_a_coarse_scan_is_the_limited_blind_bound_not_the_estimator(model):
    from napari_afm_profiler.deconv.tips import TipRangeWarning

    pair = make_wide_pair(replace(WideSpec(), pixel_size_nm=(10.0, 10.0), scenes=("ridges",)), 97533)
    with warnings.catch_warnings():
        # the network's tip range does not apply: the network does not run
        warnings.simplefilter("error", TipRangeWarning)
        result = deconvolve(pair.image, pixel_size_nm=10.0, tip="estimate", model=model)
        deconvolve(pair.image, pixel_size_nm=10.0, tip={"shape": "paraboloid", "radius_nm": 2000.0}, model=model)
    assert any("tip estimator (trained at 0.5-2 nm) is not used" in note for note in result.notes)
    assert "estimated blindly" in result.summary["tip"] and "tip_read_from_image" not in result.summary
    assert np.all(result.surface <= pair.image + 1e-9)


def test_a_tiny_stm_frame_is_too_small_to_read_a_tip_from_and_says_so():
    """128^2 px at 0.0156 nm/px (an STM frame in the sample files) covers 2 nm: smaller than any tip's apex."""
    from napari_afm_profiler.deconv.tip_estimator import guess_tip
    from napari_afm_profiler.errors import InputError

    frame = np.random.default_rng(0).normal(0.0, 0.01, (128, 128))
    with pytest.raises(InputError, match=r"covers only 2 x 2 nm, too little to read a tip from.*give the tip"):
        guess_tip(frame, 0.015625)


def test_pixels_finer_than_the_calibrated_range_say_the_interval_may_be_too_narrow(model):
    from napari_afm_profiler.deconv.infer import PixelSizeWarning

    intervals = model.card["intervals"]
    finest = (intervals.get("fine") or intervals)["pixel_size_nm"][0]
    px = 0.6 * finest
    pair = make_wide_pair(replace(WideSpec(), pixel_size_nm=(px, px), scenes=("caps",)), 97534)
    tip = Tip(heights=pair.tip, pixel_size_nm=(px, px))
    with pytest.warns(PixelSizeWarning, match=f"finer than the {finest:g} nm down to which the intervals are calibrated"):
        result = deconvolve(pair.image, pixel_size_nm=px, tip=tip, model=model)
    assert any("may be too narrow" in note for note in result.notes)
    assert not any(note.startswith("uncertainty: half-width") for note in result.notes)


def test_fine_pixels_get_margins_of_their_own_that_cover_a_fresh_seed(model):
    """Frames finer than the main calibration pairs (downsampled for the network) have their own margins."""
    fine = model.card["intervals"].get("fine")
    if fine is None:
        pytest.skip("the default model's card has no fine regime")
    lo, hi = fine["pixel_size_nm"]
    inside = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for pair in pairs_per_scene(replace(WideSpec(), pixel_size_nm=(lo, hi)), 97535, 2):
            px = pair.pixel_size_nm
            result = deconvolve(pair.image, pixel_size_nm=px, tip=Tip(heights=pair.tip, pixel_size_nm=(px, px)),
                                model=model)
            inside.append(np.mean((result.lower <= pair.surface) & (pair.surface <= result.upper)))
    assert not any("intervals are calibrated" in str(w.message) for w in caught)  # calibrated here: no warning
    assert any(note.startswith("uncertainty: half-width") and "such fine pixels" in note for note in result.notes)
    assert 0.85 <= np.mean(inside) <= 0.97


def test_mirror_averaging_is_calibrated_and_no_worse_on_a_fresh_seed(model):
    """The shipped card's mirror factors keep the averaged interval's coverage; the average is mostly closer to the truth."""
    if model.card["intervals"].get("mirror") is None:
        pytest.skip("the default model's card has no mirror-averaging factors")
    inside, errors = [], {False: [], True: []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for pair in pairs_per_scene(replace(WideSpec(), pixel_size_nm=(0.25, 4.0)), 97536, 2):
            px = pair.pixel_size_nm
            tip = Tip(heights=pair.tip, pixel_size_nm=(px, px))
            for mirror in (False, True):
                result = deconvolve(pair.image, pixel_size_nm=px, tip=tip, model=model, mirror_average=mirror)
                errors[mirror].append(float(np.sqrt(np.mean((result.surface - pair.surface) ** 2))))
            inside.append(np.mean((result.lower <= pair.surface) & (pair.surface <= result.upper)))
    assert any("about the result (fitted on calibration pairs)" in note for note in result.notes)
    assert 0.85 <= np.mean(inside) <= 0.97
    ratio = np.array(errors[True]) / np.array(errors[False])  # per image: the averaged result's RMSE over one pass's
    assert np.median(ratio) < 0.99 and np.mean(ratio < 1.0) >= 2 / 3


def test_blind_mirror_averaging_is_calibrated_on_a_fresh_seed(model):
    """The tip read from the image and the mirror average at once: the card's third factor keeps the coverage."""
    if model.card["intervals"].get("blind_mirror") is None:
        pytest.skip("the default model's card has no factors for the blind mode averaged over mirror images")
    inside = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for pair in pairs_per_scene(replace(WideSpec(), pixel_size_nm=(0.25, 4.0)), 97537, 2):
            result = deconvolve(pair.image, pixel_size_nm=pair.pixel_size_nm, tip="estimate", model=model,
                                mirror_average=True)
            inside.append(np.mean((result.lower <= pair.surface) & (pair.surface <= result.upper)))
    assert 0.85 <= np.mean(inside) <= 0.95
