"""Queue messages to reporters and officers; the outbox delivers them in the background."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kamtibmas.notifications.gateways import GatewayError, get_gateway
from kamtibmas.notifications.models import OutboundMessage

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def _status_url(report: Any) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse(
        "reports:track", args=[report.tracking_code]
    )


def _reporter_text(report: Any, event: Any) -> str:
    from kamtibmas.reports.models import EventKind, Status

    with translation.override(settings.LANGUAGE_CODE):
        if event.kind == EventKind.CREATED:
            head = _("Your report has been received. Tracking code: %s") % report.tracking_code
        elif event.kind == EventKind.STATUS:
            head = _("Report %(code)s is now: %(status)s") % {
                "code": report.tracking_code,
                "status": Status(event.new_value).label,
            }
        else:
            head = _("Progress on report %(code)s: %(note)s") % {
                "code": report.tracking_code,
                "note": event.text,
            }
        return f"{head}\n{_('Follow it at')} {_status_url(report)}"


def notify_reporter(report: Any, event: Any) -> list[OutboundMessage]:
    """Queue a message for a reporter who left contact details, for a public event only."""
    if not event.is_public or not report.has_contact or report.is_synthetic:
        return []
    body = _reporter_text(report, event)
    messages = []
    if report.reporter_email:
        messages.append(
            OutboundMessage(
                channel=OutboundMessage.Channel.EMAIL,
                recipient=report.reporter_email,
                report=report,
                subject=f"Kamtibmas {report.tracking_code}",
                body=body,
            )
        )
    if report.reporter_phone:
        messages.append(
            OutboundMessage(
                channel=OutboundMessage.Channel.SMS,
                recipient=report.reporter_phone,
                report=report,
                body=body,
            )
        )
    created = OutboundMessage.objects.bulk_create(messages)
    _enqueue_delivery()
    return created


def notify_officers(users: list[Any], subject: str, body: str, report: Any = None) -> None:
    rows = [
        OutboundMessage(
            channel=OutboundMessage.Channel.EMAIL,
            recipient=u.email,
            subject=subject,
            body=body,
            report=report,
        )
        for u in users
        if u.email
    ]
    OutboundMessage.objects.bulk_create(rows)
    _enqueue_delivery()


def queue_message(
    channel: str,
    recipient: str,
    body: str,
    *,
    subject: str = "",
    report: Any = None,
    headers: dict[str, str] | None = None,
) -> OutboundMessage:
    """Queue one message (e-mail, SMS or WhatsApp) in the outbox; delivered in the background
    with retries. For messages that are not about a report's progress: rosters, events,
    alerts, subscriptions. Never log ``recipient`` or ``body``."""
    message = OutboundMessage.objects.create(
        channel=channel,
        recipient=recipient,
        subject=subject[:200],
        body=body,
        report=report,
        headers=headers or {},
    )
    _enqueue_delivery()
    return message


def _enqueue_delivery() -> None:
    from kamtibmas.notifications.tasks import deliver_outbox

    transaction.on_commit(lambda: deliver_outbox.enqueue())


def _send(message: OutboundMessage) -> None:
    if message.channel == OutboundMessage.Channel.EMAIL:
        email = EmailMessage(
            message.subject,
            message.body,
            settings.DEFAULT_FROM_EMAIL,
            [message.recipient],
            headers=message.headers or None,
        )
        try:
            email.send()
        except OSError as exc:
            raise GatewayError(str(exc)) from exc
    else:
        get_gateway().send(message.channel, message.recipient, message.body)


def deliver_due(limit: int = 100) -> int:
    """Send pending messages whose time has come; failures back off exponentially."""
    now = timezone.now()
    sent = 0
    due = OutboundMessage.objects.filter(
        state=OutboundMessage.State.PENDING, next_attempt_at__lte=now
    )[:limit]
    for message in due:
        message.attempts += 1
        try:
            _send(message)
        except GatewayError as exc:
            message.last_error = str(exc)[:300]
            if message.attempts >= MAX_ATTEMPTS:
                message.state = OutboundMessage.State.FAILED
            message.next_attempt_at = now + timedelta(minutes=2**message.attempts)
            logger.warning("outbound message %s failed (attempt %d)", message.pk, message.attempts)
        else:
            message.state = OutboundMessage.State.SENT
            message.sent_at = now
            sent += 1
        message.save()
    return sent
