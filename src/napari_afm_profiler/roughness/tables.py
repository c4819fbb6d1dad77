"""Parameters per labelled region, per tile, and for several channels at once."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage
from skimage.measure import perimeter_crofton

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.progress import drain
from napari_afm_profiler.roughness.compute import (
    RoughnessResult,
    area_parameters,
    resolve_groups,
    surface_parameters,
    surface_parameters_steps,
)
from napari_afm_profiler.roughness.registry import GEOMETRY_COLUMNS, GROUPS
from napari_afm_profiler.roughness.settings import RoughnessSettings
from napari_afm_profiler.roughness.surface import check_pixel_size, evaluation_area

Progress = Generator[tuple[str, int, int], None, "RoughnessTable"]


@dataclass(frozen=True)
class RoughnessTable:
    """Parameters of several regions, column by column.

    Attributes
    ----------
    columns : dict of str to ndarray
        ``region`` first (0 for the whole image, else the label id), then region geometry
        (for labelled regions), then the parameters; NaN where a value is undefined.
    warnings : tuple of (int, str)
        (region, message) for every undefined value and anything else worth knowing.
    """

    columns: dict[str, np.ndarray]
    warnings: tuple[tuple[int, str], ...]

    def __len__(self) -> int:
        return len(self.columns["region"])

    def to_pandas(self):  # noqa: ANN201 - pandas is imported lazily
        """Return the table as a pandas DataFrame (one row per region)."""
        import pandas as pd

        return pd.DataFrame(self.columns)

    def rows(self) -> list[dict[str, float | int | None]]:
        """One dict per region, undefined values as None, with that region's ``warnings``."""
        out = []
        for i, region in enumerate(self.columns["region"]):
            row: dict[str, float | int | None] = {"region": int(region)}
            for key, col in self.columns.items():
                if key != "region":
                    v = float(col[i])
                    row[key] = v if np.isfinite(v) else None
            row["warnings"] = [msg for r, msg in self.warnings if r == region]
            out.append(row)
        return out


