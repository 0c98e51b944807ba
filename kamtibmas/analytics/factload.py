"""Reading an analytics snapshot (``facts.Facts``) from the database.

The columns the SQL path groups by, computed by the same database expressions (see the
``facts`` module docstring): on PostgreSQL one query with ``AT TIME ZONE`` and ``FLOOR(lat /
dlat)``, read in binary; elsewhere the same values computed in Python row by row. Rows are
sorted by local day (a period is then a slice of the snapshot).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
from django.db import connection
from django.db.models import QuerySet

from kamtibmas.analytics import queries
from kamtibmas.analytics.facts import WEEK_H, Facts
from kamtibmas.incidents.models import Incident

_COLUMNS = ("occurred_from", "occurred_to", "category", "unit_id", "kelurahan_code", "lat", "lon")


def load(scope: QuerySet[Incident], dataset: str, version: tuple[Any, ...]) -> Facts:
    qs = scope.filter(dataset=dataset, occurred_from__isnull=False).order_by()
    dlat, dlon = queries.snap_steps(dataset)
    tz = queries.dataset_tz(dataset)
    if connection.vendor == "postgresql":
        columns = _fetch_postgresql(qs, str(tz), dlat, dlon)
    else:
        columns = _fetch_python(qs, tz, dlat, dlon)
    return _build(columns, dataset, dlat, dlon, version)


_NULL = -(2**31)  # int4 sentinel for a missing position


def _fetch_postgresql(qs: QuerySet[Incident], tz: str, dlat: float, dlon: float) -> Columns:
    """Local hours, week flag, codes and snapped cell of every row, computed by PostgreSQL
    with the expressions the SQL path uses (``AT TIME ZONE``, ``FLOOR(lat / dlat)``), read
    as one binary COPY of fixed-width int4 fields straight into numpy."""
    inner, params = qs.values_list(*_COLUMNS).query.sql_with_params()
    source = f"({inner}) AS s(t0, t1, category, unit_id, kelurahan_code, lat, lon)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT s.category, s.unit_id, s.kelurahan_code FROM {source}",  # noqa: S608 - Django-compiled SQL, bound parameters
            params,
        )
        distinct = cursor.fetchall()
    categories = tuple(sorted({r[0] for r in distinct}))
    units = tuple(sorted({r[1] for r in distinct}, key=lambda v: (v is None, v or 0)))
    codes = tuple(sorted({r[2] for r in distinct}))
    # date_part gives float8 (EXTRACT's numeric is several times slower); one array per
    # column, read in binary, is a C loop in psycopg instead of a Python loop per row.
    # Django-compiled SQL; the values are quoted by compose_sql.
    select = (
        "SELECT"  # noqa: S608
        " array_agg(FLOOR(date_part('epoch', s.t0 AT TIME ZONE %s) / 3600)::int4),"
        " array_agg(FLOOR(date_part('epoch', COALESCE(s.t1, s.t0) AT TIME ZONE %s)"
        " / 3600)::int4),"
        " array_agg((COALESCE(s.t1 >= s.t0 + INTERVAL '7 days', false))::int4),"
        " array_agg(array_position(%s::text[], s.category::text)::int4 - 1),"
        " array_agg(COALESCE(array_position(%s::bigint[], s.unit_id), %s)::int4 - 1),"
        " array_agg(array_position(%s::text[], s.kelurahan_code::text)::int4 - 1),"
        f" array_agg({_cell('lat', 'lon')}), array_agg({_cell('lon', 'lat')})"
        f" FROM {source}"
    )
    args = [
        tz,
        tz,
        list(categories),
        [u for u in units if u is not None],
        len(units),  # the None unit sorts last
        list(codes),
        dlat,
        _NULL,
        dlon,
        _NULL,
        *params,
    ]
    statement = connection.ops.compose_sql(select, args)  # type: ignore[attr-defined]
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(statement, binary=True)
        row = cursor.fetchone()
    out = [np.array(column or [], np.int64) for column in (row or [None] * 8)]
    i, j = out[6].astype(float), out[7].astype(float)
    i[out[6] == _NULL] = np.nan
    j[out[7] == _NULL] = np.nan
    return Columns(
        out[0], out[1], out[2].astype(bool), out[3], categories, out[4], units, out[5], codes, i, j
    )


def _cell(axis: str, other: str) -> str:
    return f"COALESCE(CASE WHEN s.{other} IS NOT NULL THEN FLOOR(s.{axis} / %s) END, %s)::int4"


@dataclass(frozen=True)
class Columns:
    start_h: np.ndarray
    end_h: np.ndarray
    long: np.ndarray
    category: np.ndarray
    categories: tuple[str, ...]
    unit: np.ndarray
    units: tuple[int | None, ...]
    kelurahan: np.ndarray
    kelurahan_codes: tuple[str, ...]
    i: np.ndarray  # FLOOR(lat / dlat), NaN without a position
    j: np.ndarray


def _fetch_python(qs: QuerySet[Incident], tz: Any, dlat: float, dlon: float) -> Columns:
    """The same columns computed in Python (SQLite and other databases)."""

    def local_hours(value: datetime) -> int:
        wall = value.astimezone(tz).replace(tzinfo=UTC)
        return math.floor(wall.timestamp() / 3600)

    out: list[list[Any]] = [[] for _ in range(8)]
    for t0, t1, category, unit_id, kel, lat, lon in qs.values_list(*_COLUMNS).iterator():
        values = (
            local_hours(t0),
            local_hours(t1 or t0),
            bool(t1 is not None and (t1 - t0).total_seconds() >= 7 * 86400),
            category,
            unit_id,
            kel,
            math.floor(lat / dlat) if lat is not None and lon is not None else None,
            math.floor(lon / dlon) if lat is not None and lon is not None else None,
        )
        for column, value in zip(out, values, strict=True):
            column.append(value)
    category, categories = _encode(out[3])
    unit, units = _encode(out[4])
    kelurahan, codes = _encode(out[5])
    return Columns(
        np.array(out[0], np.int64),
        np.array(out[1], np.int64),
        np.array(out[2], bool),
        category,
        categories,
        unit,
        units,
        kelurahan,
        codes,
        np.array(out[6], dtype=float),
        np.array(out[7], dtype=float),
    )


def _encode(values: Any) -> tuple[np.ndarray, tuple[Any, ...]]:
    distinct = tuple(sorted(set(values), key=lambda v: (v is None, v)))
    index = {v: k for k, v in enumerate(distinct)}
    return np.fromiter((index[v] for v in values), np.int32, count=len(values)), distinct


def _build(
    columns: Columns, dataset: str, dlat: float, dlon: float, version: tuple[Any, ...]
) -> Facts:
    from kamtibmas_analytics import projection

    c = columns
    located = ~(np.isnan(c.i) | np.isnan(c.j))
    cell = np.full(len(c.start_h), -1, np.int32)
    crs = queries.dataset_crs(dataset)
    x = y = np.zeros(0)
    if located.any():
        i, j = c.i[located].astype(np.int64), c.j[located].astype(np.int64)
        width = int(j.max() - j.min()) + 1
        keys, inverse = np.unique((i - i.min()) * width + (j - j.min()), return_inverse=True)
        cell[located] = np.asarray(inverse).ravel()
        ci = keys // width + i.min()
        cj = keys % width + j.min()
        x, y, _crs = projection.to_metres((cj + 0.5) * dlon, (ci + 0.5) * dlat, crs)
    day = (c.start_h // 24).astype(np.int32)
    order = np.argsort(day, kind="stable")
    weekday = ((c.start_h // 24 + 3) % 7 + 1).astype(np.int8)  # 1970-01-01: a Thursday
    hour = (c.start_h % 24).astype(np.int8)
    end_day = (c.end_h // 24).astype(np.int32)
    end_hour = (c.end_h % 24).astype(np.int8)
    start_wh = (weekday.astype(np.int32) - 1) * 24 + hour
    end_wh = ((end_day + 3) % 7) * 24 + end_hour
    week_key = np.where(c.long, WEEK_H * WEEK_H, start_wh * WEEK_H + end_wh).astype(np.int32)
    return Facts(
        version=version,
        loaded_at=time.monotonic(),
        day=day[order],
        hour=hour[order],
        weekday=weekday[order],
        month=(
            (c.start_h // 24).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
            + 1970 * 12
        ).astype(np.int32)[order],
        end_day=end_day[order],
        end_hour=end_hour[order],
        long=c.long[order],
        category=c.category.astype(np.int16)[order],
        categories=c.categories,
        unit=c.unit.astype(np.int32)[order],
        units=c.units,
        kelurahan=c.kelurahan.astype(np.int32)[order],
        kelurahan_codes=c.kelurahan_codes,
        cell=cell[order],
        cell_x_m=np.asarray(x, float),
        cell_y_m=np.asarray(y, float),
        crs=crs,
        week_key=week_key[order],
    )
