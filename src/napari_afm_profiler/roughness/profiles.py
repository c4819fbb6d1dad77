"""Profile parameters (ISO 21920-2) of a line extracted from an image, with the profile Gaussian filter.

The profile is levelled by its least-squares line (the F-operator) or only its mean, S-filtered
(its short wavelengths removed) and L-filtered (the mean line at ``l_filter_nm`` subtracted),
both with the ISO 16610-21 Gaussian.  Then, over the evaluation length:

* Ra, Rq, Rsk, Rku: mean absolute, RMS height, skewness and kurtosis about the mean line;
* Rp, Rv, Rt: highest peak, deepest valley (as a positive depth) and their sum;
* Rz: the mean over ``sections`` equal sections (ISO 21920-2 default 5) of each section's
  peak-to-valley height;
* Rdq: RMS slope (central differences; ISO 21920-3's seven-point formula differs only on
  profiles sampled close to their shortest wavelength);
* RSm: mean width of the profile elements: a peak above the mean line and the valley that
  follows it, each at least 10 % of Rz high (deep) and 1 % of the evaluation length wide; a
  smaller excursion is merged with its neighbours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.roughness.filters import profile_gaussian

PROFILE_PARAMETERS = ("Ra", "Rq", "Rsk", "Rku", "Rp", "Rv", "Rz", "Rt", "Rdq", "RSm")
"""Symbols in output order; heights in nm, Rdq dimensionless (nm/nm), RSm in nm."""


@dataclass(frozen=True)
class ProfileResult:
    """Parameters of one profile, the evaluated (filtered) profile and the operators used."""

    values: dict[str, float | None]
    profile: np.ndarray
    operators: dict[str, str]


def _elements(z: np.ndarray, rz: float, spacing: float) -> list[float]:
    """Widths (nm) of the profile elements (see the module docstring)."""
    height_min, width_min = 0.1 * rz, 0.01 * len(z) * spacing
    sign = np.sign(z)
    sign[sign == 0] = 1
    edges = np.flatnonzero(np.diff(sign)) + 1
    bounds = np.concatenate([[0], edges, [len(z)]])
    # excursions: (start, stop, +1 peak / -1 valley, extreme)
    runs = [(a, b, int(sign[a]), float(np.max(np.abs(z[a:b])))) for a, b in zip(bounds[:-1], bounds[1:])]
    qualified = [r for r in runs if r[3] >= height_min and (r[1] - r[0]) * spacing >= width_min]
    # merge neighbours of the same sign once the small excursions between them are dropped
    merged: list[list[float]] = []
    for a, b, s, _ in qualified:
        if merged and merged[-1][2] == s:
            merged[-1][1] = b
        else:
            merged.append([a, b, s])
    def crossing(e: int) -> float:  # the mean-line crossing between samples e - 1 and e, interpolated
        if e <= 0 or e >= len(z):
            return float(e)
        return (e - 1) + float(z[e - 1] / (z[e - 1] - z[e]))

    widths = []
    for first, second in zip(merged[:-1], merged[1:]):
        if first[2] > 0 > second[2]:  # a peak and the valley after it
            widths.append((crossing(int(second[1])) - crossing(int(first[0]))) * spacing)
    # the first and last elements are cut by the ends of the evaluation length: not whole
    return widths[1:-1] if len(widths) > 2 else widths


def profile_parameters(profile: np.ndarray, *, spacing_nm: float, level: str = "line",
                       s_filter_nm: float | None = None, l_filter_nm: float | None = None,
                       sections: int = 5) -> ProfileResult:
    """ISO 21920-2 parameters of a 1-D height profile.

    Parameters
    ----------
    profile : (n,) float ndarray, nm
        Heights along the line; NaN values (outside the image) are dropped from the ends and
        refused inside.
    spacing_nm : float
        Distance between samples, nm.
    level : {"line", "none"}
        F-operator: the least-squares line, or only the mean.
    s_filter_nm, l_filter_nm : float, optional
        Nesting indices of the profile S-filter and L-filter (ISO 16610-21 Gaussian).
    sections : int
        Sections of the evaluation length over which Rz is averaged.

    Returns
    -------
    ProfileResult

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(4000) * 0.25
    >>> r = profile_parameters(2.0 * np.sin(2 * np.pi * x / 50.0), spacing_nm=0.25, level="none")
    >>> [round(r.values[k], 3) for k in ("Ra", "Rq", "Rz", "RSm")]  # 2A/pi, A/sqrt(2), 2A and the wavelength
    [1.273, 1.414, 4.0, 50.0]
    """
    z = np.asarray(profile, np.float64)
    if z.ndim != 1:
        raise InputError(f"profile parameters need a 1-D profile; got shape {z.shape}")
    if not (math.isfinite(spacing_nm) and spacing_nm > 0):
        raise InputError(f"the profile spacing must be > 0 nm; got {spacing_nm}")
    finite = np.flatnonzero(np.isfinite(z))
    if finite.size < 8:
        raise InputError(f"a profile needs at least 8 finite samples; this one has {finite.size}")
    z = z[finite[0]:finite[-1] + 1]
    if not np.isfinite(z).all():
        raise InputError(f"the profile has {int((~np.isfinite(z)).sum())} missing (NaN) samples inside it; "
                         "profile parameters need a continuous profile")
    if level not in ("line", "none"):
        raise InputError(f"level must be 'line' or 'none'; got {level!r}")
    if int(sections) != sections or sections < 1 or sections > len(z) // 2:
        raise InputError(f"sections must be a whole number from 1 to {len(z) // 2}; got {sections}")
    if s_filter_nm and l_filter_nm and not s_filter_nm < l_filter_nm:
        raise InputError(f"the S-filter's nesting index ({s_filter_nm} nm) must be shorter than the L-filter's "
                         f"({l_filter_nm} nm)")
    if s_filter_nm:
        z = profile_gaussian(z, s_filter_nm, spacing_nm=spacing_nm)
    x = np.arange(len(z)) * spacing_nm
    z = z - (np.polyval(np.polyfit(x, z, 1), x) if level == "line" else z.mean())
    if l_filter_nm:
        z = z - profile_gaussian(z, l_filter_nm, spacing_nm=spacing_nm)
    z = z - z.mean()
    rq = float(np.sqrt(np.mean(z**2)))
    values: dict[str, float | None] = {"Ra": float(np.mean(np.abs(z))), "Rq": rq}
    values["Rsk"] = float(np.mean(z**3) / rq**3) if rq > 0 else None
    values["Rku"] = float(np.mean(z**4) / rq**4) if rq > 0 else None
    values["Rp"], values["Rv"] = float(z.max()), float(-z.min())
    values["Rt"] = values["Rp"] + values["Rv"]
    parts = np.array_split(z, int(sections))
    values["Rz"] = float(np.mean([p.max() - p.min() for p in parts]))
    values["Rdq"] = float(np.sqrt(np.mean(np.gradient(z, spacing_nm) ** 2)))
    widths = _elements(z, values["Rz"], spacing_nm) if rq > 0 else []
    values["RSm"] = float(np.mean(widths)) if widths else None
    operators = {"F-operator": "least-squares line" if level == "line" else "none (mean removed)",
                 "S-filter": f"Gaussian (ISO 16610-21), nesting index {s_filter_nm:g} nm" if s_filter_nm else "none",
                 "L-filter": f"Gaussian (ISO 16610-21), nesting index {l_filter_nm:g} nm" if l_filter_nm else "none"}
    return ProfileResult(values={k: values[k] for k in PROFILE_PARAMETERS}, profile=z, operators=operators)


def profiles_parameters(distance_nm: np.ndarray, profiles: dict[str, np.ndarray], *, level: str = "line",
                        s_filter_nm: float | None = None, l_filter_nm: float | None = None,
                        sections: int = 5) -> dict[str, ProfileResult]:
    """ISO 21920-2 parameters of several profiles sampled along one line (one per image).

    Parameters
    ----------
    distance_nm : (n,) float ndarray
        Distance of each sample from the line's start, nm (evenly spaced).
    profiles : dict of str to (n,) float ndarray
        Heights along the line, one profile per image name.
    level, s_filter_nm, l_filter_nm, sections
        As in :func:`profile_parameters`.

    Returns
    -------
    dict of str to ProfileResult

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(400) * 0.5
    >>> out = profiles_parameters(x, {"a": np.sin(x), "b": 2 * np.sin(x)}, level="none")
    >>> round(out["b"].values["Rq"] / out["a"].values["Rq"], 6)
    2.0
    """
    distance = np.asarray(distance_nm, np.float64)
    if distance.ndim != 1 or distance.size < 2:
        raise InputError(f"a profile's distances must be 1-D with at least 2 samples; got shape {distance.shape}")
    spacing = float(distance[1] - distance[0])
    return {name: profile_parameters(values, spacing_nm=spacing, level=level, s_filter_nm=s_filter_nm,
                                     l_filter_nm=l_filter_nm, sections=sections)
            for name, values in profiles.items()}
