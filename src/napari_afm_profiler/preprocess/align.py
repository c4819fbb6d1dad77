"""Drift correction of movies: frame-to-frame shifts by cross-correlation, and the aligned stack.

High-speed AFM movies and long time series drift laterally (thermal drift, piezo creep).
Each frame's shift is measured by cross-correlation of plane-levelled, Hann-windowed frames
(peak searched within a limited step, refined by a parabola and by registering again), against the previous frame (the default:
robust while the sample changes slowly) or the first one; shifts against the previous frame
are summed into a track.  Frames are then moved back by that track; pixels that come from
outside the recorded area are NaN, never invented.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

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
    registered : (frames,) bool ndarray
        False where a frame could not be registered (blank, or its correlation with the
        reference below ``min_correlation``): its shift is held from the previous frame.
    errors : (frames,) float ndarray
        1 - the correlation coefficient at each registration's peak (0 = identical frames up
        to the shift, 1 = nothing in common, or a blank frame).
    """

    shifts_px: np.ndarray
    errors: np.ndarray
    registered: np.ndarray

    def table(self, pixel_size_nm: tuple[float, float] | None = None) -> dict[str, np.ndarray]:
        """Return the shifts as table columns: frame, dy/dx in px (and nm, given a pixel size), error."""
        columns = {"frame": np.arange(len(self.errors)), "dy_px": self.shifts_px[:, 0],
                   "dx_px": self.shifts_px[:, 1]}
        if pixel_size_nm is not None:
            columns["dy_nm"] = self.shifts_px[:, 0] * float(pixel_size_nm[0])
            columns["dx_nm"] = self.shifts_px[:, 1] * float(pixel_size_nm[1])
        columns["error"] = self.errors
        columns["registered"] = self.registered
        return columns

    def csv_text(self, pixel_size_nm: tuple[float, float] | None = None) -> str:
        """Return the shifts table as CSV text (lengths to 1e-6, ``registered`` as true/false)."""
        columns = self.table(pixel_size_nm)
        lines = [",".join(columns)]
        for row in zip(*columns.values()):
            lines.append(",".join(("true" if v else "false") if isinstance(v, (bool, np.bool_)) else
                                  str(int(v)) if isinstance(v, (int, np.integer)) else f"{float(v):.6f}" for v in row))
        return "\n".join(lines) + "\n"

    def write_csv(self, path: str | Path, pixel_size_nm: tuple[float, float] | None = None) -> Path:
        """Write the shifts table to ``path`` atomically; return the path."""
        from napari_afm_profiler.io.writers import atomic_write

        text = self.csv_text(pixel_size_nm)
        return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


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


def _peak(reference: np.ndarray, moving: np.ndarray, max_step: int) -> tuple[np.ndarray, float]:
    """Cross-correlation peak within ``max_step`` px of no shift, refined by a parabola per axis.

    Returns the shift moving ``moving`` onto ``reference`` and the correlation coefficient at
    the peak (1 = identical up to the shift).
    """
    spectrum = np.fft.rfft2(reference) * np.conj(np.fft.rfft2(moving))
    cc = np.fft.irfft2(spectrum, s=reference.shape)
    ny, nx = cc.shape
    dy = np.fft.fftfreq(ny, 1.0 / ny)
    dx = np.fft.fftfreq(nx, 1.0 / nx)
    outside = (np.abs(dy)[:, None] > max_step) | (np.abs(dx)[None, :] > max_step)
    cc_search = np.where(outside, -np.inf, cc)
    iy, ix = np.unravel_index(int(np.argmax(cc_search)), cc.shape)
    shift = np.array([dy[iy], dx[ix]], dtype=np.float64)
    for axis, (i, n) in enumerate(((iy, ny), (ix, nx))):
        idx = [iy, ix]
        idx[axis] = (i - 1) % n
        left = cc[tuple(idx)]
        idx[axis] = (i + 1) % n
        right = cc[tuple(idx)]
        centre = cc[iy, ix]
        curvature = left - 2.0 * centre + right
        if curvature < 0:
            shift[axis] += 0.5 * (left - right) / curvature
    norm = float(np.sqrt(np.sum(reference**2) * np.sum(moving**2)))
    return shift, (float(cc[iy, ix]) / norm if norm > 0 else 0.0)


