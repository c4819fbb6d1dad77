"""ISO 16610 filters and the ISO 25178-3 operators against the standards' closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.roughness import RoughnessSettings, surface_parameters
from napari_afm_profiler.roughness.filters import (
    ALPHA,
    FilterWidthWarning,
    areal_gaussian,
    gaussian_weights,
    profile_gaussian,
    transmission,
)
from napari_afm_profiler.roughness.tables import region_table


def _amplitude(signal: np.ndarray, wavelength_px: float) -> float:
    """Amplitude of one sinusoidal component of a 1-D signal (a whole number of periods)."""
    spectrum = np.fft.rfft(signal)
    k = int(round(len(signal) / wavelength_px))
    return float(2 * abs(spectrum[k]) / len(signal))


def test_alpha_and_the_50_percent_transmission_at_the_nesting_index():
    assert ALPHA == pytest.approx(0.4697, abs=1e-4)  # ISO 16610-21, 4.2
    assert transmission(80.0, 80.0) == pytest.approx(0.5)
    x = np.arange(4000) * 0.5  # 2000 nm, 25 periods of 80 nm
    for wavelength in (40.0, 80.0, 160.0):
        z = np.sin(2 * np.pi * x / wavelength)
        mean = profile_gaussian(z, 80.0, spacing_nm=0.5)
        inner = slice(400, 3600)  # a whole number of periods, away from the ends
        measured = _amplitude(mean[inner], wavelength / 0.5)
        assert measured == pytest.approx(transmission(wavelength, 80.0), abs=2e-3)


def test_impulse_response_is_the_iso_weighting_function():
    """Filtering a unit spike gives s(x) s(y) dx dy (ISO 16610-61's areal weighting function)."""
    n, px, cutoff = 201, 0.5, 20.0
    spike = np.zeros((n, n))
    spike[100, 100] = 1.0
    response = areal_gaussian(spike, cutoff, pixel_size_nm=px)
    x = (np.arange(n) - 100) * px
    expected = np.outer(gaussian_weights(x, cutoff), gaussian_weights(x, cutoff)) * px * px
    # the sampled kernel is normalised to unit sum: equal to the analytic one to sampling accuracy
    np.testing.assert_allclose(response[60:141, 60:141], expected[60:141, 60:141], atol=2e-5 * expected.max(),
                               rtol=2e-3)


def test_s_l_filtering_keeps_only_the_band_between_the_nesting_indices():
    px = 1.0
    x = np.arange(1200) * px
    waves = {6.0: 1.0, 40.0: 2.0, 400.0: 3.0}  # short (noise-like), the band, long (waviness)
    z = np.tile(sum(a * np.sin(2 * np.pi * x / w) for w, a in waves.items()), (64, 1))
    settings = RoughnessSettings(level="none", s_filter_nm=12.0, l_filter_nm=120.0)
    from napari_afm_profiler.roughness.surface import evaluation_area

    area = evaluation_area(z, pixel_size_nm=px, **settings.area_options())
    row = area.z[32, 0:1200]
    for wavelength, amplitude in waves.items():
        s_kept = transmission(wavelength, 12.0)  # the S-filter's output is its mean surface
        l_removed = 1 - transmission(wavelength, 120.0)
        expected = amplitude * s_kept * l_removed
        measured = _amplitude(row[0:1200], wavelength)
        assert measured == pytest.approx(expected, abs=0.02 + 0.02 * expected), wavelength
    # Sq of the S-L surface: the band's sinusoid, closed form A T / sqrt(2) (the others contribute little)
    sq = surface_parameters(z[:, 400:800], pixel_size_nm=px, groups=["height"], settings=settings).values["Sq"]
    band = 2.0 * transmission(40.0, 12.0) * (1 - transmission(40.0, 120.0)) / math.sqrt(2)
    assert sq == pytest.approx(band, rel=0.05)


def test_edges_keep_a_constant_and_missing_pixels_do_not_pull_the_mean():
    z = np.full((50, 70), 3.0)
    z[10:20, 30:40] = np.nan
    mean = areal_gaussian(z, 25.0, pixel_size_nm=1.0)
    assert np.allclose(mean[np.isfinite(mean)], 3.0)
    assert np.isfinite(mean).all()  # holes are bridged by their neighbours


def test_robust_l_filter_ignores_a_tall_particle():
    yy, xx = np.mgrid[0:128, 0:128] * 1.0
    z = 0.02 * xx + np.where(np.hypot(yy - 64, xx - 64) < 10, 30.0, 0.0)
    plain = areal_gaussian(z, 60.0, pixel_size_nm=1.0)
    robust = areal_gaussian(z, 60.0, pixel_size_nm=1.0, robust=True)
    ring = (np.hypot(yy - 64, xx - 64) > 14) & (np.hypot(yy - 64, xx - 64) < 20)
    assert np.abs(robust - 0.02 * xx)[ring].max() < 0.2 < np.abs(plain - 0.02 * xx)[ring].max()


def test_filter_limits_give_clear_errors_and_warnings():
    z = np.random.default_rng(0).normal(size=(64, 64))
    with pytest.raises(InputError, match="below two pixels"):
        areal_gaussian(z, 1.5, pixel_size_nm=1.0)
    with pytest.warns(FilterWidthWarning, match="longer than the image"):
        areal_gaussian(z, 100.0, pixel_size_nm=1.0)
    with pytest.raises(InputError, match="no valid pixels"):
        areal_gaussian(np.full((8, 8), np.nan), 4.0, pixel_size_nm=1.0)
    with pytest.raises(InputError, match="shorter than the L-filter"):
        RoughnessSettings(s_filter_nm=50.0, l_filter_nm=20.0)
    with pytest.raises(InputError, match="F-operator"):
        RoughnessSettings(level="sphere")


def test_settings_name_the_surface_and_echo_the_operators():
    assert RoughnessSettings(level="none").surface == "primary"
    assert RoughnessSettings().surface == "S-F"
    ops = RoughnessSettings(level="poly3", s_filter_nm=2.0, l_filter_nm=80.0, l_filter_robust=True).operators()
    assert ops == {"surface": "S-L", "S-filter": "Gaussian (ISO 16610-61), nesting index 2 nm",
                   "F-operator": "least-squares polynomial of order 3",
                   "L-filter": "robust Gaussian (ISO 16610-71), nesting index 80 nm"}


def test_polynomial_f_operator_removes_a_bow():
    yy, xx = np.mgrid[0:80, 0:80] * 1.0
    bow = 0.01 * (xx - 40) ** 2 + 0.005 * (yy - 30) ** 2
    ripple = 0.5 * np.sin(2 * np.pi * xx / 10)
    plane = surface_parameters(bow + ripple, pixel_size_nm=1.0, groups=["height"]).values["Sq"]
    poly2 = surface_parameters(bow + ripple, pixel_size_nm=1.0, groups=["height"],
                               settings=RoughnessSettings(level="poly2")).values["Sq"]
    assert poly2 == pytest.approx(0.5 / math.sqrt(2), rel=0.02) and plane > 3 * poly2


def test_region_levelling_own_substrate_or_none():
    """Two tilted cells on a flat substrate: their own plane removes the tilt, the substrate plane keeps it."""
    yy, xx = np.mgrid[0:60, 0:120] * 1.0
    labels = np.zeros((60, 120), int)
    labels[10:50, 10:50], labels[10:50, 70:110] = 1, 2
    height = np.where(labels > 0, 5.0 + 0.1 * xx, 0.0)
    own = region_table(height, labels, pixel_size_nm=1.0, groups=["height"]).columns["Sq"]
    sub = region_table(height, labels, pixel_size_nm=1.0, groups=["height"], region_level="substrate").columns["Sq"]
    none = region_table(height, labels, pixel_size_nm=1.0, groups=["height"], region_level="none").columns["Sq"]
    assert np.allclose(own, 0.0, atol=1e-9)
    tilt_sq = 0.1 * np.std(np.arange(10, 50))  # a ramp over 40 px
    np.testing.assert_allclose(sub, tilt_sq, rtol=1e-6)
    np.testing.assert_allclose(none, tilt_sq, rtol=1e-6)
    with pytest.raises(InputError, match="background pixels"):
        region_table(height, np.ones_like(labels), pixel_size_nm=1.0, groups=["height"], region_level="substrate")
