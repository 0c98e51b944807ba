"""Follow-up of topics heard at an event reaches the people who were there.

When a report filed from an event gets a public update (a status change or a public progress
note, the same updates that reach a reporter, see notifications.services.notify_reporter), one
message is queued for each attendee of that event who left a contact: e-mail when given, else
WhatsApp to the phone (the registration form asks for a "phone / WhatsApp" number).

Who gets it: registrations that were marked present (``attended_at``) and not cancelled. People
who registered but did not come are not written to: they did not hear the topic raised and did
not leave their contact for it. Never for synthetic (demo) data, never twice for the same update
and attendee (a ``FollowUpNotice`` row per pair), and nothing personal is logged.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from kamtibmas.community.models import Aspiration, Event, FollowUpNotice, Registration
from kamtibmas.notifications.models import OutboundMessage
from kamtibmas.notifications.services import queue_message
from kamtibmas.reports.models import EventKind, ReportEvent, Status

logger = logging.getLogger(__name__)
FOLLOW_UP_KINDS = (EventKind.STATUS, EventKind.PUBLIC_NOTE)
PHONE_CHANNEL = OutboundMessage.Channel.WHATSAPP


def public_event_url(event: Event) -> str:
    """The public page of the event (helper C's ``events:detail``), absolute."""
    try:
        path = reverse("events:detail", args=[event.uid])
    except NoReverseMatch:
        path = f"/kegiatan/{event.uid}/"
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def is_follow_up(report_event: ReportEvent) -> bool:
    return report_event.is_public and report_event.kind in FOLLOW_UP_KINDS


def attendees_with_contact(event: Event) -> list[Registration]:
    return [
        r
        for r in event.registrations.filter(
            attended_at__isnull=False, cancelled_at__isnull=True
        ).order_by("pk")
        if r.has_contact
    ]


def message_text(aspiration: Aspiration, report_event: ReportEvent) -> tuple[str, str]:
    """Subject and body in the site language: the topic, the update and the event's link.
    Never who raised the topic nor anything of the report's reporter."""
    report = aspiration.report
    with translation.override(settings.LANGUAGE_CODE):
        topic = report.category.name_id
        subject = _("Follow-up of a topic raised at %(event)s") % {"event": aspiration.event.title}
        if report_event.kind == EventKind.STATUS:
            update = _("Its status is now: %(status)s") % {
                "status": Status(report_event.new_value).label
            }
        else:
            update = _("Progress: %(note)s") % {"note": report_event.text}
        lines = [
            _("A topic raised at %(event)s (%(topic)s, %(kelurahan)s) has an update.")
            % {
                "event": aspiration.event.title,
                "topic": topic,
                "kelurahan": report.kelurahan.name if report.kelurahan else "-",
            },
            update,
            _("See all topics of the event at %(url)s")
            % {"url": public_event_url(aspiration.event)},
        ]
    return subject[:200], "\n".join(lines)


def _send_once(
    report_event: ReportEvent, registration: Registration, subject: str, body: str
) -> bool:
    """Queue the message unless this attendee already has it for this update."""
    if FollowUpNotice.objects.filter(report_event=report_event, registration=registration).exists():
        return False
    try:
        with transaction.atomic():
            notice = FollowUpNotice.objects.create(
                report_event=report_event, registration=registration
            )
            if registration.email:
                message = queue_message("email", registration.email, body, subject=subject)
            else:
                message = queue_message(PHONE_CHANNEL, registration.phone, body)
            notice.message = message
            notice.save(update_fields=["message"])
    except IntegrityError:  # another worker queued it a moment ago
        return False
    return True


@transaction.atomic
def notify_attendees(report_event_id: int) -> int:
    """Queue the follow-up of one report update to the event's attendees; how many queued."""
    report_event = (
        ReportEvent.objects.select_related("report__category", "report__kelurahan")
        .filter(pk=report_event_id)
        .first()
    )
    if report_event is None or not is_follow_up(report_event):
        return 0
    aspiration = (
        Aspiration.objects.select_related("event", "report__category", "report__kelurahan")
        .filter(report_id=report_event.report_id)
        .first()
    )
    if aspiration is None:
        return 0
    if aspiration.report.is_synthetic or aspiration.event.is_synthetic:
        return 0
    subject, body = message_text(aspiration, report_event)
    sent = sum(
        _send_once(report_event, registration, subject, body)
        for registration in attendees_with_contact(aspiration.event)
    )
    if sent:
        logger.info("event %s: follow-up queued for %d attendee(s)", aspiration.event_id, sent)
    return sent


@task()
def follow_up_task(report_event_id: int) -> int:
    """In the background: an event may have hundreds of attendees, and the officer who changed
    the report should not wait for their messages to be queued."""
    return notify_attendees(report_event_id)
