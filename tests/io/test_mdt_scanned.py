"""NT-MDT classic scanned-data frames, written byte by byte to NT-MDT's format description.

No public instrument file with classic frames is in the samples, so these files are built
here.  Gwyddion 2.62 read the same bytes (``benchmarks/compare_readers_gwyddion.py``) as
``offset + step * raw`` with rows in reverse stored order, the pixel size as the axis step, and
the unit codes below; the expectations are those readings.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io.readers import read_afm


def scanned_frame(raw: np.ndarray, x=(0.0, 2.5, -1), y=(0.0, 2.5, -1), z=(10.0, 0.01, -1), channel=0,
                  title=b"Topo", n_dots=0) -> bytes:
    """One classic frame: header, scan settings (axes as offset, step, unit code), frame mode, data."""
    ny, nx = raw.shape
    settings = struct.pack("<ffh", *x) + struct.pack("<ffh", *y) + struct.pack("<ffh", *z)
    settings += struct.pack("<BBHHHfHBBBBBBfffBBiiB", channel, 1, nx, ny, 1, 1.0, 0, 0, 0, 0, 0, 0x0F, 0, 1.0, 1.0,
                            0.5, 0, 0, 0, 0, 0) + b"\0" * 4
    body = settings + struct.pack("<4H", 0, nx, ny, n_dots)
    if n_dots:
        body += struct.pack("<i", 10) + struct.pack("<iih", 16, 1, -1)
        body += b"".join(struct.pack("<ffii", 1.0, 2.0, 0, 0) for _ in range(n_dots))
    body += raw.astype("<i2").tobytes()
    body += struct.pack("<I", len(title)) + title
    xml = "<Parameters/>".encode("utf-16-le")
    body += struct.pack("<I", len(xml)) + xml
    head = struct.pack("<IHBB6HH", 22 + len(body), 0, 0, 6, 2020, 1, 2, 3, 4, 5, len(settings))
    return head + body


def mdt_file(frames: list[bytes]) -> bytes:
    """The 33-byte file header (signature, size, last frame index) followed by the frames."""
    data = b"".join(frames)
    return (b"\x01\xb0\x93\xff" + struct.pack("<I", len(data)) + b"\0" * 4 + struct.pack("<H", len(frames) - 1)
            + b"\0" * 19 + data)


HEIGHT = (np.arange(12 * 16).reshape(12, 16) * 7 - 600).astype(np.int16)
CURRENT = np.random.default_rng(0).integers(-3000, 3000, (12, 16)).astype(np.int16)


def test_classic_frames_are_calibrated_as_gwyddion_reads_them(tmp_path):
    path = tmp_path / "classic.mdt"
    path.write_bytes(mdt_file([
        scanned_frame(HEIGHT),
        scanned_frame(CURRENT, x=(5.0, 0.3, -2), y=(1.0, 0.2, -2), z=(0.5, 0.002, 1), channel=4, title=b"", n_dots=2),
    ]))
    height, current = read_afm(path)
    assert height.channel == "Topo" and height.z_unit == "nm"
    assert height.pixel_size_nm == pytest.approx((2.5, 2.5))
    # Gwyddion's top-left value is the last stored row's first value: 632 * 0.01 nm + 10 nm
    assert height.data[0, 0] == pytest.approx(16.32)
    np.testing.assert_allclose(height.data, HEIGHT[::-1] * 0.01 + 10.0, rtol=1e-6)
    # code 1 is nA, code -2 µm; the signal name comes from the channel code when the title is empty
    assert current.channel == "Current" and current.z_unit == "A"
    assert current.pixel_size_nm == pytest.approx((200.0, 300.0), rel=1e-6)
    np.testing.assert_allclose(current.data, (CURRENT[::-1] * 0.002 + 0.5) * 1e-9, rtol=1e-6, atol=1e-15)  # float32 steps


def test_truncated_classic_frame_names_the_problem(tmp_path):
    whole = mdt_file([scanned_frame(HEIGHT)])
    path = tmp_path / "cut.mdt"
    path.write_bytes(whole[:200])
    with pytest.raises(AFMFormatError, match="cut.mdt"):
        read_afm(path)


def test_frame_whose_data_overrun_it_is_refused(tmp_path):
    frame = bytearray(scanned_frame(HEIGHT))
    struct.pack_into("<H", frame, 22 + 77 + 2, 400)  # frame mode declares 400 columns
    path = tmp_path / "overrun.mdt"
    path.write_bytes(mdt_file([bytes(frame)]))
    with pytest.raises(AFMFormatError, match="run past the frame end"):
        read_afm(path)
