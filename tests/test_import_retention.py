"""Old import uploads and validation reports are deleted; files of running batches stay."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from kamtibmas.incidents import retention
from kamtibmas.incidents.models import ImportBatch


@pytest.fixture
def roots(settings: Any, tmp_path: Path) -> tuple[Path, Path]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.IMPORT_FILE_RETENTION_DAYS = 30
    return retention.uploads_root(), retention.reports_root()


def _file(path: Path, age_days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("external_id,category\n")
    stamp = (timezone.now() - timedelta(days=age_days)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


@pytest.mark.django_db
def test_it_deletes_old_uploads_and_reports_and_keeps_new_ones(roots: tuple[Path, Path]) -> None:
    uploads, reports = roots
    old = _file(uploads / "a" / "old.csv", 40)
    new = _file(uploads / "b" / "new.csv", 2)
    old_report = _file(reports / "batch-1-rejected.csv", 31)
    new_report = _file(reports / "batch-2-rejected.csv", 1)

    result = retention.purge_import_files()

    assert result == retention.PurgeResult(uploads=1, reports=1)
    assert not old.parent.exists() and not old_report.exists()
    assert new.exists() and new_report.exists()


@pytest.mark.django_db
def test_it_keeps_the_upload_of_a_batch_still_waiting(roots: tuple[Path, Path]) -> None:
    uploads, _ = roots
    waiting = _file(uploads / "c" / "big.csv", 90)
    ImportBatch.objects.create(
        file_name="big.csv",
        options={"source_path": str(waiting)},
        state=ImportBatch.State.PENDING,
    )
    assert retention.purge_import_files().uploads == 0
    assert waiting.exists()
    ImportBatch.objects.update(state=ImportBatch.State.DONE)
    assert retention.purge_import_files().uploads == 1


@pytest.mark.django_db
def test_it_does_nothing_when_no_import_was_ever_made(roots: tuple[Path, Path]) -> None:
    assert retention.purge_import_files() == retention.PurgeResult()


@pytest.mark.django_db
def test_the_task_reports_what_it_deleted(roots: tuple[Path, Path]) -> None:
    from kamtibmas.incidents.tasks import purge_import_files_task

    _file(roots[0] / "d" / "x.csv", 100)
    assert purge_import_files_task.call() == "uploads=1 reports=0"
