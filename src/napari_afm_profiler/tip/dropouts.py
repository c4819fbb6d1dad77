"""Dropouts: pixels lower than any tip could have imaged them, and their replacement.

An image made by a tip is the surface dilated by it.  The pixel ``x`` touched the surface with
the tip's point ``u`` (its contact), and that surface point still holds the tip up from
``x + h``, so

    I(x + h) >= I(x) - [T(u) - T(u + h)]

with ``T`` the tip's heights.  Where the image is smooth its slope at ``x`` is the tip's slope at
``u``, so a pixel on level ground touched near the apex and no pixel beside it can lie deeper
than the tip's apex hangs there.  A pixel far below pixels on *both* sides of some line through
it, by more than these bounds allow, is a valley narrower than the tip: no surface gives it.
Such pixels are scan lines that dropped out, lines that read zero or were offset or shifted
downwards, isolated dropouts.  Left in, the Villarrubia erosion turns each into a tip-shaped
trench (tens of nm deep on real files: benchmarks/RESULTS.md, session 40).  Too-high pixels are
not counted: the erosion already lowers a spike to what the tip allows.

The test is one-sided on purpose: with a tip sharper than the true one it finds nothing that is
not impossible; with a blunter one it may take a real narrow pit for a dropout, so callers pass
the sharpest tip they have.  The same bound, read the other way, says when a tip is too blunt
for an image's steps (:func:`sharpen_for_cliffs`); the margins are in units of the image's noise
(:func:`noise_level`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.tip.models import Tip

#: the four lines through a pixel (rows are scan lines): along a column, a row and the diagonals
LINE_DIRECTIONS = ((1, 0), (0, 1), (1, 1), (1, -1))

#: how far (px) along each line a valley's walls are looked for: bands up to 2 x this - 1 wide are found
WALL_REACH_PX = 4

#: how many times the search is repeated with the pixels found so far replaced
MAX_ROUNDS = 8

#: how many classes of contact slope the tip's bounds are tabulated for
SLOPE_CLASSES = 24


def _perpendicular(direction: tuple[int, int]) -> tuple[int, int]:
    return (-direction[1], direction[0]) if 0 in direction else (direction[0], -direction[1])


def _tip_depths(tip: np.ndarray | Tip, z_range: float) -> np.ndarray:
    """Tip heights below the apex (<= 0), no material and anything deeper clipped at the image's height range."""
    heights = np.asarray(tip.heights if isinstance(tip, Tip) else tip, np.float64)
    if heights.ndim != 2 or heights.shape[0] != heights.shape[1] or heights.shape[0] % 2 == 0:
        raise InputError(f"the tip must be an odd square array; got shape {heights.shape}")
    if not np.isfinite(heights).any():
        raise InputError("the tip has no finite heights")
    depth = z_range + 1.0
    below = heights - np.nanmax(heights)
    return np.where(np.isfinite(below), np.maximum(below, -depth), -depth)


def _mad_sd(d2: np.ndarray) -> float:
    """Return the white-noise SD that gives these second differences (their MAD over sqrt(6)); 0 when none."""
    d2 = d2[np.isfinite(d2)]
    if d2.size == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(d2 - np.median(d2))) / math.sqrt(6.0))


def noise_level(image: np.ndarray) -> float:
    """Robust noise SD of an image (nm): the MAD of second differences, along and across the scan lines.

    Second differences cancel slopes, so a tilted or smoothly curved surface does not count as
    noise; the median ignores edges and particles.  Of the two directions the larger counts:
    real scans are smooth along a line (the feedback filters it) but each line wanders on its own
    (offsets and slow wobble that line levelling leaves), so along the lines alone the noise of
    the shared sample files reads 1.6-4 times lower than across them.  On white noise the two
    agree (within 2 % on virtual images).  With the lower figure, virtual images given such line
    noise had intervals covering 68-86 % of pixels instead of 84-90 %, and most failed the
    consistency check (benchmarks/RESULTS.md, session 41).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> image = np.add.outer(np.zeros(256), np.linspace(0, 50, 256)) + rng.normal(0, 0.3, (256, 256))
    >>> round(noise_level(image), 1)
    0.3
    >>> offsets = rng.normal(0, 0.3, (256, 1)) + np.zeros((256, 256))  # flat along each line, lines apart
    >>> round(noise_level(offsets), 1)
    0.3
    """
    return max(noise_levels(image))


