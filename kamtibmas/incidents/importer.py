"""Import incidents from CSV: the Python API used by `kamtibmas incidents import` and the UI.

    options = ImportOptions(dataset="vancouver", crs="EPSG:26910", ...)  # or sniff(path).guessed
    preview(path, options)            # parse the first rows, write nothing
    run_import(path, options)         # -> ImportBatch with counts and the rejected rows

How it behaves (see ``docs/import.md`` for users):

* **Streaming.** The file is read row by row and written in chunks of ``CHUNK_ROWS``; memory
  stays bounded (plus one set of the file's external ids, ~100 bytes a row, to catch an id
  that appears twice in one file, or the derived-id counter for files without ids).
* **All or nothing.** A batch (one file) is imported in one database transaction. An exception,
  Ctrl-C or a fatal error rolls it back: no incident of the batch remains, and the batch row
  (created and saved outside that transaction) says ``failed`` with the error. A dry run runs
  the same import and rolls it back at the end: the counts are exact and nothing but the batch
  row and its report is written (state ``dry_run``).
* **Idempotent.** Incidents are keyed by (dataset, external_id): a row whose id exists is
  updated when a value changed and left alone otherwise, so importing a file twice leaves the
  same rows. An id twice in one file: the second row is rejected (``duplicate_id``).
* **Report.** Every rejected row has its line number, a code and a reason: the first
  ``REJECTED_KEPT`` in ``batch.rejected`` (``{"line", "code", "reason"}``), all of them in a
  CSV (line, code, reason, then the row's own columns) at ``report_path`` or by default
  ``<KAMTIBMAS_VAR_DIR>/imports/batch-<id>-rejected.csv``; its path is kept in
  ``batch.options["report_path"]``.
* **Progress.** ``progress(fraction)`` is called after each chunk (fraction of bytes read).
  Other processes read it with ``import_progress(batch)``: on PostgreSQL the batch row is
  updated through a second connection (outside the import's transaction); on SQLite, where a
  writer excludes other writers, the batch row is updated when the import ends, and live
  progress is published in the cache when that is not the database cache (e.g. Redis).
* **Analytics.** After a PostgreSQL import that created or changed incidents, the Polres-wide
  analytics snapshot of the dataset is loaded and left for the web processes
  (``kamtibmas.analytics.facts.warm``), once the batch already says ``done``.
"""

from __future__ import annotations

import csv
import logging
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kamtibmas.incidents.csvformats import (
    ENCODING,
    ImportOptions,
    SniffResult,
    detect_delimiter,
    layout_options,
    sniff,
)
from kamtibmas.incidents.dbwrite import ChunkWriter
from kamtibmas.incidents.mapping import builtin_schemes, load_builtin_mappings
from kamtibmas.incidents.models import ImportBatch
from kamtibmas.incidents.rows import ImportOptionsError, RowBlock, RowError, RowParser

__all__ = [
    "ImportFailed",
    "ImportOptions",
    "ImportOptionsError",
    "PreviewRow",
    "SniffResult",
    "import_progress",
    "layout_options",
    "prepare_batch",
    "preview",
    "run_import",
    "sniff",
]

log = logging.getLogger(__name__)

CHUNK_ROWS = 5000
SQLITE_CACHE_KIB = 256 * 1024
REJECTED_KEPT = 1000
PROGRESS_KEY = "incidents:import-progress:%s"


class ImportFailed(Exception):
    """The import stopped and was rolled back; ``message`` says why (translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _DryRunDone(Exception):
    pass


@dataclass
class PreviewRow:
    line: int
    values: dict[str, Any] | None
    error: str | None


# -- reading ---------------------------------------------------------------------------------
class _Source:
    """The CSV file as (line, values) rows, with the fraction of bytes read so far."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.size = max(self.path.stat().st_size, 1)
            self.binary = open(self.path, "rb")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise ImportFailed(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc.strerror}
            ) from None
        self.text: IO[str] = open(  # noqa: SIM115 - closed in close()
            self.binary.fileno(),
            encoding=ENCODING,
            newline="",
            closefd=False,
        )
        first = self.text.readline()
        self.text.seek(0)
        self.reader = csv.reader(self.text, delimiter=detect_delimiter(first))
        try:
            self.header = [h.strip() for h in next(self.reader, [])]
        except (UnicodeDecodeError, csv.Error) as exc:
            self.close()
            raise ImportFailed(
                _("The file is not a UTF-8 CSV file: %(error)s") % {"error": exc}
            ) from None
        if not any(self.header):
            self.close()
            raise ImportFailed(_("The file is empty."))

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        reader = self.reader
        try:
            for values in reader:
                if values and any(values):
                    yield reader.line_num, values
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ImportFailed(
                _("Line %(line)d cannot be read: %(error)s")
                % {"line": reader.line_num + 1, "error": exc}
            ) from None

    def fraction(self) -> float:
        return min(os.lseek(self.binary.fileno(), 0, os.SEEK_CUR) / self.size, 1.0)

    def close(self) -> None:
        self.text.close()
        self.binary.close()


