"""The tip a deconvolution uses: the user's model, array, file or blind estimate, or the model's nominal tip.

Whatever the user gives is brought onto the image's pixel grid and described in words, so every
output can say which tip was used.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.tip.dropouts import noise_level as noise_level  # re-exported: imported from here too
from napari_afm_profiler.tip.models import (
    Tip,
    TipResampledWarning,
    crop_tip,
    make_tip,
    tip_for_pixel_size,
    tip_from_array,
)

TipChoice = None | str | Path | np.ndarray | Tip | Mapping[str, Any]
"""What ``deconvolve(tip=...)`` accepts."""

ESTIMATE = "estimate"

#: width of a blind estimate: this many nm, within the pixel bounds below
ESTIMATE_WIDTH_NM = 40.0
ESTIMATE_SIZE_PX = (9, 41)


def describe_tip(tip: Tip) -> str:
    """Describe a tip in words: its model and parameters, or an array's size and pixel size."""
    p = tip.parameters
    if tip.shape in ("cone", "pyramid"):
        return f"{tip.shape}, apex radius {p['radius_nm']:.3g} nm, half-angle {p['half_angle_deg']:.3g} deg"
    if tip.shape in ("paraboloid", "sphere", "cylinder"):
        return f"{tip.shape}, apex radius {p['radius_nm']:.3g} nm"
    grid = "" if tip.pixel_size_nm is None else f" at {tip.pixel_size_nm[1]:.3g} nm/px"
    return f"{p.get('source', 'array')} tip of {tip.size} x {tip.size} px{grid}"


def _model_tip(spec: Mapping[str, Any], px: tuple[float, float], depth: float) -> Tip:
    try:
        shape = str(spec.get("shape", "cone"))
        radius = float(spec["radius_nm"])
        angle = spec.get("half_angle_deg")
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"a tip model needs shape, radius_nm and (cone, pyramid) half_angle_deg; got {dict(spec)}") \
            from exc
    return make_tip(shape, pixel_size_nm=px, radius_nm=radius,
                    half_angle_deg=None if angle is None or shape not in ("cone", "pyramid") else float(angle),
                    height_nm=depth)


