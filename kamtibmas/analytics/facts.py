"""A columnar snapshot of a big scope's incidents, so a filter change is numpy, not a table scan.

Measured on 1,000,000 incidents (PostgreSQL 15, 2 vCPUs): one GROUP BY over a year of the
city (500,000 rows) takes 0.4-1.3 s, and a filter change needs about nine of them (three
periods per Polsek, two for categories, hour x weekday, the 24-month trend, the map's
binning). Here the rows a scope may see are read once per process and data version into a few
small arrays (about 30 bytes per incident); every filter is then a boolean mask and a
``bincount`` (a few milliseconds per million rows).

What is kept per incident is exactly what the SQL path groups by, computed by the same
database expressions, so the numbers are identical to ``queries.filtered`` + GROUP BY:

- the local hour of ``occurred_from`` and of ``COALESCE(occurred_to, occurred_from)`` as
  hours since 1970-01-01 local time (``AT TIME ZONE`` on PostgreSQL, ``zoneinfo`` elsewhere):
  local day, hour, ISO weekday and month follow; the period filter keeps local days
  ``date_from..date_to``, which is the SQL path's ``start <= occurred_from < end`` with
  ``start``/``end`` local midnights;
- whether the window is a week or longer (``occurred_to >= occurred_from + 7 days``);
- category, Polsek and kelurahan code (as small integer codes);
- the ``queries.SNAP_M`` lat/lon cell, ``FLOOR(lat / dlat)`` and ``FLOOR(lon / dlon)`` as in
  ``queries.binned_by``, with each cell's centre projected once.

Used only where it pays: on a table of at least ``MIN_ROWS`` incidents (planner estimate on
PostgreSQL). A snapshot is dropped when the data version changes (newest incident id, newest
audit event, import batches, and a counter bumped on every model save or delete of an
incident) and after ``MAX_AGE_S`` as a safety net for writes that bypass all of these.
Memory: at most ``MAX_ROWS`` incidents per process across snapshots (LRU).

Rows are sorted by local day, so a period is a slice and the other filters are lookup tables
applied to that slice only; the rows a filter keeps are remembered per snapshot (the overlay
and the aggregates of one filter change ask for the same). Reading from the database is in
``factload``; a snapshot once read is shared with the other processes through a file
(``factstore``), and an import warms it (``warm``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, QuerySet

from kamtibmas.analytics import queries
from kamtibmas.analytics.queries import Filters
from kamtibmas.incidents.models import Incident

logger = logging.getLogger(__name__)

MIN_ROWS = 100_000  # below this, the SQL path is fast enough
MAX_ROWS = 5_000_000  # incidents held per process, all snapshots together
MAX_AGE_S = 1800.0
VERSION_TTL_S = 2.0  # the data version is checked at most this often per process
WEEK_H = 168
VERSION_KEY = "analytics:incidents-version"
MASKS_KEPT = 64  # filter results kept per snapshot
_EPOCH_DAY = date(1970, 1, 1).toordinal()

_lock = threading.Lock()
_snapshots: OrderedDict[tuple[str, str], Facts] = OrderedDict()


@dataclass(frozen=True)
class Picked:
    """Rows a filter keeps: the rows ``start:stop`` (the period: rows are sorted by day) and,
    within them, ``keep`` (``None``: all of them)."""

    start: int
    stop: int
    keep: np.ndarray | None

    def take(self, column: np.ndarray) -> np.ndarray:
        part = column[self.start : self.stop]
        return part if self.keep is None else part[self.keep]

    @property
    def count(self) -> int:
        return self.stop - self.start if self.keep is None else int(np.count_nonzero(self.keep))


@dataclass(frozen=True)
class Facts:
    """One scope's incidents of one dataset (rows with ``occurred_from``), column by column,
    rows sorted by local day (so a period is a slice)."""

    version: tuple[Any, ...]
    loaded_at: float
    day: np.ndarray  # int32 local days since 1970-01-01, ascending
    hour: np.ndarray  # int8 local hour of the start
    weekday: np.ndarray  # int8 ISO weekday of the local start day
    month: np.ndarray  # int32 local calendar month as year * 12 + month - 1
    end_day: np.ndarray  # int32 local day of the end (start when open)
    end_hour: np.ndarray  # int8
    long: np.ndarray  # bool: a window of a week or more
    category: np.ndarray  # int16 index into ``categories``
    categories: tuple[str, ...]
    unit: np.ndarray  # int32 index into ``units``
    units: tuple[int | None, ...]
    kelurahan: np.ndarray  # int32 index into ``kelurahan_codes``
    kelurahan_codes: tuple[str, ...]
    cell: np.ndarray  # int32 index into ``cell_x_m`` / ``cell_y_m``; -1 without a position
    cell_x_m: np.ndarray
    cell_y_m: np.ndarray
    crs: str
    # (start weekday-hour) * WEEK_H + (end weekday-hour); WEEK_H**2 for week-long windows
    week_key: np.ndarray  # int32
    _picked: dict[tuple[Filters, bool], Picked] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def rows(self) -> int:
        return len(self.day)

    def mask(self, filters: Filters, *, period: bool = True) -> Picked:
        """Rows matching every filter, like ``queries.filtered(scope, filters, period=period)``
        (kept per filters: the overlay and the aggregates of one change ask the same)."""
        key = (filters, period)
        hit = self._picked.get(key)
        if hit is None:
            hit = self._pick(filters, period)
            if len(self._picked) >= MASKS_KEPT:
                self._picked.clear()
            self._picked[key] = hit
        return hit

    def _pick(self, filters: Filters, period: bool) -> Picked:
        start, stop = 0, self.rows
        if period:
            first = filters.date_from.toordinal() - _EPOCH_DAY
            last = filters.date_to.toordinal() - _EPOCH_DAY
            day = self.day.dtype.type  # a Python int would make numpy copy the column
            start = int(np.searchsorted(self.day, day(first), side="left"))
            stop = max(start, int(np.searchsorted(self.day, day(last), side="right")))
        tests: list[tuple[np.ndarray, np.ndarray]] = []  # (lookup table, codes)
        if filters.categories:
            tests.append((_table(self.categories, filters.categories), self.category))
        if filters.unit_id:
            tests.append((_table(self.units, [filters.unit_id]), self.unit))
        if filters.kelurahan_code:
            tests.append((_table(self.kelurahan_codes, [filters.kelurahan_code]), self.kelurahan))
        if filters.hours:
            tests.append((queries.hour_mask(filters.hours), self.hour))
        if filters.weekdays:
            tests.append((_table(tuple(range(8)), filters.weekdays), self.weekday))
        keep: np.ndarray | None = None
        for table, codes in tests:
            hit = table[codes[start:stop]]
            keep = hit if keep is None else np.logical_and(keep, hit, out=keep)
        return Picked(start, stop, keep)

    def counts_by_unit(self, picked: Picked) -> dict[int | None, int]:
        return _tally(picked.take(self.unit), self.units)

    def counts_by_category(self, picked: Picked) -> dict[str, int]:
        return _tally(picked.take(self.category), self.categories)

    def counts_by_month(self, picked: Picked) -> dict[int, int]:
        months = picked.take(self.month)
        if not len(months):
            return {}
        first = int(months.min())
        n = np.bincount(months - first)
        return {first + int(k): int(n[k]) for k in np.flatnonzero(n)}

    def binned(self, picked: Picked) -> queries.Binned:
        """Located rows counted per snapped cell, as ``queries.binned`` returns them."""
        cells = picked.take(self.cell)
        n = np.bincount(cells[cells >= 0], minlength=len(self.cell_x_m)).astype(float)
        occupied = np.nonzero(n)[0]
        return queries.Binned(
            self.cell_x_m[occupied], self.cell_y_m[occupied], n[occupied], self.crs
        )

    def week_groups(self, picked: Picked) -> tuple[np.ndarray, int]:
        """Rows per (start weekday, start hour, end weekday, end hour) as ``(n, 5)`` int64,
        windows shorter than a week; and the number of week-long windows."""
        n = np.bincount(picked.take(self.week_key), minlength=WEEK_H * WEEK_H + 1)
        week_long = int(n[-1])
        n = n[:-1]
        key = np.nonzero(n)[0]
        s, e = key // WEEK_H, key % WEEK_H
        groups = np.column_stack([s // 24 + 1, s % 24, e // 24 + 1, e % 24, n[key]])
        return groups.astype(np.int64), week_long


def _table(values: tuple[Any, ...], wanted: Any) -> np.ndarray:
    """Booleans per code of ``values``: is the value wanted."""
    wanted = set(wanted)
    return np.array([v in wanted for v in values] or [False], dtype=bool)


def _tally(codes: np.ndarray, values: tuple[Any, ...]) -> dict[Any, int]:
    n = np.bincount(codes, minlength=len(values))
    return {values[k]: int(n[k]) for k in np.nonzero(n)[0]}


# ---- when and which snapshot -----------------------------------------------------------------


def for_scope(scope: QuerySet[Incident], dataset: str) -> Facts | None:
    """The snapshot of ``scope`` in ``dataset``, loading it when missing or stale; ``None``
    when the table is too small to need one or the scope is empty."""
    if not _big_enough():
        return None
    try:
        key = (dataset, str(scope.order_by().query))
    except Exception:  # noqa: BLE001 - EmptyResultSet: a .none() scope, nothing to snapshot
        return None
    version = data_version()
    now = time.monotonic()
    with _lock:
        hit = _snapshots.get(key)
        if hit and hit.version == version and now - hit.loaded_at < MAX_AGE_S:
            _snapshots.move_to_end(key)
            return hit
    from kamtibmas.analytics import factstore

    facts = factstore.read(key, version)  # written by another process (or an import)
    if facts is None:
        facts = load(scope, dataset, version)
        factstore.save(key, version, facts)
    with _lock:
        _snapshots[key] = facts
        while len(_snapshots) > 1 and sum(f.rows for f in _snapshots.values()) > MAX_ROWS:
            _snapshots.popitem(last=False)
    return facts


def has_rows(scope: QuerySet[Incident], dataset: str) -> bool:
    """True when this process holds a current snapshot of ``scope`` in ``dataset`` with rows,
    known without a query (the data version checked less than ``VERSION_TTL_S`` ago); False
    means "not known here", not "none"."""
    if not _checked or time.monotonic() - _checked[0][0] >= VERSION_TTL_S:
        return False
    try:
        key = (dataset, str(scope.order_by().query))
    except Exception:  # noqa: BLE001 - EmptyResultSet: a .none() scope
        return False
    hit = _snapshots.get(key)
    return bool(hit is not None and hit.version == _checked[0][1] and hit.rows)


def warm(dataset: str) -> bool:
    """Load (and store for the other processes) the Polres-wide snapshot of ``dataset`` now,
    e.g. when an import has finished: the first filter change after it then does not wait
    for a cold load. False when the table is too small to use snapshots."""
    _checked.clear()  # the import has just changed the data version
    _estimate.clear()
    # Polres-level staff see every incident: ``incidents.scoping.incidents_for`` gives them
    # ``Incident.objects.all()``, the same query (and so the same snapshot key) as here.
    return for_scope(Incident.objects.all(), dataset) is not None


def forget() -> None:
    from kamtibmas.analytics import factstore

    with _lock:
        _snapshots.clear()
        _checked.clear()
        _estimate.clear()
    factstore.clear()


def bump_version(**_kwargs: Any) -> None:
    """Signal receiver: an incident was saved or deleted through the ORM."""
    _checked.clear()
    _estimate.clear()
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, None)


_checked: list[tuple[float, tuple[Any, ...]]] = []


def data_version() -> tuple[Any, ...]:
    """``current_version``, asked of the database at most every ``VERSION_TTL_S`` (a filter
    change is six requests asking the same)."""
    now = time.monotonic()
    if _checked and now - _checked[0][0] < VERSION_TTL_S:
        return _checked[0][1]
    version = current_version()
    _checked[:] = [(now, version)]
    return version


def current_version() -> tuple[Any, ...]:
    """Changes whenever incidents are inserted (ids only grow), edited through
    ``incidents.services`` (an audit row each), imported (batch state), saved or deleted."""
    from kamtibmas.incidents.models import ImportBatch, IncidentEvent

    batches = ImportBatch.objects.aggregate(n=Count("pk"), last=Max("pk"), done=Max("finished_at"))
    return (
        Incident.objects.aggregate(m=Max("pk"))["m"],
        IncidentEvent.objects.aggregate(m=Max("pk"))["m"],
        batches["n"],
        batches["last"],
        batches["done"],
        ImportBatch.objects.filter(state=ImportBatch.State.RUNNING).count(),
        cache.get(VERSION_KEY, 0),
    )


_estimate: list[tuple[float, float]] = []  # (when, planner's row estimate), PostgreSQL


def _big_enough() -> bool:
    if MIN_ROWS <= 0:
        return True
    if connection.vendor == "postgresql":
        return _estimated_rows() >= MIN_ROWS
    return Incident.objects.count() >= MIN_ROWS


def _estimated_rows() -> float:
    """The planner's estimate of the table's rows, asked at most every ``VERSION_TTL_S``."""
    now = time.monotonic()
    if _estimate and now - _estimate[0][0] < VERSION_TTL_S:
        return _estimate[0][1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Incident._meta.db_table]
        )
        row = cursor.fetchone()
    rows = float(row[0]) if row and row[0] is not None else 0.0
    _estimate[:] = [(now, rows)]
    return rows


# ---- loading ---------------------------------------------------------------------------------


def load(scope: QuerySet[Incident], dataset: str, version: tuple[Any, ...]) -> Facts:
    """The snapshot read from the database (``factload``)."""
    from kamtibmas.analytics import factload

    t0 = time.perf_counter()
    facts = factload.load(scope, dataset, version)
    logger.info(
        "analytics snapshot of %d incidents loaded in %.2f s", facts.rows, time.perf_counter() - t0
    )
    return facts
