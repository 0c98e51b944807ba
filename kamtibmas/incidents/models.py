"""Crime records: the analysable history. No personal names: analysis needs none."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kamtibmas.accounts.models import AppendOnlyModel

BALIKPAPAN = "balikpapan"


class ImportBatch(models.Model):
    """One CSV import: what was asked, what came of it, the validation report."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        DRY_RUN = "dry_run", _("Dry run")

    dataset = models.SlugField(_("dataset"), max_length=40, default=BALIKPAPAN)
    file_name = models.CharField(_("file"), max_length=255)
    options = models.JSONField(_("options"), default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_without_location = models.PositiveIntegerField(default=0)
    progress = models.FloatField(default=0.0)
    rejected = models.JSONField(_("rejected rows (first ones)"), default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.state})"


class CategoryMapping(models.Model):
    """Maps a category of another scheme (e.g. Vancouver's TYPE) to an offence code."""

    scheme = models.SlugField(_("scheme"), max_length=40)
    external = models.CharField(_("category in that scheme"), max_length=120)
    code = models.CharField(
        _("offence code"),
        max_length=40,
        blank=True,
        help_text=_("Empty: rows of this category are rejected"),
    )

    class Meta:
        ordering = ["scheme", "external"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "external"], name="unique_mapping")
        ]

    def __str__(self) -> str:
        return f"{self.scheme}: {self.external} -> {self.code or '-'}"


class Incident(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SOLVED = "solved", _("Solved")
        CLOSED = "closed", _("Closed")

    # Indexes are few on purpose: each one slows a million-row import (docs/import.md). dataset,
    # unit and category alone are served by the composite indexes that start with them.
    dataset = models.SlugField(_("dataset"), max_length=40, default=BALIKPAPAN, db_index=False)
    lp_number = models.CharField(_("LP number"), max_length=60, blank=True)
    external_id = models.CharField(_("external id"), max_length=80, null=True, blank=True)
    category = models.CharField(_("offence category"), max_length=40)
    source_category = models.CharField(_("category in the source"), max_length=120, blank=True)
    occurred_from = models.DateTimeField(_("occurred from"), null=True, blank=True)
    occurred_to = models.DateTimeField(_("occurred to"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    location_accuracy_m = models.FloatField(_("location accuracy (m)"), null=True, blank=True)
    kelurahan = models.ForeignKey(
        "geo.Kelurahan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("kelurahan"),
    )
    kelurahan_code = models.CharField(max_length=16, blank=True, db_index=True)
    unit = models.ForeignKey(
        "geo.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("Polsek"),
        db_index=False,
    )
    premises_type = models.CharField(_("premises type"), max_length=80, blank=True)
    modus_operandi = models.CharField(_("modus operandi"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    victims_count = models.PositiveIntegerField(_("victims"), null=True, blank=True)
    suspects_count = models.PositiveIntegerField(_("suspects"), null=True, blank=True)
    value_lost = models.DecimalField(
        _("value lost (Rp)"), max_digits=16, decimal_places=0, null=True, blank=True
    )
    source_report = models.OneToOneField(
        "reports.Report", on_delete=models.SET_NULL, null=True, blank=True, related_name="incident"
    )
    import_batch = models.ForeignKey(
        ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    description = models.TextField(_("description"), blank=True)
    is_synthetic = models.BooleanField(_("synthetic (demo)"), default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_from"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "external_id"], name="unique_external_id_per_dataset"
            )
        ]
        indexes = [
            models.Index(fields=["dataset", "occurred_from"]),
            models.Index(fields=["dataset", "category", "occurred_from"]),
            models.Index(fields=["unit", "occurred_from"]),
        ]

    def __str__(self) -> str:
        return self.lp_number or f"#{self.pk} {self.category}"

    @property
    def has_location(self) -> bool:
        return self.lat is not None and self.lon is not None


class IncidentEvent(AppendOnlyModel):
    """Audit trail of an incident: who changed what, old -> new. Append-only."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=16)  # created, changed, imported
    field = models.CharField(max_length=40, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.action} {self.field}"
