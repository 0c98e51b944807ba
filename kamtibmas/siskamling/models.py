"""Siskamling: neighbourhood-watch posts, their weekly rosters, the nights' rounds (check-ins),
reports filed from a post, and the Bhabinkamtibmas' door-to-door visits (sambang).

A post's coordinator records a round without an account, through the post's secret link or QR
code (``checkin_token``); rotating the token revokes the old link. Coordinator contact details
are personal data: staff of the post's unit only, reads audited."""

from __future__ import annotations

import secrets
from datetime import time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_checkin_token() -> str:
    """An unguessable token for a post's check-in link (URL-safe, 32 characters)."""
    return secrets.token_urlsafe(24)


class Post(models.Model):
    """A pos kamling: where residents of an RT/RW keep watch at night."""

    name = models.CharField(_("name"), max_length=120)
    kelurahan = models.ForeignKey(
        "geo.Kelurahan", on_delete=models.PROTECT, related_name="siskamling_posts",
        verbose_name=_("kelurahan"),
    )  # fmt: skip
    kelurahan_code = models.CharField(_("kelurahan code"), max_length=16, db_index=True)
    # The Polsek whose area holds the post (from its place); scopes who sees it.
    unit = models.ForeignKey(
        "geo.Unit", on_delete=models.PROTECT, related_name="siskamling_posts",
        verbose_name=_("unit"),
    )  # fmt: skip
    rw = models.CharField("RW", max_length=3, blank=True)
    rt = models.CharField("RT", max_length=3, blank=True)
    address_text = models.CharField(_("address or landmark"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    coordinator_name = models.CharField(_("coordinator"), max_length=120, blank=True)
    coordinator_phone = models.CharField(
        _("coordinator phone / WhatsApp"), max_length=32, blank=True
    )
    coordinator_email = models.EmailField(_("coordinator e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    photo = models.ImageField(_("photo"), upload_to="siskamling/posts/%Y/", blank=True)
    checkin_token = models.CharField(max_length=64, unique=True, default=new_checkin_token)
    token_rotated_at = models.DateTimeField(null=True, blank=True)
    is_synthetic = models.BooleanField(_("synthetic (demo)"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kelurahan_code", "name"]
        verbose_name = _("siskamling post")
        verbose_name_plural = _("siskamling posts")

    def __str__(self) -> str:
        return self.name


class RosterSlot(models.Model):
    """The repeating template: who keeps watch at a post on a given weekday."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="roster_slots")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 = Monday ... 6 = Sunday
    start_time = models.TimeField(_("from"), default=time(22, 0))
    end_time = models.TimeField(_("until"), default=time(4, 0))  # next morning when <= start
    members = models.JSONField(_("residents on duty"), default=list, blank=True)  # names
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["post", "weekday", "start_time"]
        constraints = [
            models.UniqueConstraint(fields=["post", "weekday"], name="one_slot_per_post_weekday")
        ]

    def __str__(self) -> str:
        return f"{self.post} {self.weekday}"


class RosterNight(models.Model):
    """One night of the schedule, made from the template for a week and editable (swaps)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="nights")
    date = models.DateField(_("night of"))  # the evening's date (WITA)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    members = models.JSONField(_("residents on duty"), default=list, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["post", "date"]
        constraints = [
            models.UniqueConstraint(fields=["post", "date"], name="one_night_per_post_date")
        ]

    def __str__(self) -> str:
        return f"{self.post} {self.date:%Y-%m-%d}"


class CheckIn(models.Model):
    """A night's round as recorded by the coordinator (or by an officer on their behalf)."""

    class Via(models.TextChoices):
        LINK = "link", _("Post link or QR code")
        STAFF = "staff", _("Entered by an officer")
        DEMO = "demo", _("Demo (synthetic)")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="checkins")
    night = models.ForeignKey(
        RosterNight, on_delete=models.SET_NULL, null=True, blank=True, related_name="checkins"
    )
    started_at = models.DateTimeField(_("round started"))
    ended_at = models.DateTimeField(_("round ended"), null=True, blank=True)
    attendees = models.JSONField(_("who came"), default=list, blank=True)  # names
    attendee_count = models.PositiveIntegerField(_("number who came"), default=0)
    observations = models.TextField(_("what was seen"), blank=True)
    all_quiet = models.BooleanField(_("all quiet"), default=True)
    via = models.CharField(max_length=8, choices=Via.choices, default=Via.LINK)
    idempotency_key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.post} {self.started_at:%Y-%m-%d %H:%M}"


class PostReport(models.Model):
    """A report filed from a post (suspicious activity seen on a round): the item itself lives
    in the report workflow (``reports.Report`` with channel ``siskamling``)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="post_reports")
    checkin = models.ForeignKey(
        CheckIn, on_delete=models.SET_NULL, null=True, blank=True, related_name="post_reports"
    )
    report = models.OneToOneField(
        "reports.Report", on_delete=models.CASCADE, related_name="siskamling_source"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.post} #{self.pk}"


class DoorVisit(models.Model):
    """A Bhabinkamtibmas' door-to-door visit (sambang) with notes."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="door_visits"
    )
    kelurahan = models.ForeignKey(
        "geo.Kelurahan", on_delete=models.PROTECT, related_name="door_visits"
    )
    rw = models.CharField("RW", max_length=3, blank=True)
    rt = models.CharField("RT", max_length=3, blank=True)
    visited_at = models.DateTimeField(_("visited at"), default=timezone.now)
    host = models.CharField(_("visited (household, shop, figure)"), max_length=160, blank=True)
    topic = models.CharField(_("topic"), max_length=160, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    follow_up_needed = models.BooleanField(_("follow-up needed"), default=False)
    is_synthetic = models.BooleanField(_("synthetic (demo)"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-visited_at"]

    def __str__(self) -> str:
        return f"{self.kelurahan} {self.visited_at:%Y-%m-%d}"
