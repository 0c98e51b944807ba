"""Road graphs and patrol routes (Django-free): tiny hand-made networks whose shortest paths are
known, small routing problems whose optimum is obvious, and the real Balikpapan Kota roads."""

from __future__ import annotations

import doctest
import itertools
import json
import math

import numpy as np
import pytest

from kamtibmas_analytics import roads, routing
from kamtibmas_analytics.roads import RoadDataError, RoadGraph
from kamtibmas_analytics.routing import solve_routes
from tests.conftest import shared_data


def line(*coords: tuple[float, float], **props: object) -> dict:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]},
    }


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


# A 100 m square A(0,0) B(100,0) C(100,100) D(0,100) with a one-way diagonal A -> C.
SQUARE = collection(
    line((0, 0), (100, 0)),
    line((100, 0), (100, 100)),
    line((100, 100), (0, 100)),
    line((0, 100), (0, 0)),
    line((0, 0), (50, 60), (100, 100), oneway="True", length="150"),
)


def test_it_finds_the_known_shortest_paths_on_a_square_with_a_one_way_diagonal() -> None:
    g = RoadGraph.from_geojson(SQUARE, crs=None)
    assert g.node_count == 4
    dist = g.distance_matrix([0, 100, 100, 0], [0, 0, 100, 100])
    assert dist[0, 2] == pytest.approx(150.0)  # A -> C along the diagonal
    assert dist[2, 0] == pytest.approx(200.0)  # C -> A cannot use it: around the square
    assert dist[0, 1] == pytest.approx(100.0)
    assert dist[1, 3] == pytest.approx(200.0)


def test_it_draws_the_path_along_the_segment_geometry() -> None:
    g = RoadGraph.from_geojson(SQUARE, crs=None)
    [leg] = g.path_coords([0, 100], [0, 100])
    assert leg == [[0.0, 0.0], [50.0, 60.0], [100.0, 100.0]]
    [back] = g.path_coords([100, 0], [100, 0])
    assert back[0] == [100.0, 100.0] and back[-1] == [0.0, 0.0] and len(back) == 3


def test_it_snaps_segment_ends_that_almost_meet() -> None:
    gap = collection(line((0, 0), (100, 0)), line((100.4, 0.2), (200, 0)))
    g = RoadGraph.from_geojson(gap, crs=None, snap_m=1.0)
    assert g.node_count == 3
    assert g.distance_matrix([0, 200], [0, 0])[0, 1] == pytest.approx(200.0, abs=1.0)
    apart = RoadGraph.from_geojson(gap, crs=None, snap_m=0.1)
    assert apart.node_count == 4


def test_it_adds_the_off_road_access_and_ignores_small_islands() -> None:
    island = collection(
        line((0, 0), (100, 0)), line((100, 0), (200, 0)), line((5000, 0), (5001, 0))
    )
    g = RoadGraph.from_geojson(island, crs=None)
    # A point near the island snaps to the main network instead (every pair has a path).
    dist = g.distance_matrix([0, 4990], [30, 0])
    assert math.isfinite(dist[0, 1])
    assert dist[0, 1] == pytest.approx(30 + 200 + 4790)


def test_it_matches_floyd_warshall_on_a_random_grid_network() -> None:
    rng = np.random.default_rng(7)
    features, edges = [], {}
    pts = [(float(x * 100), float(y * 100)) for x in range(4) for y in range(4)]
    for a, b in itertools.combinations(range(len(pts)), 2):
        (x1, y1), (x2, y2) = pts[a], pts[b]
        if abs(x1 - x2) + abs(y1 - y2) == 100 and rng.random() < 0.85:
            length = float(rng.uniform(100, 300))
            oneway = bool(rng.random() < 0.2)
            features.append(line(pts[a], pts[b], length=str(length), oneway=str(oneway)))
            edges[(a, b)] = length
            if not oneway:
                edges[(b, a)] = length
    g = RoadGraph.from_geojson(collection(*features), crs=None)
    n = len(pts)
    fw = np.full((n, n), np.inf)
    np.fill_diagonal(fw, 0.0)
    for (a, b), length in edges.items():
        fw[a, b] = min(fw[a, b], length)
    for k in range(n):
        fw = np.minimum(fw, fw[:, [k]] + fw[[k], :])
    main = set(g.main_nodes().tolist())
    node_at = {tuple(np.round(g.node_xy[k]).tolist()): k for k in range(g.node_count)}
    keep = [p for p in range(n) if node_at.get(pts[p]) in main]
    xs = [pts[p][0] for p in keep]
    ys = [pts[p][1] for p in keep]
    np.testing.assert_allclose(g.distance_matrix(xs, ys), fw[np.ix_(keep, keep)], rtol=1e-9)


