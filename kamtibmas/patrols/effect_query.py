"""The data of the patrol effect: crime counts per grid cell before and after, for the cells
that received patrol dosage and for the comparable cells that did not.

* After period: the chosen date range. Before period: as long, just before it.
* Patrolled cells: the cells of the stops of issued/closed plans in the range (user's scope,
  the crime group) with at least one visit that lasted a minute or more.
* Comparison pool: every other cell with at least one crime of the group in the year before
  the after period (chosen on pre-period data only, never on the outcome).
* Bands: deciles of that year's count, so a patrolled cell is compared with unpatrolled cells
  of a similar crime level (``kamtibmas_analytics.patrol_effect``).
* Placebo check: the same comparison one period earlier (the period before the "before"
  against the "before"), when there were no patrols yet. An "effect" there means the places
  already changed differently, and the estimate should not be trusted.

Cells are squares of the plans' grid (``cell_m``, aligned with the first stop's grid), in UTM
50S metres; incidents are those the user may see, of the unit chosen (and the units below).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from kamtibmas.forecasts.groups import DEFAULT_GROUP, categories_of
from kamtibmas.incidents.scoping import incidents_for
from kamtibmas.patrols.dosage import DosageFilter, plans_in
from kamtibmas.patrols.models import PatrolStop
from kamtibmas_analytics.patrol_effect import PatrolEffect, level_bands
from kamtibmas_analytics.projection import to_metres

METRIC_CRS = "EPSG:32750"
DEFAULT_CELL_M = 150.0
HISTORY = timedelta(days=365)
MIN_VISIT_MINUTES = 1.0
WEEK = timedelta(days=7)
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
    plans = plans_in(user, DosageFilter(flt.unit, flt.date_from, flt.date_to, group, flt.top_k))
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
    return EffectInput(
        group=group, cell_m=grid.cell_m, before_start=before_start, after_start=after_start,
        after_end=after_end, patrolled=patrolled,
        before=_count(cells, when, before_start, after_start),
        after=_count(cells, when, after_start, after_end),
        history=_count(cells, when, after_start - HISTORY, after_start),
        earlier=_count(cells, when, before_start - length, before_start),
        weekly=_weekly(cells, when, before_start - length, after_end),
    )  # fmt: skip


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


def estimate(data: EffectInput, *, placebo: bool = False, random_state: int = 0) -> PatrolEffect:
    """Fit the difference in differences on the gathered counts (seeded bootstrap); with
    ``placebo`` one period earlier (earlier -> before), when no patrol had an effect yet."""
    places = data.places
    first, second = (data.earlier, data.before) if placebo else (data.before, data.after)
    before = [first.get(c, 0) for c in places]
    after = [second.get(c, 0) for c in places]
    patrolled = [c in data.patrolled for c in places]
    bands = level_bands([data.history.get(c, 0) for c in places], n_bands=10)
    return PatrolEffect(bands=bands, random_state=random_state).fit(before, after, patrolled)
