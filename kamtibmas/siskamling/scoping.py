"""Who sees and who changes Siskamling posts, rosters, rounds and door-to-door visits.

Polres-level staff see every post; a Polsek's officers the posts of their unit (and below); a
Bhabinkamtibmas the posts of the kelurahan they look after. Residents and the public see none
(a coordinator reaches their own post only through its secret check-in link). Posts and rosters
are changed by the Bhabinkamtibmas of the kelurahan, commanders and administrators."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kamtibmas.accounts import roles
from kamtibmas.reports.scoping import scope_to_officer, sees_all
from kamtibmas.siskamling.models import DoorVisit, Post

EDIT_ROLES = frozenset({roles.COMMUNITY_OFFICER, roles.COMMANDER, roles.ADMIN})


def posts_for(user: Any) -> QuerySet[Post]:
    qs = Post.objects.select_related("kelurahan", "unit")
    if sees_all(user):
        return qs
    return scope_to_officer(qs, user, unit_field="unit_id")


def can_edit(user: Any, post: Post | None = None) -> bool:
    """May create (``post`` None) or change posts and their rosters."""
    if not getattr(user, "is_authenticated", False) or not user.has_role(*EDIT_ROLES):
        return False
    if not (user.is_officer or user.is_superuser):
        return False
    return post is None or posts_for(user).filter(pk=post.pk).exists()


def door_visits_for(user: Any) -> QuerySet[DoorVisit]:
    """Door-to-door visits: Polres-level all, a Polsek's officers those in their kelurahan of
    their unit's area, a Bhabinkamtibmas their own kelurahan."""
    qs = DoorVisit.objects.select_related("kelurahan", "officer")
    if sees_all(user):
        return qs
    if not getattr(user, "is_authenticated", False) or not user.is_officer:
        return qs.none()
    if user.role_codes() == {roles.COMMUNITY_OFFICER}:
        return qs.filter(kelurahan__in=user.kelurahan.all())
    return qs.filter(officer__unit_id__in=user.unit.descendant_ids())
