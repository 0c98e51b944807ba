"""The data of the patrol effect: crime counts per grid cell before and after, for the cells
that received patrol dosage and for the comparable cells that did not.

* After period: the chosen date range. Before period: as long, just before it.
* Patrolled cells: the cells of the stops of issued/closed plans in the range (user's scope,
  the crime group) with at least one visit that lasted a minute or more.
* Comparison pool: every other cell with at least one crime of the group in the year before
  the after period (chosen on pre-period data only, never on the outcome).
* Bands (the *matching*): plans choose places by forecast risk, so the main estimate compares
  a patrolled cell with unpatrolled cells the plans' forecasts rated as risky: deciles of the
  mean forecast rank within each unit (``effect_forecast``; ``MATCH_FORECAST``). Where no
  forecast run of the plans is found (old plans, demo gaps) it falls back to deciles of the
  past year's count (``MATCH_PAST_YEAR``), a similar crime level. With a forecast, the
  past-year matching is still computed as a robustness line.
* Placebo check: the same comparison one period earlier (the period before the "before"
  against the "before"), when there were no patrols yet. An "effect" there means the places
  already changed differently, and the estimate should not be trusted.
* Week by week (``weekly_effect``): the same matched comparison for each whole week from the
  placebo period to the end, each place against its own mean before the patrol start (an
  event study), so a commander sees whether the weeks before lie around zero.

Cells are squares of the plans' grid (``cell_m``, aligned with the first stop's grid), in UTM
50S metres; incidents are those the user may see, of the unit chosen (and the units below).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from kamtibmas.forecasts.groups import DEFAULT_GROUP, categories_of
from kamtibmas.forecasts.shifts import WITA
from kamtibmas.incidents.scoping import incidents_for
from kamtibmas.patrols import effect_forecast
from kamtibmas.patrols.dosage import DosageFilter, plans_in
from kamtibmas.patrols.effect_forecast import PlaceRank
from kamtibmas.patrols.models import PatrolStop
from kamtibmas_analytics.patrol_effect import (
    PatrolEffect,
    WeekEffect,
    event_study,
    level_bands,
    score_bands,
)
from kamtibmas_analytics.projection import to_metres

METRIC_CRS = "EPSG:32750"
DEFAULT_CELL_M = 150.0
HISTORY = timedelta(days=365)
MIN_VISIT_MINUTES = 1.0
WEEK = timedelta(days=7)
N_BANDS = 10
MATCH_FORECAST = "forecast"  # deciles of the plans' forecast rank, within each unit
MATCH_PAST_YEAR = "past_year"  # deciles of the past year's crime count
Cell = tuple[int, int]


@dataclass(frozen=True)
class EffectInput:
    group: str
    cell_m: float
    before_start: datetime
    after_start: datetime
    after_end: datetime
    patrolled: set[Cell]
    before: dict[Cell, int]
    after: dict[Cell, int]
    history: dict[Cell, int]
    earlier: dict[Cell, int]  # the period before ``before``, for the placebo check
    weekly: dict[tuple[Cell, int], int] = field(default_factory=dict)  # (cell, week) -> count
    forecast: dict[Cell, PlaceRank] = field(default_factory=dict)  # places a forecast scored
    forecast_runs: int = 0  # the forecast runs of the plans that were found
    # (cell, week) -> count in whole weeks counted from the patrol start (negative: before)
    weeks_from_start: dict[tuple[Cell, int], int] = field(default_factory=dict)

    @property
    def panel_weeks(self) -> tuple[int, int]:
        """Whole weeks before the patrol start (placebo and comparison periods) and after it."""
        before = (self.after_start - self.series_start) // WEEK
        return before, (self.after_end - self.after_start) // WEEK

    @property
    def matching(self) -> str:
        """Forecast matching when a forecast of the plans scored a patrolled place, else the
        past-year fallback."""
        if any(c in self.forecast for c in self.patrolled):
            return MATCH_FORECAST
        return MATCH_PAST_YEAR

    @property
    def unranked(self) -> int:
        """Places no forecast of the plans covered (left out of the forecast matching)."""
        return sum(c not in self.forecast for c in self.places)

    @property
    def places(self) -> list[Cell]:
        """The patrolled cells and the comparison pool, in a stable order."""
        pool = {c for c, n in self.history.items() if n > 0} | self.patrolled
        return sorted(pool)

    @property
    def series_start(self) -> datetime:
        """The first week of the series: the start of the placebo period."""
        return self.before_start - (self.after_start - self.before_start)

    def series(self) -> list[tuple[datetime, float, float]]:
        """Per week from the placebo period to the end: (week start, crimes per patrolled
        place, crimes per comparison place): the two groups over time."""
        places = self.places
        n_patrolled = sum(c in self.patrolled for c in places)
        n_other = len(places) - n_patrolled
        weeks = int(np.ceil((self.after_end - self.series_start) / WEEK))
        out = []
        for w in range(weeks):
            mine = sum(self.weekly.get((c, w), 0) for c in self.patrolled)
            rest = sum(n for (c, k), n in self.weekly.items() if k == w and c not in self.patrolled)
            out.append(
                (
                    self.series_start + w * WEEK,
                    mine / n_patrolled if n_patrolled else 0.0,
                    rest / n_other if n_other else 0.0,
                )
            )
        return out

    def totals(self, patrolled: bool) -> tuple[int, int]:
        cells = [c for c in self.places if (c in self.patrolled) == patrolled]
        return sum(self.before.get(c, 0) for c in cells), sum(self.after.get(c, 0) for c in cells)


@dataclass(frozen=True)
class _GridSpec:
    cell_m: float
    x0: float
    y0: float

    def centres(self, cells: list[Cell]) -> tuple[np.ndarray, np.ndarray]:
        """The centres of ``cells`` in metres (x east, y north)."""
        ij = np.array(cells, dtype=np.float64).reshape(-1, 2)
        return self.x0 + (ij[:, 1] + 0.5) * self.cell_m, self.y0 + (ij[:, 0] + 0.5) * self.cell_m

    def cells(self, lat: Any, lon: Any) -> list[Cell]:
        if len(lat) == 0:
            return []
        x, y, _crs = to_metres(np.asarray(lon, float), np.asarray(lat, float), crs=METRIC_CRS)
        i = np.floor((y - self.y0) / self.cell_m).astype(np.int64)
        j = np.floor((x - self.x0) / self.cell_m).astype(np.int64)
        return list(zip(i.tolist(), j.tolist(), strict=True))


def gather(user: Any, flt: DosageFilter) -> EffectInput:
    """Counts per cell for the user's scope and the filter (group defaults to 3C)."""
    group = flt.group or DEFAULT_GROUP
    plans = list(
        plans_in(user, DosageFilter(flt.unit, flt.date_from, flt.date_to, group, flt.top_k))
    )
    stops = list(PatrolStop.objects.filter(plan__in=plans).prefetch_related("visits"))
    grid = _grid_of(stops)
    dosed = [s for s in stops if any((v.minutes_on_site or 0) >= MIN_VISIT_MINUTES
                                     for v in s.visits.all())]  # fmt: skip
    patrolled = set(grid.cells([s.lat for s in dosed], [s.lon for s in dosed]))
    after_start, after_end = flt.start, flt.end
    length = after_end - after_start
    before_start = after_start - length
    history_start = min(before_start - length, after_start - HISTORY)
    rows = _incidents(user, flt, group, history_start, after_end)
    when = [r[2] for r in rows]
    cells = grid.cells([r[0] for r in rows], [r[1] for r in rows])
    data = EffectInput(
        group=group, cell_m=grid.cell_m, before_start=before_start, after_start=after_start,
        after_end=after_end, patrolled=patrolled,
        before=_count(cells, when, before_start, after_start),
        after=_count(cells, when, after_start, after_end),
        history=_count(cells, when, after_start - HISTORY, after_start),
        earlier=_count(cells, when, before_start - length, before_start),
        weekly=_weekly(cells, when, before_start - length, after_end),
    )  # fmt: skip
    n_pre, n_post = data.panel_weeks
    aligned = _weekly(cells, when, after_start - n_pre * WEEK, after_start + n_post * WEEK)
    data = replace(data, weeks_from_start={(c, w - n_pre): n for (c, w), n in aligned.items()})
    return _with_forecast(data, plans, grid)


