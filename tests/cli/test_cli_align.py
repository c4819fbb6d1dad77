"""``afm-profiler align`` and ``info`` on an HS-AFM movie written to the published ASD layout."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_afm_profiler.cli import main
from napari_afm_profiler.io import read_afm
from tests.io.test_asd_versions import asd_bytes

TRUTH = np.array([[0, 0], [1, 2], [3, 3], [4, 5], [6, 6]])


@pytest.fixture()
def drifting_movie(tmp_path):
    """Frame k shows the scene moved by -TRUTH[k] (in the displayed orientation), counts in 12 bits."""
    scene = ndi.gaussian_filter(np.random.default_rng(4).normal(size=(120, 120)), 2.5)
    scene = (scene - scene.min()) / np.ptp(scene) * 3000 + 500
    shown = np.stack([scene[20 + dy:84 + dy, 20 + dx:84 + dx] for dy, dx in TRUTH])
    counts = np.rint(shown[:, ::-1, :]).astype(np.int16)  # the file stores the bottom line first
    path = tmp_path / "movie.asd"
    path.write_bytes(asd_bytes(1, counts, x_nm=128, y_nm=128))
    return path


def test_align_writes_the_aligned_stack_and_the_shifts(drifting_movie, tmp_path, capsys):
    out, shifts = tmp_path / "aligned.tif", tmp_path / "shifts.csv"
    assert main(["align", str(drifting_movie), "-o", str(out), "--shifts", str(shifts)]) == 0
    rows = np.genfromtxt(shifts, delimiter=",", names=True, dtype=None, encoding="utf-8")
    np.testing.assert_allclose(np.c_[rows["dy_px"], rows["dx_px"]], TRUTH, atol=0.1)
    np.testing.assert_allclose(rows["dx_nm"], 2.0 * rows["dx_px"], atol=1e-5)  # 128 nm / 64 px
    aligned = read_afm(out)[0]
    assert aligned.data.shape == (5, 64, 64) and aligned.pixel_size_nm == pytest.approx((2.0, 2.0))
    original = read_afm(drifting_movie)[0].data
    # levelled by a plane per frame (each frame its own plane), then moved back: the last frame's
    # core matches the first frame's up to a plane
    from napari_afm_profiler.preprocess import level_plane

    diff = level_plane(aligned.data[4, 10:-10, 10:-10] - aligned.data[0, 10:-10, 10:-10])
    assert np.std(diff) < 0.02 * np.std(original[0])
    assert "wrote" in capsys.readouterr().err


def test_align_prints_the_table_without_a_csv_and_refuses_single_images(drifting_movie, tmp_path, capsys):
    assert main(["align", str(drifting_movie), "-o", str(tmp_path / "a.npy"), "--reference", "first"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("frame,dy_px,dx_px,dy_nm,dx_nm,error,registered") and len(lines) == 6
    image = tmp_path / "one.npy"
    np.save(image, np.zeros((16, 16)))
    assert main(["align", str(image), "-o", str(tmp_path / "b.npy")]) == 2
    assert "not a movie" in capsys.readouterr().err


def test_info_reads_a_movie_frame_by_frame(drifting_movie, capsys):
    assert main(["info", str(drifting_movie), "--json"]) == 0
    import json

    channel = json.loads(capsys.readouterr().out)["channels"][0]
    data = read_afm(drifting_movie)[0].data
    assert channel["shape"] == [5, 64, 64]
    assert channel["min"] == pytest.approx(data.min()) and channel["mean"] == pytest.approx(data.mean())
