"""The wide generator's tips: sampled no wider than the image needs, with the same result."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from napari_afm_profiler.synth.wide import WideSpec, draw_tip
from napari_afm_profiler.tip.models import crop_tip


def test_a_tip_sampled_only_as_wide_as_the_crop_is_the_cropped_full_tip():
    """Asymmetric and double tips included: the second apex of a double tip lies beyond the crop."""
    spec = replace(WideSpec(), asymmetric_probability=0.5, double_probability=0.5)
    kinds = set()
    for seed in range(10):
        first, second = np.random.default_rng(seed), np.random.default_rng(seed)
        full, drawn = draw_tip(spec, 0.25, 12.0, first)
        capped, drawn_capped = draw_tip(spec, 0.25, 12.0, second, max_size=41)
        assert drawn == drawn_capped and first.random() == second.random()  # the same draws, the same stream after
        np.testing.assert_array_equal(crop_tip(capped, 41), crop_tip(full, 41))
        kinds.add((drawn["asymmetric"], drawn["double"], full.shape[0] > 41))
    assert any(a and big for a, _, big in kinds) and any(d and big for _, d, big in kinds)


def test_scan_line_wander_is_smooth_along_lines_independent_across_them_and_drawn_only_when_asked():
    import pytest

    from napari_afm_profiler.errors import InputError
    from napari_afm_profiler.synth.wide import make_wide_pair
    from napari_afm_profiler.tip.dropouts import _mad_sd

    base = WideSpec(shape=(96, 96), scenes=("caps",), noise_nm=(0.1, 0.1))
    plain = make_wide_pair(base, 4)
    assert np.array_equal(plain.image, make_wide_pair(replace(base, line_wander=0.0), 4).image)
    wandering = make_wide_pair(replace(base, line_wander=3.0), 4)
    assert np.array_equal(wandering.surface, plain.surface)  # the same scene, only the image gains the wander
    added = wandering.image - plain.image
    assert np.std(added) == pytest.approx(0.3, rel=1e-6)  # 3 x the white noise of 0.1 nm
    along = _mad_sd(added[:, 2:] - 2 * added[:, 1:-1] + added[:, :-2])
    across = _mad_sd(added[2:] - 2 * added[1:-1] + added[:-2])
    assert across > 10 * along  # smooth along a line, each line on its own
    with pytest.raises(InputError, match="line_wander"):
        replace(base, line_wander=-1.0).check()


def test_scan_line_wander_range_draws_one_multiple_per_pair_within_it():
    import pytest

    from napari_afm_profiler.errors import InputError
    from napari_afm_profiler.synth.wide import make_wide_pair

    base = WideSpec(shape=(64, 64), scenes=("caps",), noise_nm=(0.1, 0.1))
    drawn = []
    for seed in range(6):
        plain = make_wide_pair(base, seed)
        pair = make_wide_pair(replace(base, line_wander=(1.0, 3.0)), seed)
        multiple = pair.parameters["line_wander"]
        assert 1.0 <= multiple <= 3.0
        assert np.std(pair.image - plain.image) == pytest.approx(0.1 * multiple, rel=1e-6)
        drawn.append(multiple)
    assert len(set(drawn)) == len(drawn)  # each pair its own
    assert make_wide_pair(replace(base, line_wander=2.0), 1).parameters["line_wander"] == 2.0
    for bad in ((3.0, 1.0), (-1.0, 2.0), (0.0, float("inf"))):
        with pytest.raises(InputError, match="line_wander"):
            replace(base, line_wander=bad).check()
