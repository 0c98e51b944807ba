"""Events of a programme: save, mark held or cancelled, rotate the attendance QR, and the
read-side rules (seats left, whether registration is open, the attendance window).

Attendance window: self check-in with the QR code works on the event's day(s) in WITA, from
00:00 of the day it starts until 23:59 of the day it ends; staff may tick attendance at any
time after the start (recording a list afterwards is normal), never for a cancelled event.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kamtibmas.accounts import audit
from kamtibmas.community.models import Event, Registration, new_token
from kamtibmas.notifications.services import queue_message

AUDITED_FIELDS = (
    "title", "starts_at", "ends_at", "place_name", "lat", "lon", "kelurahan", "audience",
    "capacity", "materials", "description", "is_public", "registration_open",
)  # fmt: skip


class EventError(ValueError):
    """A change that cannot be made; the message is for the user."""


def _value(event: Event, field: str) -> str:
    value = getattr(event, f"{field}_id" if field == "kelurahan" else field)
    return "" if value is None else str(value)


@transaction.atomic
def save_event(form: Any, user: Any) -> Event:
    """Save a bound, valid EventForm (its instance carries the programme)."""
    creating = form.instance.pk is None
    before = {} if creating else {f: _value(form.instance.__class__.objects.get(
        pk=form.instance.pk), f) for f in AUDITED_FIELDS}  # fmt: skip
    event: Event = form.save(commit=False)
    if creating:
        event.created_by = user if getattr(user, "is_authenticated", False) else None
    event.updated_at = timezone.now()
    event.save()
    changed = sorted(f for f in AUDITED_FIELDS if before.get(f) != _value(event, f))
    if creating or changed:
        action = "event_created" if creating else "event_changed"
        audit.record(user, action, event, purpose="community event", fields=changed)
    return event


def active_registrations(event: Event) -> Any:
    return event.registrations.filter(cancelled_at__isnull=True)


def seats_taken(event: Event) -> int:
    return active_registrations(event).count()


def seats_left(event: Event) -> int | None:
    """Seats still free; None when the event has no capacity limit."""
    if event.capacity is None:
        return None
    return max(0, event.capacity - seats_taken(event))


def registration_state(event: Event, now: datetime | None = None) -> str:
    """'open', 'cancelled', 'past', 'closed' (by the organiser) or 'full'."""
    moment = now or timezone.now()
    if event.status == Event.Status.CANCELLED:
        return "cancelled"
    if event.ends_at <= moment or event.status == Event.Status.HELD:
        return "past"
    if not event.registration_open:
        return "closed"
    if seats_left(event) == 0:
        return "full"
    return "open"


def attendance_window(event: Event) -> tuple[datetime, datetime]:
    """From 00:00 WITA of the start day to 00:00 WITA after the end day (exclusive)."""
    zone = timezone.get_default_timezone()
    first = timezone.localtime(event.starts_at, zone).date()
    last = timezone.localtime(event.ends_at, zone).date()
    opens = timezone.make_aware(datetime.combine(first, time.min), zone)
    closes = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min), zone)
    return opens, closes


def attendance_window_shown(event: Event) -> tuple[datetime, datetime]:
    """The window as people read it: from 00:00 of the first day until 23:59 of the last."""
    opens, closes = attendance_window(event)
    return opens, closes - timedelta(minutes=1)


def self_check_in_open(event: Event, now: datetime | None = None) -> bool:
    opens, closes = attendance_window(event)
    moment = now or timezone.now()
    return event.status != Event.Status.CANCELLED and opens <= moment < closes


def public_url(event: Event) -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return base + reverse("events:detail", args=[event.uid])


def attend_url(event: Event) -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return base + reverse("events:attend", args=[event.attendance_token])


@transaction.atomic
def set_status(event: Event, status: str, user: Any, now: datetime | None = None) -> Event:
    """planned -> held (once started) or cancelled; cancelled -> planned (reinstated).
    Cancelling tells every registrant who left a contact."""
    moment = now or timezone.now()
    allowed = {
        Event.Status.PLANNED: {Event.Status.HELD, Event.Status.CANCELLED},
        Event.Status.CANCELLED: {Event.Status.PLANNED},
        Event.Status.HELD: set(),
    }
    if status not in allowed[Event.Status(event.status)]:
        raise EventError(_("That change of status is not possible for this event."))
    if status == Event.Status.HELD and event.starts_at > moment:
        raise EventError(_("An event can be marked as held only once it has started."))
    previous = event.status
    event.status = status
    event.updated_at = moment
    event.save(update_fields=["status", "updated_at"])
    audit.record(user, "event_status", event, purpose="community event", old=previous, new=status)
    if status == Event.Status.CANCELLED:
        _tell_cancelled(event)
    return event


def _tell_cancelled(event: Event) -> None:
    for registration in active_registrations(event).exclude(source=Registration.Source.DEMO):
        with translation.override(settings.LANGUAGE_CODE):
            body = _("The event “%(title)s” on %(date)s has been cancelled. We apologise.") % {
                "title": event.title,
                "date": timezone.localtime(event.starts_at).strftime("%d-%m-%Y %H:%M WITA"),
            }
            subject = _("Event cancelled")
        send_to_registrant(registration, subject, body)


def send_to_registrant(registration: Registration, subject: str, body: str) -> None:
    """One message to each contact the registrant left (e-mail, WhatsApp)."""
    if registration.email:
        queue_message("email", registration.email, body, subject=subject)
    if registration.phone:
        queue_message("whatsapp", registration.phone, body)


@transaction.atomic
def rotate_attendance_token(event: Event, user: Any) -> Event:
    """A new QR code: the old one (printed or photographed) stops working at once."""
    event.attendance_token = new_token()
    event.updated_at = timezone.now()
    event.save(update_fields=["attendance_token", "updated_at"])
    audit.record(user, "event_qr_rotated", event, purpose="community event attendance")
    return event
