"""Community programmes (Jumat Curhat dialogues, anti-drug seminars, security trainings, patroli
dialogis, school visits), their events, registrations and attendance, and the aspirations and
complaints heard there (each one an item in the report workflow, source: the event).

Registrants' names and contacts are personal data: shown to staff of the organising unit only,
never on public pages; the contact is used only for this event and its follow-ups."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    return secrets.token_urlsafe(24)


class ProgrammeKind(models.TextChoices):
    DIALOGUE = "dialogue", _("Dialogue (Jumat Curhat)")
    ANTI_DRUG = "anti_drug", _("Anti-drug seminar")
    SECURITY_TRAINING = "security_training", _("Security training")
    PATROLI_DIALOGIS = "patroli_dialogis", _("Patroli dialogis")
    SCHOOL_VISIT = "school_visit", _("School visit")


class Programme(models.Model):
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=20, choices=ProgrammeKind.choices)
    description = models.TextField(_("description"), blank=True)
    organising_unit = models.ForeignKey(
        "geo.Unit", on_delete=models.PROTECT, related_name="programmes",
        verbose_name=_("organising unit"),
    )  # fmt: skip
    target_kelurahan = models.ManyToManyField(
        "geo.Kelurahan", blank=True, related_name="programmes", verbose_name=_("target kelurahan")
    )
    audience = models.CharField(_("audience"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_synthetic = models.BooleanField(_("synthetic (demo)"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="events")
    # Public identifier in URLs and the iCal UID (ids are not guessable).
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    place_name = models.CharField(_("place"), max_length=200)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    kelurahan = models.ForeignKey(
        "geo.Kelurahan", on_delete=models.PROTECT, null=True, blank=True, related_name="events",
        verbose_name=_("kelurahan"),
    )  # fmt: skip
    audience = models.CharField(_("audience"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    materials = models.TextField(_("materials"), blank=True)
    description = models.TextField(_("description"), blank=True)
    is_public = models.BooleanField(_("shown on the public calendar"), default=True)
    registration_open = models.BooleanField(_("registration open"), default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    # Attendees scan this (QR on the day) to mark themselves present; rotate to revoke.
    attendance_token = models.CharField(max_length=64, unique=True, default=new_token)
    is_synthetic = models.BooleanField(_("synthetic (demo)"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return self.title


class Registration(models.Model):
    """A resident registered for an event (online) or added on the day (walk-in)."""

    class Source(models.TextChoices):
        ONLINE = "online", _("Registered online")
        ON_SITE = "on_site", _("Added on the day")
        DEMO = "demo", _("Demo (synthetic)")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField(_("name"), max_length=120)
    phone = models.CharField(_("phone / WhatsApp"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    kelurahan = models.ForeignKey(
        "geo.Kelurahan", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ONLINE)
    # The registrant's own link (cancel, certificate); never listed anywhere public.
    token = models.CharField(max_length=64, unique=True, default=new_token)
    attended_at = models.DateTimeField(_("attended"), null=True, blank=True)
    certificate_number = models.CharField(max_length=40, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["event", "created_at"]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"

    @property
    def has_contact(self) -> bool:
        return bool(self.phone or self.email)


class Aspiration(models.Model):
    """An aspiration or complaint heard at an event: recorded with category and kelurahan, and
    filed into the report workflow (``reports.Report``, channel ``event``)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="aspirations")
    report = models.OneToOneField(
        "reports.Report", on_delete=models.CASCADE, related_name="event_source"
    )
    raised_by = models.CharField(_("raised by (optional)"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["event", "created_at"]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"


class FollowUpNotice(models.Model):
    """One follow-up of an aspiration (a public report event) sent to one attendee: the row makes
    the message idempotent, so a retried signal or a re-run never sends it twice."""

    report_event = models.ForeignKey(
        "reports.ReportEvent", on_delete=models.CASCADE, related_name="+"
    )
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="follow_ups"
    )
    message = models.ForeignKey(
        "notifications.OutboundMessage", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report_event", "registration"], name="one_follow_up_per_attendee"
            )
        ]

    def __str__(self) -> str:
        return f"follow-up {self.report_event_id} to registration {self.registration_id}"
