"""Batch runs: configuration, per-file errors, resume, interruption, labels, classification, dask."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from napari_afm_profiler.batch import (
    DEFAULT_YAML,
    SERIAL,
    BatchConfig,
    config_from_dict,
    load_config,
    run_batch_steps,
)
from napari_afm_profiler.cli import main
from napari_afm_profiler.errors import InputError
from napari_afm_profiler.io.writers import write_image
from napari_afm_profiler.progress import drain
from napari_afm_profiler.synth.scene import fractal_surface

HEIGHT = {"roughness": {"groups": ["height"]}}


def _write(folder, name, data, pixel=2.0):
    return write_image(folder / name, data, pixel_size_nm=(pixel, pixel), channel="Height")


@pytest.fixture
def folder(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        _write(src, f"scan{i}.tif", fractal_surface((64, 64), rms_nm=1.0 + i, seed=i))
    return src


def test_default_yaml_is_the_default_config(tmp_path):
    (tmp_path / "b.yaml").write_text(DEFAULT_YAML)
    assert load_config(tmp_path / "b.yaml") == BatchConfig()
    assert config_from_dict({"channels": "Height"}).channels == ["Height"]
    with pytest.raises(InputError, match="unknown key"):
        config_from_dict({"levelling": "plane"})
    with pytest.raises(InputError, match="under roughness"):
        config_from_dict({"roughness": {"group": "height"}})
    with pytest.raises(InputError, match="level must be"):
        config_from_dict({"level": "sphere"})
    (tmp_path / "bad.yaml").write_text("level: [unclosed")
    with pytest.raises(InputError, match="not valid YAML"):
        load_config(tmp_path / "bad.yaml")
    assert BatchConfig().digest() != config_from_dict({"level": "none"}).digest()


def test_the_deconvolution_tip_is_configured_and_checked():
    tip = {"shape": "cone", "radius_nm": 8.0, "half_angle_deg": 20.0}
    config = config_from_dict({"deconvolution": {"enabled": True, "tip": tip}})
    assert config.deconvolution.tip == tip
    assert config.digest() != config_from_dict({"deconvolution": {"enabled": True, "tip": "estimate"}}).digest()
    with pytest.raises(InputError, match="needs shape and radius_nm"):
        config_from_dict({"deconvolution": {"tip": {"shape": "cone"}}})
    with pytest.raises(InputError, match="deconvolution.tip must be"):
        config_from_dict({"deconvolution": {"tip": 12}})
    mirrored = config_from_dict({"deconvolution": {"enabled": True, "tip": tip, "mirror_average": True}})
    assert mirrored.deconvolution.mirror_average and mirrored.digest() != config.digest()
    with pytest.raises(InputError, match="mirror_average must be true or false"):
        config_from_dict({"deconvolution": {"mirror_average": "yes"}})


def test_results_table_and_resume(folder, tmp_path):
    out = tmp_path / "out"
    config = config_from_dict({"roughness": {"groups": ["height"], "level": "none"}, "level": "none"})
    first = drain(run_batch_steps([folder], config, out, scheduler=SERIAL))
    assert (first.n_files, first.n_processed, first.n_errors, first.n_rows) == (4, 4, 0, 4)
    table = pd.read_csv(out / "results.csv")
    assert list(table.columns[:3]) == ["file", "channel", "region"]
    assert table["Sq"].tolist() == pytest.approx([1.0, 2.0, 3.0, 4.0], rel=1e-5)  # exact RMS (float32 files)
    assert pd.read_parquet(out / "results.parquet").shape == table.shape
    again = drain(run_batch_steps([folder], config, out, scheduler=SERIAL))
    assert (again.n_skipped, again.n_processed) == (4, 0)
    # a changed file is redone, and its new row replaces nothing else
    _write(folder, "scan0.tif", fractal_surface((64, 64), rms_nm=9.0, seed=0))
    changed = drain(run_batch_steps([folder], config, out, scheduler=SERIAL))
    assert (changed.n_skipped, changed.n_processed) == (3, 1)
    # another configuration redoes everything
    other = drain(run_batch_steps([folder], config_from_dict({**HEIGHT, "level": "plane"}), out, scheduler=SERIAL))
    assert other.n_processed == 4


def test_interrupted_run_keeps_finished_files(folder, tmp_path):
    out = tmp_path / "out"
    steps = run_batch_steps([folder], config_from_dict(HEIGHT), out, scheduler=SERIAL)
    for _, done, _ in steps:
        if done == 2:
            break
    steps.close()  # as if the run was killed after two files
    assert len(pd.read_csv(out / "results.csv")) == 2
    rest = drain(run_batch_steps([folder], config_from_dict(HEIGHT), out, scheduler=SERIAL))
    assert (rest.n_skipped, rest.n_processed, rest.n_rows) == (2, 2, 4)


def test_bad_files_are_reported_and_the_batch_carries_on(folder, tmp_path):
    (folder / "broken.gwy").write_bytes(b"GWYP" + b"\x00" * 20)
    _write(folder, "empty.tif", np.full((32, 32), np.nan))
    np.save(folder / "nopixel.npy", np.zeros((16, 16)))
    out = tmp_path / "out"
    summary = drain(run_batch_steps([folder], config_from_dict(HEIGHT), out, scheduler=SERIAL))
    errors = pd.read_csv(out / "errors.csv").set_index("file")["error"]
    names = {p.split("/")[-1]: e for p, e in errors.items()}
    assert set(names) == {"broken.gwy", "empty.tif", "nopixel.npy"}
    assert "broken.gwy" in names["broken.gwy"]
    assert "NaN-only" in names["empty.tif"]
    assert "no pixel size" in names["nopixel.npy"]
    assert summary.n_rows == 4 and summary.n_errors == 3
    wrong_channel = drain(run_batch_steps([folder / "scan1.tif"], config_from_dict({**HEIGHT, "channels": ["Phase"]}),
                                          tmp_path / "out2", scheduler=SERIAL))
    assert wrong_channel.n_errors == 1
    assert "no channel 'Phase'" in pd.read_csv(tmp_path / "out2" / "errors.csv")["error"][0]


def test_labels_from_files_and_from_a_threshold(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    yy, xx = np.mgrid[0:96, 0:96]
    z = np.zeros((96, 96))
    labels = np.zeros((96, 96), np.int32)
    for k, (cy, cx) in enumerate([(24, 24), (24, 72), (72, 48)], start=1):
        disk = (yy - cy) ** 2 + (xx - cx) ** 2 <= 12**2
        z[disk] = 10.0 + k
        labels[disk] = k
    _write(src, "cells.tif", z)
    np.save(src / "cells_labels.npy", labels)
    _write(src, "nolabels.tif", z)
    cfg = config_from_dict({**HEIGHT, "level": "none", "labels": {"source": "file"}})
    summary = drain(run_batch_steps([src], cfg, tmp_path / "o1", scheduler=SERIAL))
    table = pd.read_csv(tmp_path / "o1" / "results.csv")
    assert table["region"].tolist() == [1, 2, 3] and summary.n_errors == 1
    assert "missing labels file nolabels_labels" in pd.read_csv(tmp_path / "o1" / "errors.csv")["error"][0]
    cfg = config_from_dict({**HEIGHT, "level": "none", "labels": {"source": "threshold", "threshold_nm": 5.0}})
    drain(run_batch_steps([src / "cells.tif"], cfg, tmp_path / "o2", scheduler=SERIAL))
    table = pd.read_csv(tmp_path / "o2" / "results.csv")
    assert len(table) == 3 and table["area_nm2"].tolist() == pytest.approx([np.sum(labels == 1) * 4.0] * 3)
    cfg = config_from_dict({**HEIGHT, "level": "none", "labels": {"source": "particles", "threshold_nm": 5.0}})
    drain(run_batch_steps([src / "cells.tif"], cfg, tmp_path / "o3", scheduler=SERIAL))
    table = pd.read_csv(tmp_path / "o3" / "results.csv")
    assert len(table) == 3 and table["area_nm2"].tolist() == pytest.approx([np.sum(labels == 1) * 4.0] * 3)


def test_classifier_applied_to_every_row(folder, tmp_path):
    from napari_afm_profiler.classify import feature_table, save_classifier, train

    rows = pd.DataFrame({"Sa": [0.5, 0.6, 0.7, 3.0, 3.2, 3.4], "Sq": [0.6, 0.7, 0.8, 4.0, 4.1, 4.2],
                         "kind": ["flat"] * 3 + ["rough"] * 3})
    table = feature_table(rows, "kind")
    save_classifier(tmp_path / "model", train(table), table)
    cfg = config_from_dict({**HEIGHT, "level": "none", "classification": {"model": str(tmp_path / "model")}})
    drain(run_batch_steps([folder], cfg, tmp_path / "out", scheduler=SERIAL))
    result = pd.read_csv(tmp_path / "out" / "results.csv")
    assert result["predicted_class"].tolist() == ["flat", "flat", "rough", "rough"]


def test_cli_create_config_and_batch_on_a_local_dask_cluster(folder, tmp_path, capsys):
    assert main(["batch", "create-config", "-o", str(tmp_path / "b.yaml")]) == 0
    assert load_config(tmp_path / "b.yaml") == BatchConfig()
    assert main(["batch", "create-config", "-o", str(tmp_path / "b.yaml")]) == 2  # no silent overwrite
    (tmp_path / "h.yaml").write_text("roughness:\n  groups: [height]\n")
    assert main(["batch", str(folder), "--config", str(tmp_path / "h.yaml"), "--workers", "2", "--quiet",
                 "-o", str(tmp_path / "out")]) == 0
    assert "4 processed (0 failed)" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "out" / "results.csv")) == 4
    parts = list((tmp_path / "out" / "parts").glob("*.json"))
    assert len(parts) == 4 and json.loads(parts[0].read_text())["error"] is None
    assert main(["batch", str(tmp_path / "missing"), "-o", str(tmp_path / "o")]) == 2


def test_classifier_trained_on_channel_prefixed_columns(folder, tmp_path):
    from napari_afm_profiler.classify import feature_table, save_classifier, train

    rows = pd.DataFrame({"Height:Sa": [0.5, 0.6, 0.7, 3.0, 3.2, 3.4], "Height:Sq": [0.6, 0.7, 0.8, 4.0, 4.1, 4.2],
                         "kind": ["flat"] * 3 + ["rough"] * 3})
    table = feature_table(rows, "kind")
    save_classifier(tmp_path / "model", train(table), table)
    cfg = config_from_dict({"roughness": {"groups": ["height"], "level": "none"}, "level": "none",
                            "channels": ["Height"], "classification": {"model": str(tmp_path / "model")}})
    summary = drain(run_batch_steps([folder], cfg, tmp_path / "out", scheduler=SERIAL))
    assert summary.n_errors == 0
    result = pd.read_csv(tmp_path / "out" / "results.csv")
    assert result["channel"].unique().tolist() == ["Height"]
    assert result["predicted_class"].tolist() == ["flat", "flat", "rough", "rough"]


def test_empty_folders_and_all_failing_files_are_said_in_words(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["batch", str(tmp_path / "empty"), "--scheduler", "serial", "--quiet", "-o", str(tmp_path / "o1")]) == 0
    assert "no AFM file found in the inputs" in capsys.readouterr().out
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.spm").write_bytes(b"\\*File list\r\n garbage")
    assert main(["batch", str(bad), "--scheduler", "serial", "--quiet", "-o", str(tmp_path / "o2")]) == 0
    captured = capsys.readouterr()
    assert "0 files gave rows: see" in captured.out and "errors.csv" in captured.out
    assert main(["batch", str(bad), "--config", str(tmp_path / "none.yaml"), "-o", str(tmp_path / "o3")]) == 2
    assert "no such configuration file" in capsys.readouterr().err


def test_an_unreachable_scheduler_is_reported_within_seconds(folder, tmp_path, capsys):
    import time

    t0 = time.perf_counter()
    assert main(["batch", str(folder), "--scheduler", "tcp://127.0.0.1:9", "--quiet", "-o", str(tmp_path / "o")]) == 2
    assert time.perf_counter() - t0 < 20
    assert "cannot reach the dask scheduler" in capsys.readouterr().err


def test_the_dropouts_choice_is_configured_and_checked():
    kept = config_from_dict({"deconvolution": {"enabled": True, "dropouts": "keep"}})
    assert kept.deconvolution.dropouts == "keep" and config_from_dict({}).deconvolution.dropouts == "replace"
    assert kept.digest() != config_from_dict({"deconvolution": {"enabled": True}}).digest()
    with pytest.raises(InputError, match="dropouts must be one of replace, keep"):
        config_from_dict({"deconvolution": {"dropouts": "drop"}})
