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
