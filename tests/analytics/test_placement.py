"""Camera placement: coverage geometry, greedy maximal covering and its exact oracle."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from kamtibmas_analytics.grid import Grid
from kamtibmas_analytics.placement import (
    GREEDY_GUARANTEE,
    CameraSpec,
    build_options,
    camera_cells,
    cell_centre_sites,
    coverage_mask,
    exact_placement,
    greedy_placement,
    junction_sites,
)
from tests.conftest import shared_data

GRID = Grid(0.0, 0.0, 10.0, nx=5, ny=5)  # centres at 5, 15, ..., 45


def _cells(camera: CameraSpec, grid: Grid = GRID) -> set[tuple[int, int]]:
    return {divmod(int(f), grid.nx) for f in camera_cells(grid, camera)}


def _brute_best(risk, existing, options, k):
    """Exhaustive oracle: the best covered risk over all sets of ``k`` options."""
    w = np.where(existing.ravel(), 0.0, risk.ravel())
    rows = [set(options.matrix[o].indices) for o in range(options.n_options)]
    best = 0.0
    for combo in itertools.combinations(range(options.n_options), min(k, options.n_options)):
        cells = set().union(*(rows[o] for o in combo))
        best = max(best, float(w[list(cells)].sum()) if cells else 0.0)
    return best + float(risk[existing].sum())


def test_it_covers_the_cells_whose_centres_are_in_range():
    # Camera at the centre of cell (2, 2); 10 m reaches the four neighbours, not diagonals.
    assert _cells(CameraSpec(25.0, 25.0, 10.0)) == {(2, 2), (1, 2), (3, 2), (2, 1), (2, 3)}
    assert len(_cells(CameraSpec(25.0, 25.0, 15.0))) == 9  # diagonals at 14.1 m


def test_it_always_covers_the_cell_under_the_camera():
    assert _cells(CameraSpec(21.0, 21.0, 1.0)) == {(2, 2)}


def test_it_limits_a_directional_camera_to_its_sector():
    north = _cells(CameraSpec(25.0, 25.0, 20.0, bearing_deg=0.0, fov_deg=90.0))
    # Own cell, straight north 10 and 20 m, and the diagonals at exactly +-45 degrees.
    assert north == {(2, 2), (3, 2), (4, 2), (3, 1), (3, 3)}
    east = _cells(CameraSpec(25.0, 25.0, 20.0, bearing_deg=90.0, fov_deg=60.0))
    assert east == {(2, 2), (2, 3), (2, 4)}
    # A bearing of 350 wraps round north: it sees north, north-west only near the edge.
    wrap = _cells(CameraSpec(25.0, 25.0, 10.0, bearing_deg=350.0, fov_deg=30.0))
    assert wrap == {(2, 2), (3, 2)}


def test_it_treats_a_full_circle_fov_as_omnidirectional():
    assert _cells(CameraSpec(25.0, 25.0, 15.0, 123.0, 360.0)) == _cells(CameraSpec(25, 25, 15))


def test_it_clips_coverage_at_the_grid_edge_and_rejects_bad_cameras():
    assert _cells(CameraSpec(5.0, 5.0, 10.0)) == {(0, 0), (0, 1), (1, 0)}
    with pytest.raises(ValueError):
        camera_cells(GRID, CameraSpec(5.0, 5.0, -1.0))


def test_it_builds_one_option_per_bearing_for_directional_cameras():
    opts = build_options(GRID, [[25.0, 25.0]], range_m=20.0, fov_deg=90.0)
    assert opts.n_options == 8
    assert list(opts.bearing_deg) == [0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0]
    omni = build_options(GRID, [[25.0, 25.0], [5.0, 5.0]], range_m=10.0)
    assert omni.n_options == 2 and all(math.isnan(b) for b in omni.bearing_deg)
    assert omni.matrix[0].nnz == 5 and omni.matrix[1].nnz == 3


def test_it_picks_the_obvious_hotspots_on_a_hand_case():
    risk = np.zeros(GRID.shape)
    risk[0, 0], risk[4, 4], risk[2, 2] = 5.0, 3.0, 1.0
    opts = build_options(GRID, cell_centre_sites(GRID), range_m=1.0)
    res = greedy_placement(risk, np.zeros(GRID.shape, bool), opts, k=2)
    assert [(c.x_m, c.y_m) for c in res.cameras] == [(5.0, 5.0), (45.0, 45.0)]
    assert res.gains == [5.0, 3.0]
    assert (res.covered_before, res.covered_after, res.total_risk) == (0.0, 8.0, 9.0)
    assert res.share_after == pytest.approx(8 / 9)


def test_it_does_not_count_risk_under_existing_cameras_twice():
    risk = np.zeros(GRID.shape)
    risk[0, 0], risk[4, 4], risk[2, 2] = 5.0, 3.0, 1.0
    existing = coverage_mask(GRID, [CameraSpec(5.0, 5.0, 1.0)])
    opts = build_options(GRID, cell_centre_sites(GRID), range_m=1.0)
    res = greedy_placement(risk, existing, opts, k=2)
    assert [(c.x_m, c.y_m) for c in res.cameras] == [(45.0, 45.0), (25.0, 25.0)]
    assert res.covered_before == 5.0 and res.covered_after == 9.0
    exact = exact_placement(risk, existing, opts, k=2)
    assert exact.covered_after == 9.0 and exact.optimal


def test_it_stops_when_nothing_more_can_be_covered():
    risk = np.zeros(GRID.shape)
    risk[1, 1] = 2.0
    opts = build_options(GRID, cell_centre_sites(GRID), range_m=1.0)
    res = greedy_placement(risk, np.zeros(GRID.shape, bool), opts, k=5)
    assert len(res.cameras) == 1 and res.covered_after == 2.0


def test_it_does_better_than_the_naive_top_cells_when_cameras_overlap():
    # Two neighbouring hot cells are seen by one camera between them; greedy should spend the
    # second camera elsewhere instead of on the neighbour.
    risk = np.zeros(GRID.shape)
    risk[2, 1], risk[2, 2], risk[0, 4] = 4.0, 4.0, 3.0
    opts = build_options(GRID, cell_centre_sites(GRID), range_m=10.0)
    res = greedy_placement(risk, np.zeros(GRID.shape, bool), opts, k=2)
    assert res.covered_after == 11.0


@pytest.mark.parametrize("seed", range(12))
def test_it_keeps_greedy_between_the_guarantee_and_the_optimum(seed):
    rng = np.random.default_rng(seed)
    grid = Grid(0.0, 0.0, 10.0, nx=6, ny=6)
    risk = rng.gamma(0.5, 1.0, size=grid.shape) * (rng.random(grid.shape) < 0.6)
    existing = coverage_mask(grid, [CameraSpec(*rng.uniform(0, 60, 2), 12.0)])
    sites = rng.uniform(0, 60, size=(9, 2))
    fov = 360.0 if seed % 2 == 0 else 90.0
    opts = build_options(grid, sites, range_m=rng.uniform(10, 25), fov_deg=fov)
    k = int(rng.integers(1, 4))
    greedy = greedy_placement(risk, existing, opts, k)
    exact = exact_placement(risk, existing, opts, k)
    before = greedy.covered_before
    assert exact.optimal and exact.covered_before == pytest.approx(before)
    if fov == 360.0:  # the exhaustive oracle agrees with CP-SAT
        assert exact.covered_after == pytest.approx(_brute_best(risk, existing, opts, k))
    assert exact.covered_after >= greedy.covered_after - 1e-6 * exact.total_risk
    gain_greedy = greedy.covered_after - before
    assert gain_greedy >= GREEDY_GUARANTEE * (exact.covered_after - before) - 1e-9
    assert sum(greedy.gains) == pytest.approx(gain_greedy)
    assert greedy.gains == sorted(greedy.gains, reverse=True)  # diminishing returns


def test_it_reports_the_covered_mask_consistently():
    rng = np.random.default_rng(7)
    risk = rng.random(GRID.shape)
    opts = build_options(GRID, cell_centre_sites(GRID), range_m=10.0)
    res = greedy_placement(risk, np.zeros(GRID.shape, bool), opts, k=3)
    assert float(risk[res.covered_mask].sum()) == pytest.approx(res.covered_after)
    mask = coverage_mask(GRID, [CameraSpec(c.x_m, c.y_m, 10.0) for c in res.cameras])
    assert (mask == res.covered_mask).all()


def test_it_rejects_risk_of_the_wrong_shape_or_sign():
    opts = build_options(GRID, cell_centre_sites(GRID), range_m=10.0)
    with pytest.raises(ValueError, match="shape"):
        greedy_placement(np.zeros((2, 2)), np.zeros((2, 2), bool), opts, 1)
    with pytest.raises(ValueError, match="negative"):
        greedy_placement(-np.ones(GRID.shape), np.zeros(GRID.shape, bool), opts, 1)


def test_it_lists_cell_centres_inside_a_mask():
    mask = np.zeros(GRID.shape, bool)
    mask[1, 3] = True
    assert cell_centre_sites(GRID, mask).tolist() == [[35.0, 15.0]]
    assert len(cell_centre_sites(GRID)) == 25


def test_it_finds_junctions_of_three_or_more_roads():
    def line(a, b):
        return {"type": "Feature", "properties": {}, "geometry": {"type": "LineString",
                "coordinates": [a, b]}}  # fmt: skip

    roads = {"type": "FeatureCollection", "features": [
        line([0, 0], [100, 0]), line([100, 0], [200, 0]), line([100, 0], [100, 100]),
        line([200, 0], [300, 0]),
    ]}  # fmt: skip
    assert junction_sites(roads, crs=None).tolist() == [[100.0, 0.0]]  # type: ignore[arg-type]


def test_it_finds_junctions_in_the_balikpapan_kota_roads():
    path = shared_data("balikpapan", "roads_kecamatan_balikpapan_kota_osm.geojson")
    with open(path, encoding="utf-8") as fh:
        sites = junction_sites(json.load(fh))
    assert 200 < len(sites) < 20000
    # UTM 50S: Balikpapan lies near x 480-500 km, y 9850-9870 km.
    assert sites[:, 0].min() > 470_000 and sites[:, 0].max() < 510_000
    assert sites[:, 1].min() > 9_840_000 and sites[:, 1].max() < 9_880_000


@pytest.mark.parametrize(("range_m", "fov"), [(0.0, 360.0), (14.0, 360.0), (23.0, 75.0)])
def test_it_builds_the_same_options_as_camera_by_camera(range_m, fov):
    rng = np.random.default_rng(3)
    grid = Grid(100.0, -50.0, 7.0, nx=9, ny=6)
    sites = np.vstack([rng.uniform([90, -60], [175, 0], size=(40, 2)), [[100.0, -50.0]]])
    opts = build_options(grid, sites, range_m=range_m, fov_deg=fov)
    for o in range(opts.n_options):
        bearing = None if math.isnan(opts.bearing_deg[o]) else float(opts.bearing_deg[o])
        x, y = sites[opts.site[o]]
        want = camera_cells(grid, CameraSpec(x, y, range_m, bearing, fov))
        assert opts.matrix[o].indices.tolist() == want.tolist(), o


@pytest.mark.parametrize("seed", range(6))
def test_it_bounds_the_optimum_from_above(seed):
    rng = np.random.default_rng(100 + seed)
    grid = Grid(0.0, 0.0, 10.0, nx=7, ny=7)
    risk = rng.random(grid.shape) ** 3
    opts = build_options(grid, rng.uniform(0, 70, (12, 2)), range_m=15.0)
    none = np.zeros(grid.shape, bool)
    greedy = greedy_placement(risk, none, opts, 3)
    exact = exact_placement(risk, none, opts, 3)
    assert greedy.covered_after <= exact.covered_after + 1e-9
    assert exact.covered_after <= greedy.upper_bound + 1e-9
    assert exact.covered_after <= exact.upper_bound + 1e-9
    assert exact.upper_bound <= greedy.upper_bound + 1e-3  # proven optimal: a tight bound


def test_it_never_returns_less_than_greedy_when_the_solver_runs_out_of_time():
    rng = np.random.default_rng(21)
    grid = Grid(0.0, 0.0, 10.0, nx=30, ny=30)
    risk = rng.random(grid.shape) ** 4
    opts = build_options(grid, cell_centre_sites(grid), range_m=25.0)
    none = np.zeros(grid.shape, bool)
    greedy = greedy_placement(risk, none, opts, 8)
    rushed = exact_placement(risk, none, opts, 8, time_limit_s=0.001)
    assert rushed.method == "exact"
    assert rushed.covered_after >= greedy.covered_after - 1e-9
    assert rushed.upper_bound >= rushed.covered_after
