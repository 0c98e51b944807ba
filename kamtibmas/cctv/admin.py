"""Admin: cameras are editable through the registry's own form (same checks, credentials
stripped, every change audited like on the camera pages); worker-reported status is read-only.
Alerts are read-only here: their state changes in the inbox, which keeps the audit trail.
CctvEvent rows are append-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kamtibmas.accounts.admin import ReadOnlyAdmin
from kamtibmas.cctv import services
from kamtibmas.cctv.forms import CameraForm
from kamtibmas.cctv.models import Alert, Camera, CctvEvent

STATUS_FIELDS = ("online", "last_frame_at", "measured_fps", "status_at", "kelurahan_code")


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    form = CameraForm
    fieldsets = (
        (None, {"fields": tuple(CameraForm.Meta.fields)}),
        (_("Status reported by the workers"), {"fields": STATUS_FIELDS}),
    )
    readonly_fields = STATUS_FIELDS
    list_display = ("name", "owner_kind", "unit", "online", "last_frame_at", "is_active")
    list_filter = ("owner_kind", "online", "is_active", "shared_with_police", "unit")
    search_fields = ("name", "owner_name")

    def save_model(self, request: HttpRequest, obj: Camera, form: Any, change: bool) -> None:
        """Save through the registry's service so the change gets its audit rows."""
        services.save_camera(form, request.user)


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "camera", "rule", "zone", "state", "started_at", "ended_at")
    list_filter = ("state", "rule", "camera")
    search_fields = ("event_id", "camera__name")
    date_hierarchy = "started_at"
    exclude = ("seen",)


@admin.register(CctvEvent)
class CctvEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "camera", "alert", "action", "actor")
    list_filter = ("action",)
    search_fields = ("camera__name",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
