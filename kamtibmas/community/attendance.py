"""Attendance on the day: staff tick registrants and add walk-ins; attendees check themselves in
by scanning the event's QR code (``events:attend``).

Self check-in, decided for a safe and simple flow: the attendee proves presence by scanning the
QR code shown at the venue (a per-event secret that staff can rotate) and then identifies
themselves by either
1. their registration link or its code (what the confirmation message carried), or
2. the phone number or e-mail they registered with (their name is asked too, for walk-ins);
   with no matching registration they are added as a walk-in, if seats are left.
It works only inside ``events.attendance_window`` (the event's day(s), WITA).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kamtibmas.accounts import audit
from kamtibmas.community import events
from kamtibmas.community.models import Event, Registration
from kamtibmas.community.registration import Applicant, same_contact, send_confirmation

TOKEN_IN_TEXT = re.compile(r"([A-Za-z0-9_-]{20,64})/?\s*$")


class AttendanceError(ValueError):
    """Check-in refused; the message is for the person at the venue."""


@dataclass(frozen=True)
class CheckIn:
    """The result of a self check-in. ``own`` is true when the person showed they hold the
    registration (its code) or has just made it (a walk-in): only then may the page show its
    name and link. A match by phone or e-mail alone reveals neither, since anyone who knows
    someone's number could type it."""

    registration: Registration
    own: bool


def _stamp(registration: Registration, actor: Any, how: str, now: datetime) -> Registration:
    if registration.attended_at is None or registration.cancelled_at is not None:
        registration.attended_at = registration.attended_at or now
        registration.cancelled_at = None  # came after all
        registration.save(update_fields=["attended_at", "cancelled_at"])
        audit.record(
            actor, "event_attendance", registration, purpose="event attendance",
            event=registration.event_id, present=True, how=how,
        )  # fmt: skip
    return registration


def _check_event(event: Event, now: datetime) -> None:
    if event.status == Event.Status.CANCELLED:
        raise AttendanceError(_("This event has been cancelled."))
    if now < events.attendance_window(event)[0]:
        raise AttendanceError(_("Attendance can be recorded from the day of the event."))


@transaction.atomic
def mark_present(registration: Registration, actor: Any, now: datetime | None = None) -> None:
    """Staff tick: from the event's day on (lists are often typed in afterwards)."""
    moment = now or timezone.now()
    _check_event(registration.event, moment)
    _stamp(registration, actor, "staff", moment)


@transaction.atomic
def mark_absent(registration: Registration, actor: Any) -> None:
    """Undo a wrong tick (a certificate already issued keeps its number)."""
    if registration.attended_at is not None:
        registration.attended_at = None
        registration.save(update_fields=["attended_at"])
        audit.record(
            actor, "event_attendance", registration, purpose="event attendance",
            event=registration.event_id, present=False, how="staff",
        )  # fmt: skip


def _seat_for_walk_in(event: Event) -> None:
    if events.seats_left(event) == 0:
        raise AttendanceError(_("The event is full; please ask the organisers at the desk."))


@transaction.atomic
def add_walk_in(
    event: Event, applicant: Applicant, actor: Any, now: datetime | None = None
) -> Registration:
    """Someone who came without registering, added on the day (present at once). Staff may
    add walk-ins past the capacity (the room is theirs to judge)."""
    moment = now or timezone.now()
    locked = Event.objects.select_for_update().get(pk=event.pk)
    _check_event(locked, moment)
    registration = Registration.objects.create(
        event=locked,
        name=applicant.name.strip(),
        phone=applicant.phone.strip(),
        email=applicant.email.strip(),
        kelurahan=applicant.kelurahan,
        source=Registration.Source.ON_SITE,
    )
    return _stamp(registration, actor, "walk_in", moment)


def token_from(text: str) -> str:
    """The registration code from what the attendee pasted: the code or the whole link."""
    match = TOKEN_IN_TEXT.search((text or "").strip())
    return match.group(1) if match else ""


@transaction.atomic
def self_check_in(
    event: Event, code: str, applicant: Applicant | None, now: datetime | None = None
) -> CheckIn:
    """Mark the attendee present (see the module's docstring); AttendanceError if refused."""
    moment = now or timezone.now()
    if not events.self_check_in_open(event, moment):
        raise AttendanceError(
            _("Check-in with the QR code is open only on the day of the event (WITA).")
        )
    token = token_from(code)
    if token:
        found = event.registrations.filter(token=token).first()
        if found is None:
            raise AttendanceError(_("No registration for this event has that code."))
        return CheckIn(_stamp(found, None, "qr_code", moment), own=True)
    if applicant is None or not (applicant.phone or applicant.email):
        raise AttendanceError(_("Give your registration code, or your phone number or e-mail."))
    for registration in event.registrations.all():
        if same_contact(registration, applicant):
            return CheckIn(_stamp(registration, None, "qr_contact", moment), own=False)
    if not applicant.name.strip():
        raise AttendanceError(_("You are not registered yet: give your name to join."))
    locked = Event.objects.select_for_update().get(pk=event.pk)
    _seat_for_walk_in(locked)
    walk_in = Registration.objects.create(
        event=locked, name=applicant.name.strip(), phone=applicant.phone.strip(),
        email=applicant.email.strip(), kelurahan=applicant.kelurahan,
        source=Registration.Source.ON_SITE,
    )  # fmt: skip
    send_confirmation(walk_in)  # their link, for the certificate and follow-ups
    return CheckIn(_stamp(walk_in, None, "qr_walk_in", moment), own=True)
