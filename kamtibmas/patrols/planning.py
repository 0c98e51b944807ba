"""From a risk surface to patrol routes: a pure function of its inputs (no database).

1. Micro-places: the highest-scoring forecast cells (150 m by default) inside the unit; a cell
   next to (8-neighbourhood) an already chosen place joins it, up to ``MERGE_MAX`` cells, so one
   hot street is one stop instead of three side by side.
2. Dosage: ``dosage_min`` minutes per visit (15 by default, 10-15 allowed: the Koper curve's
   best residual deterrence comes from 10-15 minutes of presence, after which the effect falls
   off); the top places are visited ``repeat_visits`` times, spread over the shift, rather than
   watched longer.
3. Routes: ``kamtibmas_analytics.routing.solve_routes`` on the travel times given by
   ``distance_m`` (road network or straight line, chosen by the caller), teams as vehicles,
   starting and ending at the Polsek (``start_xy``) when its station is known.
4. Time kept free for calls: only ``hotspot_share`` of the shift goes to visits and the driving
   between them. The solver sees every minute of planned work as ``1 / hotspot_share`` minutes
   of shift, so the free time falls between the visits (and return visits stay spread over the
   whole shift) instead of all at its end.

>>> import numpy as np
>>> from datetime import datetime, timezone
>>> from kamtibmas_analytics.grid import Grid
>>> scores = np.zeros((3, 3)); scores[0, 0] = 3; scores[2, 2] = 2
>>> surface = RiskSurface(Grid(500_000, 9_860_000, 150, 3, 3), scores, np.ones((3, 3), bool),
...     1, "3c", datetime(2026, 12, 1, 14, tzinfo=timezone.utc),
...     datetime(2026, 12, 1, 22, tzinfo=timezone.utc), "test")
>>> [(p.rank, p.cells) for p in micro_places(surface, 2)]
[(1, [(0, 0)]), (2, [(2, 2)])]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kamtibmas.forecasts.surface import METRIC_CRS, RiskSurface
from kamtibmas_analytics import roads
from kamtibmas_analytics.projection import to_lonlat
from kamtibmas_analytics.routing import solve_routes

MERGE_MAX = 3  # cells per micro-place
DistanceFn = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True)
class PlanningOptions:
    teams: int = 2
    dosage_min: int = 15
    repeat_visits: int = 2  # visits to each of the top places (1: no return visits)
    repeat_top: int | None = None  # how many places get return visits (default: one per team)
    max_places: int | None = None  # candidates handed to the solver (default: what could fit)
    speed_kmh: float = roads.DEFAULT_SPEED_KMH
    time_limit_s: float = 5.0
    hotspot_share: float = 1.0  # share of the shift for planned visits; the rest for calls
    start_xy: tuple[float, float] | None = None  # where teams start and end (metres), if known

    def __post_init__(self) -> None:
        if not 0.1 <= self.hotspot_share <= 1.0:
            raise ValueError("hotspot share must be 0.1-1")
        if not 10 <= self.dosage_min <= 15:
            raise ValueError("dosage must be 10-15 minutes")
        if not 1 <= self.teams <= 20:
            raise ValueError("teams must be 1-20")


@dataclass
class Place:
    """A micro-place: one or a few adjacent cells, located at their score-weighted centre."""

    rank: int
    cells: list[tuple[int, int]]
    score: float
    x: float
    y: float
    lon: float = 0.0
    lat: float = 0.0
    reason: dict[str, Any] = field(default_factory=dict)


@dataclass
class PlannedStop:
    place: Place
    team: int | None  # index into the teams, None: a candidate left for the commander
    order: int
    dosage_min: int
    visits: int
    arrivals_min: list[float]
    travel_min: float | None


@dataclass
class Proposal:
    stops: list[PlannedStop]
    status: str
    horizon_min: float
    notes: list[str] = field(default_factory=list)
    hotspot_share: float = 1.0
    start_known: bool = False

    def team_stops(self, team: int) -> list[PlannedStop]:
        return sorted((s for s in self.stops if s.team == team), key=lambda s: s.order)

    @property
    def candidates(self) -> list[PlannedStop]:
        return sorted((s for s in self.stops if s.team is None), key=lambda s: s.place.rank)


def micro_places(surface: RiskSurface, n: int) -> list[Place]:
    """The ``n`` best micro-places of ``surface`` (scores > 0 only), best first."""
    grid = surface.grid
    groups: list[list[tuple[int, int, float]]] = []
    owner: dict[tuple[int, int], int] = {}
    for i, j, score in surface.top_cells(n * MERGE_MAX * 2):
        if score <= 0:
            break
        near = [owner[(i + di, j + dj)] for di in (-1, 0, 1) for dj in (-1, 0, 1)
                if (i + di, j + dj) in owner]  # fmt: skip
        target = min(near) if near else None
        if target is not None and len(groups[target]) < MERGE_MAX:
            groups[target].append((i, j, score))
            owner[(i, j)] = target
        elif target is None and len(groups) < n:
            owner[(i, j)] = len(groups)
            groups.append([(i, j, score)])
    places = []
    for rank, cells in enumerate(groups, start=1):
        weights = np.array([c[2] for c in cells])
        xs = np.array([grid.x_centers[c[1]] for c in cells])
        ys = np.array([grid.y_centers[c[0]] for c in cells])
        ij = [(c[0], c[1]) for c in cells]
        places.append(Place(
            rank=rank, cells=ij, score=float(weights.sum()),
            x=float(np.average(xs, weights=weights)), y=float(np.average(ys, weights=weights)),
            reason=dict(surface.explanations.get(ij[0], {})),
        ))  # fmt: skip
    if places:
        lon, lat = to_lonlat([p.x for p in places], [p.y for p in places], METRIC_CRS)
        for place, lo, la in zip(places, lon, lat, strict=True):
            place.lon, place.lat = round(float(lo), 6), round(float(la), 6)
    return places


def candidate_count(options: PlanningOptions, horizon_min: float) -> int:
    """Enough places to fill every team's shift if they were close together, plus spares."""
    if options.max_places:
        return options.max_places
    per_team = horizon_min * options.hotspot_share / (options.dosage_min + 3)
    return int(min(80, max(5, round(options.teams * per_team * 1.3))))


