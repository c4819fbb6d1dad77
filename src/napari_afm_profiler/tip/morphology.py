"""Simulated imaging (dilation), Villarrubia reconstruction (erosion) and the certainty map.

Tip convention (``../shared/design.md``, Gwyddion's): the tip is an odd square array on
the image's pixel grid whose maximum is the apex at the centre pixel ``c = n // 2``;
``T[c + u] = -p(u)`` where ``p(u)`` is the height of the tip surface above the apex at
lateral offset ``u``.  Only ``T - T.max()`` matters.  Image edges are clamped (nearest
pixel), exactly as ``gwy_tip_dilation`` / ``gwy_tip_erosion`` of Gwyddion 2.62.

Provenance (the licence stays BSD-3): the algorithms are Villarrubia's published ones, written
from the paper.  Where Gwyddion's results are matched exactly (edge clamping, the tip's
orientation, the certainty map's quantisation to 10 000 height levels and its floor at the
image minimum), the convention was found by black-box comparison with Gwyddion 2.62's outputs
(``../shared/oracles/gwyddion-tip``, produced by its library through a small tool run outside
this package); Gwyddion is GPL and none of its code is in, or imported by, this package.

References
----------
J. S. Villarrubia, "Algorithms for scanned probe microscope image simulation, surface
reconstruction, and tip estimation", J. Res. Natl. Inst. Stand. Technol. 102, 425 (1997).
"""

from __future__ import annotations

import numpy as np

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.tip import _kernels
from napari_afm_profiler.tip.models import Tip, check_no_positive_infinity, tip_for_pixel_size

#: Gwyddion quantises heights to this many levels of the image range for the certainty map.
CERTAINTY_LEVELS = 10000


