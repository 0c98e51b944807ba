"""The dashboard's numbers for one filtered selection. Counting happens in the database (GROUP
BY); the statistics come from ``kamtibmas_analytics``. Shared by the pages, the CSV downloads
and the monthly PDF report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, TruncMonth
from django.utils.translation import gettext as _

from kamtibmas.analytics import facts, queries
from kamtibmas.analytics.labels import EMERGING_LABELS, category_label
from kamtibmas.analytics.queries import Filters
from kamtibmas.incidents.models import Incident

KNOX_PAGE_PERMUTATIONS = 99
KNOX_EXPORT_PERMUTATIONS = 999
KNOX_MAX_EVENTS = 3000  # the newest events of the selection
KNOX_SEED = 20260101
EMERGING_PERIODS = 12  # months
EMERGING_CELL_M = 500.0
MIN_TREND_MONTHS = 6
DEFAULT_TREND_MONTHS = 24


# ---- change per Polsek -------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    current: int
    previous: int
    change: int
    pct_change: float | None
    p_value: float
    significant: bool


@dataclass(frozen=True)
class UnitRow:
    unit_id: int | None
    name: str
    vs_previous: Change
    vs_last_year: Change


def _counts_by(qs: QuerySet[Incident], field: str) -> dict[Any, int]:
    return {k: int(n) for k, n in qs.values_list(field).annotate(n=Count("pk")).order_by()}


def _changes(current: list[int], previous: list[int]) -> list[Change]:
    from kamtibmas_analytics.temporal import compare_periods

    if not current:
        return []
    result = compare_periods(np.array(current, float), np.array(previous, float))
    out = []
    for k, (cur, prev) in enumerate(zip(current, previous, strict=True)):
        pct = float(np.asarray(result.pct_change)[k])
        out.append(
            Change(
                current=cur,
                previous=prev,
                change=cur - prev,
                pct_change=pct if np.isfinite(pct) else None,
                p_value=float(np.asarray(result.p_value)[k]),
                significant=bool(np.asarray(result.significant)[k]),
            )
        )
    return out


def unit_names() -> dict[int, str]:
    from kamtibmas.geo.models import Unit

    return dict(Unit.objects.values_list("pk", "name"))


def per_unit(scope: QuerySet[Incident], filters: Filters) -> tuple[list[UnitRow], UnitRow]:
    """Counts per Polsek now, in the previous period of the same length and a year before,
    with compare_periods' significance; and the total row."""
    snapshot = facts.for_scope(scope, filters.dataset)
    periods = (filters, filters.previous_period(), filters.last_year())
    if snapshot is not None:
        now, before, year = (snapshot.counts_by_unit(snapshot.mask(f)) for f in periods)
    else:
        now, before, year = (_counts_by(queries.filtered(scope, f), "unit_id") for f in periods)
    keys = sorted(set(now) | set(before) | set(year), key=lambda k: (k is None, k or 0))
    names = unit_names()
    cur = [now.get(k, 0) for k in keys]
    vs_prev = _changes(cur, [before.get(k, 0) for k in keys])
    vs_year = _changes(cur, [year.get(k, 0) for k in keys])
    rows = [
        UnitRow(k, names.get(k, "") if k else str(_("No Polsek")), a, b)
        for k, a, b in zip(keys, vs_prev, vs_year, strict=True)
    ]
    rows.sort(key=lambda r: -r.vs_previous.current)
    totals = (
        _changes([sum(now.values())] * 2, [sum(before.values()), sum(year.values())])
        or [Change(0, 0, 0, None, 1.0, False)] * 2
    )
    return rows, UnitRow(None, str(_("Total")), totals[0], totals[1])


# ---- categories ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRow:
    code: str
    label: str
    count: int
    previous: int
    share: float


