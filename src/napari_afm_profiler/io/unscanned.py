"""Scan lines an interrupted scan never measured: found, and marked missing (NaN).

When a scan is stopped early, many instruments still store the whole frame, with the lines
never scanned filled by one constant (0 in Nanosurf's ``.nid``).  Gwyddion's readers show
those values, and the readers here keep them too (``afm-profiler info`` and the oracle tests
compare them).  Processed as heights they are a flat plateau at an arbitrary level: a plane fit
or a roughness parameter then describes the filling, and an erosion digs the tip's shape into
the measured band's edge (1.26 um deep on such a survey frame; benchmarks/RESULTS.md, session
41).  The processing entry points (the napari reader, the CLI's processing commands, the batch,
``deconvolve``) therefore mark them missing, as the design's NaN convention says.

A measured line is never exactly constant: the noise of any real scan differs from pixel to
pixel.  So a block of exactly constant lines, one value throughout, at the start or the end of
the slow-scan axis is taken as never scanned, but only when no other line of the frame is
constant (a coarsely quantised flat scan can have equal lines anywhere, and is left alone), at
least two lines were measured (a frame constant everywhere says nothing about which lines were
scanned), and the measured lines hardly ever take that value (a noise-free virtual image of
objects on a flat substrate has constant lines above and below the objects, but its substrate
level recurs between them).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from napari_afm_profiler.io.scan import AfmScan

#: the shortest line (pixels) whose constancy counts: a few equal pixels can happen by chance
MIN_LINE_PX = 8

#: the largest share of the measured lines' pixels that may equal the filling value by chance
MAX_FILL_SHARE = 0.01


def _constant_rows(frame: np.ndarray) -> np.ndarray:
    finite = np.isfinite(frame).all(axis=1)
    return finite & (frame == frame[:, :1]).all(axis=1)


def unscanned_lines(image: np.ndarray) -> np.ndarray:
    """Find the scan lines an interrupted scan never measured.

    Parameters
    ----------
    image : (ny, nx) array_like
        One frame, row 0 the first scan line (any unit).

    Returns
    -------
    unscanned : (ny,) bool ndarray
        True for the rows of a block of exactly constant lines (one value throughout) at the
        frame's start or end, when every other line varies and hardly ever takes that value;
        all False otherwise.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> frame = rng.normal(size=(10, 16))
    >>> frame[:7] = 0.0  # a scan stopped after its last 3 lines (scanned bottom up)
    >>> np.nonzero(unscanned_lines(frame))[0].tolist()
    [0, 1, 2, 3, 4, 5, 6]
    >>> unscanned_lines(np.zeros((10, 16))).any()  # constant everywhere: nothing to tell
    np.False_
    >>> boxes = np.zeros((10, 16)); boxes[4:6, 3:8] = 5.0  # noise-free objects on a flat substrate
    >>> unscanned_lines(boxes).any()
    np.False_
    """
    arr = np.asarray(image)
    none = np.zeros(arr.shape[0] if arr.ndim else 0, bool)
    if arr.ndim != 2 or arr.shape[1] < MIN_LINE_PX or arr.shape[0] < 3:
        return none
    constant = _constant_rows(arr)
    n = len(constant)
    start = int(np.argmin(constant)) if not constant.all() else n  # leading constant rows
    end = n - int(np.argmin(constant[::-1])) if not constant.all() else 0  # first of the trailing ones
    if n - start < 2 or end - start < 2 or constant[start:end].any():
        return none  # too few measured lines, or constant lines inside the measured band
    out = none.copy()
    band = arr[start:end]
    for block in (slice(0, start), slice(end, n)):
        rows = arr[block]
        if not len(rows) or not (rows == rows[0, 0]).all():
            continue
        # a noise-free flat substrate (virtual data) is a constant too, but it also lies between the
        # objects of the varying lines; a filling value is (almost) never met in measured lines
        if np.count_nonzero(band == rows[0, 0]) <= MAX_FILL_SHARE * band.size:
            out[block] = True
    return out


def unscanned_to_nan(data: np.ndarray) -> tuple[np.ndarray, int]:
    """Set the lines an interrupted scan never measured to NaN, frame by frame; count them.

    Parameters
    ----------
    data : (ny, nx) or (n_frames, ny, nx) array_like
        An image or a stack (any unit).

    Returns
    -------
    data : ndarray
        ``data`` itself when no line is unscanned, otherwise a float64 copy with NaN on those lines.
    count : int
        How many lines (over all frames) were set to NaN.

    Examples
    --------
    >>> frame = np.random.default_rng(2).normal(size=(8, 10)); frame[:2] = 0.0
    >>> masked, count = unscanned_to_nan(frame)
    >>> count, bool(np.isnan(masked[:2]).all()), bool(np.isfinite(masked[2:]).all())
    (2, True, True)
    """
    arr = np.asarray(data)
    frames = arr[None] if arr.ndim == 2 else arr
    found = [unscanned_lines(frame) for frame in frames]
    count = int(sum(int(rows.sum()) for rows in found))
    if count == 0:
        return arr, 0
    out = np.array(frames, dtype=np.float64)
    for frame, rows in zip(out, found):
        frame[rows] = np.nan
    return (out[0] if arr.ndim == 2 else out), count


def mask_unscanned(scan: AfmScan) -> AfmScan:
    """Return ``scan`` with the lines an interrupted scan never measured set to NaN.

    Every frame is judged on its own (:func:`unscanned_lines`); a lazy movie stays lazy.  The
    number of such lines of an image or an in-memory stack is recorded as
    ``metadata["unscanned_lines"]`` (a lazy movie's would mean reading every frame).

    Parameters
    ----------
    scan : AfmScan
        A channel as read.

    Returns
    -------
    scan : AfmScan
        ``scan`` itself when no line of an image or in-memory stack is unscanned, otherwise a copy
        whose data have NaN on those lines (for a lazy movie, always a lazy copy that masks each
        frame when it is read).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> data = rng.normal(size=(12, 12)); data[9:] = 0.0  # the last 3 lines never scanned
    >>> scan = AfmScan(data, (2.0, 2.0), "Height", "nm", "npy")
    >>> masked = mask_unscanned(scan)
    >>> masked.metadata["unscanned_lines"], bool(np.isnan(masked.data[9:]).all())
    (3, True)
    """
    data = scan.data
    if data.ndim == 3 and not isinstance(data, np.ndarray):
        # a lazy movie: each frame is judged when it is read (any frame may hold such lines: an
        # HS-AFM movie's frames while the tip approaches sit at the z range's limit)
        masked = data.map_blocks(lambda block: unscanned_to_nan(block)[0].astype(np.float64), dtype=np.float64)
        return dataclasses.replace(scan, data=masked)
    out, count = unscanned_to_nan(data)
    if count == 0:
        return scan
    metadata: dict[str, Any] = {**scan.metadata, "unscanned_lines": count}
    return dataclasses.replace(scan, data=out, metadata=metadata)
