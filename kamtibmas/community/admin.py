"""Admin views of programmes and events, for administrators to look things up. Changes are made
on the staff pages (they audit every change), so the admin is read-only here, and registrants'
contacts are not shown at all."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kamtibmas.community.models import Event, Programme


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Programme)
class ProgrammeAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "organising_unit", "is_active", "is_synthetic")
    list_filter = ("kind", "is_active", "is_synthetic")
    search_fields = ("name",)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("title", "programme", "starts_at", "status", "is_public", "is_synthetic")
    list_filter = ("status", "is_public", "programme__kind")
    search_fields = ("title", "place_name")
    date_hierarchy = "starts_at"
    exclude = ("attendance_token",)
