"""Background tasks of the CCTV app (run by the task worker)."""

from __future__ import annotations

from django_tasks import task


@task()
def purge_snapshots_task() -> str:
    """Delete alert snapshots past retention or beyond the disk budget."""
    from kamtibmas.cctv.retention import purge_snapshots

    result = purge_snapshots()
    return f"expired={result.expired} over_budget={result.over_budget}"
