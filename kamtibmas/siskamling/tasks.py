"""Background tasks of Siskamling (run by the task worker; enqueued hourly by the scheduler)."""

from __future__ import annotations

from django_tasks import task


@task()
def roster_hourly() -> str:
    """Make the coming weeks' nights from the templates and remind coordinators of tonight."""
    from kamtibmas.siskamling.reminders import run_hourly

    result = run_hourly()
    return f"nights_made={result.nights_made} reminders={result.reminders}"
