"""Unit strings as instruments write them -> a factor and a canonical unit.

Length channels become nm; every other channel is converted to its base SI unit
(``mV`` -> ``V``, ``nA`` -> ``A``); angles stay in degrees.
"""

from __future__ import annotations

import re

import numpy as np

_PREFIX = {
    "y": 1e-24, "z": 1e-21, "a": 1e-18, "f": 1e-15, "p": 1e-12, "n": 1e-9,
    "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "~": 1e-6, "m": 1e-3, "c": 1e-2, "d": 1e-1,
    "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
}
# base units we recognise; anything else is kept verbatim with factor 1
_BASE = ("m", "V", "A", "N", "Pa", "Hz", "s", "W", "F", "Ohm", "Ω", "S", "T")
_ANGLE = {"deg": 1.0, "°": 1.0, "º": 1.0, "degree": 1.0, "degrees": 1.0, "rad": 180.0 / np.pi}
_ALIASES = {"um": "µm", "μm": "µm", "Å": "Å", "A°": "Å", "angstrom": "Å"}


def parse_unit(unit: str | None) -> tuple[float, str]:
    """Return ``(factor, canonical)`` so that ``value * factor`` is in ``canonical``.

    Parameters
    ----------
    unit : str or None
        A unit as written by an instrument (``"nm"``, ``"~m"``, ``"mV"``, ``"deg"``, ``"m"``).

    Returns
    -------
    factor : float
        Multiplier into the canonical unit.
    canonical : str
        ``"nm"`` for any length, the SI base unit otherwise, ``""`` if none.

    Examples
    --------
    >>> parse_unit("µm")
    (1000.0, 'nm')
    >>> parse_unit("mV")
    (0.001, 'V')
    """
    if unit is None:
        return 1.0, ""
    text = str(unit).strip().strip("[]()").strip()
    text = _ALIASES.get(text, text)
    if text in ("", "1", "-", "a.u.", "arb", "arb.", "Arb", "none", "(none)"):
        return 1.0, ""
    if text == "Å":
        return 0.1, "nm"
    if text in _ANGLE:
        return _ANGLE[text], "deg"
    m = re.fullmatch(r"(y|z|a|f|p|n|u|µ|μ|~|m|c|d|k|M|G|T)?(m|V|A|N|Pa|Hz|s|W|F|Ohm|Ω|S|T)", text)
    if m:
        prefix, base = m.group(1) or "", m.group(2)
        if text in _BASE:  # "m" is metres, not milli-nothing
            prefix, base = "", text
        factor = _PREFIX[prefix]
        if base == "m":
            return factor * 1e9, "nm"
        return factor, base
    return 1.0, text


def to_canonical(values: np.ndarray, unit: str | None, *, scale: float = 1.0, offset: float = 0.0,
                 out: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    """Convert ``scale * values + offset``, given in ``unit``, to the canonical unit (nm for lengths).

    Returns a C-contiguous float64 array (a new array unless there is nothing to do and
    ``values`` is already C-contiguous float64).  The cast, the instrument's linear calibration
    (``scale``, ``offset``), the unit factor and any reordering of a strided view happen in one
    allocation: a reader of a large image never holds more than the raw data and the result.

    Parameters
    ----------
    values : ndarray
        Raw values (any real dtype, any strides, e.g. a flipped view).
    unit : str or None
        Unit of ``scale * values + offset``.
    scale, offset : float
        Linear calibration of the raw values.
    out : ndarray, optional
        A C-contiguous float64 array of the same shape to write the result into (e.g. one
        channel of a block allocated for all channels).

    Returns
    -------
    data : ndarray
        float64 values in ``canonical``.
    canonical : str
        See :func:`parse_unit`.
    """
    factor, canonical = parse_unit(unit)
    values = np.asarray(values)
    multiplier, shift = factor * float(scale), factor * float(offset)
    if out is not None:
        np.multiply(values, multiplier, out=out)
        if shift:
            out += shift
        return out, canonical
    if multiplier != 1.0:
        out = np.multiply(values, multiplier, dtype=np.float64, order="C")
    else:
        out = np.ascontiguousarray(values, dtype=np.float64)
    if shift:
        if np.may_share_memory(out, values):
            out = out + shift  # never change the caller's array
        else:
            out += shift
    return out, canonical


def length_to_nm(value: float, unit: str | None) -> float:
    """Convert a length ``value`` in ``unit`` to nm; raises ``ValueError`` if not a length."""
    factor, canonical = parse_unit(unit)
    if canonical != "nm":
        raise ValueError(f"{unit!r} is not a length unit")
    return float(value) * factor
