"""JPK/Bruker HDF5 image series (``.h5-jpk``): frames of several channels, read with h5py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import make_scan
from napari_afm_profiler.io.scan import AfmScan


def read_jpk_h5(path: str | Path) -> list[AfmScan]:
    """Read every channel of a ``.h5-jpk`` file as a stack ``(n_frames, ny, nx)``.

    Raw integers go through the channel's encoder scaling and then the chain of calibration
    slots up to its default slot (e.g. volts -> nominal -> calibrated height).

    Parameters
    ----------
    path : str or Path
        The ``.h5-jpk`` file.

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
                scans.extend(_channel(group[cname], cname, nx, ny, pixel, path))
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


def _channel(group: Any, cname: str, nx: int, ny: int, pixel: Any, path: Path) -> list[AfmScan]:
    attrs = _attrs(group.attrs)
    datasets = [k for k in group.keys() if k != "thumbnail"]
    if not datasets:
        return []
    try:
        raw = np.asarray(group[datasets[0]][()])
    except Exception as exc:
        raise AFMFormatError(path, f"{cname}: data cannot be read ({exc})") from exc
    if raw.dtype.kind not in "iuf":
        raise AFMFormatError(path, f"{cname}: data of type {raw.dtype} is not numeric")
    if raw.ndim == 1:
        raw = raw[:, np.newaxis]
    if raw.shape[0] != nx * ny:
        raise AFMFormatError(path, f"{cname}: {raw.shape[0]} pixels, expected {ny}x{nx} (truncated?)")
    try:
        scale, offset, unit = _calibration(attrs)
    except (TypeError, ValueError) as exc:
        raise AFMFormatError(path, f"{cname}: unreadable calibration ({exc})") from exc
    # (pixels, frames) with x fastest -> (frames, ny, nx); the first line is the bottom
    stack = raw.T.reshape(-1, ny, nx)[:, ::-1, :]
    name = str(attrs.get("channel.fancy-name") or attrs.get("channel.name") or cname)
    if str(attrs.get("retrace", "")).lower() == "true":
        name = f"{name} (retrace)"
    meta = {k: v for k, v in attrs.items() if isinstance(v, (str, int, float))}
    data = stack if stack.shape[0] > 1 else stack[0]
    return [make_scan(data, unit=unit, pixel_size_nm=pixel, channel=name, file_format="jpk-h5",
                      metadata=meta, path=path, scale=scale, offset=offset)]


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
