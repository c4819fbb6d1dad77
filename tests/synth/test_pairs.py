"""Training pairs from layers: alignment, registration, tiling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.synth import fractal_surface, load_dataset, save_dataset
from napari_afm_profiler.synth.pairs import align_truth, pairs_dataset, register_truth, tile_origins


def test_registration_recovers_a_known_shift():
    truth = fractal_surface((96, 96), rms_nm=3.0, hurst=0.6, seed=2)
    moved = ndi.shift(truth, (-3.0, 5.0), order=1, mode="wrap")
    back, shift = register_truth(truth, moved)
    assert shift == pytest.approx((3.0, -5.0), abs=0.15)
    assert np.abs(back - truth)[10:-10, 10:-10].max() < 0.05 * np.ptp(truth)


def test_alignment_resamples_explicitly_and_crops():
    image = np.zeros((64, 64))
    truth = np.arange(200.0 * 200).reshape(200, 200)
    aligned = align_truth(image, truth, image_pixel_nm=(2.0, 2.0), truth_pixel_nm=(1.0, 1.0), mask=np.ones((200, 200)))
    assert aligned.truth.shape == (64, 64) and aligned.mask.shape == (64, 64)
    assert any("resampled from 1 x 1 to 2 x 2" in n for n in aligned.notes)
    same = align_truth(image, np.ones((64, 64)), image_pixel_nm=(2.0, 2.0), truth_pixel_nm=(2.0, 2.0))
    assert same.notes == ()
    with pytest.raises(InputError, match="2-D"):
        align_truth(image, np.ones((2, 4, 4)), image_pixel_nm=(1, 1), truth_pixel_nm=(1, 1))


def test_tiles_cover_the_image_and_export(tmp_path):
    origins = tile_origins((100, 70), 32, 32)
    assert (0, 0) in origins and (68, 38) in origins and len(origins) == 4 * 3
    image, truth = np.random.default_rng(0).normal(size=(2, 100, 70))
    data = pairs_dataset(image, truth, origins, 32, pixel_size_nm=1.5, keep=[i % 2 == 0 for i in range(12)])
    back = load_dataset(save_dataset(tmp_path / "p.npz", data))
    assert back["image"].shape == (6, 32, 32) and back["pixel_size_nm"] == 1.5
    y, x = back["origins"][1]
    np.testing.assert_array_equal(back["surface"][1], truth[y:y + 32, x:x + 32])
    with pytest.raises(InputError, match="no pair is kept"):
        pairs_dataset(image, truth, origins, 32, pixel_size_nm=1.0, keep=[False] * 12)
    with pytest.raises(InputError, match="larger than the image"):
        tile_origins((20, 20), 32)
