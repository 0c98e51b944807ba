"""The outcome of a community programme over a period: events held and cancelled, registrations
and attendance, the topics raised (by category and kind, by kelurahan) and how their follow-up
stands in the report workflow (done, overdue, still on time).

A follow-up is *done* when its report is closed (resolved, referred to another agency, rejected
or merged as a duplicate; resolved ones are also counted on their own) and *overdue* when its
report is open and past its service-level deadline (``Report.due_at()``, see reports/sla.py).

>>> from kamtibmas.community.outcome import programme_outcome
>>> programme_outcome(programme).topics  # doctest: +SKIP
7
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from kamtibmas.community.models import Aspiration, Event, Programme, Registration
from kamtibmas.reports.models import CLOSED_STATUSES, Kind, Report, Status


@dataclass(frozen=True)
class Count:
    """One line of a breakdown: ``key`` is stable (a code), ``label`` is for people."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class EventLine:
    event: Event
    registered: int
    attended: int
    topics: int


@dataclass(frozen=True)
class TopicLine:
    """One topic and where its follow-up stands (``state``: done, overdue or open)."""

    aspiration: Aspiration
    report: Report
    state: str
    due_at: datetime | None


@dataclass
class Outcome:
    programme: Programme
    start: date | None
    end: date | None
    events_held: int = 0
    events_cancelled: int = 0
    events_planned: int = 0
    registered: int = 0
    attended: int = 0
    topics: int = 0
    done: int = 0
    resolved: int = 0
    overdue: int = 0
    open_on_time: int = 0
    by_category: list[Count] = field(default_factory=list)
    by_kind: list[Count] = field(default_factory=list)
    by_kelurahan: list[Count] = field(default_factory=list)
    events: list[EventLine] = field(default_factory=list)
    topic_lines: list[TopicLine] = field(default_factory=list)

    @property
    def attendance_rate(self) -> float | None:
        """Attended / registered (walk-ins included) at events held; None with nobody."""
        return self.attended / self.registered if self.registered else None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def events_in(programme: Programme, start: date | None, end: date | None) -> QuerySet[Event]:
    """The programme's events starting within [start, end] (whole days, WITA)."""
    qs = programme.events.select_related("kelurahan").order_by("starts_at", "pk")
    if start is not None:
        qs = qs.filter(starts_at__gte=_day_start(start))
    if end is not None:
        qs = qs.filter(starts_at__lt=_day_start(end + timedelta(days=1)))
    return qs


def follow_up_state(report: Report, now: datetime) -> str:
    if report.status in CLOSED_STATUSES:
        return "done"
    return "overdue" if report.is_overdue(now) else "open"


def _attendance(events: list[Event]) -> tuple[Counter[int], Counter[int]]:
    live = Registration.objects.filter(event__in=events, cancelled_at__isnull=True)
    registered = Counter(live.values_list("event_id", flat=True))
    attended = Counter(live.exclude(attended_at=None).values_list("event_id", flat=True))
    return registered, attended


def _aspirations(events: list[Event]) -> list[Aspiration]:
    return list(
        Aspiration.objects.filter(event__in=events)
        .select_related("report__category", "report__kelurahan", "event")
        .order_by("event__starts_at", "created_at", "pk")
    )


def _count_events(outcome: Outcome, events: list[Event]) -> None:
    statuses = Counter(e.status for e in events)
    outcome.events_held = statuses[Event.Status.HELD]
    outcome.events_cancelled = statuses[Event.Status.CANCELLED]
    outcome.events_planned = statuses[Event.Status.PLANNED]


def _count_attendance(outcome: Outcome, events: list[Event], topics: Counter[int]) -> None:
    registered, attended = _attendance(events)
    held = [e for e in events if e.status == Event.Status.HELD]
    outcome.registered = sum(registered[e.pk] for e in held)
    outcome.attended = sum(attended[e.pk] for e in held)
    outcome.events = [EventLine(e, registered[e.pk], attended[e.pk], topics[e.pk]) for e in events]


def _breakdowns(outcome: Outcome, reports: list[Report]) -> None:
    categories = Counter((r.kind, r.category.code, r.category.label) for r in reports)
    outcome.by_category = [
        Count(f"{kind}:{code}", f"{Kind(kind).label}: {label}", n)
        for (kind, code, label), n in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    kinds = Counter(r.kind for r in reports)
    outcome.by_kind = [Count(k, str(Kind(k).label), kinds[k]) for k in Kind.values if kinds[k]]
    places = Counter((r.kelurahan_code, r.kelurahan.name if r.kelurahan else "") for r in reports)
    outcome.by_kelurahan = [
        Count(code, name or "-", n)
        for (code, name), n in sorted(places.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _follow_ups(outcome: Outcome, aspirations: list[Aspiration], now: datetime) -> None:
    for aspiration in aspirations:
        report = aspiration.report
        state = follow_up_state(report, now)
        due = report.due_at()
        outcome.topic_lines.append(
            TopicLine(aspiration, report, state, due if isinstance(due, datetime) else None)
        )
    states = Counter(line.state for line in outcome.topic_lines)
    outcome.done, outcome.overdue, outcome.open_on_time = (
        states["done"],
        states["overdue"],
        states["open"],
    )
    outcome.resolved = sum(1 for a in aspirations if a.report.status == Status.RESOLVED)


def programme_outcome(
    programme: Programme,
    start: date | None = None,
    end: date | None = None,
    *,
    now: datetime | None = None,
) -> Outcome:
    """The programme's outcome for events starting in [start, end] (None: no bound)."""
    now = now or timezone.now()
    outcome = Outcome(programme=programme, start=start, end=end)
    events = list(events_in(programme, start, end))
    aspirations = _aspirations(events)
    _count_events(outcome, events)
    _count_attendance(outcome, events, Counter(a.event_id for a in aspirations))
    outcome.topics = len(aspirations)
    _breakdowns(outcome, [a.report for a in aspirations])
    _follow_ups(outcome, aspirations, now)
    return outcome


def period_bounds(outcome: Outcome) -> tuple[date | None, date | None]:
    """The period as shown: the filter's bounds, else the first and last event's days."""
    days = [timezone.localdate(line.event.starts_at) for line in outcome.events]
    start = outcome.start or (min(days) if days else None)
    end = outcome.end or (max(days) if days else None)
    return start, end