def visit_counts(places: list[Place], options: PlanningOptions) -> list[int]:
    top = options.teams if options.repeat_top is None else options.repeat_top
    return [options.repeat_visits if p.rank <= top else 1 for p in places]


def propose(
    surface: RiskSurface, options: PlanningOptions, distance_m: DistanceFn | None = None
) -> Proposal:
    """Micro-places, dosage and routes for ``options.teams`` teams over the surface's window.

    ``distance_m(x, y)`` gives the metres between places (default: straight line times the
    detour factor)."""
    horizon = (surface.end - surface.start).total_seconds() / 60.0
    places = micro_places(surface, candidate_count(options, horizon))
    if not places:
        return Proposal([], "no_places", horizon, ["no risk above zero in the area"],
                        options.hotspot_share, options.start_xy is not None)  # fmt: skip
    share, depot = options.hotspot_share, options.start_xy is not None
    travel = route_minutes(_with_start(places, options.start_xy), distance_m, options.speed_kmh)
    visits = visit_counts(places, options)
    plan = solve_routes(
        travel / share, service_min=[options.dosage_min / share] * len(places),
        prize=[p.score for p in places], teams=options.teams, horizon_min=horizon, visits=visits,
        depot=depot, time_limit_s=options.time_limit_s,
    )  # fmt: skip
    stops: list[PlannedStop] = []
    for team, route in enumerate(plan.routes):
        real_travel = [t * share for t in plan.travel_min[team]]
        stops += _team_stops(team, route, plan.arrival_min[team], real_travel, places,
                             options.dosage_min)  # fmt: skip
    for p in plan.dropped:
        stops.append(PlannedStop(places[p], None, 0, options.dosage_min, 1, [], None))
    return Proposal(stops, plan.status, horizon, [], share, depot)


def _with_start(places: list[Place], start_xy: tuple[float, float] | None) -> list[Place]:
    """``places`` with the teams' start prepended (row/column 0 of the travel matrix)."""
    if start_xy is None:
        return places
    return [Place(0, [], 0.0, start_xy[0], start_xy[1]), *places]


def route_minutes(
    places: list[Place], distance_m: DistanceFn | None, speed_kmh: float
) -> NDArray[np.float64]:
    xs = np.array([p.x for p in places])
    ys = np.array([p.y for p in places])
    metres = distance_m(xs, ys) if distance_m else roads.straight_line_metres(xs, ys)
    return roads.travel_minutes(metres, speed_kmh)


def _team_stops(
    team: int,
    route: list[int],
    arrivals: list[float],
    travels: list[float],
    places: list[Place],
    dosage: int,
) -> list[PlannedStop]:
    """One stop per place in the order of its first visit; return visits add arrival times."""
    by_place: dict[int, PlannedStop] = {}
    for p, arrive, travel in zip(route, arrivals, travels, strict=True):
        if p in by_place:  # a return visit: the stop's visits are the ones routed
            by_place[p].arrivals_min.append(round(arrive, 1))
            by_place[p].visits = len(by_place[p].arrivals_min)
            continue
        by_place[p] = PlannedStop(places[p], team, len(by_place) + 1, dosage, 1,
                                  [round(arrive, 1)], round(travel, 1))  # fmt: skip
    return list(by_place.values())