def test_it_stores_and_reloads_the_graph_with_street_names() -> None:
    named = collection(
        line((0, 0), (100, 0), name="Jalan Sudirman"),
        line((100, 0), (100, 100), name="['Jalan A', 'Jalan B']"),
        line((100, 100), (0, 100)),
    )
    g = RoadGraph.from_geojson(named, crs=None)
    stored = json.loads(json.dumps(g.to_json()))
    back = RoadGraph.from_json(stored["nodes"], stored["edges"], crs=None)
    np.testing.assert_allclose(
        back.distance_matrix([0, 100, 0], [0, 100, 100]),
        g.distance_matrix([0, 100, 0], [0, 100, 100]),
    )
    assert back.street_near(5.0, 3.0) == "Jalan Sudirman"
    assert back.street_near(100.0, 60.0) in {"Jalan A", "Jalan Sudirman"}
    assert back.street_near(0.0, 100.0, max_m=50.0) == ""  # the only street there: no name
    assert back.street_near(900.0, 900.0) == ""  # too far from any node


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"type": "Feature"}, "FeatureCollection"),
        (collection(), "no features"),
        (collection({"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}}),
         "LineString"),
        (collection(line((0, 0))), "two points"),
        (collection(line((0, 0), ("a", 1))), "not numbers"),
        (collection(line((0, 0), (0, 0))), "no usable"),
    ],
)  # fmt: skip
def test_it_rejects_bad_road_data_with_a_message(data: dict, words: str) -> None:
    with pytest.raises(RoadDataError, match=words):
        RoadGraph.from_geojson(data, crs=None)


def test_it_reads_the_balikpapan_kota_network() -> None:
    with open(shared_data("balikpapan", "roads_kecamatan_balikpapan_kota_osm.geojson")) as fh:
        data = json.load(fh)
    g = RoadGraph.from_geojson(data, crs="EPSG:32750")
    assert 800 < g.node_count < 2683 and 2000 < g.edge_count <= 2 * 2683
    assert len(g.main_nodes()) > 0.8 * g.node_count
    # Two places in Balikpapan Kota about 1 km apart: the road is longer than the crow flies.
    from kamtibmas_analytics.projection import to_metres

    x, y, _ = to_metres([116.8320, 116.8410], [-1.2700, -1.2700], "EPSG:32750")
    dist = g.distance_matrix(x, y)
    crow = float(np.hypot(x[1] - x[0], y[1] - y[0]))
    assert crow < dist[0, 1] < 4 * crow
    area = g.coverage()
    import shapely

    assert shapely.contains_xy(area, x[0], y[0])
    assert not shapely.contains_xy(area, x[0] + 20_000, y[0])


def test_travel_minutes_and_the_straight_line_fallback() -> None:
    assert float(roads.travel_minutes(2000.0, 20.0)) == pytest.approx(6.0)
    sl = roads.straight_line_metres([0, 300], [0, 400])
    assert sl[0, 1] == pytest.approx(500 * roads.DETOUR_FACTOR)


# ---- routing --------------------------------------------------------------------------------


def cluster_problem() -> tuple[np.ndarray, list[float]]:
    """Places 0-2 on a line in the west, 3-5 on a line 10 km east (1 km apart in each)."""
    xs = np.array([0, 1000, 2000, 10000, 11000, 12000], dtype=float)
    travel = roads.travel_minutes(np.abs(xs[:, None] - xs[None, :]))
    return travel, [1.0] * 6