def noise_levels(image: np.ndarray) -> tuple[float, float]:
    """Robust noise SDs of an image (nm) read along the scan lines and across them (:func:`noise_level`'s two).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> along, across = noise_levels(rng.normal(0, 0.3, (256, 256)))
    >>> round(along, 1), round(across, 1)
    (0.3, 0.3)
    """
    arr = np.asarray(image, np.float64)
    along = _mad_sd(arr[:, 2:] - 2 * arr[:, 1:-1] + arr[:, :-2])
    across = _mad_sd(arr[2:] - 2 * arr[1:-1] + arr[:-2])
    return along, across


def line_noise_ratio(along: float, across: float) -> float:
    """Return the across/along ratio of an image's two noise readings (:func:`noise_levels`): 1 for white noise.

    Noise that moves each scan line on its own (offsets, slow wobble that line levelling leaves)
    raises the reading across the lines but not the one along them: the shared sample files read
    1.6-4.  Infinite when the lines are noise-free along their length but not across.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> white = rng.normal(0, 0.2, (256, 256))
    >>> round(line_noise_ratio(*noise_levels(white)), 1)
    1.0
    >>> lines = white + rng.normal(0, 0.4, (256, 1))  # each line offset on its own by 0.4 nm SD
    >>> round(line_noise_ratio(*noise_levels(lines)))  # about sqrt(0.2² + 0.4²) / 0.2
    2
    """
    if along > 0:
        return float(across) / float(along)
    return math.inf if across > 0 else 1.0


def local_slope(heights: np.ndarray, direction: tuple[int, int]) -> np.ndarray:
    """Slope magnitude (nm per step) along ``direction`` and across it, each the gentler of its two one-sided steps.

    The gentler side ignores the fall into a neighbouring dropout, so a wall beside a dropped
    line keeps the slope of its own ground.  Pixels without a neighbour on one side take the
    other side's step; NaN neighbours are ignored.

    Examples
    --------
    >>> ramp = np.add.outer(np.zeros(5), np.arange(5.0))  # 1 nm per pixel along the rows
    >>> ramp[2, :] -= 10.0  # a dropped scan line
    >>> float(local_slope(ramp, (1, 0))[1, 2])  # across the line: the gentler side is level; along: 1
    1.0
    """
    arr = np.asarray(heights, np.float64)
    ys, xs = np.indices(arr.shape)
    return _slope_at(arr, ys.ravel(), xs.ravel(), direction).reshape(arr.shape)


