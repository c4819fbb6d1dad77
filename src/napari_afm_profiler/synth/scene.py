"""Virtual scenes: fractal rough substrates and particles lying on them."""

from __future__ import annotations

import numpy as np

from napari_afm_profiler.errors import InputError


def fractal_surface(
    shape: tuple[int, int],
    *,
    rms_nm: float = 1.0,
    hurst: float = 0.8,
    pixel_size_nm: float = 1.0,
    seed: int | None = 0,
) -> np.ndarray:
    """Self-affine rough surface by spectral synthesis (power spectrum ~ q^-(2+2H)).

    Parameters
    ----------
    shape : (ny, nx)
        Image size in pixels.
    rms_nm : float
        Root-mean-square height Sq of the result, nm.
    hurst : float
        Hurst exponent in (0, 1]; larger is smoother.
    pixel_size_nm : float
        Lateral sampling, nm (sets the physical frequency axis).
    seed : int or None
        Random seed (same seed, same surface).

    Returns
    -------
    height : (ny, nx) float ndarray, nm
        Zero-mean surface with Sq equal to ``rms_nm``.
    """
    ny, nx = shape
    if ny < 2 or nx < 2 or rms_nm < 0 or not 0 < hurst <= 1.5:
        raise InputError(f"invalid fractal parameters shape={shape} rms={rms_nm} hurst={hurst}")
    rng = np.random.default_rng(seed)
    qy = np.fft.fftfreq(ny, d=pixel_size_nm)[:, None]
    qx = np.fft.rfftfreq(nx, d=pixel_size_nm)[None, :]
    q = np.hypot(qx, qy)
    q[0, 0] = np.inf
    amplitude = q ** (-(1.0 + hurst))
    phase = rng.uniform(0, 2 * np.pi, size=amplitude.shape)
    noise = rng.normal(size=amplitude.shape)
    spectrum = amplitude * noise * np.exp(1j * phase)
    height = np.fft.irfft2(spectrum, s=(ny, nx))
    height -= height.mean()
    sq = height.std()
    return height * (rms_nm / sq) if sq > 0 else height


def particles_on_substrate(
    shape: tuple[int, int] = (256, 256),
    *,
    pixel_size_nm: float = 2.0,
    n_particles: int = 25,
    radius_nm: tuple[float, float] = (8.0, 20.0),
    substrate_rms_nm: float = 0.5,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Spherical particles (caps) lying on a fractal substrate, as in a typical AFM sample.

    Returns
    -------
    height : (ny, nx) float ndarray, nm
    labels : (ny, nx) int ndarray
        Particle id per pixel (0 = substrate).
    """
    rng = np.random.default_rng(seed)
    height = fractal_surface(shape, rms_nm=substrate_rms_nm, hurst=0.7, pixel_size_nm=pixel_size_nm, seed=rng.integers(2**31))
    labels = np.zeros(shape, dtype=np.int32)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]] * pixel_size_nm
    for k in range(1, n_particles + 1):
        r = rng.uniform(*radius_nm)
        cy = rng.uniform(0, shape[0] * pixel_size_nm)
        cx = rng.uniform(0, shape[1] * pixel_size_nm)
        d2 = (yy - cy) ** 2 + (xx - cx) ** 2
        inside = d2 < r * r
        sphere = np.sqrt(np.clip(r * r - d2, 0, None)) + r  # a sphere resting on the plane z=0
        top = np.where(inside, sphere, -np.inf)
        labels[inside & (top > height)] = k
        height = np.maximum(height, top)
    return height, labels
