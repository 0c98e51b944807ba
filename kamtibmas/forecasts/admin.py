"""Forecasts in the admin: read only (a stored forecast is what was advised at the time)."""

from __future__ import annotations

from django.contrib import admin

from kamtibmas.accounts.admin import ReadOnlyAdmin
from kamtibmas.forecasts.models import ForecastEvent, ForecastRun


@admin.register(ForecastRun)
class ForecastRunAdmin(ReadOnlyAdmin):
    list_display = (
        "start",
        "unit",
        "group",
        "window_kind",
        "model_name",
        "model_version",
        "incident_count",
        "trigger",
        "created_at",
    )
    list_filter = ("group", "window_kind", "model_name", "trigger", "unit")
    date_hierarchy = "start"
    exclude = ("surface",)


@admin.register(ForecastEvent)
class ForecastEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "run", "action", "actor")
    list_filter = ("action",)
    date_hierarchy = "at"
