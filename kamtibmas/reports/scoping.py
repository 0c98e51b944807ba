"""Which reports a user may see and what they may do with them. Used by every entry point."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kamtibmas.accounts import roles
from kamtibmas.geo.models import Unit
from kamtibmas.reports.models import Report

POLRES_LEVEL = (Unit.Kind.POLDA, Unit.Kind.POLRES)


def sees_all(user: Any) -> bool:
    """Polres-level staff (and administrators) see every report."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.has_role(roles.ADMIN):
        return True
    return bool(user.is_officer and user.unit.kind in POLRES_LEVEL)


def scope_to_officer(qs: QuerySet[Any], user: Any, *, unit_field: str) -> QuerySet[Any]:
    """The unit rule shared by reports and incidents, for a user who does not see all: an
    officer sees the rows of their unit and the units below it (``unit_field``), a
    Bhabinkamtibmas the rows of their kelurahan; residents and the public nothing."""
    if not getattr(user, "is_authenticated", False) or not user.is_officer:
        return qs.none()
    if user.role_codes() == {roles.COMMUNITY_OFFICER}:
        kelurahan_ids = list(user.kelurahan.values_list("pk", flat=True))
        if kelurahan_ids:
            return qs.filter(kelurahan_id__in=kelurahan_ids)
    return qs.filter(**{f"{unit_field}__in": user.unit.descendant_ids()})


def reports_for(user: Any) -> QuerySet[Report]:
    """Reports visible to the user: Polres all, a Polsek its own, a Bhabinkamtibmas their
    kelurahan; residents and the public none (they use their tracking code)."""
    qs = Report.objects.all()
    if sees_all(user):
        return qs
    return scope_to_officer(qs, user, unit_field="assigned_unit_id")


def can_view(user: Any, report: Report) -> bool:
    return reports_for(user).filter(pk=report.pk).exists()


def can_triage(user: Any, report: Report) -> bool:
    return can_view(user, report) and user.has_role(*roles.TRIAGE_ROLES)


def can_add_notes(user: Any, report: Report) -> bool:
    return can_view(user, report) and user.has_role(
        *roles.TRIAGE_ROLES, roles.COMMUNITY_OFFICER, roles.PATROL_OFFICER
    )


def can_see_reporter(user: Any, report: Report) -> bool:
    """Identity and contact: only the roles that need them, and for anonymous reporters only
    commanders and investigators."""
    if not can_view(user, report):
        return False
    allowed = roles.ANONYMOUS_IDENTITY_ROLES if report.keep_anonymous else roles.CONTACT_ROLES
    return user.has_role(*allowed)


def can_read_audit_log(user: Any) -> bool:
    """The global audit log: commanders and administrators."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(
        user.is_superuser or (user.is_officer and user.has_role(roles.COMMANDER, roles.ADMIN))
    )


def audit_unit_ids(user: Any) -> set[int] | None:
    """Units whose members' audit rows the user may read; None means every unit."""
    if sees_all(user):
        return None
    return set(user.unit.descendant_ids()) if getattr(user, "unit", None) else set()
