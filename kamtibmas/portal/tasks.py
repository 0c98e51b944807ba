"""Background tasks of the public portal's alerts and subscriptions (run by the task worker).

Scheduler lines for the lead (kamtibmas/portal/management/commands/scheduler.py JOBS):
    Job("alert_subscriptions_monthly", "kamtibmas.portal.tasks.send_monthly_statistics_task", 60)
    Job("purge_subscriptions", "kamtibmas.portal.tasks.purge_subscriptions_task", 1440)
``send_alert_task`` is enqueued when an alert is published, not by the scheduler.
"""

from __future__ import annotations

from django_tasks import task


@task()
def send_alert_task(alert_id: int) -> str:
    """Queue a published alert for every subscribed address of its area (once each)."""
    from kamtibmas.portal.models import PublicAlert
    from kamtibmas.portal.subscriptions import send_alert

    alert = PublicAlert.objects.filter(pk=alert_id).first()
    return f"queued={send_alert(alert) if alert else 0}"


@task()
def send_monthly_statistics_task() -> str:
    """Hourly and idempotent: last month's kelurahan statistics, once per subscriber, from the
    8th of the month (WITA)."""
    from kamtibmas.portal.subscriptions import send_monthly

    return f"queued={send_monthly()}"


@task()
def purge_subscriptions_task() -> str:
    """Daily: forget unconfirmed (7 days) and unsubscribed (30 days) subscriptions."""
    from kamtibmas.portal.subscriptions import purge

    return f"deleted={purge()}"
