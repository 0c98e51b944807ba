"""Admin for users (unit, kelurahan, roles, demo flag), API keys and the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kamtibmas.accounts.models import ApiKey, AuditEvent, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Unit and area"), {"fields": ("unit", "kelurahan", "rank", "phone", "is_demo")}),
    )
    list_display = (
        "username",
        "first_name",
        "last_name",
        "unit",
        "is_demo",
        "is_active",
        "is_staff",
    )
    list_filter = ("unit", "groups", "is_demo", "is_active", "is_staff")
    filter_horizontal = ("groups", "user_permissions", "kelurahan")
    autocomplete_fields = ()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only rows: they can be read, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "actor_unit", "action", "object_type", "object_id", "purpose")
    list_filter = ("action", "object_type", "actor_unit")
    search_fields = ("actor__username", "object_id", "purpose")
    date_hierarchy = "at"


@admin.action(description=_("Revoke the selected keys"))
def revoke_keys(modeladmin: Any, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
    count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    modeladmin.message_user(
        request, _("%(count)d keys revoked.") % {"count": count}, messages.SUCCESS
    )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are issued with `kamtibmas user` commands; the hash is never shown."""

    list_display = ("name", "user", "prefix", "scope", "created_at", "last_used_at", "revoked_at")
    list_filter = ("scope",)
    search_fields = ("name", "user__username", "prefix")
    fields = ("name", "user", "prefix", "scope", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = [revoke_keys]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
