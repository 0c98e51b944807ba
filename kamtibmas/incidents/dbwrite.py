"""Write a chunk of parsed rows: insert new incidents, update changed ones, skip the same.

Plain SQL on Django's connection (the ORM's per-object cost is too high for a million rows):
``executemany`` INSERT on SQLite, ``COPY`` on PostgreSQL. Columns and their defaults come from
the ``Incident`` model, so a new model field with a default needs no change here. Existing
incidents are looked up per chunk by (dataset, external_id). A changed incident gets the new
values, ``version + 1``, ``updated_at``, this batch as ``import_batch``, and one
``IncidentEvent(action="imported")`` per changed field (old -> new); unchanged ones are not
touched. Created incidents are traced by their ``import_batch`` (no event row per insert).

On PostgreSQL a chunk's COPY text is built column by column (joined in C, no per-row calls
into psycopg) and sent by a worker thread on the same connection, inside the import's
transaction, while this thread parses the next chunk: the server inserts one chunk while the
client prepares the next, instead of each waiting for the other. One COPY is in flight at a time;
anything else on the connection (look-ups, updates, a database cache) waits for it (psycopg's
connection lock), and ``finish`` / ``abort`` wait for it too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection

from kamtibmas.incidents.arealookup import locate_many
from kamtibmas.incidents.models import BALIKPAPAN, ImportBatch, Incident, IncidentEvent
from kamtibmas.incidents.rows import RowBlock

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
ANALYZE_AFTER = 50_000  # created rows; ANALYZE samples a fixed number of rows (< 1 s)


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class ChunkWriter:
    """Writes the chunks of one batch; ``finish`` after the last one."""

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
        self.imported_columns = [str(by_attname[a].column) for a in IMPORTED]
        # PostgreSQL: the constant columns end every COPY line
        self.copy_end = ""
        if self.vendor == "postgresql":
            self.copy_end = "".join("\t" + _copy_literal(v) for v in self.rest_values) + "\n"
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None
        # A dataset with no incidents yet needs no look-ups: ids new to it are new (and an id
        # twice in the file is caught before this).
        self.lookup = Incident.objects.filter(dataset=dataset).exists()

    def finish(self, created: int) -> None:
        """After a large insert on PostgreSQL, fresh planner statistics (inside the import's
        transaction): without them the next import's look-ups by external id, and the pages,
        may scan the whole table until autovacuum gets to it. Waits for the COPY in flight
        (its error, if any, is raised here)."""
        self._wait()
        self._close_pool()
        if self.vendor == "postgresql" and created >= ANALYZE_AFTER:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {self.qn(self.table)}")

    def abort(self) -> None:
        """After an error: let the COPY in flight end (its outcome no longer matters), so the
        rollback that follows finds the connection idle."""
        pending, self._pending = self._pending, None
        if pending is not None:
            wait_futures([pending])
        self._close_pool()

    def _wait(self) -> None:
        """Until the COPY in flight is done; raises its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _close_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _times(self, values: np.ndarray) -> list[str | None]:
        """UTC datetime64[us] -> the text the database keeps (None for NaT): Django's own form,
        ``str(datetime)`` of naive UTC on SQLite (times compare as text there) and of aware UTC
        on PostgreSQL."""
        if not len(values):
            return []
        missing = np.isnat(values)
        whole = values.astype("datetime64[s]")
        text = np.strings.replace(np.datetime_as_string(whole, unit="s"), "T", " ")
        fraction = (values - whole).astype(np.int64)
        if fraction[~missing].any():
            fine = np.strings.replace(np.datetime_as_string(values, unit="us"), "T", " ")
            text = np.where(fraction != 0, fine, text)
        if self.vendor == "postgresql":
            text = np.strings.add(text, "+00:00")
        out: list[str | None] = text.tolist()
        if missing.any():
            for i in np.flatnonzero(missing).tolist():
                out[i] = None
        return out

    def _db_text(self, value: Any) -> Any:
        """A time read back from the database in the form ``_times`` writes."""
        if isinstance(value, datetime):
            return str(value.astimezone(UTC) if value.tzinfo is not None else value)
        return value

    # -- per chunk ----------------------------------------------------------------------
    def write(self, block: RowBlock) -> ChunkResult:
        n = len(block)
        if not n:
            return ChunkResult()
        assert block.lat is not None and block.lon is not None
        kel_ids, kel_codes, units = self._areas(block.lat, block.lon)
        columns = (
            block.category,
            block.source_category,
            self._times(block.occurred_from),
            self._times(block.occurred_to),
            self._times(block.reported_at),
            _floats(block.lat),
            _floats(block.lon),
            block.lp_number,
            block.premises_type,
            block.modus_operandi,
            kel_ids,
            kel_codes,
            units,
        )
        if not self.lookup:  # nothing to compare with: every row is new
            self._insert(block.external_id, columns, None)
            return ChunkResult(created=n)
        existing = self._existing(block.external_id)
        result = ChunkResult()
        inserts: list[int] = []
        updates: list[tuple[int, tuple[Any, ...], tuple[Any, ...]]] = []
        for k, (external_id, new) in enumerate(
            zip(block.external_id, zip(*columns, strict=True), strict=True)
        ):
            old = existing.get(external_id)
            if old is None:
                inserts.append(k)
            elif old[1:] == new:
                result.unchanged += 1
            else:
                updates.append((old[0], old[1:], new))
        self._insert(block.external_id, columns, inserts)
        self._update(updates)
        result.created, result.updated = len(inserts), len(updates)
        return result

    def _areas(
        self, lat: np.ndarray, lon: np.ndarray
    ) -> tuple[Sequence[int | None], Sequence[str], Sequence[int | None]]:
        n = len(lat)
        if self.dataset != BALIKPAPAN:
            return [None] * n, [""] * n, [None] * n
        found = locate_many(lat, lon)
        return found.kelurahan_id, found.kelurahan_code, found.unit_id

    def _existing(self, ids: list[str]) -> dict[str, tuple[Any, ...]]:
        """external_id -> (pk, *IMPORTED values as the database returns them)."""
        self._wait()
        found: dict[str, tuple[Any, ...]] = {}
        qn = self.qn
        columns = ", ".join(qn(c) for c in ("external_id", "id", *self.imported_columns))
        where = f"SELECT {columns} FROM {qn(self.table)} WHERE {qn('dataset')} = %s AND "  # noqa: S608
        if self.vendor == "postgresql":  # one query a chunk
            queries: list[tuple[str, list[Any]]] = [
                (where + f"{qn('external_id')} = ANY(%s)", [self.dataset, ids])
            ]
        else:
            queries = [
                (
                    where + f"{qn('external_id')} IN ({', '.join(['%s'] * len(part))})",
                    [self.dataset, *part],
                )
                for part in (ids[i : i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK))
            ]
        with connection.cursor() as cursor:
            for sql, params in queries:
                cursor.execute(sql, params)
                for values in cursor.fetchall():
                    row = list(values[1:])
                    for i in (3, 4, 5):  # times, in the form the writer sends them
                        row[i] = self._db_text(row[i])
                    found[values[0]] = tuple(row)
        return found

    def _insert(
        self, ids: list[str], columns: Sequence[Sequence[Any]], rows: list[int] | None
    ) -> None:
        """Insert the rows ``rows`` (all when None) of (external_id, *IMPORTED columns); the
        constant columns are added here."""
        if rows is not None and not rows:
            return
        if self.vendor == "postgresql":
            fields = [_copy_values(c) for c in (ids, *columns)]
            if rows is not None:
                fields = [[f[k] for k in rows] for f in fields]
            self._copy(_copy_text(fields, self.copy_end))
            return
        table = list(zip(ids, *columns, strict=True))
        if rows is not None:
            table = [table[k] for k in rows]
        columns_sql = ", ".join(self.qn(c) for c in self.insert_columns)
        # constants as SQL literals: binding 13 fewer parameters a row is ~30 % of SQLite's
        # insert time
        marks = ["%s"] * (len(self.insert_columns) - len(self.rest_values))
        marks += [_sqlite_literal(v) for v in self.rest_values]
        sql = f"INSERT INTO {self.qn(self.table)} ({columns_sql}) VALUES ({', '.join(marks)})"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.executemany(sql, table)

    def _copy(self, text: str) -> None:
        """Send ``text`` (COPY lines) by the worker thread, after the previous COPY ended."""
        self._wait()
        connection.ensure_connection()
        raw = connection.connection
        columns = ", ".join(self.qn(c) for c in self.insert_columns)
        sql = f"COPY {self.qn(self.table)} ({columns}) FROM STDIN"

        def send() -> None:
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                copy.write(text)

        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="incident-copy")
        self._pending = self._pool.submit(send)

    def _update(self, updates: list[tuple[int, tuple[Any, ...], tuple[Any, ...]]]) -> None:
        if not updates:
            return
        self._wait()
        qn = self.qn
        sets = ", ".join(f"{qn(c)} = %s" for c in self.imported_columns)
        sql = (
            f"UPDATE {qn(self.table)} SET {sets}, {qn('version')} = {qn('version')} + 1, "  # noqa: S608
            f"{qn('updated_at')} = %s, {qn('import_batch_id')} = %s WHERE {qn('id')} = %s"
        )
        now = self._db_text(self.now)
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


