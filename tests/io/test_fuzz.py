"""Quick reader fuzzing: mutated sample files end in a format error or a valid image, never worse.

The full run (10 000 mutants per sample) is ``benchmarks/fuzz_readers.py``.
"""

from __future__ import annotations

import logging

import pytest

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io import read_afm
from tests._support.fuzz import check_read, fuzz_file
from tests.conftest import SAMPLES

CASES = 25
# the full run (benchmarks/fuzz_readers.py) holds every read to 2 s on a quiet machine; a shared
# CI runner gets more room, which still catches hangs (they run for minutes)
TIME_LIMIT_S = 10.0
SAMPLE_FILES = sorted(p for p in SAMPLES.iterdir() if p.is_file() and p.suffix not in (".md", ".json")) \
    if SAMPLES.is_dir() else []


@pytest.mark.skipif(not SAMPLE_FILES, reason="sample files not present")
@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=lambda p: p.name)
def test_mutants_fail_cleanly(sample):
    logging.disable(logging.CRITICAL)
    try:
        failures = [c for c in fuzz_file(sample, CASES, seed=1, time_limit=TIME_LIMIT_S) if c.outcome == "failure"]
    finally:
        logging.disable(logging.NOTSET)
    assert not failures, "; ".join(f"{c.mutation}: {c.detail}" for c in failures[:3])


def test_absurd_declared_size_is_refused_before_allocating(tmp_path):
    header = (b"Gwyddion Simple Field 1.0\nXRes = 2000000000\nYRes = 2000000000\nXReal = 1e-06\nYReal = 1e-06\n"
              b"ZUnits = m\n")
    header += b"\x00" * (4 - len(header) % 4)
    path = tmp_path / "huge.gsf"
    path.write_bytes(header + b"\x00" * 64)
    outcome, detail = check_read(path, read_afm)
    assert outcome == "format-error", detail
    with pytest.raises(AFMFormatError, match="huge.gsf"):
        read_afm(path)


@pytest.mark.skipif(not (SAMPLES / "PTO_110_Virgin0001.gwy").is_file(), reason="sample files not present")
def test_own_gwyp_parser_matches_gwyfile():
    import gwyfile
    import numpy as np

    path = SAMPLES / "PTO_110_Virgin0001.gwy"
    ours = read_afm(path)
    obj = gwyfile.load(str(path))
    fields = sorted((k for k in obj if k.endswith("/data") and k[1:-5].isdigit()), key=lambda k: int(k[1:-5]))
    assert len(ours) == len(fields)
    for key in fields:
        field = obj[key]
        raw = np.asarray(field["data"]).reshape(field["yres"], field["xres"])
        match = [s for s in ours if s.metadata.get("gwy_key", key) == key] or ours
        assert any(np.allclose(s.data, raw * f, rtol=1e-12, equal_nan=True) for s in match for f in (1e9, 1.0, 1e-9))
