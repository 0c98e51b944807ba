"""Uploaded import files and validation reports are kept only as long as they are useful.

An uploaded CSV (``MEDIA_ROOT/imports/<token>/``) may hold personal data of a source system,
and a validation report (``VAR_DIR/imports/batch-<n>-rejected.csv``) repeats its rejected rows,
so both are deleted ``IMPORT_FILE_RETENTION_DAYS`` (default 30) days after they were last
written, unless a batch that reads the upload is still waiting or running. The batch rows
(counts, state, the first rejected rows) stay: they are the record of what was imported.
A dry run whose upload is gone can no longer be run for real; the batch page says so.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from kamtibmas.incidents.models import ImportBatch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeResult:
    uploads: int = 0
    reports: int = 0


def uploads_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def reports_root() -> Path:
    return Path(settings.VAR_DIR) / "imports"


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())


def _paths_in_use() -> set[Path]:
    """Resolved source paths of batches still waiting or running."""
    busy = ImportBatch.objects.filter(
        state__in=(ImportBatch.State.PENDING, ImportBatch.State.RUNNING)
    ).values_list("options", flat=True)
    return {Path(str(o.get("source_path", ""))).resolve() for o in busy if o.get("source_path")}


def _stale_upload_folders(cutoff: datetime, in_use: set[Path]) -> list[Path]:
    root = uploads_root()
    if not root.is_dir():
        return []
    stale = []
    for folder in root.iterdir():
        if not folder.is_dir() or folder.is_symlink():
            continue
        files = [p for p in folder.rglob("*") if p.is_file()]
        newest = max((_modified(p) for p in files), default=_modified(folder))
        if newest < cutoff and not any(p.resolve() in in_use for p in files):
            stale.append(folder)
    return stale


def _stale_reports(cutoff: datetime) -> list[Path]:
    root = reports_root()
    if not root.is_dir():
        return []
    return [p for p in root.glob("batch-*-rejected.csv") if p.is_file() and _modified(p) < cutoff]


def purge_import_files(now: datetime | None = None, days: int | None = None) -> PurgeResult:
    """Delete uploads and validation reports older than ``days`` (default the setting)."""
    keep_days = settings.IMPORT_FILE_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    folders = _stale_upload_folders(cutoff, _paths_in_use())
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    reports = _stale_reports(cutoff)
    for report in reports:
        report.unlink(missing_ok=True)
    if folders or reports:
        log.info("purged %d import uploads and %d validation reports", len(folders), len(reports))
    return PurgeResult(uploads=len(folders), reports=len(reports))