def _with_forecast(data: EffectInput, plans: list[Any], grid: _GridSpec) -> EffectInput:
    """``data`` with the forecast rank of its places from the runs the plans used."""
    runs = effect_forecast.runs_of(plans) if plans else []
    places = data.places
    if not runs or not places:
        return replace(data, forecast_runs=len(runs))
    x, y = grid.centres(places)
    ranks = effect_forecast.place_ranks(runs, x, y)
    scored = {c: r for c, r in zip(places, ranks, strict=True) if r is not None}
    return replace(data, forecast=scored, forecast_runs=len(runs))


def _grid_of(stops: list[PatrolStop]) -> _GridSpec:
    sized = [s for s in stops if s.cell_m and s.grid_x0 is not None and s.grid_y0 is not None]
    if not sized:
        return _GridSpec(DEFAULT_CELL_M, 0.0, 0.0)
    cell_m = Counter(float(s.cell_m or 0) for s in sized).most_common(1)[0][0]
    first = next(s for s in sized if float(s.cell_m or 0) == cell_m)
    return _GridSpec(cell_m, float(first.grid_x0 or 0) % cell_m, float(first.grid_y0 or 0) % cell_m)


def _incidents(
    user: Any, flt: DosageFilter, group: str, start: datetime, end: datetime
) -> list[tuple[float, float, datetime]]:
    qs = incidents_for(user).filter(
        category__in=categories_of(group), lat__isnull=False, lon__isnull=False,
        occurred_from__gte=start, occurred_from__lt=end,
    )  # fmt: skip
    if flt.unit is not None:
        qs = qs.filter(unit_id__in=flt.unit.descendant_ids())
    rows: list[tuple[float, float, datetime]] = list(
        qs.values_list("lat", "lon", "occurred_from")  # type: ignore[arg-type]
    )  # the filter above excludes the nulls
    return rows


