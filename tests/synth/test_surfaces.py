"""Virtual surfaces against their definitions: dome geometry, footprints, fractal spectrum."""

from __future__ import annotations

import math

import numpy as np
import pytest

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.synth import ObjectSpec, fractal_surface
from napari_afm_profiler.synth.objects import place_objects


def _one(kind, size=(18.0, 18.0), height=(6.0, 6.0), pixel=0.25, shape=(160, 160), seed=0):
    spec = ObjectSpec(size_nm=size, height_nm=height, count=(1, 1))
    return place_objects(np.zeros(shape), (kind,), spec, pixel_size_nm=(pixel, pixel), rng=np.random.default_rng(seed))


def test_dome_is_a_spherical_cap():
    surface, labels, (dome,) = _one("dome", size=(16.0, 16.0), height=(5.0, 5.0))
    assert dome.height_nm == pytest.approx(5.0, abs=1e-12)
    assert surface.max() == pytest.approx(5.0, abs=0.02)  # the apex falls near a pixel centre
    # cap of footprint radius a=8 and height h=5 lies on a sphere of radius (a^2 + h^2) / 2h
    radius = (64 + 25) / 10
    cy, cx = dome.center_nm
    yy, xx = np.nonzero(labels == 1)
    r2 = (yy * 0.25 - cy) ** 2 + (xx * 0.25 - cx) ** 2
    np.testing.assert_allclose(surface[yy, xx], np.sqrt(radius**2 - r2) - (radius - 5.0), atol=1e-9)
    # footprint = pi r^2 within the pixelisation error (perimeter x one pixel)
    assert dome.area_nm2 == pytest.approx(math.pi * 64)
    assert abs(dome.pixel_area_nm2 - math.pi * 64) < 2 * math.pi * 8 * 0.25


def test_dome_is_at_most_a_hemisphere():
    _, _, (dome,) = _one("dome", size=(16.0, 16.0), height=(12.0, 12.0))
    assert dome.height_nm == pytest.approx(8.0)


@pytest.mark.parametrize("kind, area", [
    ("cylinder", math.pi * 9**2),
    ("prism", math.sqrt(3) / 4 * 18**2),
    ("cuboid", 18 * 18),
])
def test_flat_topped_objects(kind, area):
    surface, labels, (obj,) = _one(kind)
    assert obj.height_nm == 6.0 and np.all(surface[labels == 1] == 6.0)
    assert obj.area_nm2 == pytest.approx(area)
    assert abs(obj.pixel_area_nm2 - area) < 0.05 * area


def test_rod_is_a_lying_cylinder():
    surface, labels, (rod,) = _one("rod", size=(8.0, 8.0))
    assert rod.height_nm == pytest.approx(8.0, abs=1e-9) and surface.max() == pytest.approx(8.0, abs=0.01)
    assert 2 * 8 * 8 <= rod.area_nm2 <= 4 * 8 * 8


def test_overlap_is_controlled():
    spec = ObjectSpec(count=(12, 12), max_overlap=0.0)
    _, labels, objects = place_objects(np.zeros((128, 128)), ("cylinder",), spec, pixel_size_nm=(1.0, 1.0),
                                       rng=np.random.default_rng(3))
    total = sum(o.pixel_area_nm2 for o in objects)
    assert (labels > 0).sum() == pytest.approx(total)  # no pixel shared by two footprints


def test_objects_stand_on_a_rough_substrate():
    base = fractal_surface((128, 128), rms_nm=1.0, hurst=0.7, seed=1)
    surface, labels, objects = place_objects(base, ("cuboid",), ObjectSpec(count=(3, 3)), pixel_size_nm=(1.0, 1.0),
                                             rng=np.random.default_rng(1))
    assert np.all(surface >= base)
    assert np.array_equal(surface[labels == 0], base[labels == 0])


@pytest.mark.parametrize("hurst", [0.3, 0.5, 0.8])
def test_fractal_rms_and_hurst_from_the_power_spectrum(hurst):
    # C(q) ~ q^-(2 + 2H): regress log |FFT|^2 on log q over every Fourier coefficient
    # between twice the fundamental and a quarter of the sampling frequency, six surfaces
    logs_q, logs_c = [], []
    q = np.hypot(*np.meshgrid(np.fft.fftfreq(256), np.fft.fftfreq(256), indexing="ij"))
    band = (q > 2 / 256) & (q < 0.25)
    for seed in range(6):
        h = fractal_surface((256, 256), rms_nm=5.0, hurst=hurst, pixel_size_nm=1.0, seed=seed)
        assert np.sqrt(np.mean(h**2)) == pytest.approx(5.0, rel=0.05)
        logs_q.append(np.log(q[band]))
        logs_c.append(np.log(np.abs(np.fft.fft2(h))[band] ** 2))
    slope = np.polyfit(np.concatenate(logs_q), np.concatenate(logs_c), 1)[0]
    assert (-slope - 2) / 2 == pytest.approx(hurst, rel=0.05)


@pytest.mark.parametrize("kwargs, name", [
    ({"rms_nm": 0.0}, "rms_nm"),
    ({"rms_nm": -1.0}, "rms_nm"),
    ({"hurst": 1.0}, "hurst"),
    ({"hurst": 0.0}, "hurst"),
])
def test_bad_fractal_parameters_are_named(kwargs, name):
    with pytest.raises(InputError, match=name):
        fractal_surface((32, 32), **kwargs)


@pytest.mark.parametrize("spec, name", [
    (ObjectSpec(size_nm=(-1.0, 5.0)), "size_nm"),
    (ObjectSpec(height_nm=(5.0, 2.0)), "height_nm"),
    (ObjectSpec(count=(-1, 2)), "count"),
    (ObjectSpec(max_overlap=2.0), "max_overlap"),
])
def test_bad_object_parameters_are_named(spec, name):
    with pytest.raises(InputError, match=name):
        place_objects(np.zeros((64, 64)), ("dome",), spec, pixel_size_nm=(1.0, 1.0), rng=np.random.default_rng(0))


def test_object_larger_than_the_image_is_an_error():
    with pytest.raises(InputError, match="does not fit"):
        place_objects(np.zeros((16, 16)), ("cuboid",), ObjectSpec(count=(1, 1)), pixel_size_nm=(1.0, 1.0),
                      rng=np.random.default_rng(0))
