"""JPK/Bruker HDF5 image series (``.h5-jpk``): frames of several channels, read with h5py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import make_scan
from napari_afm_profiler.io.scan import AfmScan


def read_jpk_h5(path: str | Path, *, lazy: bool = False) -> list[AfmScan]:
    """Read every channel of a ``.h5-jpk`` file as a stack ``(n_frames, ny, nx)``.

    Raw integers go through the channel's encoder scaling and then the chain of calibration
    slots up to its default slot (e.g. volts -> nominal -> calibrated height).

    Parameters
    ----------
    path : str or Path
        The ``.h5-jpk`` file.
    lazy : bool, optional
        Return series as dask arrays that read one frame from the file when it is used.

    Returns
    -------
    scans : list of AfmScan
        One stack per channel.
    """
    import h5py

    path = Path(path)
    try:
        h5 = h5py.File(str(path), "r")
    except Exception as exc:
        raise AFMFormatError(path, f"not a readable HDF5 file ({type(exc).__name__}: {exc})") from exc
    scans = []
    with h5:
        measurements = [k for k in h5.keys() if k.startswith("Measurement")]
        if not measurements:
            raise AFMFormatError(path, "no 'Measurement_*' group: not a JPK HDF5 file")
        for mname in measurements:
            group = h5[mname]
            attrs = _attrs(group.attrs)
            try:
                nx = int(attrs["position-pattern.grid.ilength"])
                ny = int(attrs["position-pattern.grid.jlength"])
                xlen = float(attrs["position-pattern.grid.ulength"])
                ylen = float(attrs["position-pattern.grid.vlength"])
                pixel: tuple[float, float] | None = (ylen * 1e9 / ny, xlen * 1e9 / nx)
            except (KeyError, ValueError) as exc:
                raise AFMFormatError(path, f"{mname}: no position-pattern grid size") from exc
            for cname in sorted(k for k in group.keys() if k.startswith("Channel")):
                scans.extend(_channel(group[cname], cname, nx, ny, pixel, path, lazy))
    if not scans:
        raise AFMFormatError(path, "no image channels found")
    return scans


def _attrs(attrs: Any) -> dict[str, Any]:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, bytes):
            v = v.decode("utf-8", errors="replace")
        elif isinstance(v, np.ndarray) and v.size == 1:
            v = v.item()
            v = v.decode("utf-8", errors="replace") if isinstance(v, bytes) else v
        out[k] = v
    return out


class _H5Frames:
    """Frames ``(n, ny, nx)`` of a JPK dataset stored as ``(pixels, frames)``, read on demand.

    Each read opens the file, reads the frames asked for and closes it again, so a lazy
    stack holds no open HDF5 handle and can be read from any thread.
    """

    def __init__(self, path: Path, name: str, shape: tuple[int, int, int], dtype: np.dtype) -> None:
        self.path, self.name, self.shape, self.dtype, self.ndim = path, name, shape, dtype, 3

    def __getitem__(self, key: Any) -> np.ndarray:
        import h5py

        key = key if isinstance(key, tuple) else (key,)
        frames = range(self.shape[0])[key[0]] if isinstance(key[0], slice) else [key[0]]
        _, ny, nx = self.shape
        with h5py.File(str(self.path), "r") as h5:
            dataset = h5[self.name]
            if dataset.ndim == 1:
                columns = np.asarray(dataset[()])[:, np.newaxis][:, list(frames)]
            else:
                lo, hi = (frames[0], frames[-1] + 1) if len(frames) else (0, 0)
                columns = np.asarray(dataset[:, lo:hi])[:, [f - lo for f in frames]]
        stack = columns.T.reshape(-1, ny, nx)[:, ::-1, :]  # the first line is the bottom
        rest = key[1:]
        out = stack[(slice(None), *rest)]
        return out if isinstance(key[0], slice) else out[0]


def _channel(group: Any, cname: str, nx: int, ny: int, pixel: Any, path: Path, lazy: bool) -> list[AfmScan]:
    attrs = _attrs(group.attrs)
    datasets = [k for k in group.keys() if k != "thumbnail"]
    if not datasets:
        return []
    dataset = group[datasets[0]]
    shape = tuple(getattr(dataset, "shape", ()))
    if lazy and len(shape) == 2 and shape[1] > 1 and shape[0] == nx * ny and np.dtype(dataset.dtype).kind in "iuf":
        raw: Any = _H5Frames(path, dataset.name, (shape[1], ny, nx), np.dtype(dataset.dtype))
    else:
        try:
            raw = np.asarray(dataset[()])
        except Exception as exc:
            raise AFMFormatError(path, f"{cname}: data cannot be read ({exc})") from exc
    if raw.dtype.kind not in "iuf":
        raise AFMFormatError(path, f"{cname}: data of type {raw.dtype} is not numeric")
    if isinstance(raw, np.ndarray):
        if raw.ndim == 1:
            raw = raw[:, np.newaxis]
        if raw.shape[0] != nx * ny:
            raise AFMFormatError(path, f"{cname}: {raw.shape[0]} pixels, expected {ny}x{nx} (truncated?)")
    try:
        scale, offset, unit = _calibration(attrs)
    except (TypeError, ValueError) as exc:
        raise AFMFormatError(path, f"{cname}: unreadable calibration ({exc})") from exc
    if isinstance(raw, np.ndarray):
        # (pixels, frames) with x fastest -> (frames, ny, nx); the first line is the bottom
        stack = raw.T.reshape(-1, ny, nx)[:, ::-1, :]
        data = stack if stack.shape[0] > 1 else stack[0]
    else:
        data = raw
    name = str(attrs.get("channel.fancy-name") or attrs.get("channel.name") or cname)
    if str(attrs.get("retrace", "")).lower() == "true":
        name = f"{name} (retrace)"
    meta = {k: v for k, v in attrs.items() if isinstance(v, (str, int, float))}
    return [make_scan(data, unit=unit, pixel_size_nm=pixel, channel=name, file_format="jpk-h5",
                      metadata=meta, path=path, scale=scale, offset=offset, lazy=lazy)]


def _linear(attrs: dict[str, Any], prefix: str) -> tuple[float, float]:
    return float(attrs.get(f"{prefix}.scaling.multiplier", 1.0)), float(attrs.get(f"{prefix}.scaling.offset", 0.0))


def _calibration(attrs: dict[str, Any]) -> tuple[float, float, str]:
    """Compose the encoder scaling and the chain of calibration slots into one ``(scale, offset, unit)``."""
    scale, offset = _linear(attrs, "encoder") if "encoder.scaling.multiplier" in attrs else (1.0, 0.0)
    unit = str(attrs.get("encoder.scaling.unit.unit", ""))
    base = str(attrs.get("conversions.base", ""))
    target = str(attrs.get("conversions.default", base))
    chain = []
    slot = target
    for _ in range(16):  # guard against cycles in a corrupt file
        if not slot or slot == base or str(attrs.get(f"conversion.{slot}.defined", "false")) != "true":
            break
        chain.append(slot)
        slot = str(attrs.get(f"conversion.{slot}.base-calibration-slot", ""))
    for slot in reversed(chain):
        m, o = _linear(attrs, f"conversion.{slot}")
        scale, offset = scale * m, offset * m + o  # m * (scale * raw + offset) + o
        unit = str(attrs.get(f"conversion.{slot}.scaling.unit.unit", unit))
    return scale, offset, unit