def _as_image(data: np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(data, dtype=np.float64)
    if arr.ndim not in (2, 3):
        raise InputError(f"{what} must be a 2-D height map or a 3-D stack of frames; got shape {arr.shape}")
    if min(arr.shape[-2:]) < 1:
        raise InputError(f"{what} is empty (shape {arr.shape})")
    return arr


def _frames(arr: np.ndarray, func) -> np.ndarray:
    if arr.ndim == 2:
        return func(arr)
    return np.stack([func(frame) for frame in arr])


def check_tip(tip: np.ndarray | Tip, image_shape: tuple[int, ...], *,
              pixel_size_nm: tuple[float, float] | float | None = None) -> np.ndarray:
    """Return the tip as a float array on the image's grid, or raise a clear error.

    Parameters
    ----------
    tip : (n, n) float ndarray or Tip
        Tip heights in nm (apex = maximum at the centre).  A :class:`Tip` that carries a
        pixel size different from ``pixel_size_nm`` is resampled (with a warning).
    image_shape : tuple of int
        Shape of the image the tip will be applied to; the tip may not be larger.
    pixel_size_nm : float or (dy, dx), optional
        The image's pixel size; needed only to resample a :class:`Tip`.

    Returns
    -------
    tip : (n, n) float64 ndarray, nm
        Non-finite values mark pixels that are not part of the tip.
    """
    if isinstance(tip, Tip):
        tip = tip_for_pixel_size(tip, pixel_size_nm).heights
    arr = np.asarray(tip, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise InputError(f"tip must be a square 2-D array; got shape {arr.shape}")
    n = arr.shape[0]
    if n % 2 == 0:
        raise InputError(f"tip size must be odd so that its apex is a pixel centre; got {n}x{n}")
    if n > image_shape[-2] or n > image_shape[-1]:
        raise InputError(f"tip ({n}x{n} px) is larger than the image "
                         f"({image_shape[-2]}x{image_shape[-1]} px); use a smaller tip or a larger image")
    if not np.isfinite(arr[n // 2, n // 2]):
        raise InputError("tip apex (centre pixel) is not a finite height")
    check_no_positive_infinity(arr)
    return arr


def _offsets(tip: np.ndarray, reflect: bool, z_range: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tip offsets that can ever win, as (rows, cols, depth-below-apex) in padded coordinates."""
    t = tip[::-1, ::-1] if reflect else tip
    depth = t - np.nanmax(tip)
    # a pixel deeper than the image's whole height range can never beat the apex term
    keep = np.isfinite(depth) & (depth >= -z_range)
    rows, cols = np.nonzero(keep)
    order = np.argsort(-depth[rows, cols], kind="stable")  # near-apex offsets first
    rows, cols = rows[order], cols[order]
    return rows.astype(np.int64), cols.astype(np.int64), np.ascontiguousarray(depth[rows, cols])


def _morph(image: np.ndarray, tip: np.ndarray, erosion: bool) -> np.ndarray:
    finite = np.isfinite(image)
    if not finite.any():
        return np.full_like(image, np.nan)
    lo, hi = float(image[finite].min()), float(image[finite].max())
    c = tip.shape[0] // 2
    padded = np.pad(image, c, mode="edge")
    if not finite.all():
        # a missing pixel must not leak into the clamped border
        padded = np.pad(np.where(finite, image, np.nan), c, mode="edge")
    rows, cols, depth = _offsets(tip, reflect=erosion, z_range=hi - lo)
    out = np.empty_like(image)
    if erosion:
        _kernels.min_plus(padded, rows, cols, -depth, out)
    else:
        _kernels.max_plus(padded, rows, cols, depth, out)
    out[~finite] = np.nan
    return out


def dilate(surface: np.ndarray, tip: np.ndarray | Tip, *,
           pixel_size_nm: tuple[float, float] | float | None = None) -> np.ndarray:
    """Simulate the AFM image of ``surface`` scanned by ``tip`` (grey-scale dilation).

    ``D[i, j] = max_kl S[i + k - c, j + l - c] + T[k, l] - max(T)`` with clamped edges,
    identical to Gwyddion's ``gwy_tip_dilation``.

    Parameters
    ----------
    surface : (M, N) or (F, M, N) float ndarray, nm
        True surface heights; a stack is processed frame by frame.  NaN pixels are ignored
        by their neighbours and stay NaN.
    tip : (n, n) float ndarray or Tip
        Tip heights in nm on the same pixel grid (see the module docstring).
    pixel_size_nm : float or (dy, dx), optional
        The surface's pixel size, used only to resample a :class:`Tip` made for another one.

    Returns
    -------
    image : ndarray like ``surface``, nm
        The simulated image; ``image >= surface`` everywhere.

    Examples
    --------
    >>> import numpy as np
    >>> spike = np.zeros((5, 5)); spike[2, 2] = 10.0
    >>> tip = -np.array([[2., 1., 2.], [1., 0., 1.], [2., 1., 2.]])
    >>> dilate(spike, tip)[1:4, 1:4]
    array([[ 8.,  9.,  8.],
           [ 9., 10.,  9.],
           [ 8.,  9.,  8.]])
    """
    arr = _as_image(surface, "surface")
    t = check_tip(tip, arr.shape, pixel_size_nm=pixel_size_nm)
    return _frames(arr, lambda f: _morph(f, t, erosion=False))


def erode(image: np.ndarray, tip: np.ndarray | Tip, *,
          pixel_size_nm: tuple[float, float] | float | None = None) -> np.ndarray:
    """Villarrubia reconstruction: the greatest surface whose image by ``tip`` is ``image``.

    ``E[i, j] = min_kl I[i + k - c, j + l - c] - T[n-1-k, n-1-l] + max(T)`` with clamped
    edges, identical to Gwyddion's ``gwy_tip_erosion`` (same tip array as :func:`dilate`).

    Parameters
    ----------
    image : (M, N) or (F, M, N) float ndarray, nm
        Measured heights; NaN pixels are ignored by their neighbours and stay NaN.
    tip : (n, n) float ndarray or Tip
        The tip that made the image, in the dilation convention.
    pixel_size_nm : float or (dy, dx), optional
        The image's pixel size, used only to resample a :class:`Tip`.

    Returns
    -------
    surface : ndarray like ``image``, nm
        Upper bound of the true surface: ``S <= erode(dilate(S)) <= dilate(S)``.

    Examples
    --------
    >>> import numpy as np
    >>> step = np.zeros((9, 9)); step[:, 5:] = 10.0
    >>> tip = -np.array([[4., 2., 4.], [2., 0., 2.], [4., 2., 4.]])
    >>> image = dilate(step, tip)
    >>> image[4, 3:6]
    array([ 0.,  8., 10.])
    >>> erode(image, tip)[4, 3:6]  # the blurred edge is pulled back towards the true step
    array([ 0.,  2., 10.])
    """
    arr = _as_image(image, "image")
    t = check_tip(tip, arr.shape, pixel_size_nm=pixel_size_nm)
    return _frames(arr, lambda f: _morph(f, t, erosion=True))


def _certainty_frame(image: np.ndarray, tip: np.ndarray, levels: int, tolerance: int) -> np.ndarray:
    finite = np.isfinite(image)
    result = np.zeros(image.shape)
    if not finite.any():
        return result
    lo, hi = float(image[finite].min()), float(image[finite].max())
    tip_max, tip_min = float(np.nanmax(tip)), float(np.nanmin(tip))
    # a flat frame (a saturated one, a noise-free virtual one) has no range to quantise by: the
    # tip's range resolves its apex instead, so a sharp apex alone touches the flat surface (a
    # 1 nm step tied every tip point within 1 nm of the apex, and no pixel was certain)
    step = (hi - lo) / levels if hi > lo else ((tip_max - tip_min) / levels if tip_max > tip_min else 1.0)
    # Gwyddion's integer heights: truncated steps above the image minimum; the tip offset by
    # its max and min (only differences matter, but truncation depends on the offset)
    quantised_tip = np.trunc((tip - tip_max - tip_min) / step)
    n = tip.shape[0]
    c = n // 2
    # the image sits in a field larger by the tip size, padded with its minimum: contacts
    # beyond the edge land on that floor instead of being unknown
    ny, nx = image.shape
    field = np.zeros((ny + n, nx + n))
    field[c:c + ny, c:c + nx] = np.where(finite, np.trunc((image - lo) / step), np.nan)
    padded = np.pad(field, c, constant_values=np.nan)  # nothing beyond the larger field
    rows, cols, depth = _offsets(quantised_tip, reflect=True, z_range=np.inf)
    eroded = np.empty_like(field)
    _kernels.min_plus(padded, rows, cols, -depth, eroded)
    first = np.array([c, c])
    last = np.array([field.shape[0] - 1 - c, field.shape[1] - 1 - c])
    contact_tip = -(quantised_tip - np.nanmax(quantised_tip))
    krows, kcols = np.nonzero(np.isfinite(contact_tip))
    hit = _kernels.contact_counts(field, krows.astype(np.int64), kcols.astype(np.int64),
                                  np.ascontiguousarray(contact_tip[krows, kcols]), c, eroded, first, last,
                                  float(tolerance))
    hy, hx = np.divmod(hit[hit >= 0], field.shape[1])
    inside = (hy >= c) & (hy < c + ny) & (hx >= c) & (hx < c + nx)
    result[hy[inside] - c, hx[inside] - c] = 1.0
    result[~finite] = np.nan
    return result


def certainty_map(image: np.ndarray, tip: np.ndarray | Tip, *, levels: int = CERTAINTY_LEVELS,
                  pixel_size_nm: tuple[float, float] | float | None = None, tolerance: int = 0) -> np.ndarray:
    """Pixels where the Villarrubia reconstruction equals the true surface.

    Where the tip, placed at some image position, touched the reconstructed surface at
    exactly one point, that point was certainly touched and the reconstruction is exact
    there.  Heights are compared after quantising them to ``levels`` steps of the image
    range, and the image is surrounded by a floor at its minimum, as Gwyddion's
    ``gwy_tip_cmap`` does, so the map is identical to Gwyddion's.

    Parameters
    ----------
    image : (M, N) or (F, M, N) float ndarray, nm
        Measured heights.
    tip : (n, n) float ndarray or Tip
        Tip in the dilation convention.
    levels : int, optional
        Height quantisation: the image range is divided into this many steps.
    pixel_size_nm : float or (dy, dx), optional
        The image's pixel size, used only to resample a :class:`Tip`.
    tolerance : int, optional
        Height steps within which other tip points also count as contacts.  0 (default) is
        Gwyddion's rule.  Quantising the image and the tip separately can split a true tie by
        a step, so that a tip hanging beside a wall seems to touch at one point only and a
        pixel of its hollow is marked certain; 2 steps rule that out (a noise-free box of
        18 nm under a 10 nm cone: 1.5 % of Gwyddion's certain pixels are over 1 nm above
        the true surface, none with 2 steps).

    Returns
    -------
    certain : ndarray like ``image``
        1.0 where the reconstruction is certain, 0.0 elsewhere, NaN where the image is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> spikes = np.zeros((20, 20)); spikes[5, 5] = spikes[14, 12] = 10.0
    >>> tip = -np.array([[4., 2., 4.], [2., 0., 2.], [4., 2., 4.]])
    >>> certain = certainty_map(dilate(spikes, tip), tip)
    >>> bool(certain[5, 5]), bool(certain[14, 12])  # the spike tops were touched by the apex alone
    (True, True)
    """
    if levels < 1:
        raise InputError(f"levels must be a positive number of height steps; got {levels}")
    arr = _as_image(image, "image")
    t = check_tip(tip, arr.shape, pixel_size_nm=pixel_size_nm)
    if isinstance(tip, Tip) and "resampled_from" not in tip.parameters:
        # the quantisation depends on the absolute heights of the array the user gave
        t = t + float(tip.parameters.get("height_offset_nm", 0.0))
    if int(tolerance) != tolerance or tolerance < 0:
        raise InputError(f"tolerance must be a whole number of height steps >= 0; got {tolerance}")
    return _frames(arr, lambda f: _certainty_frame(f, t, levels, int(tolerance)))
