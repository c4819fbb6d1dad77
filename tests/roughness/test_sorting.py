"""The packed-key height sort against numpy's stable argsort."""

import numpy as np
import pytest

from napari_afm_profiler.roughness.sorting import sort_descending


def _cases():
    rng = np.random.default_rng(7)
    return {
        "continuous": rng.normal(size=5000),
        "quantised (many exact ties)": np.round(rng.normal(size=20000), 1),
        # heights closer than the keys' height bits, in runs far longer than insertion sorting suits
        "near-equal runs": 1e6 + 1e-9 * rng.normal(size=3000),
        "short near-equal runs": 1.0 + 1e-12 * rng.normal(size=40),
        "signed zeros": np.array([0.0, -0.0, 1.0, -0.0, -1.0]),
        "one value": np.array([3.5]),
        "huge and tiny magnitudes": np.array([1e300, -1e-300, 1e-300, -1e300, 0.0, 5.0]),
    }


@pytest.mark.parametrize("name", list(_cases()))
def test_sort_matches_a_stable_descending_argsort(name):
    values = _cases()[name]
    order, ascending = sort_descending(values)
    expected = np.argsort(-values, kind="stable")  # highest first, equal heights in index order
    assert order.dtype == np.int32
    np.testing.assert_array_equal(order, expected)
    np.testing.assert_array_equal(ascending, values[expected][::-1])
