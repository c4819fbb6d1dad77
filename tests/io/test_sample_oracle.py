"""Every sample file opens and matches the oracle of independent readers."""

from __future__ import annotations

import time

import numpy as np
import pytest

from napari_afm_profiler.errors import AFMFormatError
from napari_afm_profiler.io import read_afm
from tests.conftest import SAMPLES, load_expected_channels, load_oracle

# Which of our channels the oracle's channel is (names differ between readers).
OUR_CHANNEL = {
    "PTO_110_Virgin0001.gwy": "HeightRetrace",
    "GwiddionReader_chip.gwy": "Channel 0",
    "GwiddionReader_chip.gsf": "Topography",
    "Veeco_20160622.003": "Height (retrace)",
    "di-5_DimensionIcon_4byte.spm": "Height Sensor (retrace)",
    "kpg20080408.007": "Height (retrace)",
    "sample_0.ibw": "HeightTracee",
    "AR_20211011.ibw": "HeightRetrace",
    "10x10-one_channel_without_name.ibw": "Generated 1",
    "sample_0.jpk": "Height",
    "sample_0.h5-jpk": "Height",
    "pySPM_test.sxm": "Z (forward)",
    "NanoSurf_20160301.nid": "Z-Axis (forward)",
    "Park_20210916_034.tiff": "Topography (NCM)",
    "test_mdt.mdt": "1F:Iprobe",
    "asd_sample_0.asd": "TP (topography)",
    "sample_0.stp": "Topography",
    "sample_0.top": "Topography",
    "mi-1.mi": "Topography (trace)",
    "gwyddion_ascii_matrix-3.txt": "ZSensor",
    "gwyfile_test.gwy": "Test",
    "GwiddionReader_bipm.gwy": "Channel 0",
    "jmarini_D3100_2014.000": "Height (retrace)",
    "di-1_DimensionV_2016.spm": "Height",
    "di-3_DimensionIcon_2014.spm": "Height Sensor",
    "IgorIBWReader_P0089OP0027.ibw": "HeightRetrace",
    "IgorIBWReader_ImageStack_BTFO_DSO.ibw": "HeightRetrace",
    "spot_1-1000nm.ibw": "HeightTrace",
    "sample_0.jpk-qi-image": "Height",
    "nid-1.nid": "Z-Axis (forward)",
    "example_ps.tiff": "Z Height (Tapping)",
    "GaAs_map.mdt": "1F:Iprobe",
    "stp-1.stp": "Topography",
    "top-1.top": "Topography",
    "WSxM2DReader_jumpingmodeimage_0002_Topography.f.dy.top": "Topography",
    "ascii_matrix-4_nonsquare.txt": "Default",
    "di-2_D3100_2015.spm": "Height",
    "di-4_2017_v512.spm": "Height Sensor (retrace)",
    "di-6_DimensionV_2016.spm": "Height",
    "old_bruker.002": "Height",
    "old_bruker.004": "Height",
    "hystorian_DimensionV_2020.000": "Height (retrace)",
    "MultiModeV_5.011": "Height",
    "MultiModeV_pet.000": "Height",
    "hystorian_test_gsf.gsf": "HeightRetrace",
    "A151216.123306-02602.sxm": "Z (forward)",
    "Au_mica_2023_Y_A_diPAMY_195.sxm": "Z (forward)",
    "STM_nanonis_generic_4_5.sxm": "Z (forward)",
    "nsf_circles_2008.nid": "Topography (forward)",
    "nsf_grid1_2020.nid": "Z-Axis (forward)",
    "nsf_sapphire_2018.nid": "Z-Axis (forward)",
    "nsf_SBS-PMMA_2016.nid": "Z-Axis (forward)",
    "nsf_image_2017.nid": "Z-Axis (forward)",
    "nsf_test_2020.nid": "Z-Axis (forward)",
    "antooni_sample.nid": "Z-Axis (forward)",
    "antooni_sample2.nid": "Z-Axis (forward)",
    "sample_0.gwy": "ZSensor",
    "sample_1_um_scale.stp": "Topography",
    "sample_1_um_scale.top": "Topography",
    "extra_sample.asd": "TP (topography)",
    "ScV6Sn6_STM_I_Backward.ibw": "I 3 (backward)",  # MATRIX export: named from the wave note
    "ScV6Sn6_STM_Aux2_Forward.ibw": "Aux2(V) 3 (forward) @ -0.5 V",  # plane 1 of a spectroscopy volume
    "matrix-2.txt": "Default",
}
# native units of non-length channels: oracle unit -> (factor from ours, our unit)
NATIVE_UNITS = {"nA": (1e9, "A"), "A": (1.0, "A"), "V": (1.0, "V"), "(none)": (1.0, "")}
REL = 0.005  # 0.5 %

ORACLE = load_oracle()
EXPECTED = load_expected_channels()


def _close(ours: float, expected: float, span: float) -> bool:
    # 0.5 % of the value; for statistics near zero (levelled files have means ~1e-8 nm) a
    # relative tolerance is meaningless, so 0.5 % of the channel's value range is also accepted.
    return abs(ours - expected) <= REL * max(abs(expected), span)


def _find(scans, name):
    for scan in scans:
        if scan.channel == name:
            return scan
    raise AssertionError(f"channel {name!r} not among {[s.channel for s in scans]}")