def _register(reference: np.ndarray, moving: np.ndarray, window: np.ndarray, max_step: int) -> tuple[np.ndarray, float]:
    """Shift that moves ``moving`` onto ``reference`` (both levelled), refined until it settles.

    The search is limited to ``max_step`` px, so that a frame that changed (a molecule that
    moved, a noisy frame) cannot send the track across the image to a chance peak.  The window
    and the parabolic peak each bias one estimate by a fraction of a pixel; registering the
    moved frame again removes that (a few hundredths of a pixel are left).
    """
    from scipy import ndimage as ndi

    ref = _windowed(reference, window)
    if not np.any(ref) or not np.any(moving - moving.mean()):
        return np.zeros(2), 1.0  # a blank frame: nothing to register
    shift, correlation = _peak(ref, _windowed(moving, window), max_step)
    for _ in range(4):
        moved = ndi.shift(moving, shift, order=3, mode="nearest")
        step, correlation = _peak(ref, _windowed(moved, window), 2)
        shift = shift + step
        if np.abs(step).max() < 0.01:
            break
    return np.clip(shift, -max_step, max_step), 1.0 - max(correlation, 0.0)


def _check_stack(stack: np.ndarray) -> None:
    if len(np.shape(stack)) != 3:
        raise InputError(f"drift correction needs a stack of frames (frames, ny, nx); got shape {np.shape(stack)}")
    if min(np.shape(stack)[1:]) < 8:
        raise InputError(f"frames of {np.shape(stack)[1]}x{np.shape(stack)[2]} px are too small to register")


def estimate_drift_steps(stack: np.ndarray, *, reference: str = "previous", max_step_px: int | None = None,
                         min_correlation: float = 0.2) -> Generator[tuple[str, int, int], None, Drift]:
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
    n, ny, nx = np.shape(stack)
    max_step = min(ny, nx) // 4 if max_step_px is None else int(max_step_px)
    if max_step < 1:
        raise InputError(f"max_step_px must be at least 1 px; got {max_step_px!r}")
    if not 0.0 <= min_correlation < 1.0:
        raise InputError(f"min_correlation must be in [0, 1); got {min_correlation!r}")
    from skimage.filters import window

    shifts = np.zeros((n, 2))
    errors = np.zeros(n)
    registered = np.ones(n, dtype=bool)
    hann = window("hann", (ny, nx))
    first = previous = _levelled(stack[0])
    previous_shift = np.zeros(2)  # the track of the current reference frame
    for k in range(1, n):
        moving = _levelled(stack[k])
        base = first if reference == "first" else previous
        shift, error = _register(base, moving, hann, max_step)
        errors[k] = error
        if error > 1.0 - min_correlation:
            # nothing in common with the reference (blank, lost contact, a restart): hold the
            # track, and keep the reference until a frame registers again
            registered[k] = False
            shifts[k] = shifts[k - 1]
        else:
            shifts[k] = shift if reference == "first" else previous_shift + shift
            previous, previous_shift = moving, shifts[k]
        yield "drift", k, n - 1
    return Drift(shifts, errors, registered)


def estimate_drift(stack: np.ndarray, *, reference: str = "previous", max_step_px: int | None = None,
                   min_correlation: float = 0.2) -> Drift:
    """Measure the lateral drift of a movie by phase cross-correlation.

    Parameters
    ----------
    stack : (frames, ny, nx) array_like
        The movie (a lazy dask stack is read one frame at a time); NaN pixels are ignored.
    reference : {"previous", "first"}, optional
        Register each frame to the previous one (shifts summed into a track) or to the first.
    max_step_px : int, optional
        Largest shift searched between a frame and its reference (default a quarter of the
        frame): drift is slow, and a limited search keeps a frame that changed from jumping
        to a chance correlation peak.
    min_correlation : float, optional
        A frame whose correlation with its reference is below this is not registered: its
        shift is held and ``registered`` is False for it.

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
    >>> estimate_drift(movie).shifts_px[1].round(1)
    array([ 2., -3.])
    """
    return drain(estimate_drift_steps(stack, reference=reference, max_step_px=max_step_px,
                                      min_correlation=min_correlation))


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


def align_frames(stack: np.ndarray, *, reference: str = "previous", max_step_px: int | None = None,
                 min_correlation: float = 0.2, order: int = 1) -> tuple[np.ndarray, Drift]:
    """Drift-correct a movie: :func:`estimate_drift`, then :func:`apply_drift`.

    Parameters
    ----------
    stack : (frames, ny, nx) array_like
        The movie.
    reference, max_step_px, min_correlation
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
    >>> bool(np.allclose(aligned[1, 5:40, 5:40], movie[0, 5:40, 5:40], atol=0.02 * movie.std()))
    True
    """
    drift = estimate_drift(stack, reference=reference, max_step_px=max_step_px, min_correlation=min_correlation)
    return apply_drift(stack, drift, order=order), drift
