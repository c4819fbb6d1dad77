"""The one polynomial fit: against numpy's least squares on an explicit design matrix, and its memory."""

import tracemalloc

import numpy as np
import pytest

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.preprocess import fit_polynomial, level_polynomial, polynomial_background


def _reference_background(height, order, use):
    """Independent truth: np.linalg.lstsq on the monomial design matrix of the used pixels."""
    ny, nx = height.shape
    yy, xx = np.mgrid[0:ny, 0:nx].astype(float)
    terms = [(i, t - i) for t in range(order + 1) for i in range(t + 1)]
    design = np.stack([(xx / nx) ** i * (yy / ny) ** j for i, j in terms], axis=-1)
    coeffs = np.linalg.lstsq(design[use], height[use], rcond=None)[0]
    return design @ coeffs


@pytest.mark.parametrize("order", [0, 1, 2, 3, 5])
def test_fit_matches_lstsq_on_masked_noisy_data(order):
    rng = np.random.default_rng(order)
    height = rng.normal(size=(300, 170)) * 3 + np.add.outer(np.linspace(0, 9, 300), np.linspace(-4, 4, 170)) ** 2
    use = rng.random(height.shape) > 0.3
    height[rng.random(height.shape) < 0.05] = np.nan  # missing pixels are left out as well
    use_ref = use & np.isfinite(height)
    got = fit_polynomial(height, order, use=use).evaluate(height.shape)
    np.testing.assert_allclose(got, _reference_background(height, order, use_ref), rtol=0, atol=1e-8)


def test_exact_polynomial_recovered_with_many_row_blocks():
    yy, xx = np.mgrid[0:1700, 0:90].astype(float)  # 1700 rows of 90: three accumulation blocks
    surface = 1e-6 * xx**3 - 2e-5 * xx * yy + 3e-7 * yy**2 * xx + 0.4 * yy - 7.0
    assert np.abs(level_polynomial(surface, 3)).max() < 1e-8


def test_subgrid_fit_applies_to_full_grid():
    yy, xx = np.mgrid[0:101, 0:81].astype(float)
    plane = 0.3 * xx - 0.2 * yy + 5
    fit = fit_polynomial(plane[::4, ::4], 1, y=np.arange(0, 101, 4), x=np.arange(0, 81, 4))
    np.testing.assert_allclose(fit.evaluate(plane.shape), plane, atol=1e-9)


@pytest.mark.parametrize("order", [1, 3])
def test_levelling_memory_is_about_one_copy_of_the_image(order):
    height = np.random.default_rng(0).normal(size=(1024, 1024))
    tracemalloc.start()
    level_polynomial(height, order)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # the result itself is one copy (8 MB); the old design-matrix fit took 8-23 copies
    assert peak < 1.4 * height.nbytes, f"peak {peak / height.nbytes:.2f}x the image"


def test_background_is_not_the_input_and_input_untouched():
    height = np.arange(20.0).reshape(4, 5)
    before = height.copy()
    polynomial_background(height, 1)
    level_polynomial(height, 1)
    np.testing.assert_array_equal(height, before)


def test_bad_input_is_named():
    with pytest.raises(InputError, match="2-D"):
        fit_polynomial(np.zeros(5), 1)
    with pytest.raises(InputError, match="order"):
        fit_polynomial(np.zeros((4, 4)), -1)
    with pytest.raises(InputError, match="usable pixels"):
        fit_polynomial(np.full((4, 4), np.nan), 1)
    with pytest.raises(InputError, match="mask shape"):
        fit_polynomial(np.zeros((4, 4)), 1, use=np.ones((3, 3), bool))
