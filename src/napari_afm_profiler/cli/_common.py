"""Helpers every sub-command shares: loading an input file, value statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from napari_afm_profiler.errors import AfmProfilerError


def load_scans(path: str, pixel_size: float | None, channel: str | None = None, *, lazy: bool = False,
               keep_unscanned: bool = False) -> Any:
    """Read ``path`` (a ``.npy`` holds heights in nm, calibrated by ``pixel_size``); optionally one channel.

    ``lazy`` reads movies as dask stacks (frames read when used), for commands that go frame by frame.
    The lines an interrupted scan never measured become NaN (a note on stderr says how many), unless
    ``keep_unscanned`` (the values as stored, for ``info`` and a plain ``export``).
    """
    import sys

    from napari_afm_profiler.io import read_afm
    from napari_afm_profiler.io.generic import read_npy
    from napari_afm_profiler.io.unscanned import mask_unscanned

    if Path(path).suffix.lower() == ".npy":
        # the CLI contract: a .npy image holds heights in nm, the pixel size comes from --pixel-size
        scans = read_npy(path, pixel_size_nm=(pixel_size, pixel_size) if pixel_size else None, z_unit="nm")
    else:
        scans = read_afm(path, lazy=lazy)
    if channel is not None:
        chosen = [scan for scan in scans if scan.channel == channel]
        if not chosen:
            names = ", ".join(repr(s.channel) for s in scans)
            raise AfmProfilerError(f"{Path(path).name}: no channel {channel!r}; channels are {names}")
        scans = chosen[:1]
    if keep_unscanned:
        return scans
    scans = [mask_unscanned(scan) for scan in scans]
    lines = max((scan.metadata.get("unscanned_lines", 0) for scan in scans), default=0)
    if lines:
        print(f"note: {Path(path).name}: {lines} scan lines were never measured (an interrupted scan, stored as "
              "one constant); they are left out as missing (NaN)", file=sys.stderr)
    return scans


def channel_stats(data: Any) -> tuple[float | None, float | None, float | None, int]:
    """Minimum, maximum and mean of the finite values (None for an all-NaN channel), and the unscanned lines.

    The values are the stored ones (an interrupted scan's filling included, as Gwyddion shows it);
    the last figure counts the lines :func:`~napari_afm_profiler.io.unscanned.unscanned_lines` finds
    in every frame.  A stack is reduced one frame at a time, in one pass, so a lazy movie of any
    size is read once with one frame of memory.
    """
    import numpy as np

    from napari_afm_profiler.io.unscanned import unscanned_lines

    lo, hi, total, count, unscanned = np.inf, -np.inf, 0.0, 0, 0
    frames = (data,) if np.ndim(data) == 2 else (data[k] for k in range(np.shape(data)[0]))
    for frame in frames:
        frame = np.asarray(frame)
        unscanned += int(unscanned_lines(frame).sum())
        finite = frame[np.isfinite(frame)]
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
            total, count = total + float(finite.sum(dtype=np.float64)), count + finite.size
    if count == 0:
        return None, None, None, unscanned
    return lo, hi, total / count, unscanned


def add_tip_arguments(parser: Any, *, what: str = "deconvolution") -> None:
    """Add the ways of naming the tip (file, model or blind estimate), mirror averaging and dropouts to a sub-command."""
    parser.add_argument("--mirror-average", action="store_true",
                        help="average the network's results for the image and its 3 mirror images (about 4x the "
                             "time, a result closer to the truth; the interval is calibrated for it)")
    parser.add_argument("--keep-dropouts", action="store_true",
                        help="leave pixels lower than the tip can image (dropped or too-low scan lines) as they are; "
                             "by default they are replaced by their neighbours' mean before deconvolving, since the "
                             "erosion would dig a trench the tip's shape at each")
    group = parser.add_argument_group(f"tip used by the {what} (default: the model's nominal tip)")
    choice = group.add_mutually_exclusive_group()
    choice.add_argument("--tip", default=None, metavar="TIP",
                        help="tip file: .npy heights in nm (with --tip-pixel-size) or an image file (Gwyddion export)")
    choice.add_argument("--tip-shape", default=None, choices=["cone", "pyramid", "paraboloid", "sphere", "cylinder"],
                        help="a tip model (with --tip-radius and, for cone and pyramid, --tip-half-angle)")
    choice.add_argument("--estimate-tip", action="store_true",
                        help="read the tip from the image itself (the shipped tip estimator: model, apex radius, "
                             "half-angle; the blind Villarrubia bound is compared with it)")
    group.add_argument("--tip-pixel-size", type=float, default=None, help="pixel size of a .npy tip, nm (default: "
                       "the image's)")
    group.add_argument("--tip-radius", type=float, default=None, help="apex radius of --tip-shape, nm")
    group.add_argument("--tip-half-angle", type=float, default=None, help="half-angle of a cone or pyramid, degrees")


def dropout_choice(args: Any) -> str:
    """Return what ``deconvolve(dropouts=...)`` takes from ``--keep-dropouts``."""
    return "keep" if args.keep_dropouts else "replace"


def tip_choice(args: Any) -> Any:
    """Return what ``deconvolve(tip=...)`` takes from the options of :func:`add_tip_arguments`."""
    from napari_afm_profiler.errors import InputError

    if args.estimate_tip:
        return "estimate"
    if args.tip_shape is not None:
        if args.tip_radius is None:
            raise InputError("--tip-shape needs --tip-radius (nm)")
        if args.tip_shape in ("cone", "pyramid") and args.tip_half_angle is None:
            raise InputError(f"a {args.tip_shape} tip needs --tip-half-angle (degrees)")
        return {"shape": args.tip_shape, "radius_nm": args.tip_radius, "half_angle_deg": args.tip_half_angle}
    if args.tip_radius is not None or args.tip_half_angle is not None:
        raise InputError("--tip-radius and --tip-half-angle describe a --tip-shape; give one")
    return args.tip
