"""Slope, area, autocorrelation and spectral parameters against closed forms."""

import numpy as np
import pytest
from scipy import ndimage
from scipy.optimize import brentq
from scipy.special import ellipe

from napari_afm_profiler.roughness import RoughnessSettings, surface_parameters
from napari_afm_profiler.synth.scene import fractal_surface

NONE = RoughnessSettings(level="none")


def wave(amplitude, wavelength_px, shape, angle_deg=0.0):
    """z = A sin(2 pi (x cos a - y sin a) / lambda): wave vector at angle a, counter-clockwise on screen."""
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    t = np.deg2rad(angle_deg)
    return amplitude * np.sin(2 * np.pi * (xx * np.cos(t) - yy * np.sin(t)) / wavelength_px)


@pytest.mark.parametrize("amplitude", [0.5, 10.0])
def test_sinusoid_sdq_and_sdr_closed_forms(amplitude):
    lam, px = 128, 1.0
    z = wave(amplitude, lam, (16, 1024))
    v = surface_parameters(z, pixel_size_nm=px, settings=NONE, groups="hybrid").values
    a = amplitude * 2 * np.pi / (lam * px)  # slope amplitude
    sdr = 100 * (2 / np.pi * np.sqrt(1 + a * a) * ellipe(a * a / (1 + a * a)) - 1)
    assert v["Sdq"] == pytest.approx(a / np.sqrt(2), rel=5e-3)
    assert v["Sdr"] == pytest.approx(sdr, rel=5e-3)


def test_anisotropic_pixels_scale_slopes():
    z = wave(1.0, 64, (128, 128), angle_deg=90.0)  # varies along y only
    v = surface_parameters(z, pixel_size_nm=(2.0, 0.5), settings=NONE, groups="hybrid").values
    assert v["Sdq"] == pytest.approx(2 * np.pi / (64 * 2.0) / np.sqrt(2), rel=5e-3)


def test_sinusoid_autocorrelation_length_direction_and_wavelength():
    lam, px = 64, 2.0
    v = surface_parameters(wave(1.0, lam, (64, 2048)), pixel_size_nm=px, settings=NONE, groups="spatial").values
    assert v["Sal"] == pytest.approx(lam * px * np.arccos(0.2) / (2 * np.pi), rel=5e-3)
    assert v["Ssw"] == pytest.approx(lam * px, rel=5e-3)
    assert v["Std"] == pytest.approx(0.0, abs=0.1)
    assert v["Str"] < 0.5  # never decays along the crests: an upper bound, strongly anisotropic


@pytest.mark.parametrize("angle", [30.0, 75.0, 120.0])
def test_texture_direction_and_wavelength_of_rotated_waves(angle):
    v = surface_parameters(wave(1.0, 40, (512, 512), angle), pixel_size_nm=1.0, settings=NONE,
                           groups="spatial").values
    assert v["Std"] == pytest.approx(angle, abs=0.5)
    assert v["Ssw"] == pytest.approx(40.0, rel=5e-3)


def test_sal_str_of_crossed_waves_against_their_analytic_autocorrelation():
    lam = 64
    k = 2 * np.pi / lam
    z = wave(1.0, lam, (1024, 1024)) + wave(1.0, lam, (1024, 1024), 90.0)
    v = surface_parameters(z, pixel_size_nm=1.0, settings=NONE, groups="spatial").values
    # ACF = (cos(k tx) + cos(k ty)) / 2; decay to 0.2 along each direction by root finding
    lengths = [brentq(lambda r, t=t: (np.cos(k * r * np.cos(t)) + np.cos(k * r * np.sin(t))) / 2 - 0.2, 0.1, lam / 2)
               for t in np.deg2rad(np.linspace(0, 90, 901))]
    # the lag-overlap estimator of a finite sample of 16 periods is biased by about 1 %
    assert v["Sal"] == pytest.approx(min(lengths), rel=0.01)
    assert v["Str"] == pytest.approx(min(lengths) / max(lengths), rel=0.01)


def test_gaussian_correlated_surfaces_isotropic_and_anisotropic():
    white = np.random.default_rng(3).normal(size=(1024, 1024))
    s = 3.0  # Gaussian filter sigma: the ACF is exp(-r^2 / (4 s^2)), which falls to 0.2 at 2 s sqrt(ln 5)
    iso = ndimage.gaussian_filter(white, s, mode="wrap")
    v = surface_parameters(iso, pixel_size_nm=1.0, settings=NONE, groups="spatial").values
    assert v["Sal"] == pytest.approx(2 * s * np.sqrt(np.log(5)), rel=0.03)
    assert v["Str"] > 0.9
    aniso = ndimage.gaussian_filter(white, (2.0, 8.0), mode="wrap")  # long along x
    v = surface_parameters(aniso, pixel_size_nm=1.0, settings=NONE, groups="spatial").values
    assert v["Sal"] == pytest.approx(2 * 2.0 * np.sqrt(np.log(5)), rel=0.03)
    assert v["Str"] == pytest.approx(0.25, abs=0.03)
    assert v["Std"] == pytest.approx(90.0, abs=5.0)  # spectrum spread along y, across the lay


@pytest.mark.parametrize("hurst", [0.3, 0.5, 0.8])
def test_fractal_dimension_of_self_affine_surfaces(hurst):
    dims = [surface_parameters(fractal_surface((512, 512), hurst=hurst, seed=seed), pixel_size_nm=1.0,
                               groups="fractal").values for seed in (0, 1)]
    assert np.mean([d["Sfd_psd"] for d in dims]) == pytest.approx(3 - hurst, abs=0.08)
    assert np.mean([d["Sfd_var"] for d in dims]) == pytest.approx(3 - hurst, abs=0.08)


@pytest.mark.parametrize("direction", [30.0, 150.0])
def test_texture_direction_of_a_random_anisotropic_surface_is_not_pulled_to_grid_directions(direction):
    # random phases under a spectrum elongated along `direction`; mild scan-line offsets on top
    n = 256
    rng = np.random.default_rng(int(direction))
    fy = np.fft.fftfreq(n)[:, None]
    fx = np.fft.fftfreq(n)[None, :]
    t = np.deg2rad(direction)
    u = fx * np.cos(t) - fy * np.sin(t)
    v = fx * np.sin(t) + fy * np.cos(t)
    envelope = np.exp(-(u**2) / (2 * 0.08**2) - v**2 / (2 * 0.01**2))
    z = np.fft.ifft2(envelope * np.exp(2j * np.pi * rng.uniform(size=(n, n)))).real
    z /= z.std()
    z += rng.normal(0, 0.2, (n, 1))
    v_ = surface_parameters(z, pixel_size_nm=1.0, groups="spatial").values
    assert abs((v_["Std"] - direction + 90) % 180 - 90) < 3.0
    assert v_["Str"] < 0.5