def test_it_gives_each_team_one_cluster_in_line_order() -> None:
    travel, prize = cluster_problem()
    plan = solve_routes(travel, service_min=[15] * 6, prize=prize, teams=2, horizon_min=480)
    assert plan.dropped == []
    assert sorted(sorted(r) for r in plan.routes) == [[0, 1, 2], [3, 4, 5]]
    for route in plan.routes:
        assert route in ([0, 1, 2], [2, 1, 0], [3, 4, 5], [5, 4, 3])
    # Open routes: the first leg is free, then 3 minutes per kilometre at 20 km/h.
    for travel_min in plan.travel_min:
        assert travel_min == pytest.approx([0.0, 3.0, 3.0])


def test_it_keeps_the_riskiest_places_that_fit_the_shift() -> None:
    travel = np.full((4, 4), 2.0)
    np.fill_diagonal(travel, 0.0)
    # Each place costs 15 minutes plus 2 of driving: 40 minutes hold two places.
    plan = solve_routes(travel, service_min=[15] * 4, prize=[0.1, 0.9, 0.3, 0.8], teams=1,
                        horizon_min=40)  # fmt: skip
    assert sorted(plan.visited) == [1, 3]
    assert plan.dropped == [0, 2]
    assert plan.arrival_min[0][0] == 0.0 and plan.arrival_min[0][1] == pytest.approx(17.0)


def test_it_spreads_repeat_visits_over_the_shift() -> None:
    travel = np.array([[0.0, 5.0], [5.0, 0.0]])
    plan = solve_routes(travel, service_min=[15, 15], prize=[1.0, 0.5], teams=1,
                        horizon_min=120, visits=[2, 1])  # fmt: skip
    route, arrivals = plan.routes[0], plan.arrival_min[0]
    assert sorted(route) == [0, 0, 1]
    first, second = [a for p, a in zip(route, arrivals, strict=True) if p == 0]
    assert first <= 30.0 and 60.0 <= second <= 90.0  # first halves of each hour


def test_it_counts_the_way_from_the_depot() -> None:
    # Depot at x=0, places at 1 km and 2 km: 3 + 15 + 3 + 15 + back 6 = 42 minutes.
    xs = np.array([0.0, 1000.0, 2000.0])
    travel = roads.travel_minutes(np.abs(xs[:, None] - xs[None, :]))
    plan = solve_routes(travel, service_min=[15, 15], prize=[1, 1], teams=1, horizon_min=42,
                        depot=True)  # fmt: skip
    # Either order takes 42 minutes; the first leg from the depot is counted.
    assert plan.routes in ([[0, 1]], [[1, 0]])
    assert plan.travel_min[0] in ([3.0, 3.0], [6.0, 3.0])
    short = solve_routes(travel, service_min=[15, 15], prize=[1, 1], teams=1, horizon_min=41,
                         depot=True)  # fmt: skip
    assert len(short.visited) == 1


def test_it_is_deterministic() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 5000, size=(40, 2))
    travel = roads.travel_minutes(roads.straight_line_metres(xy[:, 0], xy[:, 1]))
    prize = rng.uniform(0, 1, size=40).tolist()
    runs = [
        solve_routes(travel, service_min=[12] * 40, prize=prize, teams=3, horizon_min=180)
        for _ in range(2)
    ]
    assert runs[0].routes == runs[1].routes
    assert 0 < len(runs[0].dropped) < 40
    # Every route fits the shift.
    for route, arrivals in zip(runs[0].routes, runs[0].arrival_min, strict=True):
        assert not route or arrivals[-1] + 12 <= 180


def test_it_rejects_a_bad_matrix() -> None:
    with pytest.raises(ValueError, match="3x3"):
        solve_routes([[0, 1], [1, 0]], service_min=[1, 1, 1], prize=[1, 1, 1], teams=1,
                     horizon_min=10)  # fmt: skip
    with pytest.raises(ValueError, match="finite"):
        solve_routes([[0, math.inf], [1, 0]], service_min=[1, 1], prize=[1, 1], teams=1,
                     horizon_min=10)  # fmt: skip


def test_the_module_examples_hold() -> None:
    assert doctest.testmod(roads).failed == 0
    assert doctest.testmod(routing).failed == 0
