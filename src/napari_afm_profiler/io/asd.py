"""High-speed AFM movies (``.asd``, file versions 0, 1 and 2, Ando lab / RIBM format): frames -> a stack."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io._common import make_scan, map_bytes, unpack
from napari_afm_profiler.io.scan import AfmScan

_MAIN = "<16i"  # version 1/2: version .. y scan range (nm)
_REST = "<?i6i2i3f4i3i6f"  # version 1/2: averaging .. z drive gain
_V0 = "<i2s2s5i4h3fIi?ihh6B2f3i3ih"  # version 0: version .. file id (then the user name)
# AD converter range codes -> (span, lowest voltage) in volts: unipolar 0..1, 0..2.5, 0..9.99,
# 0..5 V in the low word, bipolar +-1, +-2.5, +-5 V in the high word. The stored counts are
# offset binary (0 .. 2**bits - 1 from the lowest to the highest voltage).
_AD_RANGE_V = {0x1: (1.0, 0.0), 0x2: (2.5, 0.0), 0x3: (9.99, 0.0), 0x4: (5.0, 0.0),
               0x10000: (2.0, -1.0), 0x20000: (5.0, -2.5), 0x40000: (10.0, -5.0)}
_DEFAULT_AD_RANGE_V = (10.0, -5.0)  # +-5 V, the usual HS-AFM converter, for codes outside the table
_FRAME_HEADER = "<i2h"  # frame number (1-based), max and min of the frame's counts
_KIND = {"TP": ("topography", "nm"), "ER": ("error", "V"), "PH": ("phase", "deg")}


def read_asd(path: str | Path, *, lazy: bool = False) -> list[AfmScan]:
    """Read a high-speed AFM ``.asd`` movie (file version 0, 1 or 2) as stacks ``(n_frames, ny, nx)``.

    The counts are offset binary: the AD voltage is ``V = counts * span / 2**bits + V_low``
    (``V_low`` = 0 for a unipolar range, ``-span / 2`` for a bipolar one). Topography is
    ``-V * z_piezo_const * z_drive_gain`` in nm (the z piezo extends towards the sample), so a
    bipolar +-5 V movie with 45 nm/V and gain 2 spans +450 nm (count 0) down to -450 nm, the
    convention of AFMReader and of the instrument software. Error and phase channels are
    ``V * sensitivity``; a channel whose sensitivity is 0 in the header is returned in volts,
    named so, with a warning.

    Parameters
    ----------
    path : str or Path
        The ``.asd`` file.
    lazy : bool, optional
        Return each stack as a dask array that reads a frame from the memory-mapped file
        when it is used (movies of any size open at once, in bounded memory).

    Returns
    -------
    scans : list of AfmScan
        One stack per recorded channel (usually topography only).
    """
    path = Path(path)
    buf = map_bytes(path)  # frames are viewed in place, read from disk only when used
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
    span, v_low = _AD_RANGE_V.get(ad_code, _DEFAULT_AD_RANGE_V)
    volts_per_count = span / 2.0**ad_bits
    channels = head["channels"]
    frame_bytes = frame_header_size + 2 * nx * ny
    data_start, verified = _data_start(buf, head, frame_header_size, frame_bytes, len(channels) * n_frames, path)
    pixel = (y_range / ny, x_range / nx) if x_range > 0 and y_range > 0 else None
    meta = {"version": version, "ad_range_code": ad_code, "ad_bits": ad_bits, "ad_span_V": span, "ad_low_V": v_low,
            "z_piezo_nm_per_V": z_piezo, "z_drive_gain": z_gain, "frame_time_ms": head["frame_time"],
            "ad_range_assumed": ad_code not in _AD_RANGE_V, "data_offset": data_start,
            "frame_headers_verified": verified,
            "height_convention": "-(counts * span / 2**bits + V_low) * z_piezo * z_gain (offset binary, as AFMReader)"}
    meta.update(head.get("text", {}))
    scans = []
    offset = data_start
    for code in channels:
        # strided views of the map: no copy of the counts is ever made, lazily or not
        frame_numbers = np.ndarray((n_frames,), "<i4", buf, offset, (frame_bytes,))
        counts = np.ndarray((n_frames, ny, nx), "<i2", buf, offset + frame_header_size, (frame_bytes, 2 * nx, 2))
        offset += n_frames * frame_bytes
        kind, unit = _KIND.get(code, (code, "V"))
        gain = {"TP": -z_piezo * z_gain, "PH": phase_sens, "ER": sensor_sens}.get(code, 1.0)
        name = f"{code} ({kind})"
        channel_meta = dict(meta, channel_code=code)
        if not lazy:  # reading every frame header would touch the whole file
            channel_meta["frame_numbers"] = frame_numbers.astype(np.int64).tolist()
        if gain == 0:
            warnings.warn(f"{path.name}: the header's sensitivity for channel {code} is 0; its values are given "
                          "as the AD voltage (V), uncalibrated", stacklevel=2)
            unit, gain, name = "V", 1.0, f"{code} ({kind}, AD voltage: sensitivity 0 in the header)"
            channel_meta["sensitivity_missing"] = True
        # the first stored line is the bottom of the image
        scans.append(make_scan(counts[:, ::-1, :], unit=unit, pixel_size_nm=pixel, channel=name, file_format="asd",
                               metadata=channel_meta, path=path, scale=volts_per_count * gain, offset=v_low * gain,
                               lazy=lazy))
    return scans


def _data_start(buf: bytes, head: dict, frame_header_size: int, frame_bytes: int, n_total: int,
                path: Path) -> tuple[int, bool]:
    """Offset of the first frame header, and whether the frame headers confirmed it.

    A frame header begins with the frame number (1 for the first frame of a channel) and the
    maximum and minimum of the frame's counts. File version 0 stores the comment after the
    offset its header-size field names, so the candidate offsets from the header's layout are
    checked against these facts rather than trusted.
    """
    candidates = [c for c in dict.fromkeys(head["data_start_candidates"]) if c >= 0]
    fitting = [c for c in candidates if c + n_total * frame_bytes <= len(buf)]
    if not fitting:
        start = min(candidates, default=0)
        raise AFMFormatError(path, f"the file is truncated ({n_total} frames need {start + n_total * frame_bytes} "
                                   f"bytes, has {len(buf)})")
    if frame_header_size >= struct.calcsize(_FRAME_HEADER):
        for start in fitting:
            number, high, low = struct.unpack_from(_FRAME_HEADER, buf, start)
            counts = np.frombuffer(buf, "<i2", frame_bytes // 2 - frame_header_size // 2, start + frame_header_size)
            if number in (0, 1) and high >= low and (high == low == 0 or low <= counts.min() <= counts.max() <= high):
                return start, True
    return fitting[0], False


def _header_v1(buf: bytes, path: Path) -> dict:
    main = unpack(_MAIN, buf, 0, path, "ASD header")
    rest = unpack(_REST, buf, 64, path, "ASD header")
    ch1, ch2 = main[6], main[7]
    return {"header_size": main[1], "data_start_candidates": [main[1]], "frame_header_size": main[2],
            "n_frames": main[9], "nx": main[12],
            "ny": main[13], "x_range": main[14], "y_range": main[15],
            "channels": [_channel_code(ch1)] + ([_channel_code(ch2)] if ch2 else []),
            "frame_time": rest[10], "sensor_sens": rest[11], "phase_sens": rest[12], "ad_code": rest[18],
            "ad_bits": rest[19], "z_piezo": rest[24], "z_gain": rest[25]}


def _header_v0(buf: bytes, path: Path) -> dict:
    v = unpack(_V0, buf, 0, path, "ASD header")
    (_, ch1, ch2, header_size, frame_header_size, name_size, comment_offset, comment_size, nx, ny, x_range,
     y_range, frame_time, z_piezo, z_gain, ad_code, ad_bits) = v[:17]
    n_frames = v[-3]
    if min(name_size, comment_offset, comment_size) < 0:
        raise AFMFormatError(path, f"negative text sizes in the ASD header (name {name_size}, comment offset "
                                   f"{comment_offset}, comment {comment_size})")
    after_name = struct.calcsize(_V0) + name_size
    sensor_sens, phase_sens, scan_dir = unpack("<2fi", buf, after_name, path, "ASD header")
    after_fields = after_name + struct.calcsize("<2fi")
    comment_at = header_size + comment_offset
    channels = [code for code in (_channel_name(ch1), _channel_name(ch2)) if code]
    text = {"user_name": _text(buf[struct.calcsize(_V0):after_name]),
            "comment": _text(buf[comment_at:comment_at + comment_size]), "scan_direction_code": scan_dir}
    return {"header_size": header_size, "frame_header_size": frame_header_size, "n_frames": n_frames, "nx": nx,
            "data_start_candidates": [comment_at + comment_size, after_fields + comment_offset + comment_size,
                                      header_size],
            "ny": ny, "x_range": x_range, "y_range": y_range, "channels": channels or ["TP"],
            "frame_time": frame_time, "sensor_sens": sensor_sens, "phase_sens": phase_sens, "ad_code": ad_code,
            "ad_bits": ad_bits, "z_piezo": z_piezo, "z_gain": z_gain, "text": text}


def _text(raw: bytes) -> str:
    """Decode a header string; version 0 writes UTF-16 (big-endian in the files seen), older ones bytes."""
    if len(raw) >= 2 and len(raw) % 2 == 0 and raw[0::2].count(0) >= len(raw) // 4:
        return raw.decode("utf-16-be", errors="replace").strip("\0 ")
    return raw.decode("latin-1").strip("\0 ")


def _channel_name(raw: bytes) -> str:
    return raw.decode("latin-1").strip("\0 ")


def _channel_code(value: int) -> str:
    raw = struct.pack("<i", value)
    return raw.decode("latin-1").strip("\0 ") or "TP"