# -- the report --------------------------------------------------------------------------------
class _Rejections:
    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.header = header
        self.kept: list[dict[str, Any]] = []
        self.count = 0
        self._fh: IO[str] | None = None
        self._writer: Any = None

    def add(self, line: int, error: RowError, values: list[str]) -> None:
        self.count += 1
        if len(self.kept) < REJECTED_KEPT:
            self.kept.append({"line": line, "code": error.code, "reason": error.reason})
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._writer = csv.writer(self._fh)
            self._writer.writerow(["line", "code", "reason", *self.header])
        self._writer.writerow([line, error.code, error.reason, *values])

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


# -- progress ----------------------------------------------------------------------------------
class _Progress:
    """Publishes progress where other processes can see it (see the module docstring)."""

    def __init__(self, batch: ImportBatch, callback: Callable[[float], None] | None) -> None:
        self.batch = batch
        self.callback = callback
        self.side = None
        # Not inside the caller's transaction: that one may hold the batch row's lock.
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.side = connections.create_connection("default")
            with self.side.cursor() as cursor:
                # progress is worth no disk flush: without this each update (one a chunk)
                # waits for an fsync, ~5 s of a million-row import
                cursor.execute("SET synchronous_commit TO off")
        # ``cache`` is a proxy: the backend itself says whether it is the database cache (a
        # database cache write would wait for the COPY in flight and stay invisible inside the
        # import's transaction anyway)
        self.use_cache = not isinstance(caches[DEFAULT_CACHE_ALIAS], DatabaseCache)

    def __call__(self, fraction: float, rows: int) -> None:
        if self.side is not None:
            table = connection.ops.quote_name(ImportBatch._meta.db_table)
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET progress = %s, rows_total = %s WHERE id = %s",  # noqa: S608
                    [fraction, rows, self.batch.pk],
                )
        if self.use_cache:
            cache.set(PROGRESS_KEY % self.batch.pk, fraction, 3600)
        if self.callback is not None:
            self.callback(fraction)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
        if self.use_cache:
            cache.delete(PROGRESS_KEY % self.batch.pk)


def import_progress(batch: ImportBatch) -> float:
    """The running import's progress 0..1 as another process sees it."""
    value = cache.get(PROGRESS_KEY % batch.pk)
    if value is not None:
        return float(value)
    return float(
        ImportBatch.objects.filter(pk=batch.pk).values_list("progress", flat=True).first() or 0.0
    )


# -- the API -----------------------------------------------------------------------------------
def open_parser(
    path: str | os.PathLike[str], options: ImportOptions, *, store_mappings: bool = True
) -> tuple[_Source, RowParser]:
    """The file's rows and a parser for them. ``store_mappings`` first copies the built-in
    category tables into the database (an import); a read-only reader (an analysis command)
    passes False and the parser falls back to the built-in files."""
    if store_mappings and options.category_scheme in builtin_schemes():
        load_builtin_mappings()
    source = _Source(path)
    try:
        return source, RowParser(options, source.header)
    except ImportOptionsError:
        source.close()
        raise


def preview(
    path: str | os.PathLike[str], options: ImportOptions, *, rows: int = 20
) -> list[PreviewRow]:
    """Parse the first ``rows`` rows as the import would, without writing anything."""
    source, parser = open_parser(path, options)
    lines: list[int] = []
    raw: list[list[str]] = []
    try:
        for line, values in source.rows():
            if len(lines) >= rows:
                break
            lines.append(line)
            raw.append(values)
    finally:
        source.close()
    block, rejected = parser.parse_chunk(lines, raw)
    rejected += parser.project(block)
    errors = {line: err.reason for line, err in rejected}
    shown = {line: _preview_values(block, i) for i, line in enumerate(block.lines)}
    return [
        PreviewRow(line, None, errors[line])
        if line in errors
        else PreviewRow(line, shown[line], None)
        for line in lines
    ]


