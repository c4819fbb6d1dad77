import numpy as np
import pytest

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.preprocess import correct_lines, level, level_plane, level_polynomial


def test_plane_removed_exactly():
    yy, xx = np.mgrid[0:64, 0:80].astype(float)
    tilted = 0.37 * xx - 1.25 * yy + 42.0
    assert np.abs(level_plane(tilted)).max() < 1e-9


def test_plane_fit_ignores_masked_particles():
    yy, xx = np.mgrid[0:64, 0:64].astype(float)
    surface = 0.2 * xx + 0.1 * yy
    bump = np.zeros_like(surface)
    bump[20:30, 20:30] = 50.0
    mask = bump > 0
    out = level_plane(surface + bump, exclude=mask)
    assert np.abs(out[~mask]).max() < 1e-9
    assert np.allclose(out[mask], 50.0)


def test_polynomial_removes_bow():
    yy, xx = np.mgrid[0:50, 0:60].astype(float)
    bow = 0.01 * (xx - 30) ** 2 + 0.02 * (yy - 25) ** 2 + 0.003 * xx * yy
    assert np.abs(level_polynomial(bow, 2)).max() < 1e-9


def test_line_offsets_removed_below_noise():
    rng = np.random.default_rng(1)
    noise_sigma = 0.05
    ny, nx = 128, 128
    surface = rng.normal(0.0, noise_sigma, size=(ny, nx))
    offsets = rng.normal(0.0, 5.0, size=ny)  # scan-line jumps 100x the noise
    image = surface + offsets[:, None]
    for method in ("median", "mean", "match", "poly"):
        out = correct_lines(image, method)
        residual = out - surface
        residual -= residual.mean()
        # what is left of the line pattern is below the white noise
        assert residual.std() < noise_sigma, method


def test_level_stack_frame_by_frame_and_errors():
    yy, xx = np.mgrid[0:16, 0:16].astype(float)
    stack = np.stack([xx, 2 * yy, xx + yy])
    assert np.abs(level(stack, "plane")).max() < 1e-9
    with pytest.raises(InputError):
        level(stack, "nope")
    with pytest.raises(InputError):
        level_plane(np.ones(5))
    with pytest.raises(InputError, match="does not match"):
        level_plane(np.ones((4, 4)), exclude=np.ones((3, 3), bool))


def test_levelling_mask_is_the_deprecated_name_of_exclude():
    """One meaning of mask in the project (pixels to use); levelling's old mask= (pixels to ignore) warns."""
    yy, xx = np.mgrid[0:32, 0:32].astype(float)
    bump = np.where((yy > 10) & (yy < 20) & (xx > 10) & (xx < 20), 30.0, 0.0)
    new = level(0.2 * xx + bump, "plane", exclude=bump > 0)
    with pytest.warns(FutureWarning, match="pass the same array as exclude="):
        old = level(0.2 * xx + bump, "plane", mask=bump > 0)
    np.testing.assert_array_equal(new, old)
    with pytest.raises(InputError, match="only"):
        level(xx, "plane", exclude=bump > 0, mask=bump > 0)


def test_nan_pixels_are_ignored():
    yy, xx = np.mgrid[0:32, 0:32].astype(float)
    tilted = 0.5 * xx + 3.0
    tilted[5, 5] = np.nan
    out = level_plane(tilted)
    assert np.isnan(out[5, 5])
    assert np.nanmax(np.abs(out)) < 1e-9


def test_scan_line_corrections_recentre_the_substrate_at_zero():
    from napari_afm_profiler.preprocess import correct_lines

    yy, xx = np.mgrid[0:40, 0:60].astype(float)
    rng = np.random.default_rng(2)
    lines = rng.normal(0, 2.0, 40)[:, None] + 7.0
    particle = np.where(np.hypot(yy - 20, xx - 30) < 8, 12.0, 0.0)
    for method in ("median", "poly", "match", "mean"):
        out = correct_lines(lines + particle, method, exclude=particle > 0)
        assert abs(float(np.median(out[particle == 0]))) < 1e-9, method
        kept = correct_lines(lines + particle, method, exclude=particle > 0, recentre=False)
        assert np.allclose(out - kept, (out - kept)[0, 0])  # only a constant differs
