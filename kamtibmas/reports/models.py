"""Residents' reports: crime reports, complaints, aspirations and tips, and their timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kamtibmas.accounts.models import AppendOnlyModel


class Kind(models.TextChoices):
    CRIME = "crime", _("Crime report")
    COMPLAINT = "complaint", _("Complaint")
    ASPIRATION = "aspiration", _("Aspiration")
    TIP = "tip", _("Tip")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    VERIFIED = "verified", _("Verified")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")
    REFERRED = "referred", _("Referred to another agency")


OPEN_STATUSES = (Status.RECEIVED, Status.VERIFIED, Status.ASSIGNED, Status.IN_PROGRESS)
CLOSED_STATUSES = (Status.RESOLVED, Status.REJECTED, Status.DUPLICATE, Status.REFERRED)


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    API = "api", "API"
    OPEN311 = "open311", "Open311"
    DESK = "desk", _("Front desk")
    DEMO = "demo", _("Demo (synthetic)")
    PATROL = "patrol", _("Patrol (seen by an officer)")
    SISKAMLING = "siskamling", _("Siskamling post")
    EVENT = "event", _("Community event")


class Category(models.Model):
    """A category of report. Offence categories use the glossary's codes; the rest are editable."""

    code = models.SlugField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name_id = models.CharField(_("name (Indonesian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description_id = models.CharField(_("description (Indonesian)"), max_length=300, blank=True)
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)
    is_offence = models.BooleanField(_("offence category"), default=False)
    urgent = models.BooleanField(_("urgent"), default=False)
    ack_within_hours = models.PositiveIntegerField(_("acknowledge within (hours)"), default=24)
    progress_every_days = models.PositiveIntegerField(_("progress note every (days)"), default=30)
    # Extra questions for Open311 service definitions: list of {code, datatype, required, ...}.
    questions = models.JSONField(_("extra questions"), default=list, blank=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="unique_category_per_kind")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name_en if (get_language() or "id").startswith("en") else self.name_id

    @property
    def service_code(self) -> str:
        """The Open311 service code: kind.code, e.g. crime.curanmor."""
        return f"{self.kind}.{self.code}"


class Report(models.Model):
    tracking_code = models.CharField(_("tracking code"), max_length=12, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="reports", verbose_name=_("category")
    )
    description = models.TextField(_("what happened"))
    occurred_from = models.DateTimeField(_("occurred at / from"), null=True, blank=True)
    occurred_to = models.DateTimeField(_("occurred until"), null=True, blank=True)

    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    location_accuracy_m = models.FloatField(_("location accuracy (m)"), null=True, blank=True)
    address_text = models.CharField(_("address or landmark"), max_length=300, blank=True)
    kelurahan = models.ForeignKey(
        "geo.Kelurahan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("kelurahan"),
    )
    kelurahan_code = models.CharField(_("kelurahan code"), max_length=16, blank=True, db_index=True)
    rw = models.CharField("RW", max_length=3, blank=True)
    rt = models.CharField("RT", max_length=3, blank=True)

    reporter_name = models.CharField(_("name"), max_length=120, blank=True)
    reporter_phone = models.CharField(_("phone / WhatsApp"), max_length=32, blank=True)
    reporter_email = models.EmailField(_("e-mail"), blank=True)
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="filed_reports",
    )
    keep_anonymous = models.BooleanField(_("keep me anonymous"), default=False)

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    assigned_unit = models.ForeignKey(
        "geo.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("responsible unit"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_reports",
        verbose_name=_("officer in charge"),
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    referred_to = models.CharField(_("referred to"), max_length=200, blank=True)
    rejection_reason = models.CharField(_("reason for rejection"), max_length=500, blank=True)

    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    idempotency_key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    is_synthetic = models.BooleanField(_("synthetic (demo)"), default=False)
    extra = models.JSONField(_("answers to extra questions"), default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    created_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    ack_due_at = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    progress_due_at = models.DateTimeField(_("next progress note by"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            models.Index(fields=["assigned_unit", "status"]),
            models.Index(fields=["lat", "lon"]),
        ]

    def __str__(self) -> str:
        return self.tracking_code

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def has_contact(self) -> bool:
        return bool(self.reporter_phone or self.reporter_email)

    def due_at(self) -> object:
        """The next service-level deadline: acknowledgement, then progress notes."""
        if not self.is_open:
            return None
        if self.acknowledged_at is None:
            return self.ack_due_at
        return self.progress_due_at

    def is_overdue(self, now: object = None) -> bool:
        due = self.due_at()
        return due is not None and due < (now or timezone.now())  # type: ignore[operator]


class Photo(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="reports/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"photo {self.pk} of report {self.report_id}"


class EventKind(models.TextChoices):
    CREATED = "created", _("Report received")
    STATUS = "status", _("Status changed")
    FIELD = "field", _("Field changed")
    PUBLIC_NOTE = "public_note", _("Progress note")
    INTERNAL_NOTE = "internal_note", _("Internal note")
    ESCALATED = "escalated", _("Escalated to commander")
    MERGED = "merged", _("Merged as duplicate")
    INCIDENT = "incident", _("Incident record created")
    NOTIFIED = "notified", _("Reporter notified")


class ReportEvent(AppendOnlyModel):
    """The timeline and audit trail of a report: append-only."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    field = models.CharField(max_length=40, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    text = models.TextField(blank=True)
    is_public = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class RoutingRule(models.Model):
    """Which unit is responsible for a report, by kind, category and place. First match wins."""

    order = models.PositiveIntegerField(_("order"), default=100)
    kind = models.CharField(
        _("kind"), max_length=12, choices=Kind.choices, blank=True, help_text=_("Empty: any kind")
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("category"),
        help_text=_("Empty: any category"),
    )
    kecamatan = models.ForeignKey(
        "geo.Kecamatan",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("kecamatan"),
        help_text=_("Empty: any place"),
    )
    target_unit = models.ForeignKey(
        "geo.Unit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("responsible unit"),
        help_text=_("Empty: the Polsek of the place"),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.description or f"rule {self.pk}"
