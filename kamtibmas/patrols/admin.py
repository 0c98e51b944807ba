"""Admin: teams are editable; plans, stops, visits and road networks are read-mostly (plans
change through the commander's pages, which keep the audit trail); plan events are read-only.
Visit contact notes (personal data) are not shown here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kamtibmas.patrols.models import (
    PatrolPlan,
    PatrolPlanEvent,
    PatrolStop,
    PatrolTeam,
    RoadNetwork,
    Visit,
)


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PatrolTeam)
class PatrolTeamAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "active")
    list_filter = ("active", "unit")
    search_fields = ("name",)
    filter_horizontal = ("members",)


class StopInline(ReadOnlyMixin, admin.TabularInline):
    model = PatrolStop
    fields = ("team", "order", "label", "risk_score", "planned_minutes", "planned_visits")
    readonly_fields = fields
    extra = 0


@admin.register(PatrolPlan)
class PatrolPlanAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("unit", "shift_key", "group", "status", "model_name", "issued_at")
    list_filter = ("status", "group", "unit")
    search_fields = ("shift_key",)
    inlines = [StopInline]


@admin.register(PatrolPlanEvent)
class PatrolPlanEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("plan", "kind", "actor", "at")
    list_filter = ("kind",)


@admin.register(Visit)
class VisitAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("plan", "stop", "team", "arrived_at", "left_at", "residents_met")
    exclude = ("contact_notes",)


@admin.register(RoadNetwork)
class RoadNetworkAdmin(admin.ModelAdmin):
    list_display = ("name", "node_count", "edge_count", "area_km2", "imported_at", "is_active")
    list_editable = ("is_active",)
    exclude = ("nodes", "edges", "coverage")
    readonly_fields = ("source_file", "node_count", "edge_count", "area_km2", "imported_at")
