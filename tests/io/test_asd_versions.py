"""HS-AFM ``.asd`` file versions 0, 1 and 2, written to the published header layouts.

The one public sample is version 1 (checked against the oracle in ``test_sample_oracle.py``).
The same movie is written here in each version; every version must read back to the same
calibrated stack, and a hand-made movie to the documented conversion
``height = -(counts * span / 2**bits + V_low) * z_piezo * z_gain`` (offset-binary counts;
``V_low = -span / 2`` for a bipolar range, as in AFMReader). Version 0 is written as the
instrument writes it: the header-size field points at the comment-offset block, and the
comment follows it (the layout of the second public movie, ``extra_sample.asd``).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io.readers import read_afm


def frame_header(number: int, frame: np.ndarray) -> bytes:
    """The 32-byte frame header: frame number (1-based), max and min counts, offsets, tilts, flags."""
    return struct.pack("<i4h2f?bh2i", number, int(frame.max()), int(frame.min()), 0, 0, 0.0, 0.0, False, 0, 0, 0, 0)


FRAME_HEADER_SIZE = 32
SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "afm-samples" / "asd_sample_0.asd"


def asd_bytes(version: int, frames: np.ndarray, *, x_nm=100, y_nm=80, ad_code=0x40000, ad_bits=12, z_piezo=7.3,
              z_gain=2.0, sensor=1.5, phase=3.0, frame_time=125.0, comment_offset=88, comment="mica") -> bytes:
    """A single-channel (topography) movie of int16 ``frames`` in file version 0, 1 or 2."""
    n, ny, nx = frames.shape
    name = b"user\0"
    data = b"".join(frame_header(k + 1, f) + f.astype("<i2").tobytes() for k, f in enumerate(frames))
    if version == 0:
        text = comment.encode("utf-16-be")
        head = struct.pack("<i2s2s5i4h3fIi?ihh6B2f3i3ih", 0, b"TP", b"\0\0", 0, FRAME_HEADER_SIZE, len(name),
                           comment_offset, len(text), nx, ny, x_nm, y_nm, frame_time, z_piezo, z_gain, ad_code,
                           ad_bits, False, 1, 0, 2020, 1, 2, 3, 4, 5, 0, 1000.0, 1000.0, 0, 0, 0, n, n, 1, 7)
        head += name + struct.pack("<2fi", sensor, phase, 0)
        head = head[:8] + struct.pack("<i", len(head)) + head[12:]  # the header size stops before the comment block
        return head + bytes(comment_offset) + text + data
    tp = struct.unpack("<i", b"TP\0\0")[0]
    main = struct.pack("<16i", version, 0, FRAME_HEADER_SIZE, 0, len(name), 0, tp, 0, n, n, 0, 7, nx, ny, x_nm, y_nm)
    rest = struct.pack("<?i6i2i3f4i3i6f", False, 1, 2020, 1, 2, 3, 4, 5, 0, 0, frame_time, sensor, phase, 0, 0, 0,
                       0, 1, ad_code, ad_bits, 1000.0, 1000.0, 7.0, 7.0, z_piezo, z_gain)
    head = main + rest + name
    if version == 2:  # frame count again, feed-forward settings, colour scale and no anchor points
        head += struct.pack("<iid2i3i", n, 0, 0.0, 4095, 0, 0, 0, 0)
    head = head[:4] + struct.pack("<i", len(head)) + head[8:]
    return head + data


COUNTS = np.random.default_rng(3).integers(0, 4096, (3, 8, 10)).astype(np.int16)


@pytest.mark.parametrize("version", [0, 1, 2])
def test_each_version_reads_the_documented_conversion(tmp_path, version):
    path = tmp_path / f"v{version}.asd"
    path.write_bytes(asd_bytes(version, COUNTS))
    (scan,) = read_afm(path)
    assert scan.data.shape == (3, 8, 10) and scan.z_unit == "nm"
    assert scan.pixel_size_nm == pytest.approx((10.0, 10.0))
    expected = -(COUNTS * (10.0 / 4096) - 5.0) * 7.3 * 2.0  # code 0x40000: bipolar +-5 V, 12 bits, offset binary
    # the first stored line is the bottom of the image
    np.testing.assert_allclose(scan.data, expected[:, ::-1, :], rtol=1e-6)


def test_unipolar_range_code(tmp_path):
    path = tmp_path / "unipolar.asd"
    path.write_bytes(asd_bytes(1, COUNTS, ad_code=0x2))  # 0 .. 2.5 V
    np.testing.assert_allclose(read_afm(path)[0].data, (-COUNTS * (2.5 / 4096) * 7.3 * 2.0)[:, ::-1], rtol=1e-6)


def test_version_0_data_start_follows_the_comment_not_the_header_size_field(tmp_path):
    """The header-size field of version 0 stops before the comment block; reading there shifts every frame."""
    path = tmp_path / "v0.asd"
    path.write_bytes(asd_bytes(0, COUNTS, comment_offset=40, comment="a longer comment"))
    (scan,) = read_afm(path)
    np.testing.assert_allclose(scan.data, (-(COUNTS * (10.0 / 4096) - 5.0) * 7.3 * 2.0)[:, ::-1], rtol=1e-6)
    assert scan.metadata["frame_headers_verified"] and scan.metadata["comment"] == "a longer comment"


def test_zero_sensitivity_channel_says_so_instead_of_zeros(tmp_path):
    path = tmp_path / "nophase.asd"
    path.write_bytes(asd_bytes(1, COUNTS, ad_code=0x2, sensor=0.0))
    blob = bytearray(path.read_bytes())
    struct.pack_into("<i", blob, 24, struct.unpack("<i", b"ER\0\0")[0])  # the only channel is the error signal
    path.write_bytes(bytes(blob))
    with pytest.warns(UserWarning, match="sensitivity for channel ER is 0"):
        (scan,) = read_afm(path)
    assert scan.z_unit == "V" and "sensitivity 0" in scan.channel and scan.metadata["sensitivity_missing"]
    np.testing.assert_allclose(scan.data, (COUNTS * (2.5 / 4096))[:, ::-1], rtol=1e-6)
    assert np.ptp(scan.data) > 0


def test_unknown_version_is_refused(tmp_path):
    blob = bytearray(asd_bytes(1, COUNTS))
    struct.pack_into("<i", blob, 0, 7)
    path = tmp_path / "v7.asd"
    path.write_bytes(bytes(blob))
    with pytest.raises(AFMFormatError, match="version 7"):
        read_afm(path)


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample files not present")
@pytest.mark.parametrize("version", [0, 2])
def test_real_movie_rewritten_in_other_versions_reads_the_same(tmp_path, version):
    buf = SAMPLE.read_bytes()
    main = struct.unpack("<16i", buf[:64])
    rest = struct.unpack("<?i6i2i3f4i3i6f", buf[64:64 + struct.calcsize("<?i6i2i3f4i3i6f")])
    header_size, frame_header, n, nx, ny = main[1], main[2], main[9], main[12], main[13]
    counts = np.stack([np.frombuffer(buf, "<i2", nx * ny, header_size + k * (frame_header + 2 * nx * ny)
                                     + frame_header).reshape(ny, nx) for k in range(n)])
    path = tmp_path / f"sample_v{version}.asd"
    path.write_bytes(asd_bytes(version, counts, x_nm=main[14], y_nm=main[15], ad_code=rest[18], ad_bits=rest[19],
                               z_piezo=rest[24], z_gain=rest[25], sensor=rest[11], phase=rest[12]))
    original, rewritten = read_afm(SAMPLE)[0], read_afm(path)[0]
    np.testing.assert_array_equal(rewritten.data, original.data)
    assert rewritten.pixel_size_nm == original.pixel_size_nm
