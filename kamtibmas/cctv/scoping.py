"""Which cameras and alerts a user may see and what they may do with them.

An officer sees the cameras of their unit and the units below it; Polres-level staff see all.
Partner cameras only where the partner shares them with the police (administrators see all)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kamtibmas.accounts import roles
from kamtibmas.cctv.models import Alert, Camera
from kamtibmas.reports.scoping import sees_all

# Who may register and edit cameras.
EDIT_ROLES = frozenset({roles.COMMANDER, roles.ADMIN})
# Who may acknowledge, dismiss or link alerts.
ALERT_ROLES = roles.TRIAGE_ROLES | {roles.PATROL_OFFICER}


def _is_admin(user: Any) -> bool:
    return bool(user.is_superuser or user.has_role(roles.ADMIN))


def cameras_for(user: Any) -> QuerySet[Camera]:
    """Cameras visible to the user (none for residents and the public)."""
    qs = Camera.objects.select_related("unit")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if _is_admin(user):
        return qs
    if not user.is_officer:
        return qs.none()
    qs = qs.filter(
        Q(owner_kind__in=[Camera.Owner.POLICE, Camera.Owner.DISHUB]) | Q(shared_with_police=True)
    )
    if sees_all(user):
        return qs
    return qs.filter(unit_id__in=user.unit.descendant_ids())


def alerts_for(user: Any) -> QuerySet[Alert]:
    return Alert.objects.select_related("camera", "camera__unit").filter(
        camera__in=cameras_for(user)
    )


def can_edit(user: Any, camera: Camera | None = None) -> bool:
    """Commanders and administrators, for a camera they can see (or a new one)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not (user.is_superuser or user.has_role(*EDIT_ROLES)):
        return False
    return camera is None or cameras_for(user).filter(pk=camera.pk).exists()


def can_handle_alerts(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) or user.has_role(*ALERT_ROLES))


def editable_unit_ids(user: Any) -> list[int] | None:
    """Units a camera may be assigned to by the user; None means any."""
    if _is_admin(user) or sees_all(user):
        return None
    return list(user.unit.descendant_ids()) if getattr(user, "unit", None) else []
