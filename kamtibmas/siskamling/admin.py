"""Siskamling in the admin: read only. Posts, rosters and rounds change through the staff pages,
which resolve places and write the audit rows; the check-in token is never shown here."""

from __future__ import annotations

from django.contrib import admin

from kamtibmas.accounts.admin import ReadOnlyAdmin
from kamtibmas.siskamling.models import CheckIn, DoorVisit, Post, PostReport, RosterNight


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ("name", "kelurahan", "unit", "rt", "rw", "is_active", "is_synthetic")
    list_filter = ("is_active", "is_synthetic", "unit")
    search_fields = ("name", "kelurahan_code")
    exclude = ("checkin_token", "coordinator_name", "coordinator_phone", "coordinator_email")


@admin.register(RosterNight)
class RosterNightAdmin(ReadOnlyAdmin):
    list_display = ("post", "date", "starts_at", "ends_at")
    date_hierarchy = "date"


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ("post", "started_at", "ended_at", "attendee_count", "all_quiet", "via")
    list_filter = ("via", "all_quiet")
    exclude = ("attendees", "idempotency_key")


@admin.register(PostReport)
class PostReportAdmin(ReadOnlyAdmin):
    list_display = ("post", "report", "checkin", "created_at")


@admin.register(DoorVisit)
class DoorVisitAdmin(ReadOnlyAdmin):
    list_display = ("kelurahan", "visited_at", "officer", "follow_up_needed", "is_synthetic")
    exclude = ("host", "notes")
