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
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
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
from kamtibmas.incidents.rows import ImportOptionsError, ParsedRow, RowError, RowParser

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
        self.use_cache = not isinstance(cache, DatabaseCache) and not isinstance(
            getattr(cache, "_cache", None), DatabaseCache
        )

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
def _parser(path: str | os.PathLike[str], options: ImportOptions) -> tuple[_Source, RowParser]:
    if options.category_scheme in builtin_schemes():
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
    source, parser = _parser(path, options)
    result: list[PreviewRow] = []
    parsed: list[ParsedRow] = []
    try:
        for line, values in source.rows():
            if len(result) >= rows:
                break
            try:
                row = parser.parse(line, values)
            except RowError as exc:
                result.append(PreviewRow(line, None, exc.reason))
                continue
            parsed.append(row)
            result.append(PreviewRow(line, {}, None))
    finally:
        source.close()
    bad = {row.line: err for row, err in parser.project(parsed)}
    by_line = {row.line: row for row in parsed}
    for item in result:
        if item.line in bad:
            item.values, item.error = None, bad[item.line].reason
        elif item.line in by_line:
            item.values = _preview_values(by_line[item.line])
    return result


def _preview_values(row: ParsedRow) -> dict[str, Any]:
    def iso(value: Any) -> str:
        return value.isoformat() if value is not None else ""

    return {
        "external_id": row.external_id,
        "category": row.category,
        "source_category": row.source_category,
        "occurred_from": iso(row.occurred_from),
        "occurred_to": iso(row.occurred_to),
        "reported_at": iso(row.reported_at),
        "lat": row.lat,
        "lon": row.lon,
        "lp_number": row.lp_number,
        "premises_type": row.premises_type,
        "modus_operandi": row.modus_operandi,
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
        source, parser = _parser(path, options)
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
    return batch


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
    seen: set[str] = set()
    check_duplicates = "external_id" in parser.index
    chunk: list[ParsedRow] = []
    raw: dict[int, list[str]] = {}
    for line, values in source.rows():
        counts["rows"] += 1
        try:
            row = parser.parse(line, values)
            if check_duplicates:
                if row.external_id in seen:
                    raise RowError(
                        "duplicate_id", _("The external id appears earlier in the file.")
                    )
                seen.add(row.external_id)
        except RowError as exc:
            rejections.add(line, exc, values)
            continue
        chunk.append(row)
        raw[line] = values
        if len(chunk) >= CHUNK_ROWS:
            _flush(chunk, raw, parser, writer, rejections, counts)
            publish(source.fraction(), counts["rows"])
            chunk, raw = [], {}
    _flush(chunk, raw, parser, writer, rejections, counts)
    publish(1.0, counts["rows"])


def _flush(
    chunk: list[ParsedRow],
    raw: dict[int, list[str]],
    parser: RowParser,
    writer: ChunkWriter,
    rejections: _Rejections,
    counts: dict[str, int],
) -> None:
    if not chunk:
        return
    bad = parser.project(chunk)
    if bad:
        bad_lines = {row.line for row, _err in bad}
        for row, err in bad:
            rejections.add(row.line, err, raw[row.line])
        chunk = [row for row in chunk if row.line not in bad_lines]
    counts["no_location"] += sum(1 for row in chunk if row.lat is None)
    result = writer.write(chunk)
    counts["created"] += result.created
    counts["updated"] += result.updated


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