def _preview_values(block: RowBlock, i: int) -> dict[str, Any]:
    def iso(value: np.datetime64) -> str:
        if np.isnat(value):
            return ""
        return value.astype(datetime).replace(tzinfo=UTC).isoformat()

    def coordinate(values: np.ndarray | None) -> float | None:
        value = None if values is None else float(values[i])
        return None if value is None or math.isnan(value) else value

    return {
        "external_id": block.external_id[i],
        "category": block.category[i],
        "source_category": block.source_category[i],
        "occurred_from": iso(block.occurred_from[i]),
        "occurred_to": iso(block.occurred_to[i]),
        "reported_at": iso(block.reported_at[i]),
        "lat": coordinate(block.lat),
        "lon": coordinate(block.lon),
        "lp_number": block.lp_number[i],
        "premises_type": block.premises_type[i],
        "modus_operandi": block.modus_operandi[i],
    }


def prepare_batch(
    path: str | os.PathLike[str],
    options: ImportOptions,
    *,
    user: Any = None,
    file_name: str | None = None,
) -> ImportBatch:
    """A pending batch for ``path`` (what the UI saves before enqueueing ``run_import_task``)."""
    return ImportBatch.objects.create(
        dataset=options.dataset,
        file_name=(file_name or Path(path).name)[:255],
        options={**options.to_json(), "source_path": str(path)},
        state=ImportBatch.State.PENDING,
        created_by=user if getattr(user, "pk", None) else None,
    )


def default_report_path(batch: ImportBatch) -> Path:
    return Path(settings.VAR_DIR) / "imports" / f"batch-{batch.pk}-rejected.csv"


def run_import(
    path: str | os.PathLike[str],
    options: ImportOptions,
    *,
    batch: ImportBatch | None = None,
    user: Any = None,
    progress: Callable[[float], None] | None = None,
    report_path: str | os.PathLike[str] | None = None,
) -> ImportBatch:
    """Import one CSV file as one batch (see the module docstring). Raises ``ImportFailed`` or
    ``ImportOptionsError`` (the batch then says ``failed``); other exceptions propagate after
    the batch was marked failed and everything was rolled back."""
    if batch is None:
        batch = prepare_batch(path, options, user=user)
    batch.state = ImportBatch.State.RUNNING
    batch.error = ""
    batch.save(update_fields=["state", "error"])
    report = Path(report_path) if report_path else default_report_path(batch)
    try:
        source, parser = open_parser(path, options)
    except (ImportFailed, ImportOptionsError) as exc:
        _finish(batch, ImportBatch.State.FAILED, error=exc.message)
        raise
    rejections = _Rejections(report, source.header)
    publish = _Progress(batch, progress)
    counts = {"rows": 0, "created": 0, "updated": 0, "no_location": 0}
    try:
        with transaction.atomic(), _sqlite_cache():
            _import_rows(source, parser, batch, user, rejections, publish, counts)
            if options.dry_run:
                raise _DryRunDone
    except _DryRunDone:
        pass
    except BaseException as exc:
        message = exc.message if isinstance(exc, ImportFailed) else _describe(exc)
        counts["created"] = counts["updated"] = 0  # rolled back
        _store_counts(batch, counts, rejections, report)
        _finish(batch, ImportBatch.State.FAILED, error=message)
        log.warning("import batch %s failed: %s", batch.pk, type(exc).__name__)
        raise
    finally:
        source.close()
        rejections.close()
        publish.close()
    _store_counts(batch, counts, rejections, report)
    state = ImportBatch.State.DRY_RUN if options.dry_run else ImportBatch.State.DONE
    _finish(batch, state, progress=1.0)
    if not options.dry_run and (counts["created"] or counts["updated"]):
        _warm_analytics(batch)
    return batch


def _warm_analytics(batch: ImportBatch) -> None:
    """Load the analytics snapshot of the new data now, in this process, and leave it in the
    var directory for the web processes (``kamtibmas.analytics.factstore``): otherwise the
    first filter change after a big import waits seconds for it. Only for tables big enough
    to use snapshots, and on PostgreSQL (SQLite's snapshot is read row by row in Python: it
    would add more to an import than it saves); a failure here never fails the import."""
    from kamtibmas.analytics import facts

    if connection.vendor != "postgresql":
        return
    try:
        facts.warm(batch.dataset)
    except Exception as exc:  # noqa: BLE001 - the import itself succeeded
        log.warning(
            "analytics snapshot after batch %s not warmed: %s", batch.pk, type(exc).__name__
        )


