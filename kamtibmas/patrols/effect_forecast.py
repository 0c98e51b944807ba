"""The forecast rank of each place of the patrol effect, from the forecast runs the plans used.

Plans pick their places by forecast risk, so the fair comparison for a patrolled place is an
unpatrolled place that the same forecasts rated as risky. For every plan in the period the run
is the one the plan stored (``PatrolPlan.forecast_run_id``) or, when that is missing or gone,
the stored run planning would have used: the narrowest ``ForecastRun`` of the plan's unit and
group covering its shift, newest first (as ``kamtibmas.forecasts.surface`` picks it).

A run's scores differ in scale between windows (a shift, seven days), so each run is turned
into percentile ranks over the cells inside its unit (0 = least risky, 1 = most); a place's
rank is the mean over the runs of its unit that cover it. A place no run covers has no rank.
A long period holds a run per night and Polsek; past ``MAX_RUNS_PER_UNIT`` runs of a unit an
evenly spaced subset (by start) is used: the mean rank barely moves, the page stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from kamtibmas.forecasts.models import ForecastRun

Cell = tuple[int, int]
MAX_RUNS_PER_UNIT = 60


@dataclass(frozen=True)
class PlaceRank:
    unit_id: int  # the unit whose forecasts scored the place: places are banded within it
    rank: float  # mean percentile rank of the forecast score, 0-1


def runs_of(plans: Iterable[Any]) -> list[ForecastRun]:
    """The forecast run of each plan (stored id first, else the covering window), deduplicated."""
    plans = list(plans)
    stored = {p.forecast_run_id for p in plans if p.forecast_run_id}
    found = {r.pk: r for r in ForecastRun.objects.filter(pk__in=stored).defer("surface")}
    chosen = {p.forecast_run_id for p in plans if p.forecast_run_id in found}
    missing = [p for p in plans if p.forecast_run_id not in found]
    if missing:
        chosen |= _covering_runs(missing)
    return list(ForecastRun.objects.filter(pk__in=_thinned(chosen)).order_by("pk"))


def _thinned(run_ids: set[int]) -> list[int]:
    """At most ``MAX_RUNS_PER_UNIT`` run ids per unit, evenly spaced in time."""
    by_unit: dict[int, list[int]] = {}
    rows = ForecastRun.objects.filter(pk__in=run_ids).order_by("start", "pk")
    for pk, unit_id in rows.values_list("pk", "unit_id"):
        by_unit.setdefault(unit_id, []).append(pk)
    kept = []
    for ids in by_unit.values():
        if len(ids) > MAX_RUNS_PER_UNIT:
            picks = np.linspace(0, len(ids) - 1, MAX_RUNS_PER_UNIT).round().astype(int)
            ids = [ids[k] for k in sorted(set(picks.tolist()))]
        kept += ids
    return kept


def _covering_runs(plans: Sequence[Any]) -> set[int]:
    candidates = list(
        ForecastRun.objects.filter(
            unit_id__in={p.unit_id for p in plans}, group__in={p.group for p in plans},
            start__lte=max(p.start for p in plans), end__gte=min(p.end for p in plans),
        ).defer("surface").order_by("-created_at")
    )  # fmt: skip
    chosen = set()
    for plan in plans:
        covering = [r for r in candidates if r.unit_id == plan.unit_id and r.group == plan.group
                    and r.start <= plan.start and r.end >= plan.end]  # fmt: skip
        best = min(covering, key=lambda r: r.end - r.start, default=None)
        if best is not None:
            chosen.add(best.pk)
    return chosen


def place_ranks(
    runs: Sequence[ForecastRun], x: NDArray[np.float64], y: NDArray[np.float64]
) -> list[PlaceRank | None]:
    """The forecast rank of each place (centre ``x``, ``y`` in the runs' metres), None where
    no run covers it. A place inside several units' areas belongs to the lowest unit id."""
    totals: dict[int, tuple[NDArray[np.float64], NDArray[np.int64]]] = {}
    for run in runs:
        value = _run_ranks_at(run, x, y)
        total, count = totals.get(run.unit_id, (np.zeros(x.size), np.zeros(x.size, np.int64)))
        seen = np.isfinite(value)
        totals[run.unit_id] = (total + np.where(seen, value, 0.0), count + seen)
    out: list[PlaceRank | None] = [None] * x.size
    for unit_id in sorted(totals, reverse=True):  # the lowest id is written last and wins
        total, count = totals[unit_id]
        for k in np.flatnonzero(count):
            out[k] = PlaceRank(unit_id, float(total[k] / count[k]))
    return out


def _run_ranks_at(
    run: ForecastRun, x: NDArray[np.float64], y: NDArray[np.float64]
) -> NDArray[np.float64]:
    scores, mask = run.arrays()
    ranks = np.full(scores.shape, np.nan)
    if mask.any():
        ranks[mask] = stats.rankdata(scores[mask], method="average") / mask.sum()
    i, j = run.grid.cell_index(x, y)
    inside = (i >= 0) & (j >= 0)
    out = np.full(x.size, np.nan)
    out[inside] = ranks[i[inside], j[inside]]
    return out
