"""The Bhabinkamtibmas dashboard: per post of the kelurahan looked after, whether it is
active, tonight's duty, participation over the last 4 weeks, missed nights, the last round and
the reports filed from it; totals over all shown posts; the officer's latest door visits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from kamtibmas.geo.models import Kelurahan
from kamtibmas.siskamling import roster, scoping, visits
from kamtibmas.siskamling.models import CheckIn, DoorVisit, Post, PostReport, RosterNight

LATEST_VISITS = 5
REPORTS_PER_POST = 5


@dataclass(frozen=True)
class PostRow:
    post: Post
    tonight: RosterNight | None
    participation: roster.Participation
    last_round: CheckIn | None
    reports: list[PostReport]
    report_count: int


@dataclass(frozen=True)
class Totals:
    posts: int
    active: int
    nights: int
    nights_with_round: int
    missed: int
    reports: int

    @property
    def night_percent(self) -> int | None:
        return round(100 * self.nights_with_round / self.nights) if self.nights else None


def dashboard_kelurahan(user: Any) -> QuerySet[Kelurahan]:
    """The kelurahan to choose from: those with posts in the user's scope, and for a
    Bhabinkamtibmas also every kelurahan they look after."""
    ids = set(scoping.posts_for(user).values_list("kelurahan_id", flat=True))
    if visits.can_log_visits(user):
        ids |= set(user.kelurahan.values_list("pk", flat=True))
    return Kelurahan.objects.filter(pk__in=ids).order_by("name")


def dashboard_posts(user: Any, kelurahan: Kelurahan | None) -> QuerySet[Post]:
    """A Bhabinkamtibmas: the posts of the kelurahan they look after; other officers every
    post in their scope; either narrowed to ``kelurahan`` when chosen."""
    posts = scoping.posts_for(user)
    mine = list(user.kelurahan.values_list("pk", flat=True))
    if visits.can_log_visits(user) and mine:
        posts = posts.filter(kelurahan_id__in=mine)
    if kelurahan is not None:
        posts = posts.filter(kelurahan=kelurahan)
    return posts.order_by("kelurahan__name", "name")


def post_row(post: Post, now: datetime) -> PostRow:
    reports = post.post_reports.select_related("report")
    return PostRow(
        post=post,
        tonight=roster.tonight(post, now),
        participation=roster.participation(post, now),
        last_round=roster.last_round(post),
        reports=list(reports[:REPORTS_PER_POST]),
        report_count=reports.count(),
    )


def totals(rows: list[PostRow]) -> Totals:
    return Totals(
        posts=len(rows),
        active=sum(1 for r in rows if r.post.is_active),
        nights=sum(r.participation.nights for r in rows),
        nights_with_round=sum(r.participation.nights_with_round for r in rows),
        missed=sum(len(r.participation.missed) for r in rows),
        reports=sum(r.report_count for r in rows),
    )


def latest_visits(user: Any, now: datetime) -> tuple[list[DoorVisit], int]:
    """The user's own latest visits (for a Bhabinkamtibmas) or the latest in scope, and the
    count of this month."""
    qs = scoping.door_visits_for(user)
    if visits.can_log_visits(user):
        qs = qs.filter(officer=user)
    return list(qs[:LATEST_VISITS]), visits.this_month(qs, now).count()