def _count(cells: list[Cell], when: list[datetime], start: datetime, end: datetime) -> dict:
    return dict(Counter(c for c, t in zip(cells, when, strict=True) if start <= t < end))


def _weekly(cells: list[Cell], when: list[datetime], start: datetime, end: datetime) -> dict:
    """Counts per (cell, week number from ``start``) of the incidents in ``[start, end)``."""
    return dict(
        Counter(
            (c, (t - start) // WEEK) for c, t in zip(cells, when, strict=True) if start <= t < end
        )
    )


def estimate(
    data: EffectInput, *, matching: str | None = None, placebo: bool = False, random_state: int = 0
) -> PatrolEffect:
    """Fit the difference in differences on the gathered counts (seeded bootstrap), matching
    as ``data.matching`` unless told; with ``placebo`` one period earlier (earlier -> before),
    when no patrol had an effect yet."""
    places = data.places
    first, second = (data.earlier, data.before) if placebo else (data.before, data.after)
    before = [first.get(c, 0) for c in places]
    after = [second.get(c, 0) for c in places]
    patrolled = [c in data.patrolled for c in places]
    bands = _bands(data, places, matching or data.matching)
    return PatrolEffect(bands=bands, random_state=random_state).fit(before, after, patrolled)


def weekly_effect(
    data: EffectInput, *, matching: str | None = None, random_state: int = 0
) -> list[WeekEffect]:
    """The difference in differences week by week (an event study), matched as ``estimate``;
    empty when the period holds no whole week or no band compares."""
    n_pre, n_post = data.panel_weeks
    places = data.places
    if n_pre < 1 or n_post < 1 or not places:
        return []
    row = {c: k for k, c in enumerate(places)}
    panel = np.zeros((len(places), n_pre + n_post))
    for (cell, week), n in data.weeks_from_start.items():
        if cell in row:
            panel[row[cell], week + n_pre] = n
    patrolled = [c in data.patrolled for c in places]
    bands = _bands(data, places, matching or data.matching)
    return event_study(panel, patrolled, bands, n_pre, random_state=random_state)


def _bands(data: EffectInput, places: list[Cell], matching: str) -> np.ndarray:
    if matching == MATCH_PAST_YEAR:
        return level_bands([data.history.get(c, 0) for c in places], n_bands=N_BANDS)
    if matching != MATCH_FORECAST:
        raise ValueError(f"unknown matching {matching!r}")
    ranks = [data.forecast.get(c) for c in places]
    return score_bands(
        [r.rank if r else np.nan for r in ranks], within=[r.unit_id if r else 0 for r in ranks],
        n_bands=N_BANDS,
    )  # fmt: skip


def summary(
    data: EffectInput,
    fit: PatrolEffect,
    placebo: PatrolEffect,
    robustness: PatrolEffect | None,
    weekly: list[WeekEffect] | None = None,
) -> dict[str, Any]:
    """The machine-readable result (JSON): the estimate with the matching it used (so a reader
    knows whether it is forecast-matched or the past-year fallback), the placebo check and,
    with a forecast, the past-year-matched robustness estimate. Times carry +08:00."""
    return {
        "group": data.group,
        "after_start": _wita(data.after_start),
        "after_end": _wita(data.after_end),
        "before_start": _wita(data.before_start),
        "cell_m": data.cell_m,
        "matching": data.matching,
        "forecast_runs": data.forecast_runs,
        "places_without_forecast": data.unranked if data.matching == MATCH_FORECAST else None,
        "estimate": _fit_dict(fit),
        "placebo": _fit_dict(placebo),
        "robustness": None if robustness is None else _fit_dict(robustness, MATCH_PAST_YEAR),
        "weekly": [_week_dict(data, w) for w in weekly or []],
    }


def _week_dict(data: EffectInput, week: WeekEffect) -> dict[str, Any]:
    return {
        "week": week.week, "week_start": _wita(data.after_start + week.week * WEEK),
        "estimate": _number(week.estimate), "ci_low": _number(week.low),
        "ci_high": _number(week.high),
    }  # fmt: skip


def _fit_dict(fit: PatrolEffect, matching: str | None = None) -> dict[str, Any]:
    low, high = fit.interval_
    out: dict[str, Any] = {} if matching is None else {"matching": matching}
    out.update(
        estimate=_number(fit.estimate_), ci_low=_number(low), ci_high=_number(high),
        relative=_number(fit.relative_), verdict=fit.verdict_, n_patrolled=fit.n_patrolled_,
        n_unpatrolled=fit.n_unpatrolled_, n_unmatched=fit.n_unmatched_,
    )  # fmt: skip
    return out


def _number(value: float) -> float | None:
    return round(float(value), 6) if np.isfinite(value) else None


def _wita(moment: datetime) -> str:
    return moment.astimezone(WITA).isoformat()


CSV_COLUMNS = ["row", "matching", "week", "week_start", "estimate", "ci_low", "ci_high",
               "verdict", "n_patrolled", "n_unpatrolled", "n_unmatched"]  # fmt: skip


def csv_rows(result: dict[str, Any]) -> list[list[Any]]:
    """``summary`` as one flat table: the estimate, the placebo, the robustness line and one
    row per week, each naming the matching it used (blank cells where a row has no value)."""
    main = result["matching"]
    fits = [("estimate", main, result["estimate"]), ("placebo", main, result["placebo"])]
    if result["robustness"] is not None:
        fits.append(("robustness", MATCH_PAST_YEAR, result["robustness"]))
    rows = [[name, matching, "", "", *(fit.get(k) for k in CSV_COLUMNS[4:])]
            for name, matching, fit in fits]  # fmt: skip
    rows += [["week", main, w["week"], w["week_start"], w["estimate"], w["ci_low"], w["ci_high"]]
             + [""] * 4 for w in result["weekly"]]  # fmt: skip
    return [[("" if v is None else v) for v in row] for row in rows]
