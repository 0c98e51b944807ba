"""Who sees and who changes community programmes, events, registrations and aspirations.

Staff see the programmes their unit (or a unit below it) organises; Polres-level staff see all.
Registrants' names and contacts are shown only to staff who see the event. Programmes and events
are run by Bhabinkamtibmas, public relations, commanders and administrators. The public sees
public events only, through the calendar (never a registrant)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kamtibmas.accounts import roles
from kamtibmas.community.models import Event, Programme
from kamtibmas.reports.scoping import sees_all

EDIT_ROLES = frozenset(
    {roles.COMMUNITY_OFFICER, roles.PUBLIC_RELATIONS, roles.COMMANDER, roles.ADMIN}
)


def programmes_for(user: Any) -> QuerySet[Programme]:
    qs = Programme.objects.select_related("organising_unit")
    if sees_all(user):
        return qs
    if not getattr(user, "is_authenticated", False) or not user.is_officer:
        return qs.none()
    return qs.filter(organising_unit_id__in=user.unit.descendant_ids())


def events_for(user: Any) -> QuerySet[Event]:
    return Event.objects.select_related("programme", "kelurahan").filter(
        programme__in=programmes_for(user)
    )


def can_edit(user: Any, programme: Programme | None = None) -> bool:
    """May create (``programme`` None) or run programmes and their events."""
    if not getattr(user, "is_authenticated", False) or not user.has_role(*EDIT_ROLES):
        return False
    if not (user.is_officer or user.is_superuser):
        return False
    return programme is None or programmes_for(user).filter(pk=programme.pk).exists()