def _floats(values: np.ndarray) -> list[float | None]:
    """NaN -> None (NULL)."""
    out: list[float | None] = values.tolist()
    if np.isnan(values).any():
        for i in np.flatnonzero(np.isnan(values)).tolist():
            out[i] = None
    return out


def _sqlite_literal(value: Any) -> str:
    """A constant as an SQLite literal (``%`` doubled for Django's placeholder conversion)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return str(int(value))
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''").replace("%", "%%") + "'"
    raise TypeError(f"no SQLite literal for {type(value).__name__}")


# ---- COPY text (PostgreSQL) ------------------------------------------------------------------

_NULL = "\\N"
_SPECIAL = re.compile(r"[\\\t\n\r]")


def _copy_escape(text: str) -> str:
    """A text field in COPY's text format (backslash, tab, newline, return escaped)."""
    if _SPECIAL.search(text) is None:
        return text
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_literal(value: Any) -> str:
    """One value as a COPY text field (None -> NULL)."""
    if value is None:
        return _NULL
    if isinstance(value, str):
        return _copy_escape(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same double
    if isinstance(value, int | Decimal | datetime):
        return str(value)
    raise TypeError(f"no COPY text for {type(value).__name__}")


def _copy_values(values: Sequence[Any]) -> list[str]:
    """A column as COPY text fields; text without special characters as it is (the common
    case: one C-level join decides for the whole column)."""
    try:
        joined = "".join(values)
    except TypeError:  # None, numbers
        kinds = set(map(type, values)) - {type(None)}
        if kinds == {float}:  # the shortest text that reads back as the same double
            return [_NULL if v is None else repr(v) for v in values]
        if kinds == {int}:
            return [_NULL if v is None else str(v) for v in values]
        if kinds == {str} and _SPECIAL.search("".join(v for v in values if v)) is None:
            return [_NULL if v is None else v for v in values]
        return [_NULL if v is None else _copy_literal(v) for v in values]
    if _SPECIAL.search(joined) is None:
        return list(values)
    return [_copy_escape(v) for v in values]


def _copy_text(fields: list[list[str]], end: str) -> str:
    """Lines of tab-separated fields, each ended by ``end`` (the constant columns + newline)."""
    if not fields or not fields[0]:
        return ""
    return end.join(map("\t".join, zip(*fields, strict=True))) + end
