"""``afm-profiler roughness`` on .npy files, labels and real instrument files."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from napari_afm_profiler.cli import main
from tests.conftest import SAMPLES


@pytest.fixture
def wave_file(tmp_path):
    a = 3.0
    z = np.tile(a * np.sin(2 * np.pi * np.arange(256) / 32), (64, 1))
    np.save(tmp_path / "wave.npy", z)
    return tmp_path / "wave.npy", a


def test_json_rows_with_iso_keys(wave_file, capsys):
    path, a = wave_file
    assert main(["roughness", str(path), "--pixel-size", "2", "--level", "none"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["region"] == 0
    assert rows[0]["Sq"] == pytest.approx(a / np.sqrt(2), rel=1e-3)
    assert rows[0]["Ssw"] == pytest.approx(64.0, rel=1e-3)  # 32 px at 2 nm
    for key in ("Sa", "Sdr", "Smr1", "Vmp", "Spd", "Sfd_psd", "Sbi"):
        assert key in rows[0]
    assert isinstance(rows[0]["warnings"], list)


def test_labels_and_csv_output(tmp_path, wave_file, capsys):
    path, a = wave_file
    labels = np.zeros((64, 256), np.int32)
    labels[:, :128] = 1
    labels[10:50, 150:250] = 4
    labels[2, 140] = 9  # a single pixel: most parameters undefined
    np.save(tmp_path / "labels.npy", labels)
    out = tmp_path / "r.csv"
    assert main(["roughness", str(path), "--pixel-size", "1", "--labels", str(tmp_path / "labels.npy"),
                 "--format", "csv", "--groups", "height,hybrid", "--level", "none", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["region"] for r in rows] == ["1", "4", "9"]
    assert float(rows[0]["Sq"]) == pytest.approx(a / np.sqrt(2), rel=1e-3)
    assert float(rows[0]["area_nm2"]) == 64 * 128
    assert rows[2]["Sdq"] == "" and "Sdq" in rows[2]["warnings"]


def test_json_null_with_reason(tmp_path, capsys):
    np.save(tmp_path / "flat.npy", np.full((32, 32), 5.0))
    assert main(["roughness", str(tmp_path / "flat.npy"), "--pixel-size", "1"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["Ssk"] is None and any("Ssk" in w and "flat" in w for w in row["warnings"])


def test_tiles_average(tmp_path, capsys):
    z = np.zeros((64, 64))
    z[:, 32:] = np.random.default_rng(0).normal(0, 2.0, (64, 32))
    np.save(tmp_path / "half.npy", z)
    assert main(["roughness", str(tmp_path / "half.npy"), "--pixel-size", "1", "--tiles", "1x2",
                 "--groups", "height", "--level", "none"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["Sq"] == pytest.approx(np.std(z[:, 32:]) / 2, rel=1e-6)


@pytest.mark.parametrize(
    "extra, message",
    [(["--labels", "LABELS"], "does not match image shape"),
     ([], "no pixel size"),
     (["--tiles", "two"], "--tiles"),
     (["--groups", "colour"], "unknown parameter group")],
)
def test_errors_exit_2(tmp_path, capsys, extra, message):
    np.save(tmp_path / "z.npy", np.zeros((16, 16)))
    np.save(tmp_path / "labels.npy", np.zeros((16, 17), int))
    args = [a.replace("LABELS", str(tmp_path / "labels.npy")) for a in extra]
    if message != "no pixel size":
        args += ["--pixel-size", "1"]
    assert main(["roughness", str(tmp_path / "z.npy"), *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="sample files not present")
def test_real_file_all_channels(capsys):
    path = SAMPLES / "PTO_110_Virgin0001.gwy"
    assert main(["roughness", str(path), "--all-channels", "--groups", "height"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    keys = [k for k in row if k.endswith(":Sq")]
    assert len(keys) >= 2 and all(row[k] > 0 for k in keys)


def test_labels_from_tif_and_bad_labels_file(tmp_path, wave_file, capsys):
    import tifffile

    path, a = wave_file
    labels = np.zeros((64, 256), np.uint16)
    labels[:, :128] = 3
    tifffile.imwrite(tmp_path / "labels.tif", labels)
    assert main(["roughness", str(path), "--pixel-size", "1", "--labels", str(tmp_path / "labels.tif"),
                 "--groups", "height", "--level", "none"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["region"] for r in rows] == [3] and rows[0]["Sq"] == pytest.approx(a / np.sqrt(2), rel=1e-3)
    (tmp_path / "labels.png").write_bytes(b"not an image")
    assert main(["roughness", str(path), "--pixel-size", "1", "--labels", str(tmp_path / "labels.png")]) == 2
    assert "labels must be a .npy or .tif file" in capsys.readouterr().err
    (tmp_path / "broken.npy").write_bytes(b"\x93NUMPY garbage")
    assert main(["roughness", str(path), "--pixel-size", "1", "--labels", str(tmp_path / "broken.npy")]) == 2
    assert "cannot read labels" in capsys.readouterr().err


def test_filters_and_f_operator_are_applied_and_echoed(tmp_path, capsys):
    import json

    x = np.arange(600) * 1.0
    z = np.tile(np.sin(2 * np.pi * x / 40.0) + 3 * np.sin(2 * np.pi * x / 600.0), (40, 1))
    np.save(tmp_path / "waves.npy", z)
    assert main(["roughness", str(tmp_path / "waves.npy"), "--pixel-size", "1", "--groups", "height", "--level",
                 "poly2", "--l-filter", "150", "-o", str(tmp_path / "r.json")]) == 0
    row = json.loads((tmp_path / "r.json").read_text())[0]
    assert row["surface"] == "S-L" and "L-filter: Gaussian (ISO 16610-61), nesting index 150 nm" in row["operators"]
    assert "F-operator: least-squares polynomial of order 2" in row["operators"]
    assert row["Sq"] < 0.8  # the 600 nm waviness is gone, the 40 nm roughness (Sq 0.707) stays
    assert main(["roughness", str(tmp_path / "waves.npy"), "--pixel-size", "1", "--s-filter", "1"]) == 2
    assert "below two pixels" in capsys.readouterr().err
