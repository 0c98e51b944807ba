"""Who sees and who changes patrol plans.

Polres-level staff and administrators see every unit's plans, a Polsek's officers their unit's
(and the units below it). Drafts are seen by the planners (commanders, analysts, administrators);
other officers see a plan once it is issued. Only commanders and administrators draft, adjust
and issue plans; a resident or the public sees none.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kamtibmas.accounts import roles
from kamtibmas.geo.models import Unit
from kamtibmas.patrols.models import PatrolPlan, PlanStatus
from kamtibmas.reports.scoping import sees_all

PLANNER_ROLES = frozenset({roles.COMMANDER, roles.ADMIN})
DRAFT_READER_ROLES = frozenset({roles.COMMANDER, roles.ADMIN, roles.ANALYST})


def _is_officer(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_officer", False))


def visible_units(user: Any) -> QuerySet[Unit]:
    """The Polsek/KSKP units whose plans the user may see."""
    qs = Unit.objects.filter(is_active=True, kind__in=(Unit.Kind.POLSEK, Unit.Kind.KSKP))
    if sees_all(user):
        return qs.order_by("name")
    if not _is_officer(user):
        return qs.none()
    return qs.filter(pk__in=user.unit.descendant_ids()).order_by("name")


def plans_for(user: Any) -> QuerySet[PatrolPlan]:
    qs = PatrolPlan.objects.exclude(status=PlanStatus.CANCELLED)
    if sees_all(user):
        scoped = qs
    elif _is_officer(user):
        scoped = qs.filter(unit_id__in=user.unit.descendant_ids())
    else:
        return qs.none()
    if user.is_superuser or user.has_role(*DRAFT_READER_ROLES):
        return scoped
    return scoped.exclude(status=PlanStatus.DRAFT)


def can_plan(user: Any, unit: Unit | None = None) -> bool:
    """Draft, adjust and issue plans (for ``unit`` when given)."""
    if not _is_officer(user) and not getattr(user, "is_superuser", False):
        return False
    if not (user.is_superuser or user.has_role(*PLANNER_ROLES)):
        return False
    return unit is None or visible_units(user).filter(pk=unit.pk).exists()


def can_plan_all(user: Any) -> bool:
    """Draft every Polsek's plan at once ("Buat semua rencana"): Polres-level planners."""
    return can_plan(user) and sees_all(user)
