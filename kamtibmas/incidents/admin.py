"""Admin for category mappings (editable), incidents and import batches (read-only: changes
go through the staff pages, which audit every field) and the append-only incident events."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kamtibmas.incidents.models import CategoryMapping, ImportBatch, Incident, IncidentEvent


@admin.register(CategoryMapping)
class CategoryMappingAdmin(admin.ModelAdmin):
    list_display = ("scheme", "external", "code")
    list_editable = ("code",)
    list_filter = ("scheme",)
    search_fields = ("external", "code")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "action", "field", "old_value", "new_value")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("pk", "dataset", "lp_number", "category", "occurred_from", "kelurahan",
                    "unit", "status", "is_synthetic")  # fmt: skip
    list_filter = ("dataset", "status", "category", "is_synthetic", "unit")
    list_select_related = ("kelurahan", "unit")
    search_fields = ("lp_number", "external_id", "modus_operandi")
    date_hierarchy = "occurred_from"
    inlines = [IncidentEventInline]


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ("pk", "file_name", "dataset", "state", "rows_total", "rows_created",
                    "rows_updated", "rows_rejected", "created_by", "created_at")  # fmt: skip
    list_filter = ("state", "dataset")
