"""Every roughness parameter of one evaluation area: the entry point for a whole image."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass

import numpy as np

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.progress import drain
from napari_afm_profiler.roughness.amplitude import bearing_indices, functional_parameters, height_parameters
from napari_afm_profiler.roughness.evaluation import Evaluation
from napari_afm_profiler.roughness.features import feature_parameters
from napari_afm_profiler.roughness.fractal import fractal_parameters
from napari_afm_profiler.roughness.gradients import hybrid_parameters, summit_parameters
from napari_afm_profiler.roughness.registry import GROUPS, PARAMETERS
from napari_afm_profiler.roughness.settings import RoughnessSettings
from napari_afm_profiler.roughness.spatial import spatial_parameters
from napari_afm_profiler.roughness.surface import EvaluationArea, evaluation_area

GROUP_FUNCTIONS: dict[str, tuple[Callable[[Evaluation], None], ...]] = {
    "height": (height_parameters,),
    "hybrid": (hybrid_parameters,),
    "spatial": (spatial_parameters,),
    "functional": (functional_parameters,),
    "features": (feature_parameters,),
    "fractal": (fractal_parameters,),
    "spip": (summit_parameters, bearing_indices),
}


@dataclass(frozen=True)
class RoughnessResult:
    """Parameters of one evaluation area.

    Attributes
    ----------
    values : dict of str to float or None
        Value of each requested parameter by ISO symbol (units in ``registry.PARAMETERS``);
        None where it is undefined for this area.
    warnings : tuple of str
        Why each None is None, and anything else worth knowing.
    """

    values: dict[str, float | None]
    warnings: tuple[str, ...]


def resolve_groups(groups: Iterable[str] | str | None) -> tuple[str, ...]:
    """Check parameter group names; None or ``"all"`` means every group.

    Parameters
    ----------
    groups : iterable of str, str or None

    Returns
    -------
    groups : tuple of str
        In registry order.
    """
    if groups is None or groups == "all":
        return tuple(GROUPS)
    wanted = {groups} if isinstance(groups, str) else set(groups)
    unknown = wanted - set(GROUPS)
    if unknown:
        raise InputError(f"unknown parameter group(s) {sorted(unknown)}; groups are {list(GROUPS)}")
    if not wanted:
        raise InputError("choose at least one parameter group")
    return tuple(g for g in GROUPS if g in wanted)


def area_parameters_steps(area: EvaluationArea, *, groups: Iterable[str] | str | None = None,
                          settings: RoughnessSettings | None = None,
                          ) -> Generator[tuple[str, int, int], None, RoughnessResult]:
    """Like :func:`area_parameters`, yielding ``("groups", i, n)`` after each parameter group (cancel between them).

    Examples
    --------
    >>> import numpy as np
    >>> from napari_afm_profiler.progress import drain
    >>> area = evaluation_area(np.random.default_rng(0).normal(size=(32, 32)), pixel_size_nm=1.0)
    >>> progress = []
    >>> result = drain(area_parameters_steps(area, groups=["height", "hybrid"]), progress.append)
    >>> progress
    [('groups', 0, 2), ('groups', 1, 2), ('groups', 2, 2)]
    """
    groups = resolve_groups(groups)
    ev = Evaluation(area, settings or RoughnessSettings())
    symbols = [s for g in groups for s in GROUPS[g]]
    yield "groups", 0, len(groups)
    if area.n == 0:
        ev.undefined(symbols, "no valid pixels (all NaN, or the region is empty)")
    for i, g in enumerate(groups):
        if area.n:
            for func in GROUP_FUNCTIONS[g]:
                func(ev)
        yield "groups", i + 1, len(groups)
    ordered = {s: ev.values.get(s) for s in PARAMETERS if s in symbols}
    return RoughnessResult(ordered, tuple(ev.warnings))


def area_parameters(area: EvaluationArea, *, groups: Iterable[str] | str | None = None,
                    settings: RoughnessSettings | None = None) -> RoughnessResult:
    """Parameters of an already levelled evaluation area.

    Parameters
    ----------
    area : EvaluationArea
    groups : iterable of str, optional
        Parameter groups (default all).
    settings : RoughnessSettings, optional

    Returns
    -------
    RoughnessResult
    """
    return drain(area_parameters_steps(area, groups=groups, settings=settings))


def surface_parameters_steps(
    height: np.ndarray,
    *,
    pixel_size_nm: float | tuple[float, float],
    mask: np.ndarray | None = None,
    groups: Iterable[str] | str | None = None,
    settings: RoughnessSettings | None = None,
) -> Generator[tuple[str, int, int], None, RoughnessResult]:
    """Like :func:`surface_parameters`, yielding ``("groups", i, n)`` after each parameter group.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_afm_profiler.progress import drain
    >>> result = drain(surface_parameters_steps(np.ones((16, 16)), pixel_size_nm=1.0, groups="height"))
    >>> result.values["Sq"]
    0.0
    """
    settings = settings or RoughnessSettings()
    area = evaluation_area(height, pixel_size_nm=pixel_size_nm, mask=mask, **settings.area_options())
    return (yield from area_parameters_steps(area, groups=groups, settings=settings))


def surface_parameters(
    height: np.ndarray,
    *,
    pixel_size_nm: float | tuple[float, float],
    mask: np.ndarray | None = None,
    groups: Iterable[str] | str | None = None,
    settings: RoughnessSettings | None = None,
) -> RoughnessResult:
    """ISO 25178 areal parameters (and SPIP extras) of a height map.

    Parameters
    ----------
    height : (ny, nx) float ndarray, nm
        Height map; NaN pixels are left out.
    pixel_size_nm : float or (dy, dx)
        Pixel size, nm.
    mask : (ny, nx) bool ndarray, optional
        True on the pixels to evaluate (default all).
    groups : iterable of str, optional
        Parameter groups: ``height``, ``hybrid``, ``spatial``, ``functional``, ``features``,
        ``fractal``, ``spip`` (default all).
    settings : RoughnessSettings, optional
        Levelling and the arguments of the parameters that take them (ISO defaults).

    Returns
    -------
    RoughnessResult
        Heights and lengths in nm, ratios in %, angles in degrees, densities per um^2.

    References
    ----------
    ISO 25178-2:2021, Geometrical product specifications (GPS) - Surface texture: Areal -
    Part 2: Terms, definitions and surface texture parameters.

    Examples
    --------
    >>> x = np.arange(256) * 1.0
    >>> z = np.tile(3.0 * np.sin(2 * np.pi * x / 32.0), (64, 1))
    >>> r = surface_parameters(z, pixel_size_nm=1.0, groups=["height"], settings=RoughnessSettings(level="none"))
    >>> round(r.values["Sq"], 4), round(3.0 / 2**0.5, 4)
    (2.1213, 2.1213)
    """
    return drain(surface_parameters_steps(height, pixel_size_nm=pixel_size_nm, mask=mask, groups=groups,
                                          settings=settings))


#: The scripting name of :func:`surface_parameters` (``ap.roughness.parameters(height, pixel_size_nm=...)``).
parameters = surface_parameters
