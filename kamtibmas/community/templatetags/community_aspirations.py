"""Template tags that show the topics (aspirations, complaints, tips) heard at an event.

``{% event_aspirations_staff event user %}``: for the staff event page: each topic with its
category, kelurahan, report code, status and deadline; the report link only for staff who may
open that report; the name of whoever raised it only for the event's organisers; the link to
record more.

``{% event_aspirations_public event %}``: for the public event page: per topic its category,
kelurahan, status and public progress notes. Never who raised it, never what exactly was said,
never internal notes or anything of a reporter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from kamtibmas.community import scoping as community_scoping
from kamtibmas.community.aspirations import recording_refusal
from kamtibmas.community.models import Aspiration, Event
from kamtibmas.reports import scoping as report_scoping
from kamtibmas.reports.models import EventKind, Report, ReportEvent, Status

register = template.Library()


@dataclass(frozen=True)
class StaffRow:
    aspiration: Aspiration
    report: Report
    can_open: bool
    due_at: Any
    overdue: bool
    raised_by: str


@dataclass(frozen=True)
class PublicUpdate:
    at: datetime
    status_label: str  # "" for a progress note
    note: str


@dataclass(frozen=True)
class PublicTopic:
    category: str
    kelurahan: str
    status: str
    status_label: str
    updates: list[PublicUpdate]


def _aspirations(event: Event) -> list[Aspiration]:
    return list(
        event.aspirations.select_related(
            "report__category", "report__kelurahan", "report__assigned_unit"
        ).order_by("created_at", "pk")
    )


def staff_rows(event: Event, user: Any, now: datetime | None = None) -> list[StaffRow]:
    now = now or timezone.now()
    organiser = community_scoping.can_edit(user, event.programme)
    visible = set(
        report_scoping.reports_for(user)
        .filter(event_source__event=event)
        .values_list("pk", flat=True)
    )
    return [
        StaffRow(
            aspiration=a,
            report=a.report,
            can_open=a.report_id in visible,
            due_at=a.report.due_at(),
            overdue=a.report.is_overdue(now),
            raised_by=a.raised_by if organiser else "",
        )
        for a in _aspirations(event)
    ]


@register.inclusion_tag("community/_aspirations_staff.html")
def event_aspirations_staff(event: Event, user: Any) -> dict[str, Any]:
    refusal = recording_refusal(event)
    return {
        "event": event,
        "rows": staff_rows(event, user),
        "can_add": community_scoping.can_edit(user, event.programme) and not refusal,
        "refusal": refusal,
    }


def _update(row: ReportEvent) -> PublicUpdate:
    if row.kind == EventKind.STATUS:
        return PublicUpdate(row.at, str(Status(row.new_value).label), "")
    return PublicUpdate(row.at, "", row.text)


def public_topics(event: Event) -> list[PublicTopic]:
    """What the public may see of the event's topics (nothing for a non-public event)."""
    if not event.is_public:
        return []
    aspirations = _aspirations(event)
    updates: dict[int, list[PublicUpdate]] = {}
    rows = ReportEvent.objects.filter(
        report_id__in=[a.report_id for a in aspirations],
        is_public=True,
        kind__in=(EventKind.STATUS, EventKind.PUBLIC_NOTE),
    ).order_by("at", "pk")
    for row in rows:
        updates.setdefault(row.report_id, []).append(_update(row))
    return [
        PublicTopic(
            category=a.report.category.label,
            kelurahan=a.report.kelurahan.name if a.report.kelurahan else "",
            status=a.report.status,
            status_label=str(Status(a.report.status).label),
            updates=updates.get(a.report_id, []),
        )
        for a in aspirations
    ]


@register.inclusion_tag("community/_aspirations_public.html")
def event_aspirations_public(event: Event) -> dict[str, Any]:
    return {"event": event, "topics": public_topics(event)}
