"""Synthetic cell populations with a known difference, for validating and demonstrating the classifier."""

from __future__ import annotations

import numpy as np

from napari_afm_profiler.roughness import surface_parameters
from napari_afm_profiler.synth.scene import fractal_surface


def hurst_populations(
    n_per_class: int = 40,
    *,
    hurst: tuple[float, float] = (0.5, 0.8),
    size: int = 128,
    pixel_size_nm: float = 2.0,
    rms_nm: float = 5.0,
    rms_spread: float = 0.3,
    noise_nm: float = 0.2,
    seed: int = 0,
):  # noqa: ANN201 - pandas is imported lazily
    """Roughness table of two populations of fractal surfaces that differ only in their Hurst exponent.

    Each surface gets its own random RMS height (log-normal, ``rms_spread``) and white
    measurement noise, so height parameters alone do not separate the classes; the known
    difference is the fractal dimension ``3 - H``.

    Parameters
    ----------
    n_per_class : int
        Surfaces per class.
    hurst : (float, float)
        Hurst exponent of class "A" and class "B" (equal values give identical populations).
    size : int
        Side of each surface, pixels.
    pixel_size_nm : float
    rms_nm : float
        Median RMS height, nm.
    rms_spread : float
        Standard deviation of log(RMS).
    noise_nm : float
        RMS of added white noise, nm.
    seed : int

    Returns
    -------
    pandas.DataFrame
        One row per surface: ``class`` ("A" or "B") and every roughness parameter.
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = []
    for name, h in zip("AB", hurst):
        for _ in range(n_per_class):
            rms = rms_nm * float(np.exp(rng.normal(0.0, rms_spread)))
            z = fractal_surface((size, size), rms_nm=rms, hurst=h, pixel_size_nm=pixel_size_nm, seed=rng)
            z = z + rng.normal(0.0, noise_nm, z.shape)
            values = surface_parameters(z, pixel_size_nm=pixel_size_nm).values
            rows.append({"class": name, **{k: (np.nan if v is None else v) for k, v in values.items()}})
    return pd.DataFrame(rows)
