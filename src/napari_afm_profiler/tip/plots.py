"""Figures of a tip: its surface in 3-D and line profiles through the apex (no Qt needed)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure


def tip_figure(heights: np.ndarray, pixel_size_nm: tuple[float, float] | None = None, *,
               title: str = "tip", figure: Figure | None = None) -> Figure:
    """Draw a tip as a 3-D surface and as x/y profiles through its apex.

    Parameters
    ----------
    heights : (n, n) float ndarray, nm
        Dilation-convention tip (apex = maximum at the centre); NaN where no material.
    pixel_size_nm : (dy, dx), optional
        Lateral axes in nm; pixels when missing.
    title : str, optional
        Figure title.
    figure : matplotlib Figure, optional
        Drawn into (cleared first), e.g. the figure of a canvas in a dock widget.

    Returns
    -------
    Figure
        Left: the tip surface, apex at the bottom as the tip meets the sample.  Right:
        profiles along x and y through the apex.
    """
    fig = figure if figure is not None else Figure(figsize=(7.0, 3.2))
    fig.clear()
    n = heights.shape[0]
    dy, dx = pixel_size_nm if pixel_size_nm is not None else (1.0, 1.0)
    unit = "nm" if pixel_size_nm is not None else "px"
    offsets_y = (np.arange(n) - n // 2) * dy
    offsets_x = (np.arange(n) - n // 2) * dx
    depth = -(heights - np.nanmax(heights))  # height of the tip surface above its apex
    surf = fig.add_subplot(1, 2, 1, projection="3d")
    xx, yy = np.meshgrid(offsets_x, offsets_y)
    surf.plot_surface(xx, yy, np.ma.masked_invalid(depth), cmap="viridis", linewidth=0, antialiased=False)
    surf.set_xlabel(f"x ({unit})")
    surf.set_ylabel(f"y ({unit})")
    surf.set_zlabel("z (nm)")
    surf.set_title(title)
    profile = fig.add_subplot(1, 2, 2)
    profile.plot(offsets_x, depth[n // 2], label="along x")
    profile.plot(offsets_y, depth[:, n // 2], "--", label="along y")
    profile.set_xlabel(f"offset from apex ({unit})")
    profile.set_ylabel("height above apex (nm)")
    profile.set_aspect("equal" if unit == "nm" else "auto", adjustable="datalim")
    profile.legend(loc="upper center")
    profile.set_title("profiles through the apex")
    fig.tight_layout()
    return fig