@contextmanager
def _sqlite_cache() -> Iterator[None]:
    """A bigger SQLite page cache while importing: index pages of a million rows stay in
    memory (allocated only as used; at most SQLITE_CACHE_KIB)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        old = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(old)}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return _("Interrupted; nothing of this batch was imported.")
    return _("Stopped by an error (%(error)s); nothing of this batch was imported.") % {
        "error": type(exc).__name__
    }


def _import_rows(
    source: _Source,
    parser: RowParser,
    batch: ImportBatch,
    user: Any,
    rejections: _Rejections,
    publish: _Progress,
    counts: dict[str, int],
) -> None:
    writer = ChunkWriter(batch, parser.options.dataset, getattr(user, "pk", None))
    seen: set[str] | None = set() if "external_id" in parser.index else None
    lines: list[int] = []
    raw: list[list[str]] = []
    try:
        for line, values in source.rows():
            lines.append(line)
            raw.append(values)
            if len(lines) >= CHUNK_ROWS:
                _flush(lines, raw, parser, seen, writer, rejections, counts)
                publish(source.fraction(), counts["rows"])
                lines, raw = [], []
        _flush(lines, raw, parser, seen, writer, rejections, counts)
        writer.finish(counts["created"])
    except BaseException:
        writer.abort()  # the COPY in flight ends before the rollback
        raise
    publish(1.0, counts["rows"])


def _flush(
    lines: list[int],
    raw: list[list[str]],
    parser: RowParser,
    seen: set[str] | None,
    writer: ChunkWriter,
    rejections: _Rejections,
    counts: dict[str, int],
) -> None:
    """Parse, check, project and write one chunk; rejected rows go to the report."""
    if not lines:
        return
    counts["rows"] += len(lines)
    block, rejected = parser.parse_chunk(lines, raw)
    if seen is not None:
        block, duplicates = _drop_duplicates(block, seen)
        rejected += duplicates
    bad = parser.project(block)  # reported after the rows' own errors, as they are found
    if bad:
        bad_lines = {line for line, _err in bad}
        block = block.take(np.array([line not in bad_lines for line in block.lines], bool))
    if rejected or bad:
        by_line = dict(zip(lines, raw, strict=True))
        for line, err in [*sorted(rejected, key=lambda item: item[0]), *bad]:
            rejections.add(line, err, by_line[line])
    assert block.lat is not None
    counts["no_location"] += int(np.isnan(block.lat).sum())
    result = writer.write(block)
    counts["created"] += result.created
    counts["updated"] += result.updated


def _drop_duplicates(
    block: RowBlock, seen: set[str]
) -> tuple[RowBlock, list[tuple[int, RowError]]]:
    """Rejects an external id that appeared earlier in the file (in an accepted row)."""
    ids = block.external_id
    fresh = set(ids)
    if len(fresh) == len(ids) and seen.isdisjoint(fresh):
        seen |= fresh
        return block, []
    keep: list[bool] = []
    for external_id in ids:
        keep.append(external_id not in seen)
        seen.add(external_id)
    error = RowError("duplicate_id", _("The external id appears earlier in the file."))
    duplicates = [(line, error) for line, k in zip(block.lines, keep, strict=True) if not k]
    return block.take(np.array(keep, dtype=bool)), duplicates


def _store_counts(
    batch: ImportBatch, counts: dict[str, int], rejections: _Rejections, report: Path
) -> None:
    batch.rows_total = counts["rows"]
    batch.rows_created = counts["created"]
    batch.rows_updated = counts["updated"]
    batch.rows_rejected = rejections.count
    batch.rows_without_location = counts["no_location"]
    batch.rejected = rejections.kept
    if rejections.count:
        batch.options = {**batch.options, "report_path": str(report)}


def _finish(
    batch: ImportBatch, state: str, *, error: str = "", progress: float | None = None
) -> None:
    batch.state = state
    batch.error = error
    batch.finished_at = timezone.now()
    if progress is not None:
        batch.progress = progress
    batch.save()
