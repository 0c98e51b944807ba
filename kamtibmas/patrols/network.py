"""The stored road network: import, load (cached per process), distances and route paths.

Places inside the network's coverage (its roads buffered by ``COVERAGE_BUFFER_M``) get road
distances between them; a pair with either place outside gets the straight line times the
detour factor. One active network at a time (the most recently imported).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.utils import timezone
from numpy.typing import NDArray
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from kamtibmas.forecasts.surface import METRIC_CRS
from kamtibmas.patrols.models import PatrolPlan, PatrolStop, RoadNetwork
from kamtibmas_analytics import roads
from kamtibmas_analytics.projection import to_lonlat, to_metres

log = logging.getLogger(__name__)
COVERAGE_BUFFER_M = 300.0
_CACHE: dict[tuple[int, str], LoadedNetwork] = {}


@dataclass(frozen=True)
class LoadedNetwork:
    name: str
    graph: roads.RoadGraph
    coverage_m: BaseGeometry  # metres, EPSG:32750

    def covers(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.bool_]:
        return np.asarray(shapely.contains_xy(self.coverage_m, x, y), dtype=bool)


@dataclass(frozen=True)
class ImportSummary:
    network: RoadNetwork
    nodes: int
    edges: int
    area_km2: float
    bounds: tuple[float, float, float, float]  # lon/lat


def import_file(path: str | Path, name: str | None = None, user: Any = None) -> ImportSummary:
    """Read a GeoJSON road file and store it as the active network (replacing one of the same
    name). Raises ``roads.RoadDataError`` or ``OSError`` with a plain message."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise roads.RoadDataError(f"not valid JSON (line {exc.lineno})") from None
    graph = roads.RoadGraph.from_geojson(data, crs=METRIC_CRS)
    coverage_m = graph.coverage(COVERAGE_BUFFER_M)
    stored = graph.to_json()
    network, _ = RoadNetwork.objects.update_or_create(
        name=name or path.stem,
        defaults={
            "source_file": path.name, "nodes": stored["nodes"], "edges": stored["edges"],
            "coverage": mapping(_lonlat_geometry(coverage_m)), "node_count": graph.node_count,
            "edge_count": graph.edge_count, "area_km2": round(coverage_m.area / 1e6, 2),
            "imported_by": user if getattr(user, "is_authenticated", False) else None,
            "is_active": True, "imported_at": timezone.now(),
        },
    )  # fmt: skip
    RoadNetwork.objects.exclude(pk=network.pk).update(is_active=False)
    lon, lat = graph.node_lonlat[:, 0], graph.node_lonlat[:, 1]
    bounds = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    return ImportSummary(network, graph.node_count, graph.edge_count, network.area_km2, bounds)


def _lonlat_geometry(geom_m: BaseGeometry) -> BaseGeometry:
    def back(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = to_lonlat(coords[:, 0], coords[:, 1], METRIC_CRS)
        return np.column_stack([lon, lat])

    return shapely.transform(geom_m, back)


def _metre_geometry(geom: BaseGeometry) -> BaseGeometry:
    def forward(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y, _ = to_metres(coords[:, 0], coords[:, 1], METRIC_CRS)
        return np.column_stack([x, y])

    return shapely.transform(geom, forward)


def active_network() -> LoadedNetwork | None:
    """The active road network, loaded once per process and import."""
    row = (
        RoadNetwork.objects.filter(is_active=True)
        .order_by("-imported_at")
        .values("pk", "imported_at")
        .first()
    )
    if row is None:
        return None
    key = (row["pk"], row["imported_at"].isoformat())
    if key not in _CACHE:
        net = RoadNetwork.objects.get(pk=row["pk"])
        graph = roads.RoadGraph.from_json(net.nodes, net.edges, METRIC_CRS)
        coverage = _metre_geometry(shape(net.coverage))
        _CACHE.clear()
        _CACHE[key] = LoadedNetwork(net.name, graph, coverage)
    return _CACHE[key]


def distance_fn(network: LoadedNetwork | None) -> Any:
    """Metres between places: road distances for pairs inside the coverage, else straight."""
    if network is None:
        return None

    def distances(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
        out = roads.straight_line_metres(x, y)
        inside = np.flatnonzero(network.covers(x, y))
        if len(inside) > 1:
            road = network.graph.distance_matrix(x[inside], y[inside])
            out[np.ix_(inside, inside)] = road
        return out

    return distances


def place_label(x: float, y: float, area: Any, network: LoadedNetwork | None) -> str:
    """A street near the place and its kelurahan ("Jalan X, Kelurahan Y"), or just the
    kelurahan's name when no named street is close."""
    street = ""
    if network is not None and network.covers(np.array([x]), np.array([y]))[0]:
        street = network.graph.street_near(x, y)
    kelurahan = area.kelurahan_name if area is not None else ""
    return ", ".join(part for part in (street, kelurahan) if part)[:200]


def store_paths(plan: PatrolPlan, network: LoadedNetwork | None) -> None:
    """Road paths between consecutive stops of each team (empty where no road network covers
    both stops: the map then draws a straight line)."""
    stops = list(plan.stops.filter(team__isnull=False).order_by("team_id", "order", "pk"))
    changed = []
    for prev, stop in zip(stops[:-1], stops[1:], strict=True):
        path: list[list[float]] = []
        if network is not None and prev.team_id == stop.team_id:
            path = _leg(network, prev, stop)
        if stop.path != path:
            stop.path = path
            changed.append(stop)
    for first in {s.team_id: s for s in reversed(stops)}.values():
        if first.path:
            first.path = []
            changed.append(first)
    if changed:
        PatrolStop.objects.bulk_update(changed, ["path"])


def _leg(network: LoadedNetwork, a: PatrolStop, b: PatrolStop) -> list[list[float]]:
    x, y, _ = to_metres([a.lon, b.lon], [a.lat, b.lat], METRIC_CRS)
    if not network.covers(x, y).all():
        return []
    [coords] = network.graph.path_coords(x, y)
    line = [[a.lat, a.lon]] + [[round(c[1], 6), round(c[0], 6)] for c in coords]
    return line + [[b.lat, b.lon]]
