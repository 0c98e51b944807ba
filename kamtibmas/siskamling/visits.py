"""Door-to-door visits (sambang) of a Bhabinkamtibmas: who may log them, where, and the filters
of the visit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from kamtibmas.accounts import audit, roles
from kamtibmas.geo.models import Kelurahan
from kamtibmas.siskamling.models import DoorVisit


def can_log_visits(user: Any) -> bool:
    """Community officers (Bhabinkamtibmas) log their own visits, in their own kelurahan."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_officer
        and user.has_role(roles.COMMUNITY_OFFICER)
    )


def visit_kelurahan(user: Any) -> QuerySet[Kelurahan]:
    """The kelurahan a community officer may log visits in: the ones they look after."""
    if not can_log_visits(user):
        return Kelurahan.objects.none()
    return user.kelurahan.order_by("name")


def record_visit(visit: DoorVisit, officer: Any) -> DoorVisit:
    """Save a new visit by ``officer``; audited without its notes or the host's name."""
    visit.officer = officer
    visit.save()
    audit.record(
        officer,
        "door_visit_create",
        visit,
        purpose="bhabinkamtibmas visit log",
        kelurahan=visit.kelurahan.code,
        follow_up=visit.follow_up_needed,
    )
    return visit


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """Aware WITA start of the month and of the next one."""
    tz = timezone.get_default_timezone()
    start = datetime(year, month, 1, tzinfo=tz)
    nxt = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return start, nxt


def in_month(qs: QuerySet[DoorVisit], year: int, month: int) -> QuerySet[DoorVisit]:
    start, end = month_bounds(year, month)
    return qs.filter(visited_at__gte=start, visited_at__lt=end)


def this_month(qs: QuerySet[DoorVisit], now: datetime) -> QuerySet[DoorVisit]:
    local = timezone.localtime(now)
    return in_month(qs, local.year, local.month)