def estimate_from_image(image: np.ndarray, pixel_size_nm: tuple[float, float]) -> Tip:
    """Blind tip estimate from the image itself (Villarrubia, partial), noise threshold from :func:`noise_level`."""
    from napari_afm_profiler.tip.blind import estimate_tip

    size = int(np.clip(round(ESTIMATE_WIDTH_NM / min(pixel_size_nm)), *ESTIMATE_SIZE_PX))
    size += 1 - size % 2
    size = min(size, 2 * (min(image.shape) // 2) - 1)
    threshold = 2.0 * noise_level(image)
    heights = estimate_tip(np.asarray(image, np.float64), size, threshold=threshold)
    return Tip(heights=heights, pixel_size_nm=pixel_size_nm, shape="array",
               parameters={"source": "blind-estimated", "threshold_nm": threshold})


def resolve_tip(tip: TipChoice, *, image: np.ndarray, pixel_size_nm: tuple[float, float],
                tip_pixel_size_nm: float | tuple[float, float] | None = None,
                nominal: Mapping[str, Any] | None = None) -> tuple[Tip, str]:
    """Return the tip to use on the image's grid and a sentence saying which tip it is.

    Parameters
    ----------
    tip : None, "estimate", mapping, Tip, ndarray, str or Path
        None: the model's ``nominal`` tip; ``"estimate"``: blind estimation from ``image``; a
        mapping ``{"shape", "radius_nm", "half_angle_deg"}``: a tip model; a :class:`Tip`, an
        array (dilation convention, apex at the centre) or a tip file (``.npy`` or an image file).
    image : ndarray
        The image (one frame), nm; sets the depth a modelled tip needs.
    pixel_size_nm : (dy, dx)
        The image's pixel size.
    tip_pixel_size_nm : float or (dy, dx), optional
        The pixel size of a tip array or ``.npy`` file (default: the image's).
    nominal : mapping, optional
        The model's nominal tip (its card's ``tip``).

    Returns
    -------
    tip : Tip
        On the image's grid.
    description : str
    """
    finite = np.isfinite(image)
    depth = (float(np.ptp(image[finite])) if finite.any() else 0.0) + 1.0
    if tip is None:
        if nominal is None:
            raise InputError("no tip given and the model names no nominal tip")
        made = _model_tip(nominal, pixel_size_nm, depth)
        return made, f"the model's nominal tip ({describe_tip(made)}): no tip was given"
    if isinstance(tip, str) and tip == ESTIMATE:
        estimated = estimate_from_image(image, pixel_size_nm)
        return estimated, f"tip estimated blindly from the image ({estimated.size} x {estimated.size} px)"
    if isinstance(tip, Mapping):
        made = _model_tip(tip, pixel_size_nm, depth)
        return made, f"the given tip model ({describe_tip(made)})"
    assumed = ""
    if isinstance(tip, (str, Path)):
        from napari_afm_profiler.tip.files import load_tip

        given = load_tip(tip, pixel_size_nm=tip_pixel_size_nm)
        given = Tip(heights=given.heights, pixel_size_nm=given.pixel_size_nm, shape=given.shape,
                    parameters=dict(given.parameters, source=f"file {Path(tip).name}"))
    elif isinstance(tip, Tip):
        given = tip
    else:
        arr = np.asarray(tip, dtype=np.float64)
        given = tip_from_array(arr, pixel_size_nm=tip_pixel_size_nm)
        given = Tip(heights=given.heights, pixel_size_nm=given.pixel_size_nm, parameters=dict(given.parameters,
                                                                                                source="given"))
    if given.pixel_size_nm is None:
        given = Tip(heights=given.heights, pixel_size_nm=pixel_size_nm, shape=given.shape, parameters=given.parameters)
        assumed = "; its pixel size was not given, the image's was assumed"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TipResampledWarning)
        on_grid = tip_for_pixel_size(given, pixel_size_nm)
    resampled = "" if on_grid is given else f"; resampled from {given.pixel_size_nm[1]:.3g} nm/px"
    return on_grid, f"{describe_tip(given)}{resampled}{assumed}"


class TipRangeWarning(UserWarning):
    """The tip is much blunter or sharper than every tip the model was trained with."""


class TipCroppedWarning(UserWarning):
    """The tip is larger than the image, and the part cropped off could have touched its features."""


def tip_crop_loss(tip: Tip, image: np.ndarray) -> str | None:
    """Say in a sentence when cropping ``tip`` to ``image`` cuts off tip material that could touch, else None.

    Deconvolution crops a tip to the image's size (the erosion cannot use a larger one).  That
    is exact when the part cut off lies deeper below the apex than the image's height range:
    such material never touches.  A shallower part could have touched the image's tall
    features, so the erosion there, and the result bounded by it, may lie too high.

    Parameters
    ----------
    tip : Tip
        On the image's grid.
    image : (ny, nx) ndarray, nm

    Returns
    -------
    str or None

    Examples
    --------
    >>> image = np.zeros((33, 33)); image[16, 16] = 10.0
    >>> blunt = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=60.0, size=61)
    >>> tip_crop_loss(blunt, image).startswith("the tip (61 x 61 px) is larger than the image")
    True
    >>> tip_crop_loss(make_tip("cone", pixel_size_nm=1.0, radius_nm=5.0, half_angle_deg=15.0, size=61), image) is None
    True
    """
    heights = np.asarray(tip.heights, np.float64)
    n = heights.shape[0]
    kept = crop_tip(heights, min(image.shape)).shape[0]  # the crop deconvolution applies (usable_tip)
    if n <= kept:
        return None
    finite = np.isfinite(image)
    z_range = float(np.ptp(image[finite])) if finite.any() else 0.0
    depth = np.nanmax(heights) - heights
    cut = (n - kept) // 2
    outside = np.ones(heights.shape, bool)
    outside[cut:cut + kept, cut:cut + kept] = False
    lost = outside & np.isfinite(depth) & (depth < z_range)
    if not lost.any():
        return None
    return (f"the tip ({n} x {n} px) is larger than the image ({image.shape[0]} x {image.shape[1]} px) and was cropped "
            f"to {kept} px; the part cut off lies as little as {float(depth[lost].min()):.2g} nm below the apex, within "
            f"the image's height range ({z_range:.2g} nm), so near tall features the erosion and the result may lie "
            "too high: image a larger area or give a smaller tip")


#: a ring of the tip counts as outside the training tips when it is this many times shallower
#: than the shallowest of them, or deeper than the deepest (and at least 0.2 nm deep there)
RANGE_FACTOR = 2.0


def _wide_distribution(card: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Return the wide training distribution a model card records, or None."""
    training = card.get("training")
    return training.get("wide") if isinstance(training, Mapping) else None


@functools.lru_cache(maxsize=64)
def _training_tip(shape: str, radius_nm: float, half_angle_deg: float, px: tuple[float, float],
                  size: int) -> np.ndarray:
    """Make a tip of the training's family on a grid (cached: the exact pyramid is slow to sample, grids repeat)."""
    angle = half_angle_deg if shape in ("cone", "pyramid") else None
    heights = make_tip(shape, pixel_size_nm=px, radius_nm=radius_nm, half_angle_deg=angle, size=size).heights
    heights.setflags(write=False)
    return heights


DROPOUT_TIP_MAX_PX = 255
"""Widest tip made to find dropouts: a wider one's edge is higher than the image's range, and only
the steepest walls lose their bound (``find_dropouts`` takes none beyond a tip's array)."""


def dropout_tips(readings: tuple[Tip, ...], *, blind: bool, card: Mapping[str, Any],
                 pixel_size_nm: tuple[float, float], height_nm: float) -> tuple[Tip, ...]:
    """Return the tips that decide which pixels no tip could image (dropouts; see ``deconvolve(dropouts=...)``).

    A tip blunter than the real one takes real narrow valleys for dropouts, so only sharp tips
    decide.  The tip given is used as it is.  A tip read from the image is replaced by the
    sharpest one the estimator finds plausible (the 5th percentiles of its apex radius and
    half-angle): on line-free wide validation images the central readings took real valleys
    between ridges for dropouts in 7 of 90 images (benchmarks/RESULTS.md, session 40).  The
    blind (Villarrubia) bound, an outer bound of the tip, is replaced by the thinnest tip of the
    model's training (its smallest apex radius and half-angle, the deepest of its shapes); a
    model without a wide training distribution gives none, and nothing is replaced.

    Parameters
    ----------
    readings : tuple of Tip
        The tips the deconvolution uses, on the image's grid.
    blind : bool
        Whether they were read from the image (``tip="estimate"``).
    card : mapping
        The model's card.
    pixel_size_nm : (float, float)
        The image's pixel size.
    height_nm : float
        The depth the tips made here must cover: the image's height range.

    Returns
    -------
    tuple of Tip
        A pixel is a dropout only if it is one for every tip returned.

    Examples
    --------
    >>> card = {"training": {"wide": {"tip_shapes": ["cone"], "tip_radius_nm": [2.0, 30.0],
    ...                               "tip_half_angle_deg": [10.0, 35.0]}}}
    >>> bound = Tip(heights=np.zeros((5, 5)), pixel_size_nm=(1.0, 1.0))  # a blind bound, flat as a table
    >>> thinnest = dropout_tips((bound,), blind=True, card=card, pixel_size_nm=(1.0, 1.0), height_nm=20.0)[0]
    >>> c = thinnest.size // 2
    >>> round(float(thinnest.heights[c, c - 2]), 1)  # cone, apex radius 2 nm, half-angle 10 deg: its cap's edge
    -1.8
    """
    if not blind:
        return readings
    read = readings[0].parameters.get("read_from_image")
    wide = _wide_distribution(card)
    if read:
        angles = read.get("half_angle_90_deg")
        specs = [(read["shape"], read["radius_90_nm"][0], angles[0] if angles else None)]
    elif wide:
        specs = [(shape, wide["tip_radius_nm"][0], wide["tip_half_angle_deg"][0]) for shape in wide["tip_shapes"]]
    else:
        return ()
    tips = [make_tip(shape, pixel_size_nm=pixel_size_nm, radius_nm=float(radius),
                     half_angle_deg=float(angle) if angle is not None and shape in ("cone", "pyramid") else None,
                     height_nm=float(height_nm), max_size=DROPOUT_TIP_MAX_PX).heights for shape, radius, angle in specs]
    size = min(t.shape[0] for t in tips)
    heights = np.min([crop_tip(t, size) for t in tips], axis=0)  # the deepest, so the thinnest, at each pixel
    return (Tip(heights=heights, pixel_size_nm=pixel_size_nm),)


def typical_training_tip(card: Mapping[str, Any], pixel_size_nm: tuple[float, float], size: int) -> np.ndarray | None:
    """Return the typical tip of a model's training on a grid, or None for a model without a wide distribution.

    The apex radius is the geometric mean of the trained range, the half-angle the middle of its
    range; of the trained shapes at those values, the bluntest at each pixel is taken.

    Parameters
    ----------
    card : mapping
        The model's card.
    pixel_size_nm : (float, float)
    size : int
        Odd side of the tip array, px.

    Returns
    -------
    (size, size) ndarray or None
        Heights in nm, apex 0.

    Examples
    --------
    >>> card = {"training": {"wide": {"tip_shapes": ["paraboloid"], "tip_radius_nm": [2.0, 32.0],
    ...                               "tip_half_angle_deg": [10.0, 30.0]}}}
    >>> round(float(typical_training_tip(card, (1.0, 1.0), 21)[10, 0]), 2)  # -(10² / 16) nm
    -6.25
    """
    wide = _wide_distribution(card)
    if not wide:
        return None
    radius = float(np.sqrt(wide["tip_radius_nm"][0] * wide["tip_radius_nm"][1]))
    angle = float(np.mean(wide["tip_half_angle_deg"]))
    return np.max([_training_tip(shape, radius, angle, tuple(pixel_size_nm), size)
                   for shape in wide["tip_shapes"]], axis=0)


def limit_blind_estimate(tip: Tip, card: Mapping[str, Any]) -> tuple[Tip, str | None]:
    """Limit a blind tip estimate by the typical tip of a model's training; say so when that changed it.

    A blind estimate is an upper bound of the true tip (Villarrubia): where the image has no
    sharp features (flat terraces, gentle slopes), it stays near the flat starting tip, and a
    deconvolution with it digs far below the truth.  Where the estimate is blunter than the
    typical tip of the training (:func:`typical_training_tip`), that tip is used instead: a tip
    sharper than the real one makes the result err toward the image, a blunter one below the
    surface.  On the wide validation set this halved the images made worse than the raw image
    (42 → 24 of 180) at the same median error (benchmarks/RESULTS.md).  Models without a wide
    training distribution are not limited.

    Parameters
    ----------
    tip : Tip
        The blind estimate, on the image's grid.
    card : mapping
        The model's card.

    Returns
    -------
    tip : Tip
        The limited estimate (``tip`` itself when under 1 % of it changed).
    note : str or None
        What was done, for the user; None when nothing changed.

    Examples
    --------
    >>> import numpy as np
    >>> card = {"training": {"wide": {"tip_shapes": ["paraboloid"], "tip_radius_nm": [2.0, 32.0],
    ...                               "tip_half_angle_deg": [10.0, 30.0]}}}
    >>> flat = Tip(heights=np.zeros((21, 21)), pixel_size_nm=(1.0, 1.0), shape="array")
    >>> limited, note = limit_blind_estimate(flat, card)
    >>> round(float(limited.heights[10, 0]), 2), note.startswith("the image constrains")  # -(10² / 16) nm
    (-6.25, True)
    """
    px = tuple(tip.pixel_size_nm or (1.0, 1.0))
    typical = typical_training_tip(card, px, tip.heights.shape[0])
    if typical is None:
        return tip, None
    heights = np.fmin(tip.heights, typical)
    changed = float(np.mean(tip.heights - heights > 0.05))
    if changed < 0.01:
        return tip, None
    limited = Tip(heights=heights, pixel_size_nm=tip.pixel_size_nm, shape=tip.shape,
                  parameters=dict(tip.parameters, limited_share=changed))
    return limited, (f"the image constrains the tip little: {changed:.0%} of the blind estimate was blunter than the "
                     "model's typical training tip and was limited to it (where the real tip is blunter, the result "
                     "stays nearer the image than the true surface); give a measured or modelled tip if you can")


def tips_read_from_image(blind: Tip, image: np.ndarray, estimator: Any) -> tuple[tuple[Tip, ...], str, str | None]:
    """Return the parametric tips a tip estimator reads from the image, in words, and how the blind bound meets them.

    The estimator (:mod:`.tip_estimator`) gives the tip model and, for the apex radius and the
    half-angle, a distribution; one tip is made at each of the quantiles its card names
    (``use.readings_z``, standard deviations from the mean; older cards name one, ``use.z``).  A
    deconvolution averages its results for these tips: the radius is uncertain (a tip sharper
    than the real one makes the result err toward the image, a blunter one below the surface),
    and on the wide validation set the average of the readings at -1, 0 and +1 SD beat any one
    reading (benchmarks/RESULTS.md).  The blind (Villarrubia) estimate is only compared with the
    central reading: limiting by it made results worse (its noise threshold and the image's scan
    artifacts make it sharper than the real tip in places); the share of the tip the blind bound
    lies below (by more than 0.05 nm) is reported.

    Parameters
    ----------
    blind : Tip
        The blind estimate from :func:`estimate_from_image`, on the image's grid.
    image : (ny, nx) ndarray
        The image, nm.
    estimator : str, Path or LoadedEstimator
        ``"default"`` (shipped) or a tip-estimator folder.

    Returns
    -------
    tips : tuple of Tip
        One per reading, sharpest first, on the blind estimate's grid; each one's
        ``parameters["read_from_image"]`` holds what the estimator read, ``["reading_z"]`` its quantile.
    description : str
    note : str or None
        A sentence when the blind bound lies below the central reading over more than 10 % of it.

    Raises
    ------
    TipUnreadableError
        When the estimator's reading is too uncertain to use (:meth:`~.tip_estimator.TipGuess.unreadable`).

    Examples
    --------
    >>> from napari_afm_profiler.synth.wide import WideSpec, make_wide_pair
    >>> pair = make_wide_pair(WideSpec(scenes=("rods",)), 11)
    >>> px = (pair.pixel_size_nm,) * 2
    >>> tips, words, _ = tips_read_from_image(estimate_from_image(pair.image, px), pair.image, "default")
    >>> words.startswith("the tip read from the image by the tip estimator"), len(tips), tips[0].shape
    (True, 3, 'array')
    """
    from napari_afm_profiler.deconv.tip_estimator import (
        LoadedEstimator,
        TipUnreadableError,
        guess_tip,
        load_tip_estimator,
    )

    loaded = estimator if isinstance(estimator, LoadedEstimator) else load_tip_estimator(estimator)
    px = tuple(blind.pixel_size_nm or (1.0, 1.0))
    guess = guess_tip(image, px, loaded)
    reason = guess.unreadable()
    if reason:
        raise TipUnreadableError(f"the tip estimator could not read the tip from this image: {reason}")
    readings = sorted(loaded.readings_z)
    central = readings[len(readings) // 2]
    shape = guess.shape
    has_angle = shape in ("cone", "pyramid")
    lo, hi = guess.radius_nm(-1.645), guess.radius_nm(1.645)
    read = {"shape": shape, "radius_nm": guess.radius_nm(central), "radius_90_nm": [lo, hi],
            "half_angle_deg": guess.angle_deg(central) if has_angle else None,
            "half_angle_90_deg": [guess.angle_deg(-1.645), guess.angle_deg(1.645)] if has_angle else None,
            "shape_probabilities": guess.shape_probabilities,
            "readings_radius_nm": [guess.radius_nm(z) for z in readings]}
    heights = [make_tip(shape, pixel_size_nm=px, radius_nm=guess.radius_nm(z),
                        half_angle_deg=guess.angle_deg(z) if has_angle else None, size=blind.heights.shape[0]).heights
               for z in readings]
    below = float(np.mean(heights[len(readings) // 2] - blind.heights > 0.05))
    read["blind_bound_below_share"] = below
    tips = tuple(Tip(heights=h, pixel_size_nm=blind.pixel_size_nm, shape="array",
                     parameters={"source": "read from the image", "read_from_image": read, "reading_z": z})
                 for h, z in zip(heights, readings))
    words = f"{shape}, apex radius {read['radius_nm']:.2g} nm (90 % range {lo:.2g}-{hi:.2g} nm)"
    if has_angle:
        words += f", half-angle {read['half_angle_deg']:.0f} deg"
    if len(readings) > 1:
        words += ("; the result averages the results for apex radii "
                  + ", ".join(f"{r:.2g}" for r in read["readings_radius_nm"]) + " nm")
    note = None
    if below > 0.1:
        note = (f"the blind (Villarrubia) bound from the image lies below the tip read over {below:.0%} of it: either "
                "the image has features sharper than that tip (then it is too blunt there and the result may dig), "
                "or noise and scan-line artifacts made the bound too sharp")
    return tips, f"the tip read from the image by the tip estimator ({words})", note


def tip_outside_training(tip: Tip, image: np.ndarray, card: Mapping[str, Any]) -> str | None:
    """Say in a sentence how a tip lies outside the tips of a model's training, or None when it lies inside.

    The tip's depth at the rings the network is conditioned on (``conditioning.PROFILE_RADII_PX``,
    clipped to the image's height range like the network's input) is compared with the
    shallowest and the deepest depth of the extreme training tips (each trained shape at the
    smallest and largest apex radius and half-angle) on the same grid.

    Parameters
    ----------
    tip : Tip
        On the image's grid.
    image : (ny, nx) ndarray, nm
    card : mapping
        The model's card; models without a wide training distribution are not checked.

    Returns
    -------
    str or None

    Examples
    --------
    >>> import numpy as np
    >>> card = {"training": {"wide": {"tip_shapes": ["cone"], "tip_radius_nm": [2.0, 30.0],
    ...                               "tip_half_angle_deg": [10.0, 35.0]}}}
    >>> image = np.zeros((64, 64)); image[30:34, 30:34] = 20.0
    >>> usual = make_tip("cone", pixel_size_nm=1.0, radius_nm=10.0, half_angle_deg=20.0, size=41)
    >>> tip_outside_training(usual, image, card) is None
    True
    >>> flat = make_tip("paraboloid", pixel_size_nm=1.0, radius_nm=400.0, size=41)
    >>> tip_outside_training(flat, image, card).startswith("the tip is blunter")
    True
    """
    from napari_afm_profiler.deconv.conditioning import PROFILE_RADII_PX, tip_profile, usable_tip

    wide = _wide_distribution(card)
    if not wide:
        return None
    px = tip.pixel_size_nm or (1.0, 1.0)

    def depths(heights: np.ndarray) -> np.ndarray:
        return 10.0 * tip_profile(usable_tip(heights, image), float(min(px)))[:-1]

    # a tip is deeper at every radius the smaller its apex radius and half-angle: the sharpest and
    # the bluntest training tip of each shape bound them all
    (r_lo, r_hi), (a_lo, a_hi) = wide["tip_radius_nm"], wide["tip_half_angle_deg"]
    size = 2 * max(PROFILE_RADII_PX) + 1  # every ring the network sees, whatever the given tip's size
    extremes = np.array([depths(_training_tip(shape, float(radius), float(angle), tuple(px), size))
                         for shape in wide["tip_shapes"] for radius, angle in ((r_lo, a_lo), (r_hi, a_hi))])
    shallowest, deepest = extremes.min(axis=0), extremes.max(axis=0)
    given = depths(tip.heights)
    trained = (f"apex radius {wide['tip_radius_nm'][0]:g}-{wide['tip_radius_nm'][1]:g} nm, half-angle "
               f"{wide['tip_half_angle_deg'][0]:g}-{wide['tip_half_angle_deg'][1]:g} deg")
    for k, ring in enumerate(PROFILE_RADII_PX):
        if shallowest[k] >= 0.2 and given[k] * RANGE_FACTOR < shallowest[k]:
            return (f"the tip is blunter than any tip the model was trained with ({trained}): {ring} px from the "
                    f"apex it is {given[k]:.2g} nm deep where the bluntest is {shallowest[k]:.2g} nm; results may be poor")
        if given[k] >= 0.2 and given[k] > RANGE_FACTOR * deepest[k]:
            return (f"the tip is sharper than any tip the model was trained with ({trained}): {ring} px from the "
                    f"apex it is {given[k]:.2g} nm deep where the sharpest is {deepest[k]:.2g} nm; results may be poor")
    return None
