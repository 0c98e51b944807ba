"""Admin for categories and routing rules (editable), reports (read-mostly) and their
timeline (read-only, append-only). Reporter identity is not shown here: it is read only on
the staff detail page, where every read is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kamtibmas.reports.models import Category, Photo, Report, ReportEvent, RoutingRule

PERSONAL_FIELDS = (
    "reporter_name",
    "reporter_phone",
    "reporter_email",
    "reporter_user",
    "idempotency_key",
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "kind",
        "name_id",
        "name_en",
        "urgent",
        "ack_within_hours",
        "progress_every_days",
        "order",
        "is_active",
    )
    list_editable = ("ack_within_hours", "progress_every_days", "order", "is_active")
    list_filter = ("kind", "is_offence", "urgent", "is_active")
    search_fields = ("code", "name_id", "name_en")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = (
        "order",
        "kind",
        "category",
        "kecamatan",
        "target_unit",
        "description",
        "is_active",
    )
    list_editable = ("is_active",)
    list_display_links = ("order", "description")
    list_filter = ("kind", "is_active", "target_unit")
    list_select_related = ("category", "kecamatan", "target_unit")


class NoDeleteMixin:
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PhotoInline(NoDeleteMixin, admin.TabularInline):
    model = Photo
    fields = ("width", "height", "size_bytes", "sha256", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(NoDeleteMixin, admin.TabularInline):
    model = ReportEvent
    fields = ("at", "actor", "kind", "field", "old_value", "new_value", "text", "is_public")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(NoDeleteMixin, admin.ModelAdmin):
    """Viewable and searchable, never deleted; changes go through the staff pages (workflow)
    so that each one is versioned and audited."""

    list_display = (
        "tracking_code",
        "kind",
        "category",
        "status",
        "assigned_unit",
        "kelurahan",
        "created_at",
        "is_synthetic",
    )
    list_filter = ("status", "kind", "assigned_unit", "is_synthetic", "channel")
    search_fields = ("tracking_code",)
    date_hierarchy = "created_at"
    exclude = PERSONAL_FIELDS
    inlines = (PhotoInline, EventInline)
    list_select_related = ("category", "assigned_unit", "kelurahan")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReportEvent)
class ReportEventAdmin(admin.ModelAdmin):
    list_display = ("at", "report", "kind", "actor", "field", "is_public")
    list_filter = ("kind", "is_public")
    search_fields = ("report__tracking_code", "actor__username")
    list_select_related = ("report", "actor")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
