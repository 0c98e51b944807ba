"""Cameras (the registry), alerts folded from worker events, and their audit trail.

Stream URLs are stored without credentials: the worker's YAML holds them (``${ENV}``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kamtibmas.accounts.models import AppendOnlyModel
from kamtibmas.cctv.streams import strip_credentials


class Camera(models.Model):
    class Owner(models.TextChoices):
        POLICE = "police", _("Police")
        DISHUB = "dishub", _("City transport office (Dishub)")
        PARTNER = "partner", _("Business partner")

    name = models.SlugField(_("name"), max_length=80, unique=True)
    owner_kind = models.CharField(_("owner"), max_length=10, choices=Owner.choices)
    owner_name = models.CharField(_("owner name"), max_length=160, blank=True)
    unit = models.ForeignKey(
        "geo.Unit", on_delete=models.PROTECT, related_name="cameras", verbose_name=_("unit")
    )
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    kelurahan_code = models.CharField(_("kelurahan code"), max_length=20, blank=True)
    bearing = models.FloatField(_("bearing (degrees)"))
    fov_angle = models.FloatField(_("field of view angle (degrees)"))
    fov_range_m = models.FloatField(_("field of view range (metres)"))
    stream_url = models.CharField(_("stream URL"), max_length=500, blank=True)
    substream_url = models.CharField(_("second stream URL"), max_length=500, blank=True)
    # The NVR / VMS playback link with {start} and {end} placeholders (see cctv/recording.py).
    recording_url_template = models.CharField(
        _("recording link template"), max_length=500, blank=True
    )
    width = models.PositiveIntegerField(_("width (pixels)"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height (pixels)"), null=True, blank=True)
    fps = models.FloatField(_("frames per second"), null=True, blank=True)
    privacy_masks = models.JSONField(_("privacy masks"), default=list, blank=True)
    # Zones with their rules, in source-frame pixels (validated by cctv/zones.py as the
    # worker validates them): [{name, polygon: [[x, y], ...], rules: [{kind, ...}]}].
    zones = models.JSONField(_("zones"), default=list, blank=True)
    # The latest still of the camera (masked thumbnail from the worker's heartbeat, or an
    # operator's screenshot) to draw zones on: a path under MEDIA_ROOT, replaced each time.
    still = models.CharField(max_length=200, blank=True)
    still_at = models.DateTimeField(null=True, blank=True)
    retention_days = models.PositiveIntegerField(_("retention (days)"), default=30)
    shared_with_police = models.BooleanField(_("shared with the police"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Reported by workers.
    online = models.BooleanField(_("online"), default=False)
    last_frame_at = models.DateTimeField(_("last frame at"), null=True, blank=True)
    measured_fps = models.FloatField(_("measured fps"), null=True, blank=True)
    status_at = models.DateTimeField(_("status reported at"), null=True, blank=True)
    # Each worker heartbeat that changed ``online``: [[iso time, online], ...] (latest last).
    online_log = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.stream_url = strip_credentials(self.stream_url)
        self.substream_url = strip_credentials(self.substream_url)
        self.recording_url_template = strip_credentials(self.recording_url_template)
        super().save(*args, **kwargs)


class Alert(models.Model):
    """One event's life (new, update, end) folded into one row, keyed by the worker's id."""

    class State(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        DISMISSED = "dismissed", _("Dismissed")
        LINKED = "linked", _("Linked")

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="alerts")
    event_id = models.CharField(max_length=200, unique=True)
    rule = models.CharField(_("rule"), max_length=20)
    zone = models.CharField(_("zone"), max_length=80, blank=True)
    track_id = models.IntegerField(null=True, blank=True)
    label = models.CharField(_("object"), max_length=40, blank=True)
    score = models.FloatField(null=True, blank=True)
    object_count = models.IntegerField(_("objects"), null=True, blank=True)
    box = models.JSONField(null=True, blank=True)
    start_s = models.FloatField(null=True, blank=True)
    end_s = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    updates = models.PositiveIntegerField(default=0)
    # Event types already applied ("new", "end"; updates by their end_s) for idempotency.
    seen = models.JSONField(default=list, blank=True)
    snapshot = models.CharField(max_length=200, blank=True)  # path under MEDIA_ROOT
    snapshot_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=14, choices=State.choices, default=State.NEW, db_index=True
    )
    report = models.ForeignKey(
        "reports.Report", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return self.event_id

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class CctvEvent(AppendOnlyModel):
    """Audit trail of cameras and alerts: who changed what. Append-only."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="events")
    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=24)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.action}"
