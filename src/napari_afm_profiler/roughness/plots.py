"""Figures of roughness results (matplotlib, no Qt): the distribution of a parameter per class."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from napari_afm_profiler.roughness.registry import PARAMETERS


def _axis_label(column: str) -> str:
    symbol = column.rsplit(":", 1)[-1]
    unit = PARAMETERS[symbol].unit if symbol in PARAMETERS else ""
    return f"{column} ({unit})" if unit and unit != "1" else column


def parameter_distribution_figure(
    values: Sequence[float] | np.ndarray,
    column: str,
    *,
    classes: Sequence[object] | None = None,
    figure: Figure | None = None,
) -> Figure:
    """Box plot (with the points) of one parameter per class, or its histogram without classes.

    Parameters
    ----------
    values : 1D array-like
        The parameter for each region; NaN (undefined) values are left out and counted in the title.
    column : str
        Column name (an ISO symbol, possibly prefixed ``"channel:"``), used for the axis label.
    classes : 1D array-like, optional
        Class of each region (same length as ``values``).
    figure : matplotlib Figure, optional
        Figure to draw into (cleared); a new one by default.

    Returns
    -------
    figure : matplotlib Figure
    """
    values = np.asarray(values, dtype=np.float64)
    fig = figure if figure is not None else Figure(figsize=(5.0, 3.0))
    fig.clear()
    ax = fig.add_subplot(1, 1, 1)
    defined = np.isfinite(values)
    missing = int((~defined).sum())
    if classes is None:
        ax.hist(values[defined], bins="auto", color="#4c72b0", edgecolor="white")
        ax.set_xlabel(_axis_label(column))
        ax.set_ylabel("regions")
    else:
        classes = np.asarray(classes, dtype=object)
        if classes.shape != values.shape:
            raise ValueError(f"{len(classes)} classes for {len(values)} values")
        names = sorted({str(c) for c in classes[defined]})
        groups = [values[defined & (classes.astype(str) == n)] for n in names]
        ax.boxplot(groups, showfliers=False)
        ax.set_xticks(range(1, len(names) + 1), names)
        rng = np.random.default_rng(0)
        for i, g in enumerate(groups, start=1):
            ax.plot(i + rng.uniform(-0.12, 0.12, g.size), g, "o", ms=3, alpha=0.6, color="#dd8452")
        ax.set_ylabel(_axis_label(column))
        ax.set_xlabel("class")
    title = f"{column}: {int(defined.sum())} regions"
    ax.set_title(title + (f" ({missing} undefined)" if missing else ""), fontsize=9)
    fig.tight_layout()
    return fig
