"""High-speed AFM movies (``.asd``, file versions 0, 1 and 2, Ando lab / RIBM format): frames -> a stack."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import array_from, make_scan, read_bytes, unpack
from napari_afm_profiler.io.scan import AfmScan

_MAIN = "<16i"  # version 1/2: version .. y scan range (nm)
_REST = "<?i6i2i3f4i3i6f"  # version 1/2: averaging .. z drive gain
_V0 = "<i2s2s5i4h3fIi?ihh6B2f3i3ih"  # version 0: version .. file id (then the user name)
# AD converter range codes -> span in volts: unipolar 0..1, 0..2.5, 0..9.99, 0..5 V in the low
# word, bipolar +-1, +-2.5, +-5 V in the high word.
_AD_SPAN_V = {0x1: 1.0, 0x2: 2.5, 0x3: 9.99, 0x4: 5.0, 0x10000: 2.0, 0x20000: 5.0, 0x40000: 10.0}
_DEFAULT_AD_SPAN_V = 10.0  # +-5 V, the usual HS-AFM converter, for codes outside the table
_KIND = {"TP": ("topography", "nm"), "ER": ("error", "V"), "PH": ("phase", "deg")}


def read_asd(path: str | Path) -> list[AfmScan]:
    """Read a high-speed AFM ``.asd`` movie (file version 0, 1 or 2) as stacks ``(n_frames, ny, nx)``.

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
    (version,) = unpack("<i", buf, 0, path, "ASD header")
    if version in (1, 2):
        head = _header_v1(buf, path)  # version 2 appends colour-map fields; the data start is in the header
    elif version == 0:
        head = _header_v0(buf, path)
    else:
        raise AFMFormatError(path, f"ASD file version {version} is not supported (versions 0, 1 and 2 are)")
    header_size, frame_header_size, n_frames = head["header_size"], head["frame_header_size"], head["n_frames"]
    nx, ny, x_range, y_range = head["nx"], head["ny"], head["x_range"], head["y_range"]
    ad_code, ad_bits = head["ad_code"], head["ad_bits"]
    sensor_sens, phase_sens, z_piezo, z_gain = head["sensor_sens"], head["phase_sens"], head["z_piezo"], head["z_gain"]
    if not (0 < nx <= 65536 and 0 < ny <= 65536 and 0 < n_frames <= 10_000_000 and 1 <= ad_bits <= 24):
        raise AFMFormatError(path, f"implausible ASD header ({n_frames} frames of {ny}x{nx}, {ad_bits}-bit)")
    if header_size < 0 or frame_header_size < 0:
        raise AFMFormatError(path, f"negative header size ({header_size}, frame header {frame_header_size})")
    span = _AD_SPAN_V.get(ad_code, _DEFAULT_AD_SPAN_V)
    volts_per_count = span / 2.0**ad_bits
    channels = head["channels"]
    frame_bytes = frame_header_size + 2 * nx * ny
    need = header_size + len(channels) * n_frames * frame_bytes
    if need > len(buf):
        raise AFMFormatError(path, f"the file is truncated ({n_frames} frames need {need} bytes, has {len(buf)})")
    pixel = (y_range / ny, x_range / nx) if x_range > 0 and y_range > 0 else None
    meta = {"version": version, "ad_range_code": ad_code, "ad_bits": ad_bits, "ad_span_V": span,
            "z_piezo_nm_per_V": z_piezo, "z_drive_gain": z_gain, "frame_time_ms": head["frame_time"],
            "ad_range_assumed": ad_code not in _AD_SPAN_V}
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


def _header_v1(buf: bytes, path: Path) -> dict:
    main = unpack(_MAIN, buf, 0, path, "ASD header")
    rest = unpack(_REST, buf, 64, path, "ASD header")
    ch1, ch2 = main[6], main[7]
    return {"header_size": main[1], "frame_header_size": main[2], "n_frames": main[9], "nx": main[12],
            "ny": main[13], "x_range": main[14], "y_range": main[15],
            "channels": [_channel_code(ch1)] + ([_channel_code(ch2)] if ch2 else []),
            "frame_time": rest[11], "sensor_sens": rest[12], "phase_sens": rest[13], "ad_code": rest[18],
            "ad_bits": rest[19], "z_piezo": rest[24], "z_gain": rest[25]}


def _header_v0(buf: bytes, path: Path) -> dict:
    v = unpack(_V0, buf, 0, path, "ASD header")
    (_, ch1, ch2, header_size, frame_header_size, name_size, _comment_offset, _comment_size, nx, ny, x_range,
     y_range, frame_time, z_piezo, z_gain, ad_code, ad_bits) = v[:17]
    n_frames = v[-3]
    after_name = struct.calcsize(_V0) + name_size
    if name_size < 0:
        raise AFMFormatError(path, f"negative user-name size {name_size} in the ASD header")
    sensor_sens, phase_sens, _scan_dir = unpack("<2fi", buf, after_name, path, "ASD header")
    channels = [code for code in (_channel_name(ch1), _channel_name(ch2)) if code]
    return {"header_size": header_size, "frame_header_size": frame_header_size, "n_frames": n_frames, "nx": nx,
            "ny": ny, "x_range": x_range, "y_range": y_range, "channels": channels or ["TP"],
            "frame_time": frame_time, "sensor_sens": sensor_sens, "phase_sens": phase_sens, "ad_code": ad_code,
            "ad_bits": ad_bits, "z_piezo": z_piezo, "z_gain": z_gain}


def _channel_name(raw: bytes) -> str:
    return raw.decode("latin-1").strip("\0 ")


def _channel_code(value: int) -> str:
    raw = struct.pack("<i", value)
    return raw.decode("latin-1").strip("\0 ") or "TP"
