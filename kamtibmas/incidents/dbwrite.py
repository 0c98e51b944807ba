"""Write a chunk of parsed rows: insert new incidents, update changed ones, skip the same.

Plain SQL on Django's connection (the ORM's per-object cost is too high for a million rows):
``executemany`` INSERT on SQLite, ``COPY`` on PostgreSQL. Columns and their defaults come from
the ``Incident`` model, so a new model field with a default needs no change here. Existing
incidents are looked up per chunk by (dataset, external_id). A changed incident gets the new
values, ``version + 1``, ``updated_at``, this batch as ``import_batch``, and one
``IncidentEvent(action="imported")`` per changed field (old -> new); unchanged ones are not
touched. Created incidents are traced by their ``import_batch`` (no event row per insert).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from django.db import connection

from kamtibmas.incidents.arealookup import locate_many
from kamtibmas.incidents.models import BALIKPAPAN, ImportBatch, Incident, IncidentEvent
from kamtibmas.incidents.rows import ParsedRow

# Fields an import sets, in this order; the comparison for "changed" uses the same list.
IMPORTED = (
    "category",
    "source_category",
    "occurred_from",
    "occurred_to",
    "reported_at",
    "lat",
    "lon",
    "lp_number",
    "premises_type",
    "modus_operandi",
    "kelurahan_id",
    "kelurahan_code",
    "unit_id",
)
IN_CHUNK = 900  # SQLite's historical limit on query parameters is 999


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class ChunkWriter:
    def __init__(self, batch: ImportBatch, dataset: str, actor_id: int | None) -> None:
        self.batch = batch
        self.dataset = dataset
        self.actor_id = actor_id
        self.now = datetime.now(UTC)
        self.vendor = connection.vendor
        self.qn = connection.ops.quote_name
        self.table = Incident._meta.db_table
        fields = [f for f in Incident._meta.concrete_fields if not f.primary_key]
        by_attname = {f.attname: f for f in fields}
        fixed: dict[str, Any] = {f.attname: f.get_default() for f in fields}
        fixed.update(
            dataset=dataset,
            import_batch_id=batch.pk,
            is_synthetic=False,
            version=1,
            created_at=self.now,
            updated_at=self.now,
        )
        self.insert_attnames = ["external_id", *IMPORTED]  # then the constant ones
        rest = [a for a in by_attname if a not in self.insert_attnames]
        self.rest_values = tuple(by_attname[a].get_db_prep_save(fixed[a], connection) for a in rest)
        self.insert_columns = [str(by_attname[a].column) for a in (*self.insert_attnames, *rest)]
        self.adapt_dt = self._datetime_adapter()
        self.imported_columns = [str(by_attname[a].column) for a in IMPORTED]
        # A dataset with no incidents yet needs no look-ups: ids new to it are new (and an id
        # twice in the file is caught before this).
        self.lookup = Incident.objects.filter(dataset=dataset).exists()

    def _datetime_adapter(self) -> Callable[[datetime | None], Any]:
        if self.vendor == "sqlite" and connection.timezone_name == "UTC":
            # what DatabaseOperations.adapt_datetimefield_value does, without its overhead
            return lambda v: None if v is None else str(v.replace(tzinfo=None))
        adapt = connection.ops.adapt_datetimefield_value
        return lambda v: None if v is None else adapt(v)

    # -- per chunk ----------------------------------------------------------------------
    def write(self, rows: list[ParsedRow]) -> ChunkResult:
        areas = self._areas(rows)
        adapt = self.adapt_dt
        prepared = [
            (
                r.category,
                r.source_category,
                adapt(r.occurred_from),
                adapt(r.occurred_to),
                adapt(r.reported_at),
                r.lat,
                r.lon,
                r.lp_number,
                r.premises_type,
                r.modus_operandi,
                *area,
            )
            for r, area in zip(rows, areas, strict=True)
        ]
        existing = self._existing([r.external_id for r in rows]) if self.lookup else {}
        result = ChunkResult()
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[int, tuple[Any, ...], tuple[Any, ...]]] = []
        rest = self.rest_values
        for row, new in zip(rows, prepared, strict=True):
            old = existing.get(row.external_id)
            if old is None:
                inserts.append((row.external_id, *new, *rest))
            elif old[1:] == new:
                result.unchanged += 1
            else:
                updates.append((old[0], old[1:], new))
        self._insert(inserts)
        self._update(updates)
        result.created, result.updated = len(inserts), len(updates)
        return result

    def _areas(self, rows: list[ParsedRow]) -> list[tuple[int | None, str, int | None]]:
        if self.dataset != BALIKPAPAN:
            return [(None, "", None)] * len(rows)
        lat = np.fromiter((np.nan if r.lat is None else r.lat for r in rows), np.float64, len(rows))
        lon = np.fromiter((np.nan if r.lon is None else r.lon for r in rows), np.float64, len(rows))
        found = locate_many(lat, lon)
        return list(zip(found.kelurahan_id, found.kelurahan_code, found.unit_id, strict=True))

    def _existing(self, ids: list[str]) -> dict[str, tuple[Any, ...]]:
        """external_id -> (pk, *IMPORTED values as the database returns them)."""
        found: dict[str, tuple[Any, ...]] = {}
        qn = self.qn
        columns = ", ".join(qn(c) for c in ("external_id", "id", *self.imported_columns))
        with connection.cursor() as cursor:
            for start in range(0, len(ids), IN_CHUNK):
                part = ids[start : start + IN_CHUNK]
                marks = ", ".join(["%s"] * len(part))
                cursor.execute(
                    f"SELECT {columns} FROM {qn(self.table)} "  # noqa: S608
                    f"WHERE {qn('dataset')} = %s AND {qn('external_id')} IN ({marks})",
                    [self.dataset, *part],
                )
                for values in cursor.fetchall():
                    row = list(values[1:])
                    for i in (3, 4, 5):  # times, in the form the writer sends them
                        if isinstance(row[i], datetime) and row[i].tzinfo is None:
                            row[i] = str(row[i])  # SQLite's converter gives naive UTC
                    found[values[0]] = tuple(row)
        return found

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        columns = ", ".join(self.qn(c) for c in self.insert_columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                sql = f"COPY {self.qn(self.table)} ({columns}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for values in rows:
                        copy.write_row(values)
            else:
                marks = ", ".join(["%s"] * len(self.insert_columns))
                sql = f"INSERT INTO {self.qn(self.table)} ({columns}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(sql, rows)

    def _update(self, updates: list[tuple[int, tuple[Any, ...], tuple[Any, ...]]]) -> None:
        if not updates:
            return
        qn = self.qn
        sets = ", ".join(f"{qn(c)} = %s" for c in self.imported_columns)
        sql = (
            f"UPDATE {qn(self.table)} SET {sets}, {qn('version')} = {qn('version')} + 1, "  # noqa: S608
            f"{qn('updated_at')} = %s, {qn('import_batch_id')} = %s WHERE {qn('id')} = %s"
        )
        now = self.adapt_dt(self.now)
        params = [(*new, now, self.batch.pk, pk) for pk, _old, new in updates]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
        events = [
            IncidentEvent(
                incident_id=pk,
                at=self.now,
                actor_id=self.actor_id,
                action="imported",
                field=name.removesuffix("_id"),
                old_value="" if a is None else str(a),
                new_value="" if b is None else str(b),
            )
            for pk, old, new in updates
            for name, a, b in zip(IMPORTED, old, new, strict=True)
            if a != b
        ]
        IncidentEvent.objects.bulk_create(events, batch_size=2000)
