"""Background tasks of the notifications app."""

from __future__ import annotations

from django_tasks import task

from kamtibmas.notifications.services import deliver_due


@task()
def deliver_outbox() -> int:
    return deliver_due()
