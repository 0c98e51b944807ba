"""Background tasks of the analysis (run by the task worker, enqueued by the scheduler)."""

from __future__ import annotations

from django_tasks import task

from kamtibmas.analytics import monthly


@task()
def build_monthly_report() -> str:
    """Store last month's Polres report unless it is already stored (idempotent: the
    scheduler enqueues this every hour, so the report appears early on the 1st and a
    scheduler that was down on the 1st catches up). Returns the file name or ""."""
    path = monthly.ensure_previous_month()
    return path.name if path else ""
