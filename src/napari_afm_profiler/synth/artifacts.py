"""Imaging artifacts added to a simulated (dilated) AFM image.

Rows are scan lines and x (columns) is the fast-scan direction.  Every artifact is off by
default (the paper's quantitative results use dilation only); :meth:`ArtifactSpec.paper`
switches on the line and edge artifacts of its supporting figures S6-S8.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage as ndi
from scipy.signal import lfilter

from napari_afm_profiler.errors import InputError

LINE_MODES = ("zero", "shift", "offset")


@dataclass(frozen=True)
class ArtifactSpec:
    """Switches and strengths of the artifacts (nm, px, probabilities).

    Attributes
    ----------
    line_probability : float
        Chance that a scan line is corrupted; the mode is drawn from ``line_modes``.
    line_modes : tuple of str
        ``zero`` (the line reads 0 nm, a dropout), ``shift`` (the line is displaced
        laterally by up to ``line_shift_px``), ``offset`` (a height step, normal with SD
        ``line_offset_nm``).
    line_shift_px, line_offset_nm : float
        Strengths of the shift and offset modes.
    edge_overshoot : float
        Feedback overshoot after a steep step along the fast-scan axis, as a fraction of the
        step (``edge lift``); decays over ``edge_decay_px``.
    edge_decay_px : float
        Decay length of the overshoot.
    edge_slope : float
        Slopes (nm per nm) steeper than this count as edges.
    noise_nm : float
        White noise SD.
    tilt_deg : float
        Largest sample tilt; a random plane up to this angle is added.
    bow_nm : float
        Largest scanner bow (quadratic sag over the image).
    drift_px : float
        Largest lateral drift over the whole image (rows shifted progressively).
    """

    line_probability: float = 0.0
    line_modes: tuple[str, ...] = LINE_MODES
    line_shift_px: float = 3.0
    line_offset_nm: float = 2.0
    edge_overshoot: float = 0.0
    edge_decay_px: float = 2.0
    edge_slope: float = 1.0
    noise_nm: float = 0.0
    tilt_deg: float = 0.0
    bow_nm: float = 0.0
    drift_px: float = 0.0

    @classmethod
    def paper(cls) -> ArtifactSpec:
        """Return the line-like and edge-lift artifacts of the paper's figures S6-S8, with mild noise."""
        return cls(line_probability=0.05, edge_overshoot=0.15, noise_nm=0.2)

    def check(self) -> None:
        """Raise :class:`InputError` naming the first impossible parameter."""
        if not 0 <= self.line_probability <= 1:
            raise InputError(f"line_probability must be in [0, 1]; got {self.line_probability}")
        unknown = set(self.line_modes) - set(LINE_MODES)
        if unknown or not self.line_modes:
            raise InputError(f"line_modes must be some of {LINE_MODES}; got {self.line_modes}")
        for name in ("line_shift_px", "line_offset_nm", "edge_overshoot", "edge_slope", "noise_nm", "tilt_deg",
                     "bow_nm", "drift_px"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InputError(f"{name} must be >= 0; got {value}")
        if not self.edge_decay_px > 0:
            raise InputError(f"edge_decay_px must be > 0; got {self.edge_decay_px}")
        if self.tilt_deg >= 90:
            raise InputError(f"tilt_deg must be below 90; got {self.tilt_deg}")

    @property
    def any(self) -> bool:
        """Whether any artifact is switched on."""
        return bool(self.line_probability or self.edge_overshoot or self.noise_nm or self.tilt_deg or self.bow_nm
                    or self.drift_px)

    def to_dict(self) -> dict:
        """Plain-dict form (for the dataset's parameters)."""
        return asdict(self)


def edge_overshoot(image: np.ndarray, *, fraction: float, decay_px: float, slope: float,
                   pixel_size_nm: tuple[float, float]) -> np.ndarray:
    """Feedback overshoot after steep steps along each scan line (a decaying bump of the step's sign)."""
    step = np.diff(image, axis=1, prepend=image[:, :1])
    steep = np.abs(step) > slope * pixel_size_nm[1]
    kick = np.where(steep, step, 0.0) * fraction
    a = math.exp(-1.0 / decay_px)
    return image + lfilter([1.0], [1.0, -a], kick, axis=1)


def apply_artifacts(image: np.ndarray, spec: ArtifactSpec, *, pixel_size_nm: tuple[float, float],
                    rng: np.random.Generator) -> np.ndarray:
    """Add the artifacts of ``spec`` to a simulated image (in this order: edges, tilt/bow, drift, lines, noise).

    Parameters
    ----------
    image : (M, N) float ndarray, nm
        The dilated (simulated) image.
    spec : ArtifactSpec
        What to add and how strongly.
    pixel_size_nm : (dy, dx)
        Grid spacing (tilt is a physical angle).
    rng : numpy Generator
        Source of randomness.

    Returns
    -------
    image : (M, N) float ndarray, nm
        A new array.
    """
    spec.check()
    out = np.array(image, dtype=np.float64)
    ny, nx = out.shape
    dy, dx = pixel_size_nm
    if spec.edge_overshoot:
        out = edge_overshoot(out, fraction=spec.edge_overshoot, decay_px=spec.edge_decay_px, slope=spec.edge_slope,
                             pixel_size_nm=pixel_size_nm)
    yy = (np.arange(ny)[:, None] - (ny - 1) / 2) * dy
    xx = (np.arange(nx)[None, :] - (nx - 1) / 2) * dx
    if spec.tilt_deg:
        angle = math.radians(rng.uniform(0, spec.tilt_deg))
        azimuth = rng.uniform(0, 2 * math.pi)
        out = out + math.tan(angle) * (xx * math.cos(azimuth) + yy * math.sin(azimuth))
    if spec.bow_nm:
        r2 = (xx / (nx * dx / 2)) ** 2 + (yy / (ny * dy / 2)) ** 2
        out = out - rng.uniform(0, spec.bow_nm) * r2 / 2
    if spec.drift_px:
        total = rng.uniform(-spec.drift_px, spec.drift_px)
        shifts = total * np.arange(ny) / max(ny - 1, 1)
        out = np.stack([ndi.shift(row, s, order=1, mode="nearest") for row, s in zip(out, shifts)])
    if spec.line_probability:
        for row in np.nonzero(rng.random(ny) < spec.line_probability)[0]:
            mode = spec.line_modes[int(rng.integers(len(spec.line_modes)))]
            if mode == "zero":
                out[row] = 0.0
            elif mode == "shift":
                out[row] = ndi.shift(out[row], rng.uniform(-spec.line_shift_px, spec.line_shift_px), order=1, mode="nearest")
            else:
                out[row] += rng.normal(0.0, spec.line_offset_nm)
    if spec.noise_nm:
        out += rng.normal(0.0, spec.noise_nm, out.shape)
    return out
