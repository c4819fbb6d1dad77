"""ISO 21920-2 profile parameters against closed forms of analytic profiles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.roughness import profile_parameters
from napari_afm_profiler.roughness.filters import transmission


def test_sinusoid_closed_forms():
    a, wavelength, dx = 1.5, 40.0, 0.2
    x = np.arange(int(800 / dx)) * dx
    tilt = 0.01 * x  # removed by the least-squares line, which also sees a sinusoid's own small slope
    assert profile_parameters(tilt, spacing_nm=dx).values["Rq"] == pytest.approx(0.0, abs=1e-9)
    r = profile_parameters(a * np.sin(2 * np.pi * x / wavelength + 0.3), spacing_nm=dx, level="none").values
    assert r["Ra"] == pytest.approx(2 * a / math.pi, rel=1e-3)
    assert r["Rq"] == pytest.approx(a / math.sqrt(2), rel=1e-3)
    assert r["Rsk"] == pytest.approx(0.0, abs=1e-3) and r["Rku"] == pytest.approx(1.5, rel=1e-3)
    assert r["Rp"] == pytest.approx(a, rel=1e-3) and r["Rv"] == pytest.approx(a, rel=1e-3)
    assert r["Rz"] == pytest.approx(2 * a, rel=1e-3) and r["Rt"] == pytest.approx(2 * a, rel=1e-3)
    assert r["Rdq"] == pytest.approx(2 * math.pi * a / wavelength / math.sqrt(2), rel=1e-3)
    assert r["RSm"] == pytest.approx(wavelength, rel=1e-2)


def test_triangle_wave_slope_and_heights():
    """A symmetric triangle wave of amplitude A: Ra = A/2, Rq = A/sqrt(3), |slope| = 4A/wavelength everywhere."""
    a, wavelength, dx = 2.0, 20.0, 0.05
    x = np.arange(int(400 / dx)) * dx
    tri = a * (2 * np.abs(2 * ((x / wavelength) % 1) - 1) - 1)
    r = profile_parameters(tri, spacing_nm=dx, level="none").values
    assert r["Ra"] == pytest.approx(a / 2, rel=2e-3) and r["Rq"] == pytest.approx(a / math.sqrt(3), rel=2e-3)
    assert r["Rdq"] == pytest.approx(4 * a / wavelength, rel=1e-2)
    assert r["RSm"] == pytest.approx(wavelength, rel=1e-2)


def test_gaussian_random_profile_sampled_at_random_has_normal_moments():
    """An arbiter that is not built like the estimator: i.i.d. normal heights (not plotting positions)."""
    z = np.random.default_rng(7).normal(0.0, 0.8, 200_000)
    r = profile_parameters(z, spacing_nm=1.0, level="none").values
    assert r["Rq"] == pytest.approx(0.8, rel=0.01)
    assert r["Ra"] == pytest.approx(0.8 * math.sqrt(2 / math.pi), rel=0.01)
    assert r["Rsk"] == pytest.approx(0.0, abs=0.03) and r["Rku"] == pytest.approx(3.0, abs=0.05)


def test_profile_l_filter_removes_waviness_and_s_filter_noise():
    dx = 0.5
    x = np.arange(int(3000 / dx)) * dx
    rough, wavy = np.sin(2 * np.pi * x / 30.0), 5 * np.sin(2 * np.pi * x / 1000.0)
    r = profile_parameters(rough + wavy, spacing_nm=dx, l_filter_nm=150.0)
    expected = (1 - transmission(30.0, 150.0)) / math.sqrt(2)  # the rough part, slightly attenuated
    inner = r.profile[600:-600]
    assert float(np.sqrt(np.mean(inner**2))) == pytest.approx(expected, rel=0.03)
    assert r.operators["L-filter"] == "Gaussian (ISO 16610-21), nesting index 150 nm"
    noisy = np.sin(2 * np.pi * x / 100.0) + 0.3 * np.sin(2 * np.pi * x / 2.0)
    smooth = profile_parameters(noisy, spacing_nm=dx, s_filter_nm=8.0).values
    assert smooth["Rq"] == pytest.approx(transmission(100.0, 8.0) / math.sqrt(2), rel=0.01)


def test_bad_profiles_are_refused():
    with pytest.raises(InputError, match="NaN"):
        profile_parameters(np.r_[np.ones(10), np.nan, np.ones(10)], spacing_nm=1.0)
    with pytest.raises(InputError, match="at least 8"):
        profile_parameters(np.ones(5), spacing_nm=1.0)
    with pytest.raises(InputError, match="shorter than the L-filter"):
        profile_parameters(np.random.default_rng(0).normal(size=500), spacing_nm=1.0, s_filter_nm=50, l_filter_nm=20)
    # NaN at the ends (a line leaving the image) is dropped
    r = profile_parameters(np.r_[np.nan, np.sin(np.arange(200) / 5.0), np.nan], spacing_nm=1.0)
    assert r.profile.shape == (200,)
