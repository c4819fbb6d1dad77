"""Quadrants as samples: one row per tile, equal to the tile evaluated on its own, grouped by image."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from napari_afm_profiler.classify import PipelineSettings, evaluate, feature_table
from napari_afm_profiler.errors import InputError
from napari_afm_profiler.roughness import channel_table, surface_parameters, tile_labels
from napari_afm_profiler.synth import fractal_surface


def test_each_tile_row_is_the_tile_on_its_own():
    z = fractal_surface((96, 128), rms_nm=2.0, hurst=0.7, pixel_size_nm=2.0, seed=4)
    table = channel_table({"Height": z}, pixel_size_nm=2.0, groups=["height", "hybrid"], tiles=(2, 2), tile_rows=True)
    assert table.columns["region"].tolist() == [1, 2, 3, 4]
    for k, (ys, xs) in enumerate([(slice(0, 48), slice(0, 64)), (slice(0, 48), slice(64, 128)),
                                  (slice(48, 96), slice(0, 64)), (slice(48, 96), slice(64, 128))]):
        alone = surface_parameters(z[ys, xs], pixel_size_nm=2.0, groups=["height", "hybrid"])
        for key in ("Sa", "Sq", "Ssk", "Sku", "Sdq", "Sdr"):
            assert table.columns[key][k] == pytest.approx(alone.values[key], rel=1e-9), key
    mean = channel_table({"Height": z}, pixel_size_nm=2.0, groups=["height"], tiles=(2, 2))
    assert mean.columns["Sq"][0] == pytest.approx(np.mean(table.columns["Sq"]), rel=1e-9)


def test_tile_labels_cover_uneven_sizes_and_bad_requests_are_named():
    labels = tile_labels((5, 7), (2, 3))
    assert set(np.unique(labels)) == set(range(1, 7)) and labels[0, 0] == 1 and labels[-1, -1] == 6
    with pytest.raises(InputError, match="tiles"):
        tile_labels((4, 4), (5, 1))
    with pytest.raises(InputError, match="needs tiles"):
        channel_table({"h": np.zeros((8, 8))}, pixel_size_nm=1.0, tile_rows=True)


def test_quadrants_of_an_image_stay_on_one_side_of_every_split():
    rows = []
    rng = np.random.default_rng(0)
    for image in range(16):
        hurst = 0.5 if image < 8 else 0.8
        z = fractal_surface((64, 64), rms_nm=1.0, hurst=hurst, pixel_size_nm=2.0, seed=int(rng.integers(1 << 30)))
        t = channel_table({"h": z}, pixel_size_nm=2.0, groups=["height", "hybrid"], tiles=(2, 2), tile_rows=True).to_pandas()
        rows.append(t.assign(image=f"img{image}", cls="smooth" if hurst == 0.8 else "rough"))
    df = pd.concat(rows, ignore_index=True)
    table = feature_table(df.drop(columns=["region"]), "cls", group_column="image")
    ev = evaluate(table, settings=PipelineSettings(classifier="logreg", top_k=3, importance_trees=10), n_splits=10,
                  n_jobs=1, n_permutations=19, permutation_splits=2, aggregate="mean")
    from napari_afm_profiler.classify.evaluation import random_splits

    for train, test in random_splits(table, 10, 0.3, 0):
        assert not set(table.groups[train]) & set(table.groups[test])
    assert ev.group_aucs().mean() > 0.9
