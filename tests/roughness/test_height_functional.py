"""Height and material-ratio parameters against closed forms and known height distributions."""

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from napari_afm_profiler.roughness import RoughnessSettings, surface_parameters

NONE = RoughnessSettings(level="none")


def sinusoid(amplitude=2.0, wavelength_px=64, n=1024, rows=32):
    x = np.arange(n)
    return np.tile(amplitude * np.sin(2 * np.pi * x / wavelength_px), (rows, 1))


def exact_distribution(ppf, n=512, seed=0):
    """A surface whose pixel heights are exactly the quantiles of a distribution (shuffled)."""
    values = ppf((np.arange(n * n) + 0.5) / (n * n))
    return np.random.default_rng(seed).permutation(values).reshape(n, n)


def test_sinusoid_height_parameters():
    a = 2.0
    v = surface_parameters(sinusoid(a), pixel_size_nm=1.5, settings=NONE, groups="height").values
    assert v["Sa"] == pytest.approx(2 * a / np.pi, rel=5e-3)
    assert v["Sq"] == pytest.approx(a / np.sqrt(2), rel=5e-3)
    assert abs(v["Ssk"]) < 1e-6
    assert v["Sku"] == pytest.approx(1.5, rel=5e-3)
    assert v["Sp"] == pytest.approx(a, rel=5e-3)
    assert v["Sv"] == pytest.approx(a, rel=5e-3)
    assert v["Sz"] == pytest.approx(2 * a, rel=5e-3)


def test_gaussian_random_surface_moments():
    z = np.random.default_rng(1).normal(0.0, 3.0, (512, 512))
    v = surface_parameters(z, pixel_size_nm=1.0, groups="height").values
    n = z.size
    assert abs(v["Ssk"]) < 3 * np.sqrt(6 / n)
    assert abs(v["Sku"] - 3.0) < 3 * np.sqrt(24 / n)
    assert v["Sq"] == pytest.approx(3.0, rel=0.01)


def test_levelled_tilted_plane_is_zero_with_undefined_ratios():
    yy, xx = np.mgrid[0:128, 0:200]
    r = surface_parameters(0.3 * xx - 0.7 * yy + 12.0, pixel_size_nm=2.0)
    for key in ("Sa", "Sq", "Sp", "Sv", "Sz", "Sdq", "Sdr"):
        assert abs(r.values[key]) < 1e-9, key
    for key in ("Ssk", "Sku", "Sal", "Str", "Sk", "Spd", "Sfd_psd", "Sbi"):
        assert r.values[key] is None, key
    assert any("flat" in w for w in r.warnings)


def _gauss_truth(sigma):
    def q(mr_pct):  # height at material ratio mr
        return sigma * norm.ppf(1 - mr_pct / 100)

    def vm(c):  # E[(Z - c)+]
        a = c / sigma
        return sigma * (norm.pdf(a) - a * norm.sf(a))

    def vv(c):  # E[(c - Z)+]
        a = c / sigma
        return sigma * (norm.pdf(a) + a * norm.cdf(a))

    return q, vm, vv


def test_material_ratio_of_a_gaussian_height_distribution():
    sigma = 2.5
    z = exact_distribution(lambda p: sigma * norm.ppf(p))
    v = surface_parameters(z, pixel_size_nm=1.0, settings=NONE, groups="functional").values
    q, vm, vv = _gauss_truth(sigma)
    assert v["Smr"] == pytest.approx(50.0, abs=0.01)
    assert v["Smc"] == pytest.approx(q(10), rel=5e-3)
    assert v["Sdc"] == pytest.approx(q(10) - q(80), rel=5e-3)
    assert v["Sxp"] == pytest.approx(q(2.5) - q(50), rel=5e-3)
    assert v["Vm"] == pytest.approx(vm(q(10)), rel=5e-3)
    assert v["Vv"] == pytest.approx(vv(q(10)), rel=5e-3)
    assert v["Vmp"] == pytest.approx(vm(q(10)), rel=5e-3)
    assert v["Vmc"] == pytest.approx(vm(q(80)) - vm(q(10)), rel=5e-3)
    assert v["Vvc"] == pytest.approx(vv(q(10)) - vv(q(80)), rel=5e-3)
    assert v["Vvv"] == pytest.approx(vv(q(80)), rel=5e-3)


def test_core_roughness_of_a_gaussian_height_distribution():
    sigma = 1.7
    z = exact_distribution(lambda p: sigma * norm.ppf(p))
    v = surface_parameters(z, pixel_size_nm=1.0, settings=NONE, groups="functional").values
    q, _, _ = _gauss_truth(sigma)
    # ISO 13565-2 on the continuous curve: the flattest 40 % secant, by brute force
    starts = np.linspace(0.01, 59.99, 6000)
    drops = q(starts) - q(starts + 40)
    m = starts[np.argmin(drops)]
    slope = -drops.min() / 40
    top = q(m) - slope * m
    bottom = top + slope * 100
    smr1 = 100 * norm.sf(top / sigma)
    smr2 = 100 * norm.sf(bottom / sigma)
    a1 = integrate.quad(lambda mr: q(mr) - top, 1e-9, smr1)[0]
    a2 = integrate.quad(lambda mr: bottom - q(mr), smr2, 100 - 1e-9)[0]
    assert v["Sk"] == pytest.approx(top - bottom, rel=5e-3)
    assert v["Smr1"] == pytest.approx(smr1, rel=5e-3)
    assert v["Smr2"] == pytest.approx(smr2, rel=5e-3)
    assert v["Spk"] == pytest.approx(2 * a1 / smr1, rel=5e-3)
    assert v["Svk"] == pytest.approx(2 * a2 / (100 - smr2), rel=5e-3)


def test_uniform_distribution_volumes_and_smr_at_a_height():
    a = 4.0
    z = exact_distribution(lambda p: a * (2 * p - 1))
    settings = RoughnessSettings(level="none", smr_c_nm=1.0, smc_mr_pct=25.0)
    v = surface_parameters(z, pixel_size_nm=1.0, settings=settings, groups="functional").values
    assert v["Smr"] == pytest.approx(100 * (a - 1.0) / (2 * a), rel=1e-3)
    assert v["Smc"] == pytest.approx(a * 0.5, rel=1e-3)
    # top 10 % lies above c = 0.8 a: E[(Z - c)+] = (a - c)^2 / (4 a)
    assert v["Vmp"] == pytest.approx((0.2 * a) ** 2 / (4 * a), rel=5e-3)
    # uniform: the material ratio curve is one straight line, the core is everything
    assert v["Sk"] == pytest.approx(2 * a, rel=5e-3)


def test_spip_indices_of_a_gaussian_surface():
    sigma = 1.0
    z = exact_distribution(lambda p: sigma * norm.ppf(p))
    v = surface_parameters(z, pixel_size_nm=1.0, settings=NONE, groups="spip").values
    _, _, vv = _gauss_truth(sigma)
    z05, z80 = norm.isf(0.05), norm.isf(0.80)
    assert v["Sbi"] == pytest.approx(1 / z05, rel=5e-3)  # 0.608 (Stout et al.)
    assert v["Sci"] == pytest.approx(vv(z05) - vv(z80), rel=5e-3)  # 1.56
    assert v["Svi"] == pytest.approx(vv(z80), rel=5e-3)  # 0.11
