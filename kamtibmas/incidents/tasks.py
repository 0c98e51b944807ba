"""Background tasks of the incidents app (run by the task worker)."""

from __future__ import annotations

import contextlib
import logging

from django_tasks import task

from kamtibmas.incidents.importer import ImportFailed, ImportOptions, ImportOptionsError, run_import
from kamtibmas.incidents.models import ImportBatch

log = logging.getLogger(__name__)


@task()
def run_import_task(batch_id: int) -> str:
    """Run a batch made by ``importer.prepare_batch`` (its options hold ``source_path``).

    Returns the batch's final state. A refused or failed import is recorded on the batch
    (state ``failed``, ``error``) and is not an error of the task: retrying cannot help.
    """
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.state not in (ImportBatch.State.PENDING, ImportBatch.State.FAILED):
        log.info("import batch %s is %s; not run again", batch_id, batch.state)
        return str(batch.state)
    options = ImportOptions.from_json(batch.options)
    with contextlib.suppress(ImportFailed, ImportOptionsError):
        run_import(batch.options["source_path"], options, batch=batch, user=batch.created_by)
    batch.refresh_from_db()
    return str(batch.state)


@task()
def purge_import_files_task() -> str:
    """Delete old import uploads and validation reports (see ``incidents.retention``)."""
    from kamtibmas.incidents.retention import purge_import_files

    result = purge_import_files()
    return f"uploads={result.uploads} reports={result.reports}"
