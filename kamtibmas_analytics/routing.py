"""Patrol routes with OR-Tools: which places each team can cover in its shift, and in what order.

A prize-collecting vehicle routing problem: teams are vehicles, the time dimension is the shift
(minutes), each place costs its dosage (service time) plus the travel to it, and a place left
out costs a penalty that grows with its risk, so the solver keeps the riskiest places that fit
and then shortens the driving. A place to be visited ``k`` times becomes ``k`` copies with time
windows spread over the shift (come back later, as the Koper curve suggests, instead of staying):
copy ``m`` of ``k`` arrives in the first half of the ``m``-th ``k``-th of the shift.

Teams start and end where they like (an open route: the first leg is not counted) unless a
start/end point is given as row/column 0 of the travel matrix (``depot=True``).

Deterministic: the first solution comes from parallel cheapest insertion and is improved by
greedy descent, which stops at a local optimum; the time limit is only a safety net.

>>> travel = [[0, 5, 5], [5, 0, 5], [5, 5, 0]]
>>> plan = solve_routes(travel, service_min=[10, 10, 10], prize=[3.0, 2.0, 1.0], teams=1,
...                     horizon_min=25)
>>> sorted(plan.visited), plan.dropped
([0, 1], [2])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["RoutePlan", "solve_routes"]

SECONDS = 60  # the solver works in whole seconds
PENALTY_SCALE = 10_000_000  # the riskiest place's penalty; others in proportion to risk
PENALTY_FLOOR = 100_000  # even a near-zero-risk place is worth more than 27 hours of driving


@dataclass(frozen=True)
class RoutePlan:
    """``routes[t]``: place indexes of team ``t`` in visiting order (a place visited twice
    appears twice); ``arrival_min[t]``: minutes after the shift start at each place;
    ``travel_min[t]``: driving minutes to each place from the previous one (0 for the first
    of an open route); ``dropped``: places not visited at all."""

    routes: list[list[int]]
    arrival_min: list[list[float]]
    travel_min: list[list[float]]
    dropped: list[int]
    status: str
    objective: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def visited(self) -> set[int]:
        return {p for route in self.routes for p in route}


def _check(travel: np.ndarray, n: int, service: Sequence[float], prize: Sequence[float]) -> None:
    if travel.shape != (n, n):
        raise ValueError(f"travel matrix must be {n}x{n}, got {travel.shape}")
    if not np.all(np.isfinite(travel)) or np.any(travel < 0):
        raise ValueError("travel times must be finite and >= 0")
    if len(service) != n or len(prize) != n:
        raise ValueError("service_min and prize need one value per place")


def solve_routes(
    travel_min: ArrayLike,
    *,
    service_min: Sequence[float],
    prize: Sequence[float],
    teams: int,
    horizon_min: float,
    visits: Sequence[int] | None = None,
    depot: bool = False,
    time_limit_s: float = 5.0,
) -> RoutePlan:
    """Routes for ``teams`` teams over places with a travel-time matrix in minutes.

    With ``depot=True`` row/column 0 of ``travel_min`` is the teams' start and end (the
    returned indexes still count places from 0, without the depot).
    """
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    matrix = np.asarray(travel_min, dtype=np.float64)
    if depot:
        start_row, matrix = matrix[0, 1:], matrix[1:, 1:]
        end_col = np.asarray(travel_min, dtype=np.float64)[1:, 0]
    n = len(service_min)
    _check(matrix, n, service_min, prize)
    if teams < 1:
        raise ValueError("teams must be >= 1")
    copies = _expand(n, visits)
    if not depot:
        start_row, end_col = np.zeros(n), np.zeros(n)
    horizon = int(round(horizon_min * SECONDS))
    size = len(copies) + 1  # node 0: where teams start and end
    secs = np.zeros((size, size), dtype=np.int64)
    place = np.array([c[0] for c in copies], dtype=np.intp)
    secs[1:, 1:] = np.rint(matrix[np.ix_(place, place)] * SECONDS)
    secs[0, 1:] = np.rint(start_row[place] * SECONDS)
    secs[1:, 0] = np.rint(end_col[place] * SECONDS)
    service = np.zeros(size, dtype=np.int64)
    service[1:] = np.rint(np.asarray(service_min, dtype=np.float64)[place] * SECONDS)

    manager = pywrapcp.RoutingIndexManager(size, teams, 0)
    routing = pywrapcp.RoutingModel(manager)

    # Matrices, not Python callbacks: the solver reads them in C++ (a callback costs a call
    # into Python per arc evaluation, about a million per plan).
    arc_cb = routing.RegisterTransitMatrix(secs.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(arc_cb)
    time_cb = routing.RegisterTransitMatrix((secs + service[:, None]).tolist())
    routing.AddDimension(time_cb, horizon, horizon, True, "time")
    dim = routing.GetDimensionOrDie("time")
    top = max(max((float(p) for p in prize), default=1.0), 1e-9)
    for node, (p, copy, total) in enumerate(copies, start=1):
        index = manager.NodeToIndex(node)
        weight = max(float(prize[p]), 0.0) / top
        routing.AddDisjunction([index], PENALTY_FLOOR + int(weight * PENALTY_SCALE) // (copy + 1))
        lo, hi = _window(copy, total, horizon)
        dim.CumulVar(index).SetRange(lo, hi)
    for team in range(teams):
        dim.CumulVar(routing.End(team)).SetMax(horizon)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    solution = routing.SolveWithParameters(params)
    status = _status_name(routing.status())
    if solution is None:
        return RoutePlan([[] for _ in range(teams)], [[] for _ in range(teams)],
                         [[] for _ in range(teams)], list(range(n)), status)  # fmt: skip
    return _read(routing, manager, solution, dim, copies, secs, teams, n, status)


def _expand(n: int, visits: Sequence[int] | None) -> list[tuple[int, int, int]]:
    """``(place, copy number, copies of that place)`` for every node to route."""
    counts = [1] * n if visits is None else [max(1, int(v)) for v in visits]
    if len(counts) != n:
        raise ValueError("visits needs one value per place")
    return [(p, c, counts[p]) for p in range(n) for c in range(counts[p])]


def _window(copy: int, total: int, horizon: int) -> tuple[int, int]:
    """Arrival window of the ``copy``-th of ``total`` visits: the first half of its share of
    the shift, so two visits are at least a quarter of the shift apart (for two visits in
    8 hours: the first within 0-2 h, the return within 4-6 h).

    >>> [_window(c, 2, 480) for c in range(2)]
    [(0, 120), (240, 360)]
    """
    if total == 1:
        return 0, horizon
    share = horizon / total
    start = int(math.floor(copy * share))
    return start, start + int(math.floor(share / 2))


def _status_name(code: int) -> str:
    names = {0: "not_solved", 1: "optimal_or_local", 2: "no_solution", 3: "time_limit",
             4: "invalid", 7: "optimal"}  # fmt: skip
    return names.get(int(code), f"status_{int(code)}")


def _read(
    routing: object,
    manager: object,
    solution: object,
    dim: object,
    copies: list[tuple[int, int, int]],
    secs: np.ndarray,
    teams: int,
    n: int,
    status: str,
) -> RoutePlan:
    routes, arrivals, travels = [], [], []
    for team in range(teams):
        route: list[int] = []
        arrive: list[float] = []
        travel: list[float] = []
        index = routing.Start(team)  # type: ignore[attr-defined]
        prev = 0
        while True:
            index = solution.Value(routing.NextVar(index))  # type: ignore[attr-defined]
            if routing.IsEnd(index):  # type: ignore[attr-defined]
                break
            node = manager.IndexToNode(index)  # type: ignore[attr-defined]
            route.append(copies[node - 1][0])
            arrive.append(solution.Value(dim.CumulVar(index)) / SECONDS)  # type: ignore[attr-defined]
            travel.append(float(secs[prev, node]) / SECONDS)
            prev = node
        routes.append(route)
        arrivals.append(arrive)
        travels.append(travel)
    visited = {p for r in routes for p in r}
    objective = int(solution.ObjectiveValue())  # type: ignore[attr-defined]
    dropped = [p for p in range(n) if p not in visited]
    return RoutePlan(routes, arrivals, travels, dropped, status, objective)
