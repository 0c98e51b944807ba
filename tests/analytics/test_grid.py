"""Grid geometry and the lon/lat <-> metres helpers."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Point, box

from kamtibmas_analytics import Grid, projection
from kamtibmas_analytics.projection import reproject, to_lonlat, to_metres, utm_crs_for

BALIKPAPAN_LON, BALIKPAPAN_LAT = 116.8312, -1.2379


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.fixture
def g() -> Grid:
    return Grid(x0_m=1000.0, y0_m=2000.0, cell_m=100.0, nx=4, ny=3)


def test_it_describes_its_geometry(g):
    assert g.shape == (3, 4)
    assert g.bounds == (1000.0, 2000.0, 1400.0, 2300.0)
    np.testing.assert_array_equal(g.x_centers, [1050.0, 1150.0, 1250.0, 1350.0])
    np.testing.assert_array_equal(g.y_centers, [2050.0, 2150.0, 2250.0])
    assert g.cell_area_m2 == 10_000.0
    assert g.cell_bounds(2, 1) == (1100.0, 2200.0, 1200.0, 2300.0)
    assert g.cell_polygon(2, 1).equals(box(1100.0, 2200.0, 1200.0, 2300.0))
    with pytest.raises(IndexError):
        g.cell_bounds(3, 0)


def test_it_rows_grow_northward(g):
    i, j = g.cell_index([1050.0], [2250.0])
    assert (int(i[0]), int(j[0])) == (2, 0)


def test_it_uses_half_open_cells_at_the_edges(g):
    # West and south edges are inside; east and north edges (of every cell, hence of the grid)
    # belong to the next cell, so the grid's own east and north boundary are outside.
    xs = np.array([1000.0, 1100.0, 1399.999, 1400.0, 999.999, 1000.0, 1000.0, 1000.0])
    ys = np.array([2000.0, 2000.0, 2000.0, 2000.0, 2000.0, 2299.999, 2300.0, 1999.999])
    i, j = g.cell_index(xs, ys)
    assert i.tolist() == [0, 0, 0, -1, -1, 2, -1, -1]
    assert j.tolist() == [0, 1, 3, -1, -1, 0, -1, -1]
    i, j = g.cell_index([np.nan], [2100.0])
    assert (i[0], j[0]) == (-1, -1)


def test_it_counts_points_per_cell_ignoring_outsiders(g, rng):
    x = rng.uniform(900.0, 1500.0, 2000)
    y = rng.uniform(1900.0, 2400.0, 2000)
    w = rng.uniform(0.0, 2.0, 2000)
    c = g.counts(x, y, weights=w)
    slow = np.zeros(g.shape)
    for px, py, pw in zip(x, y, w, strict=True):
        for i in range(g.ny):
            for j in range(g.nx):
                x0, y0, x1, y1 = g.cell_bounds(i, j)
                if x0 <= px < x1 and y0 <= py < y1:
                    slow[i, j] += pw
    np.testing.assert_allclose(c, slow, rtol=1e-12)
    assert g.counts(x, y).sum() == np.count_nonzero(g.cell_index(x, y)[0] >= 0)


def test_it_covers_all_points_with_a_margin(rng):
    x = rng.normal(512_000.0, 3000.0, 500)
    y = rng.normal(9_862_000.0, 2000.0, 500)
    x[0], y[0] = x.max() + 100.0, y.max() + 100.0  # an extreme corner point
    for margin in (0.0, 250.0):
        cover = Grid.covering(x, y, cell_m=100.0, margin_m=margin)
        assert (cover.cell_index(x, y)[0] >= 0).all()
        xmin, ymin, xmax, ymax = cover.bounds
        assert xmin <= x.min() - margin and xmax > x.max() + margin
        assert ymin <= y.min() - margin and ymax > y.max() + margin
        assert xmax - x.max() - margin <= 2 * cover.cell_m
        assert cover.x0_m % 100.0 == 0 and cover.y0_m % 100.0 == 0


def test_it_covers_a_point_exactly_on_a_cell_edge():
    cover = Grid.covering([0.0, 300.0], [0.0, 0.0], cell_m=100.0)
    assert cover.nx == 4 and cover.ny == 1
    assert (cover.cell_index([0.0, 300.0], [0.0, 0.0])[0] >= 0).all()


def test_it_covers_and_masks_a_polygon():
    disc = Point(500.0, 500.0).buffer(300.0, quad_segs=64)
    cover = Grid.covering_polygon(disc, cell_m=50.0)
    assert cover.bounds[0] <= 200.0 and cover.bounds[2] > 800.0
    mask = cover.mask_polygon(disc)
    assert mask.shape == cover.shape
    cx, cy = np.meshgrid(cover.x_centers, cover.y_centers)
    expected = np.hypot(cx - 500.0, cy - 500.0) < 300.0
    assert (mask == expected).mean() > 0.995  # only cells on the polygonised circle may differ
    assert mask.sum() * cover.cell_area_m2 == pytest.approx(np.pi * 300.0**2, rel=0.05)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.0, 0.0, 0.0, 1, 1), "cell_m must be > 0"),
        ((0.0, 0.0, -5.0, 1, 1), "cell_m must be > 0"),
        ((0.0, 0.0, 10.0, 0, 1), "nx must be an integer >= 1"),
        ((0.0, 0.0, 10.0, 1, 2.5), "ny must be an integer >= 1"),
        ((np.nan, 0.0, 10.0, 1, 1), "x0_m must be finite"),
    ],
)
def test_it_rejects_bad_grids(args, message):
    with pytest.raises(ValueError, match=message):
        Grid(*args)


def test_it_is_frozen_and_normalises_types(g):
    with pytest.raises(AttributeError):
        g.nx = 5  # type: ignore[misc]
    assert Grid(np.int64(0), 0, 10, np.int32(3), 2) == Grid(0.0, 0.0, 10.0, 3, 2)
    with pytest.raises(ValueError, match="margin_m"):
        Grid.covering([0.0], [0.0], cell_m=10.0, margin_m=-1.0)


# -- projection ---------------------------------------------------------------------------------


def test_it_puts_balikpapan_in_utm_50_south():
    assert utm_crs_for(BALIKPAPAN_LON, BALIKPAPAN_LAT) == "EPSG:32750"
    x, y, crs = to_metres([BALIKPAPAN_LON], [BALIKPAPAN_LAT])
    assert crs == "EPSG:32750"
    assert 480_000 < x[0] < 520_000 and 9_850_000 < y[0] < 9_870_000


@pytest.mark.parametrize(
    ("lon", "lat", "crs"),
    [
        (-123.1, 49.26, "EPSG:32610"),
        (0.0, 0.0, "EPSG:32631"),
        (179.99, -45.0, "EPSG:32760"),
        (-180.0, 10.0, "EPSG:32601"),
        (180.0, 10.0, "EPSG:32660"),
    ],
)
def test_it_picks_the_utm_zone(lon, lat, crs):
    assert utm_crs_for(lon, lat) == crs


def test_it_round_trips_lonlat_within_a_micro_degree(rng):
    lon = BALIKPAPAN_LON + rng.uniform(-0.2, 0.2, 1000)
    lat = BALIKPAPAN_LAT + rng.uniform(-0.2, 0.2, 1000)
    x, y, crs = to_metres(lon, lat)
    back_lon, back_lat = to_lonlat(x, y, crs)
    assert np.abs(back_lon - lon).max() < 1e-6
    assert np.abs(back_lat - lat).max() < 1e-6


def test_it_reprojects_between_projected_crss():
    x, y, _ = to_metres([BALIKPAPAN_LON], [BALIKPAPAN_LAT], "EPSG:32750")
    x51, y51 = reproject(x, y, "EPSG:32750", "EPSG:32751")
    lon, lat = to_lonlat(x51, y51, "EPSG:32751")
    assert abs(lon[0] - BALIKPAPAN_LON) < 1e-6 and abs(lat[0] - BALIKPAPAN_LAT) < 1e-6
    assert projection._transformer.cache_info().currsize >= 2


def test_it_rejects_what_it_cannot_project():
    with pytest.raises(ValueError, match="differ in shape"):
        to_metres([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="pass crs="):
        to_metres([np.nan], [np.nan])
    with pytest.raises(ValueError, match="not a longitude"):
        utm_crs_for(200.0, 0.0)
