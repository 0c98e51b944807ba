"""Patrol teams, plans per shift and unit, their ordered stops, the plan's audit trail, visits.

A plan is drafted from a forecast (``kamtibmas.forecasts.surface``) for one Polsek, one shift
(``YYYY-MM-DD/name``, see ``kamtibmas.forecasts.shifts``) and one crime group; a commander may
adjust it while it is a draft and then issues it, which freezes its stops. Officers log visits
against the stops of an issued plan (a visit may also be to an unplanned place).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kamtibmas.accounts.models import AppendOnlyModel

DEFAULT_DOSAGE_MINUTES = 15
MIN_DOSAGE_MINUTES = 10
MAX_DOSAGE_MINUTES = 15


class PatrolTeam(models.Model):
    """A patrol team of a Polsek, known by its callsign (e.g. "Sabhara 1")."""

    unit = models.ForeignKey(
        "geo.Unit", on_delete=models.PROTECT, related_name="patrol_teams", verbose_name=_("unit")
    )
    name = models.CharField(_("name / callsign"), max_length=60)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="patrol_teams", verbose_name=_("members")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["unit", "name"]
        verbose_name = _("patrol team")
        verbose_name_plural = _("patrol teams")
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="patrols_unique_team_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class PatrolPlan(models.Model):
    """The patrol plan of one unit for one shift and crime group."""

    unit = models.ForeignKey(
        "geo.Unit", on_delete=models.PROTECT, related_name="patrol_plans", verbose_name=_("unit")
    )
    shift_key = models.CharField(_("shift"), max_length=40, db_index=True)
    shift_name = models.CharField(_("shift name"), max_length=20)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    group = models.CharField(_("crime group"), max_length=20)
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    forecast_run_id = models.IntegerField(_("forecast run"), null=True, blank=True)
    model_name = models.CharField(_("forecast model"), max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    # Planning parameters and summary (dosage, road network used, solver status...).
    settings = models.JSONField(_("planning settings"), default=dict, blank=True)

    class Meta:
        ordering = ["-start", "unit"]
        verbose_name = _("patrol plan")
        verbose_name_plural = _("patrol plans")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "shift_key", "group"],
                condition=~Q(status="cancelled"),
                name="patrols_unique_live_plan",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.shift_key} {self.group}"

    @property
    def is_draft(self) -> bool:
        return self.status == PlanStatus.DRAFT


class PatrolStop(models.Model):
    """One place of a plan: a micro-place (grid cell centre) with its dosage, in route order."""

    plan = models.ForeignKey(PatrolPlan, on_delete=models.CASCADE, related_name="stops")
    team = models.ForeignKey(
        PatrolTeam, on_delete=models.PROTECT, null=True, blank=True, related_name="stops"
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    cell_i = models.IntegerField(null=True, blank=True)
    cell_j = models.IntegerField(null=True, blank=True)
    grid_x0 = models.FloatField(null=True, blank=True)
    grid_y0 = models.FloatField(null=True, blank=True)
    cell_m = models.FloatField(null=True, blank=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    label = models.CharField(_("place"), max_length=200, blank=True)
    kelurahan = models.ForeignKey(
        "geo.Kelurahan", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    risk_score = models.FloatField(_("risk score"), default=0.0)
    rank = models.PositiveIntegerField(_("risk rank"), default=0)
    planned_minutes = models.PositiveIntegerField(
        _("dosage (minutes)"), default=DEFAULT_DOSAGE_MINUTES
    )
    planned_visits = models.PositiveIntegerField(_("planned visits"), default=1)
    travel_minutes_from_previous = models.FloatField(
        _("travel from previous (minutes)"), null=True, blank=True
    )
    reason = models.JSONField(_("reason"), default=dict, blank=True)
    added_by_commander = models.BooleanField(_("added by commander"), default=False)
    # The road path from the previous stop (or the team's start), [[lat, lon], ...], for maps.
    path = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["plan", "team", "order", "pk"]
        verbose_name = _("patrol stop")
        verbose_name_plural = _("patrol stops")

    def __str__(self) -> str:
        return f"{self.plan_id} #{self.order} {self.label}"

    @property
    def is_assigned(self) -> bool:
        return self.team_id is not None


class PlanEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    REBUILT = "rebuilt", _("Rebuilt")
    STOP_ADDED = "stop_added", _("Place added")
    STOP_REMOVED = "stop_removed", _("Place removed")
    STOP_MOVED = "stop_moved", _("Place moved")
    DOSAGE_CHANGED = "dosage", _("Dosage changed")
    TEAM_CHANGED = "team", _("Team changed")
    REROUTED = "rerouted", _("Routes recomputed")
    ISSUED = "issued", _("Issued")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class PatrolPlanEvent(AppendOnlyModel):
    """The audit trail of a plan: append-only."""

    plan = models.ForeignKey(PatrolPlan, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=PlanEventKind.choices)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class Visit(models.Model):
    """An officer's visit to a place of a plan (or an unplanned place), synced from a phone.

    ``client_id`` makes offline sync idempotent. ``contact_notes`` is personal data: never log it.
    """

    stop = models.ForeignKey(
        PatrolStop, on_delete=models.PROTECT, null=True, blank=True, related_name="visits"
    )
    plan = models.ForeignKey(PatrolPlan, on_delete=models.PROTECT, related_name="visits")
    team = models.ForeignKey(
        PatrolTeam, on_delete=models.PROTECT, null=True, blank=True, related_name="visits"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrol_visits"
    )
    client_id = models.UUIDField(unique=True)
    arrived_at = models.DateTimeField(_("arrived at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    arrived_lat = models.FloatField(null=True, blank=True)
    arrived_lon = models.FloatField(null=True, blank=True)
    arrived_accuracy_m = models.FloatField(null=True, blank=True)
    left_lat = models.FloatField(null=True, blank=True)
    left_lon = models.FloatField(null=True, blank=True)
    left_accuracy_m = models.FloatField(null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    residents_met = models.PositiveIntegerField(_("residents met"), default=0)
    contact_notes = models.TextField(_("who was talked to"), blank=True)
    report = models.ForeignKey(
        "reports.Report", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["arrived_at", "pk"]
        verbose_name = _("patrol visit")
        verbose_name_plural = _("patrol visits")

    def __str__(self) -> str:
        return f"visit {self.pk} plan {self.plan_id}"

    @property
    def minutes_on_site(self) -> float | None:
        if self.left_at is None:
            return None
        return (self.left_at - self.arrived_at).total_seconds() / 60.0


def plan_event(plan: PatrolPlan, kind: str, actor: Any = None, **details: Any) -> PatrolPlanEvent:
    """Append one audit row to ``plan``'s trail."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return PatrolPlanEvent.objects.create(plan=plan, kind=kind, actor=user, details=details)


class RoadNetwork(models.Model):
    """A drivable road network imported from GeoJSON LineStrings (``kamtibmas patrol roads
    import``); plans route on it for the places inside ``coverage``, straight-line elsewhere.

    ``edges`` holds ``[[u, v, length_m, [[lon, lat], ...]], ...]`` with ``u``/``v`` indexes
    into ``nodes`` (``[[lon, lat], ...]``): compact enough for a city district (~1 MB).
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    source_file = models.CharField(_("source file"), max_length=300, blank=True)
    nodes = models.JSONField(default=list)
    edges = models.JSONField(default=list)
    coverage = models.JSONField(_("area covered (GeoJSON)"), default=dict)
    node_count = models.PositiveIntegerField(default=0)
    edge_count = models.PositiveIntegerField(default=0)
    area_km2 = models.FloatField(default=0.0)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("road network")
        verbose_name_plural = _("road networks")

    def __str__(self) -> str:
        return self.name
