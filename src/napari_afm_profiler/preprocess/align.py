"""Drift correction of movies: frame-to-frame shifts by cross-correlation, and the aligned stack.

High-speed AFM movies and long time series drift laterally (thermal drift, piezo creep).
Each frame's shift is measured by cross-correlation (``skimage.registration``, with
sub-pixel refinement) of plane-levelled, Hann-windowed frames, against the previous frame (the default:
robust while the sample changes slowly) or the first one; shifts against the previous frame
are summed into a track.  Frames are then moved back by that track; pixels that come from
outside the recorded area are NaN, never invented.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.preprocess.fit import fit_polynomial
from napari_afm_profiler.progress import drain

REFERENCES = ("previous", "first")


@dataclass(frozen=True)
class Drift:
    """Measured drift of a movie.

    Attributes
    ----------
    shifts_px : (frames, 2) float ndarray
        ``(dy, dx)`` in pixels that moves each frame onto the first one (frame 0 is 0, 0).
    errors : (frames,) float ndarray
        Normalised cross-correlation error of each registration (0 = perfect match, 1 = none).
    """

    shifts_px: np.ndarray
    errors: np.ndarray

    def table(self, pixel_size_nm: tuple[float, float] | None = None) -> dict[str, np.ndarray]:
        """Return the shifts as table columns: frame, dy/dx in px (and nm, given a pixel size), error."""
        columns = {"frame": np.arange(len(self.errors)), "dy_px": self.shifts_px[:, 0],
                   "dx_px": self.shifts_px[:, 1]}
        if pixel_size_nm is not None:
            columns["dy_nm"] = self.shifts_px[:, 0] * float(pixel_size_nm[0])
            columns["dx_nm"] = self.shifts_px[:, 1] * float(pixel_size_nm[1])
        columns["error"] = self.errors
        return columns


def _levelled(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame, dtype=np.float64)
    finite = np.isfinite(frame)
    if finite.sum() < 3:
        raise InputError("a frame has fewer than 3 finite pixels: its drift cannot be measured")
    levelled = fit_polynomial(frame, 1).subtract_from(frame)
    levelled[~finite] = 0.0  # missing pixels carry no structure to correlate
    return levelled


def _windowed(levelled: np.ndarray, window: np.ndarray) -> np.ndarray:
    # a Hann window hides the frame edges, which would otherwise correlate best at no shift
    return (levelled - levelled.mean()) * window


def _register(reference: np.ndarray, moving: np.ndarray, window: np.ndarray, upsample: int) -> tuple[np.ndarray, float]:
    """Shift that moves ``moving`` onto ``reference`` (both levelled), refined until it settles.

    The window pulls a single cross-correlation towards zero shift by a fraction of a pixel;
    registering the moved frame again removes that bias (a few hundredths of a pixel left).
    """
    from scipy import ndimage as ndi
    from skimage.registration import phase_cross_correlation

    ref = _windowed(reference, window)
    shift = np.zeros(2)
    error = 1.0
    for _ in range(4):
        moved = moving if not shift.any() else ndi.shift(moving, shift, order=3, mode="nearest")
        step, error, _ = phase_cross_correlation(ref, _windowed(moved, window), upsample_factor=upsample,
                                                 normalization=None)
        shift = shift + np.asarray(step, dtype=np.float64)
        if np.abs(step).max() < 1.0 / upsample:
            break
    return shift, float(error)


def _check_stack(stack: np.ndarray) -> None:
    if len(np.shape(stack)) != 3:
        raise InputError(f"drift correction needs a stack of frames (frames, ny, nx); got shape {np.shape(stack)}")
    if min(np.shape(stack)[1:]) < 8:
        raise InputError(f"frames of {np.shape(stack)[1]}x{np.shape(stack)[2]} px are too small to register")


def estimate_drift_steps(stack: np.ndarray, *, reference: str = "previous", upsample: int = 20,
                         max_shift_px: float | None = None) -> Generator[tuple[str, int, int], None, Drift]:
    """Measure the drift as a generator of ``("drift", frame, frames)`` progress; returns a :class:`Drift`.

    Same parameters as :func:`estimate_drift`; callers can show progress and cancel between frames.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_afm_profiler.progress import drain
    >>> movie = np.random.default_rng(0).normal(size=(3, 32, 32))
    >>> steps = []
    >>> drift = drain(estimate_drift_steps(movie), steps.append)
    >>> steps
    [('drift', 1, 2), ('drift', 2, 2)]
    """
    _check_stack(stack)
    if reference not in REFERENCES:
        raise InputError(f"unknown drift reference {reference!r}; choose one of {REFERENCES}")
    if int(upsample) != upsample or upsample < 1:
        raise InputError(f"upsample must be a whole number >= 1; got {upsample!r}")
    from skimage.filters import window

    n = np.shape(stack)[0]
    shifts = np.zeros((n, 2))
    errors = np.zeros(n)
    hann = window("hann", np.shape(stack)[1:])
    first = previous = _levelled(stack[0])
    for k in range(1, n):
        moving = _levelled(stack[k])
        shift, error = _register(first if reference == "first" else previous, moving, hann, int(upsample))
        if max_shift_px is not None and np.abs(shift).max() > max_shift_px:
            shift, error = np.zeros(2), 1.0  # an implausible jump (a scan restart, a blank frame) is not drift
        shifts[k] = shift if reference == "first" else shifts[k - 1] + shift
        errors[k] = error
        previous = moving
        yield "drift", k, n - 1
    return Drift(shifts, errors)


def estimate_drift(stack: np.ndarray, *, reference: str = "previous", upsample: int = 20,
                   max_shift_px: float | None = None) -> Drift:
    """Measure the lateral drift of a movie by phase cross-correlation.

    Parameters
    ----------
    stack : (frames, ny, nx) array_like
        The movie (a lazy dask stack is read one frame at a time); NaN pixels are ignored.
    reference : {"previous", "first"}, optional
        Register each frame to the previous one (shifts summed into a track) or to the first.
    upsample : int, optional
        Sub-pixel precision: shifts are found to 1/``upsample`` pixel.
    max_shift_px : float, optional
        A registration further than this is treated as a failure (shift 0, error 1).

    Returns
    -------
    Drift
        Per-frame shifts (pixels) that move every frame onto the first, and the errors.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import ndimage as ndi
    >>> scene = ndi.gaussian_filter(np.random.default_rng(0).normal(size=(80, 80)), 2)
    >>> movie = np.stack([scene[10:60, 10:60], scene[12:62, 7:57]])
    >>> estimate_drift(movie).shifts_px[1]
    array([ 2., -3.])
    """
    return drain(estimate_drift_steps(stack, reference=reference, upsample=upsample, max_shift_px=max_shift_px))


def apply_drift(stack: np.ndarray, drift: Drift | np.ndarray, *, order: int = 1) -> np.ndarray:
    """Move every frame by its drift shift; pixels from outside the recorded frame become NaN.

    Parameters
    ----------
    stack : (frames, ny, nx) array_like
        The movie.
    drift : Drift or (frames, 2) ndarray
        Shifts in pixels, as :func:`estimate_drift` returns them.
    order : int, optional
        Spline order of the sub-pixel interpolation (0 = nearest pixel, 1 = bilinear).

    Returns
    -------
    aligned : (frames, ny, nx) float64 ndarray

    Examples
    --------
    >>> import numpy as np
    >>> movie = np.zeros((2, 5, 5)); movie[0, 2, 2] = movie[1, 2, 3] = 1.0
    >>> aligned = apply_drift(movie, np.array([[0.0, 0.0], [0.0, -1.0]]), order=0)
    >>> bool(aligned[1, 2, 2] == 1.0), bool(np.isnan(aligned[1, 2, 4]))
    (True, True)
    """
    from scipy import ndimage as ndi

    if len(np.shape(stack)) != 3:
        raise InputError(f"drift correction needs a stack of frames (frames, ny, nx); got shape {np.shape(stack)}")
    shifts = drift.shifts_px if isinstance(drift, Drift) else np.asarray(drift, dtype=np.float64)
    if shifts.shape != (np.shape(stack)[0], 2):
        raise InputError(f"{shifts.shape[0]} shifts for {np.shape(stack)[0]} frames")
    out = np.empty(np.shape(stack), dtype=np.float64)
    for k in range(out.shape[0]):
        frame = np.asarray(stack[k], dtype=np.float64)
        finite = np.isfinite(frame)
        moved = ndi.shift(np.where(finite, frame, 0.0), shifts[k], order=order, mode="constant", cval=np.nan)
        # a pixel that drew on a missing one is missing too
        reach = ndi.shift(finite.astype(np.float64), shifts[k], order=order, mode="constant", cval=0.0)
        moved[reach < 1.0 - 1e-9] = np.nan
        out[k] = moved
    return out


def align_frames(stack: np.ndarray, *, reference: str = "previous", upsample: int = 20,
                 max_shift_px: float | None = None, order: int = 1) -> tuple[np.ndarray, Drift]:
    """Drift-correct a movie: :func:`estimate_drift`, then :func:`apply_drift`.

    Parameters
    ----------
    stack : (frames, ny, nx) array_like
        The movie.
    reference, upsample, max_shift_px
        As in :func:`estimate_drift`.
    order : int, optional
        As in :func:`apply_drift`.

    Returns
    -------
    aligned : (frames, ny, nx) float64 ndarray
        Frames moved onto the first; NaN where a frame has no data.
    drift : Drift
        The shifts applied.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import ndimage as ndi
    >>> scene = ndi.gaussian_filter(np.random.default_rng(1).normal(size=(90, 90)), 2)
    >>> movie = np.stack([scene[20:70, 20:70], scene[18:68, 23:73]])
    >>> aligned, drift = align_frames(movie)
    >>> bool(np.allclose(aligned[1, 5:40, 5:40], movie[0, 5:40, 5:40]))
    True
    """
    drift = estimate_drift(stack, reference=reference, upsample=upsample, max_shift_px=max_shift_px)
    return apply_drift(stack, drift, order=order), drift
