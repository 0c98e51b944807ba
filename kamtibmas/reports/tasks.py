"""Background tasks of the reports app (run by the task worker, enqueued by the scheduler)."""

from __future__ import annotations

from django_tasks import task

from kamtibmas.reports.sla import escalate_overdue


@task()
def check_sla() -> int:
    """Escalate overdue reports to their commanders; returns how many were escalated."""
    return escalate_overdue()
