"""Movies open lazily: dask stacks equal to the eager read, one frame read at a time, bounded memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from napari_afm_profiler.io.readers import read_afm
from tests.io.test_asd_versions import asd_bytes

da = pytest.importorskip("dask.array")
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "afm-samples"


def _movie(tmp_path, frames=40, size=128, version=1):
    counts = np.random.default_rng(5).integers(0, 4096, (frames, size, size)).astype(np.int16)
    path = tmp_path / f"movie_v{version}.asd"
    path.write_bytes(asd_bytes(version, counts, x_nm=500, y_nm=500))
    return path


@pytest.mark.parametrize("version", [0, 1, 2])
def test_lazy_asd_equals_eager_and_is_a_frame_chunked_dask_array(tmp_path, version):
    path = _movie(tmp_path, frames=6, size=32, version=version)
    eager, = read_afm(path)
    lazy, = read_afm(path, lazy=True)
    assert isinstance(lazy.data, da.Array) and lazy.data.dtype == np.float64
    assert lazy.data.chunks[0] == (1,) * 6
    np.testing.assert_array_equal(np.asarray(lazy.data), eager.data)
    np.testing.assert_array_equal(np.asarray(lazy.data[3]), eager.data[3])
    assert lazy.pixel_size_nm == eager.pixel_size_nm and lazy.channel == eager.channel


def test_first_frame_of_a_lazy_movie_needs_one_frame_of_memory(tmp_path):
    path = _movie(tmp_path, frames=60, size=256)  # 7.5 MB of counts, 31 MB as float64
    np.asarray(read_afm(_movie(tmp_path, frames=2, size=16, version=2), lazy=True)[0].data[0])  # imports, caches
    tracemalloc.start()
    scan, = read_afm(path, lazy=True)
    first = np.asarray(scan.data[0])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert first.shape == (256, 256)
    assert peak < 4 * first.nbytes, f"peak {peak / 1e6:.1f} MB for one 0.5 MB frame"


def test_eager_asd_read_makes_no_copy_of_the_counts(tmp_path):
    path = _movie(tmp_path, frames=60, size=256)
    tracemalloc.start()
    scan, = read_afm(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # the float64 result is the only large allocation: no file buffer, no int16 copy
    assert peak < 1.15 * scan.data.nbytes, f"peak {peak / scan.data.nbytes:.2f}x the result"


def test_truncated_movie_is_still_a_clear_error_when_lazy(tmp_path):
    from napari_afm_profiler.errors import AFMFormatError

    path = _movie(tmp_path, frames=6, size=32)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(AFMFormatError, match="truncated"):
        read_afm(path, lazy=True)
    empty = tmp_path / "empty.asd"
    empty.write_bytes(b"")
    with pytest.raises(AFMFormatError, match="empty"):
        read_afm(empty, lazy=True)


@pytest.mark.skipif(not (SAMPLES / "sample_0.h5-jpk").exists(), reason="sample files not present")
def test_lazy_h5_jpk_series_equals_eager():
    eager = read_afm(SAMPLES / "sample_0.h5-jpk")
    lazy = read_afm(SAMPLES / "sample_0.h5-jpk", lazy=True)
    assert [s.channel for s in lazy] == [s.channel for s in eager]
    for a, b in zip(eager, lazy):
        assert isinstance(b.data, da.Array)
        np.testing.assert_array_equal(np.asarray(b.data), a.data)
        np.testing.assert_array_equal(np.asarray(b.data[2, 5:9, 3:7]), a.data[2, 5:9, 3:7])
