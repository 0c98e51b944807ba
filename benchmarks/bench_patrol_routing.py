"""Patrol routing on the real Balikpapan Kota road network: CPU time of each step.

    .venv/bin/python benchmarks/bench_patrol_routing.py            # prints, updates RESULTS.md
    .venv/bin/python benchmarks/bench_patrol_routing.py --no-write # prints only

Steps: build the road graph from ../shared/data/balikpapan/roads_kecamatan_balikpapan_kota_osm
.geojson; the road distance matrix between N places (seeded random points on the network's
coverage); the OR-Tools routes for 3 teams over an 8-hour shift (15 minutes a place, the top 3
places visited twice). Target: drafting one Polsek's plan (distances + routes) in < 5 s CPU, so
a commander's click answers at once; graph building happens once per process and import.
Times are CPU seconds of this process (``time.process_time``): the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import sys
import time

import numpy as np
from benchutil import write_section  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ROADS = ROOT.parent / "shared/data/balikpapan/roads_kecamatan_balikpapan_kota_osm.geojson"
HEADING = "## Patrol routing (road network + OR-Tools)"
RESULTS = pathlib.Path(__file__).with_name("RESULTS.md")
CRS = "EPSG:32750"


def cpu(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.process_time()
    result = fn(*args, **kwargs)
    return result, time.process_time() - start


def places_on(graph, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """``n`` points within 100 m of random main-network nodes."""
    rng = np.random.default_rng(seed)
    nodes = rng.choice(graph.main_nodes(), size=n, replace=False)
    xy = graph.node_xy[nodes] + rng.uniform(-100, 100, size=(n, 2))
    return xy[:, 0], xy[:, 1]


def main() -> None:
    from kamtibmas_analytics import roads
    from kamtibmas_analytics.routing import solve_routes

    parser = argparse.ArgumentParser()
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    data = json.loads(ROADS.read_text(encoding="utf-8"))
    graph, t_graph = cpu(roads.RoadGraph.from_geojson, data, crs=CRS)
    _, t_main = cpu(graph.main_nodes)
    rows = []
    for n in (20, 40, 80):
        x, y = places_on(graph, n, seed=n)
        metres, t_dist = cpu(graph.distance_matrix, x, y)
        travel = roads.travel_minutes(metres)
        prize = list(np.linspace(1.0, 0.1, n))
        visits = [2, 2, 2] + [1] * (n - 3)
        plan, t_route = cpu(solve_routes, travel, service_min=[15] * n, prize=prize, teams=3,
                            horizon_min=480, visits=visits, time_limit_s=5.0)  # fmt: skip
        rows.append((n, t_dist, t_route, len(plan.visited), plan.status))
    lines = [
        HEADING,
        "",
        f"Run by `benchmarks/bench_patrol_routing.py` on {time.strftime('%Y-%m-%d')}. Machine: "
        f"{platform.processor() or platform.machine()}, nproc {os.cpu_count()}, load average "
        f"{os.getloadavg()[0]:.2f} (shared); Python {platform.python_version()}, numpy "
        f"{np.__version__}, scipy {__import__('scipy').__version__}, ortools "
        f"{__import__('ortools').__version__}. CPU seconds of this process.",
        "",
        f"Road graph: {graph.node_count} nodes, {graph.edge_count} directed edges, built in "
        f"{t_graph:.2f} s (once per process and import); strongly connected part "
        f"{len(graph.main_nodes())} nodes, {t_main:.3f} s.",
        "",
        "| places | distance matrix (Dijkstra) | routes, 3 teams, 8 h | places routed | status |",
        "| ---: | ---: | ---: | ---: | --- |",
    ]
    for n, t_dist, t_route, routed, status in rows:
        lines.append(f"| {n} | {t_dist:.3f} s | {t_route:.3f} s | {routed} | {status} |")
    worst = max(r[1] + r[2] for r in rows)
    lines += ["", f"Target < 5 s CPU per plan (distances + routes): worst {worst:.2f} s, "
              f"{'met' if worst < 5 else '**not met**'}.", ""]  # fmt: skip
    report = "\n".join(lines)
    print(report)
    if not args.no_write:
        write_section(HEADING, report)
        print(f"updated {RESULTS}")


if __name__ == "__main__":
    main()
