"""Reporters with contact details hear about public progress, in the background, with retries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.notifications.gateways import GatewayError
from kamtibmas.notifications.models import OutboundMessage
from kamtibmas.notifications.services import MAX_ATTEMPTS, deliver_due
from kamtibmas.reports import workflow

FAILURES: list[str] = []


class FailingGateway:
    def send(self, channel: str, recipient: str, body: str) -> None:
        FAILURES.append(channel)
        raise GatewayError("gateway down")


def _run_hooks(django_capture_on_commit_callbacks: Any, action: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return action()


def test_it_queues_and_sends_receipt_by_email_and_sms(
    make_report: Any, django_capture_on_commit_callbacks: Any
) -> None:
    report = _run_hooks(django_capture_on_commit_callbacks, make_report)
    channels = sorted(m.channel for m in OutboundMessage.objects.filter(report=report))
    assert channels == ["email", "sms"]
    assert all(m.state == "sent" for m in OutboundMessage.objects.all())  # immediate backend
    assert report.tracking_code in mail.outbox[0].body


def test_public_note_notifies_but_internal_note_does_not(
    make_report: Any, officer_selatan: Any, django_capture_on_commit_callbacks: Any
) -> None:
    report = make_report()
    OutboundMessage.objects.all().delete()
    _run_hooks(
        django_capture_on_commit_callbacks,
        lambda: workflow.add_note(report, officer_selatan, "Rahasia penyidik", public=False),
    )
    assert not OutboundMessage.objects.exists()
    _run_hooks(
        django_capture_on_commit_callbacks,
        lambda: workflow.add_note(report, officer_selatan, "Sudah ditindaklanjuti", public=True),
    )
    bodies = list(OutboundMessage.objects.values_list("body", flat=True))
    assert len(bodies) == 2 and all("Sudah ditindaklanjuti" in b for b in bodies)


def test_anonymous_tip_without_contact_gets_no_messages(
    make_report: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _run_hooks(
        django_capture_on_commit_callbacks,
        lambda: make_report(
            kind="tip",
            category_code="gambling",
            keep_anonymous=True,
            reporter_name="",
            reporter_phone="",
            reporter_email="",
        ),
    )
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db
@override_settings(SMS_GATEWAY="tests.test_notifications.FailingGateway")
def test_gateway_outage_delays_with_backoff_and_never_drops() -> None:
    message = OutboundMessage.objects.create(channel="sms", recipient="+62811000111", body="x")
    assert deliver_due() == 0
    message.refresh_from_db()
    assert message.state == "pending" and message.attempts == 1
    assert message.next_attempt_at > timezone.now() + timedelta(minutes=1)
    assert deliver_due() == 0  # not due yet: no second attempt
    assert message.attempts == 1 and len(FAILURES) == 1
    start = timezone.now()
    for day in range(1, MAX_ATTEMPTS + 1):
        with time_machine.travel(start + timedelta(days=day), tick=False):
            deliver_due()
    message.refresh_from_db()
    assert message.state == "failed" and message.attempts == MAX_ATTEMPTS


@pytest.mark.django_db
def test_reference_creates_a_group_per_role() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)