def _values_at(arr: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """``arr[ys, xs]``, NaN outside the array."""
    inside = (ys >= 0) & (ys < arr.shape[0]) & (xs >= 0) & (xs < arr.shape[1])
    out = np.full(ys.shape, np.nan)
    out[inside] = arr[ys[inside], xs[inside]]
    return out


def _slope_at(arr: np.ndarray, ys: np.ndarray, xs: np.ndarray, direction: tuple[int, int]) -> np.ndarray:
    """:func:`local_slope` at the pixels ``(ys, xs)`` only."""
    here = arr[ys, xs]
    parts = []
    for dy, dx in (direction, _perpendicular(direction)):
        ahead = np.abs(_values_at(arr, ys + dy, xs + dx) - here)
        behind = np.abs(here - _values_at(arr, ys - dy, xs - dx))
        parts.append(np.nan_to_num(np.fmin(ahead, behind), nan=np.inf))
    return np.hypot(*parts)


def contact_limits(tip: np.ndarray | Tip, z_range: float, direction: tuple[int, int],
                   reach: int = WALL_REACH_PX) -> tuple[np.ndarray, np.ndarray]:
    """How far an image made by ``tip`` can fall ``a`` steps along ``direction`` from a pixel of a given slope.

    For each class of contact slope ``s`` (:func:`local_slope` of the tip, the classes its
    quantiles), ``L_s(a) = max [T(u) - T(u + a d)]`` over the tip's points ``u`` of slope at
    most ``s`` and their neighbours, in both senses of the line.  Points deeper than the
    image's height range (``z_range``, nm) are never contacts; beyond its array the tip may
    fall away at once, so a class whose contacts lie within ``a`` steps of the array's edge
    has no bound there (infinite).  Pixels without tip material count as deeper than the range.

    Returns
    -------
    slopes : (K,) ndarray
        Upper slope of each class, ascending; the last class holds every point of the tip.
    limits : (K, reach) ndarray, nm
        ``L_s(a)`` for ``a = 1 ... reach``; non-decreasing down the classes.

    Examples
    --------
    >>> paraboloid = -np.add.outer(np.arange(-4, 5.0) ** 2, np.arange(-4, 5.0) ** 2) / 4  # R = 2 nm, 1 nm pixels
    >>> slopes, limits = contact_limits(paraboloid, z_range=20.0, direction=(0, 1), reach=2)
    >>> limits[0]  # from level ground: contacts within a pixel of the apex, 1 and 2 px on
    array([1.25, 3.  ])
    """
    t = _tip_depths(tip, float(z_range))
    n = t.shape[0]
    floor = float(t.min())
    if floor > -float(z_range) and np.count_nonzero(t == floor) > 1:
        # a tip sampled only so deep (a flat floor at its deepest): below it the depth is unknown,
        # so a fall into it has no bound and nothing there is a contact
        t = np.where(t == floor, -np.inf, t)
    # a point deeper than the image's height range never touches (the surface there would lie
    # above the image), so it is no contact
    reachable = t >= -float(z_range)
    if not reachable.any():
        raise InputError(f"the tip has no point within the image's height range ({z_range:g} nm) of its apex")
    # the slope of the tip where it can touch; the clipped depths beyond are flat only on paper
    slope = local_slope(np.where(reachable, t, np.nan), direction)
    slope[~np.isfinite(slope)] = slope[np.isfinite(slope)].max() if np.isfinite(slope).any() else 0.0
    slopes = np.unique(np.quantile(slope[reachable], np.linspace(0.0, 1.0, SLOPE_CLASSES)))
    # beyond its array the tip may fall away at once (no material known there): no bound
    pad = int(reach)
    touchable = np.where(reachable, t, 0.0)  # the falls from points that are no contact are never read
    padded = np.pad(t, pad, constant_values=-np.inf)
    falls = [[touchable - padded[pad + a * e[0]:pad + a * e[0] + n, pad + a * e[1]:pad + a * e[1] + n]
              for a in range(1, pad + 1)] for e in (direction, (-direction[0], -direction[1]))]
    limits = np.full((len(slopes), pad), np.inf)
    for k, s in enumerate(slopes):
        # and their neighbours: without them, images made by the tip itself had dropouts at 2-4 nm
        # pixels, where the tip's slope jumps from pixel to pixel (wide validation seed 555555)
        contacts = ndi.binary_dilation((slope <= s) & reachable, structure=np.ones((3, 3), bool)) & reachable
        if contacts.any():
            for a in range(pad):
                limits[k, a] = max(float(falls[0][a][contacts].max()), float(falls[1][a][contacts].max()))
    return slopes, np.maximum.accumulate(limits, axis=0)


def _slices(n: int, d: int) -> tuple[slice, slice]:
    """Source and destination slices along one axis for ``out[i] = a[i + d]``."""
    return slice(max(d, 0), n + min(d, 0)), slice(max(-d, 0), n + min(-d, 0))


def _highest_wall(arr: np.ndarray, falls: np.ndarray, direction: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Along one side of a line: the highest ``I(w) - falls[a - 1]`` over the pixels ``w`` ``a`` steps away, and the edge.

    Returns that bound on each pixel, and whether the image's edge lies within ``len(falls)``
    steps on that side.
    """
    reach = len(falls)
    ny, nx = arr.shape
    highest = np.full((ny, nx), -np.inf, arr.dtype)
    for a in range(1, reach + 1):
        (ys, yd), (xs, xd) = _slices(ny, direction[0] * a), _slices(nx, direction[1] * a)
        np.maximum(highest[yd, xd], arr[ys, xs] - falls[a - 1], out=highest[yd, xd])
    near_edge = np.ones((ny, nx), bool)
    (_, yd), (_, xd) = _slices(ny, direction[0] * reach), _slices(nx, direction[1] * reach)
    near_edge[yd, xd] = False  # reach steps further is still inside the image
    return highest, near_edge


def find_dropouts(image: np.ndarray, tip: np.ndarray | Tip, *, noise_nm: float | None = None, margin_sd: float = 4.0,
                  reach: int = WALL_REACH_PX) -> np.ndarray:
    """Mark the pixels of one frame that lie lower than ``tip`` can image, between walls on both sides.

    Parameters
    ----------
    image : (M, N) float ndarray, nm
        One frame on the tip's grid; NaN pixels are never marked and are no walls.
    tip : (n, n) ndarray or Tip
        The sharpest tip that may have made the image (dilation convention).
    noise_nm : float, optional
        The image's white-noise SD (default: :func:`noise_level` of the image): a fall counts
        only beyond ``margin_sd`` SDs of the difference of two pixels, and a wall's slope is
        taken that much steeper.
    margin_sd : float
        The margin, in noise SDs (of one pixel; the difference's SD is sqrt(2) larger).
    reach : int
        How far (px) the walls are looked for along each line: bands of dropouts up to
        ``2 * reach - 1`` px wide are found.  The image's edge within ``reach`` counts as a wall
        across a column or a row when the other side has a real one, so a bad line at the border
        is found too (a normal line between the border and a line that reads too high looks the
        same, and is taken for a dropout).

    Returns
    -------
    (M, N) bool ndarray
        True where, along a column, a row or a diagonal, the pixel lies lower than the tip can
        reach from some pixel on each side within ``reach`` (:func:`contact_limits` for that
        pixel's :func:`local_slope`, plus the margin).  The search is repeated with the pixels
        found so far replaced (:func:`replace_dropouts`), so a band is found whole.

    Examples
    --------
    >>> cone = -np.hypot(*np.mgrid[-3:4, -3:4])  # 45-degree flanks, 1 nm pixels
    >>> image = np.zeros((9, 9)); image[4, :] = -6.0  # a scan line that dropped out
    >>> find_dropouts(image, cone, noise_nm=0.1)[3:6, 0]
    array([False,  True, False])
    """
    arr = np.asarray(image, np.float64)
    if arr.ndim != 2:
        raise InputError(f"dropouts are found frame by frame: a 2-D image is needed; got shape {arr.shape}")
    if int(reach) < 1:
        raise InputError(f"reach must be at least 1 px; got {reach}")
    finite = np.isfinite(arr)
    if not finite.any():
        return np.zeros(arr.shape, bool)
    z_range = float(np.ptp(arr[finite]))
    noise = noise_level(arr) if noise_nm is None else float(noise_nm)
    margin = float(margin_sd) * np.sqrt(2.0) * max(noise, 0.0)
    tables = {d: contact_limits(tip, z_range, d, int(reach)) for d in LINE_DIRECTIONS}
    found = _valleys(arr, finite, tables, margin)
    # a band partly found hides the rest of it (its walls were its own low pixels): look again
    # with the found pixels replaced, until nothing new turns up
    for _ in range(MAX_ROUNDS):
        if not found.any() or found.sum() == finite.sum():
            break
        more = _valleys(replace_dropouts(arr, found), finite, tables, margin) & ~found
        if not more.any():
            break
        found |= more
    return found


def _valleys(arr: np.ndarray, finite: np.ndarray, tables: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]],
             margin: float) -> np.ndarray:
    """One pass of :func:`find_dropouts`: pixels below a wall on both sides of some line."""
    walls = np.where(finite, arr, -np.inf).astype(np.float32)  # a missing pixel is no wall ...
    low = (np.where(finite, arr, np.inf) + margin).astype(np.float32)  # ... and never a dropout
    found = np.zeros(arr.shape, bool)
    for direction, (slopes, limits) in tables.items():
        # candidates: below walls with the least fall any wall allows (its slope's class 0)
        sides = []
        for sense in (1, -1):
            highest, edge = _highest_wall(walls, limits[0].astype(np.float32), (sense * direction[0],
                                                                                   sense * direction[1]))
            sides.append((low < highest, edge & (0 in direction)))
        (wall_ahead, edge_ahead), (wall_behind, edge_behind) = sides
        candidates = (wall_ahead & (wall_behind | edge_behind)) | (edge_ahead & wall_behind)
        if candidates.any():
            ys, xs = np.nonzero(candidates)
            confirmed = _between_walls(arr, ys, xs, direction, slopes, limits, margin)
            found[ys[confirmed], xs[confirmed]] = True
    return found


def _between_walls(arr: np.ndarray, ys: np.ndarray, xs: np.ndarray, direction: tuple[int, int],
                   slopes: np.ndarray, limits: np.ndarray, margin: float) -> np.ndarray:
    """Whether each pixel ``(ys, xs)`` lies below what its walls on both sides allow, each wall by its own slope."""
    low = arr[ys, xs] + margin
    verdicts = []
    for sense in (1, -1):
        wall, edge = np.zeros(ys.shape, bool), np.zeros(ys.shape, bool)
        for a in range(1, limits.shape[1] + 1):
            wy, wx = ys + sense * a * direction[0], xs + sense * a * direction[1]
            inside = (wy >= 0) & (wy < arr.shape[0]) & (wx >= 0) & (wx < arr.shape[1])
            edge |= ~inside & (0 in direction)  # the edge of the image is a wall across it, not along a diagonal
            wy, wx, at = wy[inside], wx[inside], np.nonzero(inside)[0]
            height = arr[wy, wx]
            usable = np.isfinite(height)
            cls = np.searchsorted(slopes, _slope_at(arr, wy, wx, direction) + margin, side="left")
            bound = height - limits[np.minimum(cls, len(slopes) - 1), a - 1]
            wall[at[usable]] |= low[at[usable]] < bound[usable]
        verdicts.append((wall, edge))
    (wall_ahead, edge_ahead), (wall_behind, edge_behind) = verdicts
    return (wall_ahead & (wall_behind | edge_behind)) | (edge_ahead & wall_behind)


def replace_dropouts(image: np.ndarray, dropouts: np.ndarray) -> np.ndarray:
    """Replace marked pixels by the mean of their unmarked neighbours, from the outside of each patch inwards.

    Parameters
    ----------
    image : (M, N) float ndarray
        One frame.
    dropouts : (M, N) bool ndarray
        The pixels to replace (e.g. :func:`find_dropouts`).  NaN pixels stay NaN and do not
        count as neighbours.

    Returns
    -------
    (M, N) float ndarray
        A copy with the marked pixels replaced (a one-pixel scan line takes the mean of the lines
        above and below).

    Examples
    --------
    >>> image = np.array([[1.0, 1.0, 1.0], [-9.0, -9.0, -9.0], [3.0, 3.0, 3.0]])
    >>> replace_dropouts(image, image < 0)[1]
    array([2., 2., 2.])
    """
    out = np.array(image, np.float64)
    mask = np.asarray(dropouts, bool)
    if mask.shape != out.shape or out.ndim != 2:
        raise InputError(f"the dropout mask {mask.shape} must match the 2-D image {out.shape}")
    todo = mask & np.isfinite(out)
    known = np.isfinite(out) & ~todo
    if not known.any():
        raise InputError("every pixel is a dropout: nothing to replace them from")
    while todo.any():
        total = np.zeros_like(out)
        count = np.zeros(out.shape, np.int64)
        values = np.where(known, out, 0.0)
        ny, nx = out.shape
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dy or dx:
                    (ys, yd), (xs, xd) = _slices(ny, dy), _slices(nx, dx)
                    total[yd, xd] += values[ys, xs]
                    count[yd, xd] += known[ys, xs]
        ready = todo & (count > 0)
        out[ready] = total[ready] / count[ready]
        known |= ready
        todo &= ~ready
    return out


def _inward(v: tuple[int, int]) -> tuple[int, int]:
    """Return the neighbour of offset ``v`` one step toward the apex along its ray (the discrete ray walk)."""
    scale = max(abs(v[0]), abs(v[1]))
    return v[0] - round(v[0] / scale), v[1] - round(v[1] / scale)


def sharpen_for_cliffs(tip: np.ndarray, image: np.ndarray, *, noise_nm: float | None = None,
                       margin_sd: float = 4.0, reach: int = WALL_REACH_PX) -> tuple[np.ndarray, float]:
    """Make a tip at least as sharp as the image's cliffs require; return its heights and the steepest cliff (nm).

    An image made by a tip falls over an offset ``h`` no faster than the tip's steepest fall over
    it, ``max_u [T(u) - T(u + h)]`` over the points ``u`` that can touch (see
    :func:`find_dropouts`).  Where the image falls faster, by more than the margin (a step
    steeper than the tip's flanks), the real tip is sharper than ``tip``, and an erosion by
    ``tip`` would dig below the step's top.  Then the offset is deepened to that fall (less the
    margin; in both senses, so the tip's orientation does not matter), and every offset further
    out along the same ray at least as much.  An image the tip itself made is never changed.  The
    bound is one-sided, like :func:`find_dropouts`: find and replace dropouts first, or they
    count as cliffs.

    Parameters
    ----------
    tip : (n, n) ndarray
        Tip heights (dilation convention, apex at the centre), e.g. a blind estimate.
    image : (M, N) ndarray, nm
        One frame on the tip's grid.
    noise_nm : float, optional
        The image's noise SD (default: :func:`noise_level`).
    margin_sd, reach : float, int
        As in :func:`find_dropouts`.

    Returns
    -------
    heights : (n, n) ndarray
        The tip, deepened where the image requires; ``tip`` itself when nothing changed.
    cliff : float
        The largest amount (nm) by which an offset had to be deepened (0 when none).

    Examples
    --------
    >>> blunt = -0.1 * np.add.outer(np.arange(-4, 5.0) ** 2, np.arange(-4, 5.0) ** 2)  # falls 0.7 nm at most
    >>> image = np.zeros((12, 12)); image[:, 6:] = -1.0  # a 1 nm step over one pixel
    >>> sharp, cliff = sharpen_for_cliffs(blunt, image, noise_nm=0.0)
    >>> float(sharp[4, 5]), float(sharp[4, 7]), round(cliff, 1)  # 1 px and 3 px out along the row
    (-1.0, -1.0, 0.9)
    """
    heights = np.asarray(tip, np.float64)
    arr = np.asarray(image, np.float64)
    finite = np.isfinite(arr)
    if arr.ndim != 2 or not finite.any():
        return heights, 0.0
    noise = noise_level(arr) if noise_nm is None else float(noise_nm)
    margin = float(margin_sd) * np.sqrt(2.0) * max(noise, 0.0)
    z_range = float(np.ptp(arr[finite]))
    t = _tip_depths(heights, z_range)
    reachable = t >= -z_range
    n = t.shape[0]
    c = heights.shape[0] // 2
    ny, nx = arr.shape
    deepest = heights.copy()
    cliff = 0.0
    near = min(int(reach), c)
    for dy in range(-near, near + 1):
        for dx in range(-near, near + 1):
            if not (dy or dx):
                continue
            falls, allowed = [], []
            for sy, sx in ((dy, dx), (-dy, -dx)):
                (ys, yd), (xs, xd) = _slices(ny, sy), _slices(nx, sx)
                drop = arr[yd, xd] - arr[ys, xs]  # I(x) - I(x + s) for x in the destination window
                usable = finite[yd, xd] & finite[ys, xs]
                falls.append(float(drop[usable].max()) if usable.any() else 0.0)
                # the tip's steepest fall over s; a contact whose u + s leaves the array allows any
                (ts, td), (us, ud) = _slices(n, sy), _slices(n, sx)
                inside = np.zeros((n, n), bool)
                inside[td, ud] = True
                if (reachable & ~inside).any():
                    allowed.append(np.inf)
                else:
                    shifted = np.full((n, n), -np.inf)
                    shifted[td, ud] = t[ts, us]
                    allowed.append(float((t - shifted)[reachable].max()))
            if max(falls) <= max(allowed) + margin:
                continue
            need = -(max(falls) - margin)
            if need < deepest[c + dy, c + dx]:
                cliff = max(cliff, float(deepest[c + dy, c + dx] - need))
                deepest[c + dy, c + dx] = need
    if cliff == 0.0:
        return heights, 0.0
    # further out along each ray the tip lies at least as deep (nearer offsets first)
    offsets = sorted(((dy, dx) for dy in range(-c, c + 1) for dx in range(-c, c + 1) if dy or dx),
                     key=lambda v: max(abs(v[0]), abs(v[1])))
    for v in offsets:
        w = _inward(v)
        if w != (0, 0) and np.isfinite(deepest[c + w[0], c + w[1]]):
            deepest[c + v[0], c + v[1]] = np.fmin(deepest[c + v[0], c + v[1]], deepest[c + w[0], c + w[1]])
    return deepest, cliff
