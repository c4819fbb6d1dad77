"""High-speed AFM movies (``.asd``, file version 1, Ando lab / RIBM format): frames -> a stack."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import array_from, make_scan, read_bytes, unpack
from napari_afm_profiler.io.scan import AfmScan

_MAIN = "<16i"  # version .. y scan range (nm)
_REST = "<?i6i2i3f4i3i6f"  # averaging .. z drive gain
# AD converter range codes of the format description -> span in volts.
_AD_SPAN_V = {0x1: 2.0, 0x2: 5.0, 0x4: 10.0, 0x10000: 1.0, 0x20000: 2.5, 0x40000: 5.0}
_DEFAULT_AD_SPAN_V = 10.0  # +-5 V, the usual HS-AFM converter, for codes outside the table
_KIND = {"TP": ("topography", "nm"), "ER": ("error", "V"), "PH": ("phase", "deg")}


def read_asd(path: str | Path) -> list[AfmScan]:
    """Read a high-speed AFM ``.asd`` movie (version 1) as stacks ``(n_frames, ny, nx)``.

    Topography is ``-raw * span / 2**bits * z_piezo_const * z_drive_gain`` in nm (the z
    piezo extends towards the sample); phase uses the phase sensitivity.

    Parameters
    ----------
    path : str or Path
        The ``.asd`` file.

    Returns
    -------
    scans : list of AfmScan
        One stack per recorded channel (usually topography only).
    """
    path = Path(path)
    buf = read_bytes(path)
    if len(buf) < 165:
        raise AFMFormatError(path, f"too short for an ASD header ({len(buf)} bytes)")
    main = unpack(_MAIN, buf, 0, path, "ASD header")
    version = main[0]
    if version != 1:
        raise AFMFormatError(path, f"ASD file version {version} is not supported (only version 1)")
    (_, header_size, frame_header_size, encoding, _name_size, _comment_size, ch1, ch2,
     _n_recorded, n_frames, _scan_dir, _file_id, nx, ny, x_range, y_range) = main
    rest = unpack(_REST, buf, 64, path, "ASD header")
    (ad_code, ad_bits) = rest[18], rest[19]
    sensor_sens, phase_sens = rest[12], rest[13]
    z_piezo, z_gain = rest[24], rest[25]
    if not (0 < nx <= 65536 and 0 < ny <= 65536 and 0 < n_frames <= 10_000_000 and 1 <= ad_bits <= 24):
        raise AFMFormatError(path, f"implausible ASD header ({n_frames} frames of {ny}x{nx}, {ad_bits}-bit)")
    span = _AD_SPAN_V.get(ad_code, _DEFAULT_AD_SPAN_V)
    volts_per_count = span / 2.0**ad_bits
    channels = [_channel_code(ch1)] + ([_channel_code(ch2)] if ch2 else [])
    frame_bytes = frame_header_size + 2 * nx * ny
    need = header_size + len(channels) * n_frames * frame_bytes
    if need > len(buf):
        raise AFMFormatError(path, f"the file is truncated ({n_frames} frames need {need} bytes, has {len(buf)})")
    pixel = (y_range / ny, x_range / nx) if x_range > 0 and y_range > 0 else None
    meta = {"version": version, "ad_range_code": ad_code, "ad_bits": ad_bits, "ad_span_V": span,
            "z_piezo_nm_per_V": z_piezo, "z_drive_gain": z_gain, "text_encoding": encoding,
            "frame_time_ms": rest[11], "ad_range_assumed": ad_code not in _AD_SPAN_V}
    scans = []
    offset = header_size
    for code in channels:
        frames = np.empty((n_frames, ny, nx), dtype=np.float64)
        for k in range(n_frames):
            frames[k] = array_from(buf, offset + frame_header_size, "<i2", (ny, nx), path, f"frame {k}")
            offset += frame_bytes
        kind, unit = _KIND.get(code, (code, "V"))
        if code == "TP":
            values = -frames * volts_per_count * z_piezo * z_gain
        elif code == "PH":
            values = frames * volts_per_count * phase_sens
        else:
            values = frames * volts_per_count * (sensor_sens if code == "ER" else 1.0)
        # the first stored line is the bottom of the image
        scans.append(make_scan(values[:, ::-1, :], unit=unit, pixel_size_nm=pixel, channel=f"{code} ({kind})",
                               file_format="asd", metadata=dict(meta, channel_code=code), path=path))
    return scans


def _channel_code(value: int) -> str:
    raw = struct.pack("<i", value)
    return raw.decode("latin-1").strip("\0 ") or "TP"
