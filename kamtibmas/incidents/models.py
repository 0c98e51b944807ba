"""Crime records: the analysable history (extended by the analysis issue)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Incident(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SOLVED = "solved", _("Solved")
        CLOSED = "closed", _("Closed")

    lp_number = models.CharField(_("LP number"), max_length=60, blank=True)
    external_id = models.CharField(
        _("external id"), max_length=80, null=True, blank=True, unique=True
    )
    category = models.CharField(_("offence category"), max_length=40, db_index=True)
    occurred_from = models.DateTimeField(_("occurred from"), null=True, blank=True, db_index=True)
    occurred_to = models.DateTimeField(_("occurred to"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    location_accuracy_m = models.FloatField(null=True, blank=True)
    kelurahan = models.ForeignKey(
        "geo.Kelurahan", on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    kelurahan_code = models.CharField(max_length=16, blank=True, db_index=True)
    unit = models.ForeignKey(
        "geo.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    source_report = models.OneToOneField(
        "reports.Report", on_delete=models.SET_NULL, null=True, blank=True, related_name="incident"
    )
    description = models.TextField(blank=True)
    is_synthetic = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_from"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return self.lp_number or f"#{self.pk} {self.category}"
