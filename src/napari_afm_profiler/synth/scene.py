"""Virtual scenes: fractal rough substrates and particles lying on them."""

from __future__ import annotations

import numpy as np

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.pixels import pixel_size_pair


def fractal_surface(
    shape: tuple[int, int],
    *,
    rms_nm: float = 1.0,
    hurst: float = 0.8,
    pixel_size_nm: float | tuple[float, float] = 1.0,
    seed: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """Self-affine, isotropic rough surface by spectral synthesis.

    Fourier amplitudes are complex Gaussian with a power spectrum ``C(q) ~ q^-(2 + 2H)`` from
    the image size down to the pixel size (no roll-off), then the result is scaled to the
    exact RMS height.

    Parameters
    ----------
    shape : (ny, nx)
        Image size in pixels.
    rms_nm : float
        Root-mean-square height Sq of the result, nm (> 0).
    hurst : float
        Hurst exponent in (0, 1); larger is smoother (fractal dimension 3 - H).
    pixel_size_nm : float or (dy, dx)
        Lateral sampling, nm (sets the physical frequency axes).
    seed : int, Generator or None
        Random seed (same seed, same surface) or a generator to draw from.

    Returns
    -------
    height : (ny, nx) float ndarray, nm
        Zero-mean surface with Sq equal to ``rms_nm``.

    References
    ----------
    B. N. J. Persson et al., "On the nature of surface roughness with application to
    contact mechanics, sealing, rubber friction and adhesion", J. Phys.: Condens. Matter 17,
    R1 (2005), section 2.

    Examples
    --------
    >>> import numpy as np
    >>> z = fractal_surface((128, 128), rms_nm=2.0, hurst=0.7, pixel_size_nm=1.0, seed=3)
    >>> z.shape, round(float(np.std(z)), 6)
    ((128, 128), 2.0)
    """
    ny, nx = shape
    if ny < 2 or nx < 2:
        raise InputError(f"shape must be at least 2 x 2 pixels; got {shape}")
    if not (np.isfinite(rms_nm) and rms_nm > 0):
        raise InputError(f"rms_nm must be > 0; got {rms_nm}")
    if not 0 < hurst < 1:
        raise InputError(f"hurst must be in (0, 1); got {hurst}")
    dy, dx = pixel_size_pair(pixel_size_nm, needed_for="a fractal surface")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    qy = np.fft.fftfreq(ny, d=dy)[:, None]
    qx = np.fft.rfftfreq(nx, d=dx)[None, :]
    q = np.hypot(qx, qy)
    q[0, 0] = np.inf
    amplitude = q ** (-(1.0 + hurst))
    spectrum = amplitude * (rng.normal(size=amplitude.shape) + 1j * rng.normal(size=amplitude.shape))
    # irfft2 keeps only the Hermitian part of the qx = 0 (and Nyquist) column, which halves
    # its power; restore it so the spectrum is the same power law in every direction
    spectrum[:, 0] *= np.sqrt(2.0)
    if nx % 2 == 0:
        spectrum[:, -1] *= np.sqrt(2.0)
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

    Examples
    --------
    >>> height, labels = particles_on_substrate(seed=0)
    >>> height.shape, int(labels.max()) > 0, bool(height[labels > 0].mean() > height[labels == 0].mean())
    ((256, 256), True, True)
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