def _check_labels(labels: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != shape:
        raise InputError(f"labels shape {labels.shape} does not match image shape {shape}")
    if labels.dtype == bool:
        return labels.astype(np.int64)
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise InputError("labels must be whole numbers (a labels layer); got non-integer values")
        labels = labels.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise InputError("labels must be >= 0 (0 is background)")
    return labels


def region_geometry(region: np.ndarray, pixel_size_nm: tuple[float, float]) -> dict[str, float]:
    """Area (nm^2), perimeter (nm) and equivalent-circle diameter (nm) of a boolean region.

    The perimeter is the Crofton estimate (4 directions; unbiased for round cells) scaled by the geometric mean
    pixel size (exact for square pixels).

    Parameters
    ----------
    region : (ny, nx) bool ndarray
    pixel_size_nm : (dy, dx)

    Returns
    -------
    geometry : dict
        ``area_nm2``, ``perimeter_nm``, ``equivalent_diameter_nm``.
    """
    dy, dx = pixel_size_nm
    area = float(np.count_nonzero(region)) * dy * dx
    length = perimeter_crofton(np.pad(region, 1), directions=4) * np.sqrt(dy * dx)
    return {"area_nm2": area, "perimeter_nm": float(length), "equivalent_diameter_nm": float(np.sqrt(4.0 * area / np.pi))}


def region_table_steps(
    height: np.ndarray,
    labels: np.ndarray,
    *,
    pixel_size_nm: float | tuple[float, float],
    groups: Iterable[str] | str | None = None,
    settings: RoughnessSettings | None = None,
    border_erosion_px: int = 0,
    region_level: str = "own",
) -> Progress:
    """Like :func:`region_table`, yielding ``("regions", i, n)`` after each region.

    Examples
    --------
    >>> import numpy as np
    >>> from napari_afm_profiler.progress import drain
    >>> labels = np.zeros((30, 30), int); labels[2:12, 2:12] = 1; labels[15:28, 15:28] = 2
    >>> height = np.random.default_rng(1).normal(size=(30, 30))
    >>> progress = []
    >>> table = drain(region_table_steps(height, labels, pixel_size_nm=1.0, groups="height"), progress.append)
    >>> table.columns["region"].tolist(), progress[-1]
    ([1, 2], ('regions', 2, 2))
    """
    height = np.asarray(height, dtype=np.float64)
    if height.ndim != 2:
        raise InputError(f"roughness needs a 2D height map; got shape {height.shape}")
    labels = _check_labels(labels, height.shape)
    px = check_pixel_size(pixel_size_nm)
    groups = resolve_groups(groups)
    settings = settings or RoughnessSettings()
    if border_erosion_px < 0:
        raise InputError(f"border_erosion_px must be >= 0; got {border_erosion_px}")
    if region_level not in REGION_LEVELS:
        raise InputError(f"region_level must be one of {', '.join(REGION_LEVELS)}; got {region_level!r}")
    if region_level != "own":
        if region_level == "substrate":
            height = substrate_levelled(height, labels, settings)
        settings = replace(settings, level="none")
    symbols = [s for g in groups for s in GROUPS[g]]
    boxes = ndimage.find_objects(labels)
    ids = [i + 1 for i, box in enumerate(boxes) if box is not None]
    warnings: list[tuple[int, str]] = []
    if not ids:
        warnings.append((0, "the labels contain no region (all background)"))
    columns: dict[str, list[float]] = {k: [] for k in ("region", *GEOMETRY_COLUMNS, *symbols)}
    yield "regions", 0, len(ids)
    for i, lab in enumerate(ids):
        box = boxes[lab - 1]
        region = labels[box] == lab
        geometry = region_geometry(region, px)
        evaluated = region
        if border_erosion_px:
            evaluated = ndimage.binary_erosion(region, iterations=border_erosion_px, border_value=0)
        area = evaluation_area(height[box], pixel_size_nm=px, mask=evaluated, **settings.area_options())
        result = area_parameters(area, groups=groups, settings=settings)
        columns["region"].append(lab)
        for key, value in geometry.items():
            columns[key].append(value)
        for key in symbols:
            value = result.values[key]
            columns[key].append(np.nan if value is None else value)
        warnings.extend((lab, w) for w in result.warnings)
        yield "regions", i + 1, len(ids)
    arrays = {k: np.asarray(v, dtype=np.int64 if k == "region" else np.float64) for k, v in columns.items()}
    return RoughnessTable(arrays, tuple(warnings))


def region_table(
    height: np.ndarray,
    labels: np.ndarray,
    *,
    pixel_size_nm: float | tuple[float, float],
    groups: Iterable[str] | str | None = None,
    settings: RoughnessSettings | None = None,
    border_erosion_px: int = 0,
    region_level: str = "own",
) -> RoughnessTable:
    """Every parameter for each labelled region, on that region only (like ``regionprops_table``).

    By default each region is levelled inside itself (the F-operator of ``settings`` fitted to
    its own pixels), its autocorrelation is normalised by the masked overlap, slopes come only
    from pixel cells fully inside it, and its border may be eroded.

    Parameters
    ----------
    height : (ny, nx) float ndarray, nm
        Height map (NaN pixels are left out).
    labels : (ny, nx) int ndarray
        0 = background, 1.. = regions.
    pixel_size_nm : float or (dy, dx)
        Pixel size in nm.
    groups : iterable of str, optional
        Parameter groups (default all; see :data:`GROUPS`).
    settings : RoughnessSettings, optional
        Levelling and the arguments of the parameters that take them.
    border_erosion_px : int, optional
        Pixels removed from each region's edge before evaluation (the geometry columns use
        the whole region).
    region_level : {"own", "substrate", "none"}
        How regions are levelled: ``own`` (default) by the F-operator fitted to each region's
        pixels; ``substrate`` by the one fitted to the background (label 0) of the whole image,
        so a cell's own tilt and curvature count as its roughness; ``none``: only each region's
        mean is removed.  The filters of ``settings`` apply in every case.

    Returns
    -------
    RoughnessTable
        One row per label, ``region`` = label id.

    Examples
    --------
    >>> import numpy as np
    >>> height = np.zeros((40, 40)); height[:, 20:] = np.tile([0.0, 2.0], (40, 10))
    >>> labels = np.zeros((40, 40), int); labels[:, :20] = 1; labels[:, 20:] = 2
    >>> flat = RoughnessSettings(level="none")  # the mean plane only: the stripes have no tilt to remove
    >>> table = region_table(height, labels, pixel_size_nm=1.0, groups=["height"], settings=flat)
    >>> [round(float(v), 3) for v in table.columns["Sq"]]
    [0.0, 1.0]
    """
    return drain(region_table_steps(height, labels, pixel_size_nm=pixel_size_nm, groups=groups, settings=settings,
                                    border_erosion_px=border_erosion_px, region_level=region_level))


REGION_LEVELS = ("own", "substrate", "none")
"""How regions are levelled (see :func:`region_table`)."""


def substrate_levelled(height: np.ndarray, labels: np.ndarray, settings: RoughnessSettings) -> np.ndarray:
    """Return ``height`` minus the F-operator's polynomial fitted to the background (label 0) of the whole image."""
    from napari_afm_profiler.preprocess.fit import fit_polynomial

    background = np.isfinite(height) & (labels == 0)
    order = max(settings.order, 1)
    if background.sum() <= (order + 1) * (order + 2) // 2:
        raise InputError("region_level='substrate' needs background pixels (label 0) to fit the substrate to; "
                         f"the labels leave {int(background.sum())}")
    return fit_polynomial(height, order, use=background).subtract_from(height)


#: The scripting name of :func:`region_table` (``ap.roughness.regions(height, labels, pixel_size_nm=...)``).
regions = region_table


def tile_parameters(
    height: np.ndarray,
    *,
    pixel_size_nm: float | tuple[float, float],
    tiles: tuple[int, int] = (2, 2),
    groups: Iterable[str] | str | None = None,
    settings: RoughnessSettings | None = None,
) -> RoughnessResult:
    """Parameters averaged over sub-images (the paper's cell map cut into tiles).

    Parameters
    ----------
    height : (ny, nx) float ndarray, nm
    pixel_size_nm : float or (dy, dx)
    tiles : (rows, columns)
        How many tiles along y and x; each is evaluated (and levelled) on its own.
    groups, settings
        As in :func:`surface_parameters`.

    Returns
    -------
    RoughnessResult
        Mean over the tiles where a parameter is defined; warnings name the tile.

    Examples
    --------
    >>> import numpy as np
    >>> rough = np.random.default_rng(0).normal(size=(64, 64))
    >>> result = tile_parameters(rough, pixel_size_nm=1.0, tiles=(2, 2), groups="height")
    >>> 0.9 < result.values["Sq"] < 1.1
    True
    """
    height = np.asarray(height, dtype=np.float64)
    ty, tx = tiles
    if height.ndim != 2 or ty < 1 or tx < 1 or ty > height.shape[0] or tx > height.shape[1]:
        raise InputError(f"cannot cut an image of shape {height.shape} into {ty} x {tx} tiles")
    ys = np.linspace(0, height.shape[0], ty + 1).astype(int)
    xs = np.linspace(0, height.shape[1], tx + 1).astype(int)
    results = []
    warnings = []
    for i in range(ty):
        for j in range(tx):
            r = surface_parameters(height[ys[i] : ys[i + 1], xs[j] : xs[j + 1]], pixel_size_nm=pixel_size_nm,
                                   groups=groups, settings=settings)
            results.append(r.values)
            warnings.extend(f"tile ({i}, {j}): {w}" for w in r.warnings)
    values = {}
    for key in results[0]:
        defined = [r[key] for r in results if r[key] is not None]
        values[key] = float(np.mean(defined)) if defined else None
    return RoughnessResult(values, tuple(warnings))


def tile_labels(shape: tuple[int, int], tiles: tuple[int, int]) -> np.ndarray:
    """Label image of ``tiles`` = (rows, columns) equal tiles, numbered 1.. row by row.

    Parameters
    ----------
    shape : (ny, nx)
    tiles : (rows, columns)

    Returns
    -------
    labels : (ny, nx) int ndarray

    Examples
    --------
    >>> tile_labels((4, 6), (2, 3))
    array([[1, 1, 2, 2, 3, 3],
           [1, 1, 2, 2, 3, 3],
           [4, 4, 5, 5, 6, 6],
           [4, 4, 5, 5, 6, 6]])
    """
    ty, tx = (int(tiles[0]), int(tiles[1]))
    ny, nx = (int(shape[0]), int(shape[1]))
    if ty < 1 or tx < 1 or ty > ny or tx > nx:
        raise InputError(f"cannot cut an image of shape {tuple(shape)} into {ty} x {tx} tiles")
    rows = np.searchsorted(np.linspace(0, ny, ty + 1).astype(int)[1:], np.arange(ny), side="right")
    cols = np.searchsorted(np.linspace(0, nx, tx + 1).astype(int)[1:], np.arange(nx), side="right")
    return (rows[:, None] * tx + cols[None, :] + 1).astype(np.int64)


def _renamed(steps: Progress, stage: str) -> Progress:
    """Pass on a progress generator's steps under another stage name; return its result."""
    while True:
        try:
            _, i, n = next(steps)
        except StopIteration as stop:
            return stop.value
        yield stage, i, n


def channel_table_steps(
    channels: Mapping[str, np.ndarray],
    *,
    pixel_size_nm: float | tuple[float, float],
    labels: np.ndarray | None = None,
    groups: Iterable[str] | str | None = None,
    settings: RoughnessSettings | None = None,
    border_erosion_px: int = 0,
    tiles: tuple[int, int] | None = None,
    tile_rows: bool = False,
    region_level: str = "own",
) -> Progress:
    """Parameters of one or several channels of the same scan, per image or per labelled region.

    With one channel the columns are the ISO symbols; with several, each parameter column is
    prefixed ``"<channel>:"``. Without labels there is one row, ``region`` 0 (the whole image,
    or the mean over ``tiles``). Yields ``("<channel>", i, n)`` progress.

    Parameters
    ----------
    channels : mapping of str to (ny, nx) ndarray
        Channel name to image; all of one shape.
    pixel_size_nm : float or (dy, dx)
    labels : (ny, nx) int ndarray, optional
    groups, settings, border_erosion_px, region_level
        As in :func:`region_table`.
    tiles : (rows, columns), optional
        Without labels: average over this many tiles.
    tile_rows : bool, optional
        With ``tiles``: one row per tile instead of their mean (``region`` = tile number, 1..
        row by row), e.g. the quadrants of an image as samples whose group is the image.

    Returns
    -------
    RoughnessTable

    Examples
    --------
    >>> import numpy as np
    >>> from napari_afm_profiler.progress import drain
    >>> progress = []
    >>> table = drain(channel_table_steps({"Height": np.random.default_rng(0).normal(size=(32, 32))},
    ...                                   pixel_size_nm=1.0, groups="height"), progress.append)
    >>> len(table), progress[-1][0]
    (1, 'Height')
    """
    if not channels:
        raise InputError("no channel given")
    shapes = {np.shape(a) for a in channels.values()}
    if len(shapes) > 1:
        raise InputError(f"channels differ in shape: {sorted(shapes)}")
    prefix = len(channels) > 1
    if tile_rows:
        if labels is not None or tiles is None:
            raise InputError("one row per tile needs tiles and no labels")
        labels, tiles = tile_labels(next(iter(shapes)), tiles), None
    merged: dict[str, np.ndarray] = {}
    warnings: list[tuple[int, str]] = []
    for name, image in channels.items():
        if labels is not None:
            table = yield from _renamed(region_table_steps(
                image, labels, pixel_size_nm=pixel_size_nm, groups=groups, settings=settings,
                border_erosion_px=border_erosion_px, region_level=region_level), name)
        else:
            yield name, 0, 1
            if tiles is None:
                result = yield from _renamed(surface_parameters_steps(image, pixel_size_nm=pixel_size_nm, groups=groups,
                                                                      settings=settings), name)
            else:
                result = tile_parameters(image, pixel_size_nm=pixel_size_nm, tiles=tiles, groups=groups, settings=settings)
            table = RoughnessTable(
                {"region": np.zeros(1, np.int64),
                 **{k: np.array([np.nan if v is None else v]) for k, v in result.values.items()}},
                tuple((0, w) for w in result.warnings))
            yield name, 1, 1
        for key, col in table.columns.items():
            if key == "region" or key in GEOMETRY_COLUMNS:
                merged.setdefault(key, col)
            else:
                merged[f"{name}:{key}" if prefix else key] = col
        warnings.extend((r, f"{name}: {w}" if prefix else w) for r, w in table.warnings)
    return RoughnessTable(merged, tuple(warnings))


def channel_table(
    channels: Mapping[str, np.ndarray],
    *,
    pixel_size_nm: float | tuple[float, float],
    labels: np.ndarray | None = None,
    groups: Iterable[str] | str | None = None,
    settings: RoughnessSettings | None = None,
    border_erosion_px: int = 0,
    tiles: tuple[int, int] | None = None,
    tile_rows: bool = False,
    region_level: str = "own",
) -> RoughnessTable:
    """Parameters of one or several channels of one scan, per image or per labelled region.

    The plain function beside :func:`channel_table_steps` (same parameters, no progress).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> channels = {"Height": rng.normal(size=(32, 32)), "Phase": rng.normal(size=(32, 32))}
    >>> table = channel_table(channels, pixel_size_nm=2.0, groups=["height"])
    >>> "Height:Sq" in table.columns and "Phase:Sq" in table.columns
    True
    """
    return drain(channel_table_steps(channels, pixel_size_nm=pixel_size_nm, labels=labels, groups=groups,
                                     settings=settings, border_erosion_px=border_erosion_px, tiles=tiles,
                                     tile_rows=tile_rows, region_level=region_level))
