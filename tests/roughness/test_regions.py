"""Per-region parameters: masked definitions, levelling inside the region, geometry, tiles, channels."""

import numpy as np
import pytest

from napari_afm_profiler.errors import InputError
from napari_afm_profiler.progress import drain
from napari_afm_profiler.roughness import (
    GEOMETRY_COLUMNS,
    RoughnessSettings,
    channel_table_steps,
    region_table,
    surface_parameters,
    tile_parameters,
)
from napari_afm_profiler.synth.scene import fractal_surface


def disk(shape, centre, radius):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2


def test_rectangular_label_equals_the_cropped_image():
    z = fractal_surface((256, 256), hurst=0.6, seed=4)
    labels = np.zeros(z.shape, int)
    labels[40:140, 60:220] = 7
    table = region_table(z, labels, pixel_size_nm=1.5)
    whole = surface_parameters(z[40:140, 60:220], pixel_size_nm=1.5).values
    assert table.columns["region"].tolist() == [7]
    for key, value in whole.items():
        assert table.columns[key][0] == pytest.approx(value, rel=1e-9), key


def test_region_is_levelled_inside_itself_and_ignores_the_rest():
    yy, xx = np.mgrid[0:256, 0:256]
    base = fractal_surface((256, 256), hurst=0.7, seed=2)
    tilted = base + 0.2 * xx - 0.1 * yy
    tilted[:, :100] += 500.0  # a step outside the region
    labels = disk((256, 256), (128, 170), 60).astype(int)
    a = region_table(base, labels, pixel_size_nm=1.0, groups="height").columns["Sq"][0]
    b = region_table(tilted, labels, pixel_size_nm=1.0, groups="height").columns["Sq"][0]
    assert b == pytest.approx(a, rel=1e-9)


def test_autocorrelation_of_a_round_region_is_normalised_by_the_overlap():
    lam = 40
    z = np.tile(np.sin(2 * np.pi * np.arange(512) / lam), (512, 1))
    labels = disk(z.shape, (256, 256), 200).astype(int)
    none = RoughnessSettings(level="none")
    v = region_table(z, labels, pixel_size_nm=1.0, groups="spatial", settings=none).columns
    assert v["Sal"][0] == pytest.approx(lam * np.arccos(0.2) / (2 * np.pi), rel=0.01)
    assert v["Ssw"][0] == pytest.approx(lam, rel=0.01)


def test_slopes_come_only_from_cells_inside_the_region():
    z = np.zeros((64, 64))
    z[:, 32:] = 100.0  # a cliff right next to the region
    labels = np.zeros(z.shape, int)
    labels[:, :32] = 1
    v = region_table(z, labels, pixel_size_nm=1.0, groups="hybrid").columns
    assert v["Sdq"][0] == 0.0 and v["Sdr"][0] == 0.0


def test_geometry_and_border_erosion():
    shape, r = (400, 400), 100
    labels = disk(shape, (200, 200), r).astype(int) * 3
    z = fractal_surface(shape, seed=1)
    full = region_table(z, labels, pixel_size_nm=2.0, groups="height")
    eroded = region_table(z, labels, pixel_size_nm=2.0, groups="height", border_erosion_px=10)
    area = np.pi * (2.0 * r) ** 2
    assert full.columns["area_nm2"][0] == pytest.approx(area, rel=0.01)
    assert full.columns["equivalent_diameter_nm"][0] == pytest.approx(4.0 * r, rel=0.01)
    assert full.columns["perimeter_nm"][0] == pytest.approx(2 * np.pi * 2.0 * r, rel=0.02)
    assert eroded.columns["area_nm2"][0] == full.columns["area_nm2"][0]  # geometry of the whole label
    inner = disk(shape, (200, 200), r - 10)
    direct = surface_parameters(z, pixel_size_nm=2.0, mask=inner, groups="height").values["Sq"]
    assert eroded.columns["Sq"][0] == pytest.approx(direct, rel=0.02)


def test_many_labels_rows_in_label_order_with_gaps():
    labels = np.zeros((128, 128), int)
    labels[10:40, 10:40] = 5
    labels[60:100, 60:120] = 2
    table = region_table(fractal_surface((128, 128), seed=0), labels, pixel_size_nm=1.0)
    assert table.columns["region"].tolist() == [2, 5]
    assert list(table.columns)[:4] == ["region", *GEOMETRY_COLUMNS]
    assert len(table.to_pandas()) == 2


def test_tiles_average_the_tiles():
    z = np.zeros((128, 128))
    z[:64, :64] = fractal_surface((64, 64), rms_nm=1.0, seed=1)
    z[:64, 64:] = fractal_surface((64, 64), rms_nm=2.0, seed=2)
    z[64:, :64] = fractal_surface((64, 64), rms_nm=3.0, seed=3)
    z[64:, 64:] = fractal_surface((64, 64), rms_nm=4.0, seed=4)
    none = RoughnessSettings(level="none")
    r = tile_parameters(z, pixel_size_nm=1.0, tiles=(2, 2), groups="height", settings=none)
    assert r.values["Sq"] == pytest.approx(2.5, rel=1e-6)


def test_several_channels_are_prefixed_and_share_geometry():
    z = fractal_surface((96, 96), seed=0)
    labels = np.zeros(z.shape, int)
    labels[20:70, 20:70] = 1
    table = drain(channel_table_steps({"Height": z, "Adhesion": 2 * z}, labels=labels, pixel_size_nm=1.0,
                                      groups="height"))
    assert table.columns["Adhesion:Sq"][0] == pytest.approx(2 * table.columns["Height:Sq"][0])
    assert "area_nm2" in table.columns and "Sq" not in table.columns
    single = drain(channel_table_steps({"Height": z}, pixel_size_nm=1.0, groups="height"))
    assert single.columns["region"].tolist() == [0] and "Sq" in single.columns


def test_rows_for_json_have_nulls_and_warnings():
    labels = np.zeros((64, 64), int)
    labels[5:7, 5:7] = 1  # 4 pixels: too small for spatial parameters
    labels[20:60, 20:60] = 2
    z = fractal_surface((64, 64), seed=0)
    z[20:60, 20:60] = np.nan  # region 2 has no valid pixel
    rows = region_table(z, labels, pixel_size_nm=1.0).rows()
    assert rows[0]["region"] == 1 and rows[0]["Sal"] is None and rows[0]["Sq"] is not None
    assert any("Sal" in w for w in rows[0]["warnings"])
    assert rows[1]["Sa"] is None and rows[1]["warnings"]


def test_bad_labels():
    z = np.zeros((10, 10))
    with pytest.raises(InputError, match="shape"):
        region_table(z, np.zeros((10, 11), int), pixel_size_nm=1.0)
    with pytest.raises(InputError, match="whole numbers"):
        region_table(z, np.full((10, 10), 0.5), pixel_size_nm=1.0)
    with pytest.raises(InputError, match=">= 0"):
        region_table(z, -np.ones((10, 10), int), pixel_size_nm=1.0)
    empty = region_table(z, np.zeros((10, 10), int), pixel_size_nm=1.0)
    assert len(empty) == 0 and "no region" in empty.warnings[0][1]
