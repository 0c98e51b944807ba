"""Registration for a public event: the rules (capacity, closed, cancelled, past), idempotent
submission, the registrant's own link, cancelling, and the confirmation message.

The registrant's contact is personal data used only for this event and its follow-ups (UU PDP):
it is never logged, never put into audit details, and never shown on a public page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kamtibmas.accounts import audit
from kamtibmas.community import events
from kamtibmas.community.models import Event, Registration
from kamtibmas.geo.models import Kelurahan


class RegistrationError(ValueError):
    """Registration refused; the message is for the resident."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Applicant:
    name: str
    phone: str = ""
    email: str = ""
    kelurahan: Kelurahan | None = None


def normal_phone(phone: str) -> str:
    """Digits only, with a leading 0 read as +62 (0812… and +62 812… are the same number)."""
    digits = re.sub(r"\D", "", phone or "")
    return "62" + digits[1:] if digits.startswith("0") else digits


def same_contact(registration: Registration, applicant: Applicant) -> bool:
    """The applicant gave the e-mail or the phone number of this registration."""
    email = applicant.email.strip().lower()
    phone = normal_phone(applicant.phone)
    return bool(
        (email and registration.email.strip().lower() == email)
        or (phone and normal_phone(registration.phone) == phone)
    )


def registration_url(registration: Registration) -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return base + reverse("events:registration", args=[registration.token])


REFUSALS = {
    "cancelled": lambda: _("This event has been cancelled."),
    "past": lambda: _("This event is over; registration has ended."),
    "closed": lambda: _("Registration for this event is closed."),
    "full": lambda: _("This event is full: no seats are left."),
}


def _check_open(event: Event, now: datetime) -> None:
    state = events.registration_state(event, now)
    if state != "open":
        raise RegistrationError(str(REFUSALS[state]()), state)


def _check_not_registered(event: Event, applicant: Applicant) -> None:
    if not (applicant.phone or applicant.email):
        return
    for existing in events.active_registrations(event):
        if same_contact(existing, applicant):
            raise RegistrationError(
                _(
                    "This phone number or e-mail is already registered for this event. Open "
                    "the link in your confirmation message to see or cancel that registration."
                ),
                "duplicate",
            )


def _key(event: Event, idempotency_key: str) -> str | None:
    key = (idempotency_key or "").strip()[:64]
    return f"{event.pk}:{key}" if key else None


@transaction.atomic
def register(
    event: Event, applicant: Applicant, idempotency_key: str = "", now: datetime | None = None
) -> tuple[Registration, bool]:
    """Register, or return the registration this same submission already made (a phone that
    sends the form twice gets one seat). Raises RegistrationError when refused."""
    key = _key(event, idempotency_key)
    # Lock the event first: the same form sent twice at once then waits here, and finds the
    # registration the first one made (on PostgreSQL too) instead of a duplicate-key error.
    locked = Event.objects.select_for_update().get(pk=event.pk)
    earlier = Registration.objects.filter(idempotency_key=key).first() if key else None
    if earlier is not None:
        return earlier, False
    _check_open(locked, now or timezone.now())
    _check_not_registered(locked, applicant)
    registration = Registration.objects.create(
        event=locked,
        name=applicant.name.strip(),
        phone=applicant.phone.strip(),
        email=applicant.email.strip(),
        kelurahan=applicant.kelurahan,
        source=Registration.Source.ONLINE,
        idempotency_key=key,
    )
    audit.record(
        None, "event_registered", registration, purpose="event registration",
        event=locked.pk, has_contact=registration.has_contact,
    )  # fmt: skip
    send_confirmation(registration)  # an outbox row, committed with the registration
    return registration, True


def send_confirmation(registration: Registration) -> None:
    """Tell the registrant (if they left a contact) where their registration lives."""
    if not registration.has_contact:
        return
    event = registration.event
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "You are registered for “%(title)s” on %(date)s at %(place)s. Your registration "
            "(cancel, certificate): %(url)s"
        ) % {
            "title": event.title,
            "date": timezone.localtime(event.starts_at).strftime("%d-%m-%Y %H:%M WITA"),
            "place": event.place_name,
            "url": registration_url(registration),
        }
        subject = _("Registration: %(title)s") % {"title": event.title}
    events.send_to_registrant(registration, subject, body)


@transaction.atomic
def cancel(registration: Registration, actor: Any = None) -> Registration:
    """The registrant (or staff) cancels; the seat becomes free. Attended ones stay."""
    if registration.attended_at is not None:
        raise RegistrationError(
            _("You were recorded as present, so this registration can no longer be cancelled."),
            "attended",
        )
    if registration.cancelled_at is None:
        registration.cancelled_at = timezone.now()
        registration.save(update_fields=["cancelled_at"])
        audit.record(
            actor, "event_registration_cancelled", registration,
            purpose="event registration", event=registration.event_id,
        )  # fmt: skip
    return registration
