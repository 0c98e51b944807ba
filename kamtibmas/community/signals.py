"""Signal receivers of community programmes (see ``CommunityConfig.ready``).

Only wiring: when a public update of a report filed from a community event is stored, the
follow-up to the event's attendees (kamtibmas/community/followup.py) is enqueued as a background
task once the transaction commits, so a rolled-back update never sends anything."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from kamtibmas.reports.models import Channel, ReportEvent


@receiver(post_save, sender=ReportEvent, dispatch_uid="community_aspiration_follow_up")
def follow_up_on_report_event(sender: Any, instance: ReportEvent, created: bool, **kw: Any) -> None:
    if not created or kw.get("raw"):
        return
    from kamtibmas.community import followup

    if not followup.is_follow_up(instance):
        return
    if instance.report.channel != Channel.EVENT:
        return
    event_id = instance.pk
    transaction.on_commit(lambda: followup.follow_up_task.enqueue(event_id))