def top_categories(
    scope: QuerySet[Incident], filters: Filters, limit: int = 10
) -> list[CategoryRow]:
    snapshot = facts.for_scope(scope, filters.dataset)
    periods = (filters, filters.previous_period())
    if snapshot is not None:
        now, before = (snapshot.counts_by_category(snapshot.mask(f)) for f in periods)
    else:
        now, before = (_counts_by(queries.filtered(scope, f), "category") for f in periods)
    total = sum(now.values()) or 1
    ranked = sorted(now.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [CategoryRow(c, category_label(c), n, before.get(c, 0), n / total) for c, n in ranked]


# ---- hour x weekday ----------------------------------------------------------------------------


def hour_weekday_of(scope: QuerySet[Incident], filters: Filters) -> np.ndarray:
    """``hour_weekday`` of the selection, from the scope's snapshot when it has one."""
    snapshot = facts.for_scope(scope, filters.dataset)
    if snapshot is None:
        return hour_weekday(queries.filtered(scope, filters), filters)
    groups, week_long = snapshot.week_groups(snapshot.mask(filters))
    return _aoristic(groups, week_long, filters)


def hour_weekday(qs: QuerySet[Incident], filters: Filters) -> np.ndarray:
    """(7, 24) aoristic counts, Monday first, local hours.

    The database groups incidents by the local weekday and hour of their start and end; each
    group goes to ``aoristic_hour_weekday`` as windows from the middle of the start hour to the
    middle of the end hour, so the result is exact to the hour whatever the number of
    incidents. A window of a week or more covers every hour: it is spread evenly."""
    tz = filters.tz
    long = Q(occurred_to__gte=_plus_week("occurred_from"))
    end = Coalesce("occurred_to", "occurred_from")
    groups = list(
        qs.exclude(long)
        .annotate(
            _wd0=ExtractIsoWeekDay("occurred_from", tzinfo=tz),
            _h0=ExtractHour("occurred_from", tzinfo=tz),
            _wd1=ExtractIsoWeekDay(end, tzinfo=tz),
            _h1=ExtractHour(end, tzinfo=tz),
        )
        .values_list("_wd0", "_h0", "_wd1", "_h1")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return _aoristic(np.array(groups, dtype=np.int64), qs.filter(long).count(), filters)


def _aoristic(groups: np.ndarray, week_long: int, filters: Filters) -> np.ndarray:
    """The matrix from (weekday, hour, end weekday, end hour, n) groups and the number of
    windows of a week or more."""
    from kamtibmas_analytics.temporal import aoristic_hour_weekday

    matrix = np.full((7, 24), week_long / 168.0)
    if len(groups):
        g = groups
        start_h = (g[:, 0] - 1) * 24 + g[:, 1]
        span_h = ((g[:, 2] - 1) * 24 + g[:, 3] - start_h) % 168
        offset = queries.utc_offset_hours(filters.dataset, filters.end)
        # 2024-01-01 was a Monday; 00:30 local time, as UTC.
        base = np.datetime64("2024-01-01T00:30:00", "s") - np.timedelta64(int(offset * 3600), "s")
        starts = base + (start_h * 3600).astype("timedelta64[s]")
        ends = starts + (span_h * 3600).astype("timedelta64[s]")
        matrix += np.asarray(
            aoristic_hour_weekday(
                np.repeat(starts, g[:, 4]), np.repeat(ends, g[:, 4]), utc_offset_hours=offset
            ),
            float,
        )
    return matrix


def _plus_week(field: str) -> Any:
    return ExpressionWrapper(F(field) + Value(timedelta(days=7)), output_field=DateTimeField())


# ---- monthly series ----------------------------------------------------------------------------


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def trend_window(filters: Filters) -> tuple[date, date]:
    """Months of the trend chart: the selected period when it spans at least six months,
    otherwise the 24 months ending with the selection's last month."""
    last = _month_start(filters.date_to)
    first = _month_start(filters.date_from)
    if (last.year - first.year) * 12 + last.month - first.month + 1 < MIN_TREND_MONTHS:
        first = _add_months(last, -(DEFAULT_TREND_MONTHS - 1))
    return first, last


def monthly(scope: QuerySet[Incident], filters: Filters) -> Any:
    """``MonthlySeries`` over ``trend_window`` (counts per local calendar month)."""
    from kamtibmas_analytics.temporal import monthly_series

    first, last = trend_window(filters)
    window = filters.shifted(first, _add_months(last, 1) - timedelta(days=1))
    snapshot = facts.for_scope(scope, filters.dataset)
    rows: Any
    if snapshot is not None:
        rows = [
            (date(m // 12, m % 12 + 1, 1), n)
            for m, n in snapshot.counts_by_month(snapshot.mask(window)).items()
        ]
    else:
        rows = (
            queries.filtered(scope, window)
            .annotate(_m=TruncMonth("occurred_from", tzinfo=filters.tz))
            .values_list("_m")
            .annotate(n=Count("pk"))
            .order_by()
        )
    offset = queries.utc_offset_hours(filters.dataset, filters.end)
    stamps: list[np.datetime64] = []
    counts: list[int] = []
    for month, n in rows:
        local = month.date() if isinstance(month, datetime) else month
        # Middle of the month's first day, local time, as UTC.
        stamps.append(
            np.datetime64(datetime(local.year, local.month, 1, 12), "s")
            - np.timedelta64(int(offset * 3600), "s")
        )
        counts.append(int(n))
    times = (
        np.repeat(np.array(stamps, dtype="datetime64[s]"), counts)
        if stamps
        else np.zeros(0, "datetime64[s]")
    )
    return monthly_series(
        times,
        utc_offset_hours=offset,
        start=np.datetime64(first, "M"),
        end=np.datetime64(last, "M"),
    )


def month_labels(series: Any) -> list[str]:
    return [str(m)[:7] for m in np.asarray(series.months)]


# ---- near repeat -------------------------------------------------------------------------------


def knox(qs: QuerySet[Incident], filters: Filters, permutations: int) -> dict[str, Any]:
    """Knox table on the newest ``KNOX_MAX_EVENTS`` located incidents of the selection."""
    from kamtibmas_analytics.nearrepeat import knox_test

    pts = queries.points(qs, filters.dataset, limit=KNOX_MAX_EVENTS)
    n = len(pts.x_m)
    if n < 3:
        return {"n": n, "rows": [], "permutations": permutations}
    t0 = pts.start.min()
    t_days = (pts.start - t0).astype("timedelta64[s]").astype(float) / 86400.0
    result = knox_test(pts.x_m, pts.y_m, t_days, permutations=permutations, random_state=KNOX_SEED)
    return {"n": n, "rows": list(result.table()), "permutations": permutations}


# ---- emerging hot spots --------------------------------------------------------------------------


def emerging(scope: QuerySet[Incident], filters: Filters) -> dict[str, Any]:
    """Emerging hot-spot categories of 500 m cells over the 12 months ending with the
    selection's last month: counts per category and the non-"none" cells."""
    from kamtibmas.analytics import layers
    from kamtibmas_analytics.hotspots import emerging_hot_spots

    last = _month_start(filters.date_to)
    first = _add_months(last, -(EMERGING_PERIODS - 1))
    window = filters.shifted(first, _add_months(last, 1) - timedelta(days=1))
    qs = queries.filtered(scope, window)
    found, months = queries.binned_by(
        qs, filters.dataset, TruncMonth("occurred_from", tzinfo=filters.tz)
    )
    grid = layers.grid_for(filters, found, EMERGING_CELL_M, EMERGING_CELL_M)
    empty: dict[str, Any] = {"counts": [], "cells": [], "first": first, "last": last}
    if grid is None or found.total == 0:
        return empty
    labels = [(m.date() if isinstance(m, datetime) else m).replace(day=1) for m in months]
    index = np.array([(d.year - first.year) * 12 + d.month - first.month for d in labels])
    cube = np.zeros((EMERGING_PERIODS, grid.ny, grid.nx))
    for t in range(EMERGING_PERIODS):
        sel = index == t
        if sel.any():
            cube[t] = grid.counts(found.x_m[sel], found.y_m[sel], weights=found.n[sel])
    mask = layers._city_mask(filters, grid)  # noqa: SLF001 - same module family
    result = emerging_hot_spots(cube, distance_cells=1.5, mask=mask)
    category = np.asarray(result.category).astype(str)
    names, tallies = np.unique(category[category != "none"], return_counts=True)
    counts = sorted(
        (
            {"category": str(c), "label": str(EMERGING_LABELS.get(str(c), c)), "cells": int(n)}
            for c, n in zip(names, tallies, strict=True)
        ),
        key=lambda r: -int(str(r["cells"])),
    )
    rows, cols = np.nonzero(category != "none")
    from kamtibmas_analytics import projection

    lon, lat = projection.to_lonlat(grid.x_centers[cols], grid.y_centers[rows], found.crs)
    total = cube.sum(axis=0)
    cells = sorted(
        (
            {
                "category": str(category[r, c]),
                "label": str(EMERGING_LABELS.get(str(category[r, c]), category[r, c])),
                "lat": round(float(lat[k]), 5),
                "lon": round(float(lon[k]), 5),
                "count": int(total[r, c]),
                "last_month": int(cube[-1, r, c]),
                "tau": round(float(np.asarray(result.trend_tau)[r, c]), 3),
            }
            for k, (r, c) in enumerate(zip(rows, cols, strict=True))
        ),
        key=lambda d: -int(str(d["count"])),
    )
    return {"counts": counts, "cells": cells, "first": first, "last": last}