@pytest.mark.skipif(not ORACLE, reason="../shared/afm-samples/oracle.json not available")
@pytest.mark.parametrize("entry", ORACLE, ids=[e["file"] for e in ORACLE])
def test_file_matches_oracle(entry):
    scans = read_afm(SAMPLES / entry["file"])
    scan = _find(scans, OUR_CHANNEL[entry["file"]])
    assert list(scan.data.shape) == entry["shape"]
    if entry["pixel_size_nm"] is None:
        assert scan.pixel_size_nm is None  # no calibration in the file: must not invent 1 nm
    else:
        # Where readers disagree on the pixel convention (Igor sfA vs ScanSize/N, Nanonis
        # range/N vs range/(N-1)), the oracle lists both; we follow the instrument's own
        # scaling as Gwyddion does, which is one of the two.
        options = [entry["pixel_size_nm"]] + ([entry["pixel_size_nm_alt"]] if entry["pixel_size_nm_alt"] else [])
        assert any(np.allclose(scan.pixel_size_nm, opt, rtol=REL) for opt in options), (scan.pixel_size_nm, options)
    if entry["z_min_nm"] is not None:
        assert scan.z_unit == "nm"
        expected = (entry["z_min_nm"], entry["z_max_nm"], entry["z_mean_nm"])
        factor = 1.0
    else:
        native = entry["native_values"]
        expected = (native["min"], native["max"], native["mean"])
        factor, unit = NATIVE_UNITS[native["unit"]]
        assert scan.z_unit == unit
    data = scan.data * factor
    span = float(np.nanmax(data) - np.nanmin(data))
    ours = (float(np.nanmin(data)), float(np.nanmax(data)), float(np.nanmean(data)))
    for o, e in zip(ours, expected):
        assert _close(o, e, span), (ours, expected)


@pytest.mark.skipif(not ORACLE, reason="samples not available")
@pytest.mark.parametrize("entry", ORACLE, ids=[e["file"] for e in ORACLE])
def test_height_channel_comes_first(entry):
    scans = read_afm(SAMPLES / entry["file"])
    if any(s.is_height for s in scans):
        assert scans[0].is_height


def test_every_oracle_file_has_a_channel_mapping():
    """A new oracle entry must be mapped to one of our channels here, not silently skipped."""
    assert not [e["file"] for e in ORACLE if e["file"] not in OUR_CHANNEL]


def _orientation_channel(name: str, scans, ref: dict):
    hint = (ref.get("channel_hint") or "").lower()
    if hint:
        return next(s for s in scans if s.channel.lower() == hint)
    if name in OUR_CHANNEL:
        return _find(scans, OUR_CHANNEL[name])
    return scans[0]


@pytest.mark.skipif(not EXPECTED, reason="../shared/afm-samples/expected_channels.json not available")
@pytest.mark.parametrize("name", sorted(EXPECTED), ids=sorted(EXPECTED))
def test_channel_count_and_orientation_match_independent_readers(name):
    """Channel counts and row order (first/last row fingerprints, mostly from Gwyddion 2.62)."""
    entry = EXPECTED[name]
    scans = read_afm(SAMPLES / name)
    assert len(scans) == entry["expected_n_channels"], [s.channel for s in scans]
    ref = entry.get("orientation_ref")
    if not ref:
        return
    data = _orientation_channel(name, scans, ref).data
    span = float(np.nanmax(data) - np.nanmin(data)) or 1.0
    n = len(ref["row0_first"])
    for ours, theirs in ((data[0, :n], ref["row0_first"]), (data[-1, :n], ref["rowN_first"])):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4 * span)
    np.testing.assert_allclose([np.nanmean(data[0]), np.nanmean(data[-1])], [ref["row0_mean"], ref["rowN_mean"]],
                               rtol=1e-4, atol=1e-4 * span)


BROKEN = sorted(p for p in (SAMPLES / "broken").glob("*") if p.suffix != ".json") if SAMPLES.is_dir() else []


@pytest.mark.skipif(not BROKEN, reason="broken samples not available")
@pytest.mark.parametrize("path", BROKEN, ids=[p.name for p in BROKEN])
def test_broken_file_raises_format_error_quickly(path):
    start = time.perf_counter()
    with pytest.raises(AFMFormatError) as info:
        read_afm(path)
    assert path.name in str(info.value)
    assert time.perf_counter() - start < 5.0


@pytest.mark.skipif(not (SAMPLES / "sample_0.jpk").is_file(), reason="sample_0.jpk not available")
def test_jpk_qi_image_extension_reads_as_a_jpk_tiff(tmp_path):
    """A QI image (``.jpk-qi-image``) is the same JPK TIFF layout (as in Gwyddion's jpkscan and AFMReader).

    No QI sample is public; the same bytes under the QI name must take the same path and give the same layers.
    """
    import shutil

    qi = tmp_path / "scan.jpk-qi-image"
    shutil.copyfile(SAMPLES / "sample_0.jpk", qi)
    ours, reference = read_afm(qi), read_afm(SAMPLES / "sample_0.jpk")
    assert [s.channel for s in ours] == [s.channel for s in reference]
    for a, b in zip(ours, reference):
        assert a.pixel_size_nm == b.pixel_size_nm and a.z_unit == b.z_unit
        np.testing.assert_array_equal(a.data, b.data)
