"""Patrol dosage: planned against actual minutes on site, visits planned against made, and the
coverage of the top places, per plan, team, place and unit.

Minutes on site of a visit are ``left_at - arrived_at``; a visit without "left" counts as a
visit made with 0 minutes (and as open). A place is *covered* when at least one visit there
lasted at least its planned minutes. The top-k places of a plan are its stops with rank 1..k
(rank 0: a place the commander added without a rank, never in the top k).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kamtibmas.accounts import roles
from kamtibmas.forecasts.groups import CRIME_GROUPS
from kamtibmas.forecasts.shifts import WITA
from kamtibmas.geo.models import Unit
from kamtibmas.patrols import plan_access
from kamtibmas.patrols.models import PatrolPlan, PlanStatus, Visit

REVIEW_ROLES = frozenset({roles.COMMANDER, roles.ANALYST, roles.ADMIN})
DEFAULT_DAYS = 28
MAX_DAYS = 366
DEFAULT_TOP_K = 10


def can_review(user: Any) -> bool:
    """Dosage and effect reports: commanders, analysts and administrators."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or (user.is_officer and user.has_role(*REVIEW_ROLES)))


@dataclass(frozen=True)
class StopDosage:
    """One place of one plan with what was planned and what was done."""

    plan_id: int
    shift_key: str
    unit: str
    team: str
    stop_id: int | None  # None: the plan's visits to places not in it
    rank: int
    label: str
    planned_minutes: int
    planned_visits: int
    visits_made: int
    open_visits: int
    actual_minutes: float
    longest_minutes: float

    @property
    def planned_total(self) -> int:
        return self.planned_minutes * self.planned_visits

    @property
    def covered(self) -> bool:
        return (
            self.stop_id is not None
            and self.visits_made > 0
            and (self.longest_minutes >= self.planned_minutes)
        )

    def in_top(self, k: int) -> bool:
        return self.stop_id is not None and 1 <= self.rank <= k


@dataclass
class Summary:
    """Totals over a group of rows (a plan and team, a unit, everything)."""

    key: tuple[str, ...]
    planned_minutes: int = 0
    actual_minutes: float = 0.0
    visits_planned: int = 0
    visits_made: int = 0
    places: int = 0
    places_visited: int = 0
    top_places: int = 0
    top_covered: int = 0
    unplanned_visits: int = 0
    unplanned_minutes: float = 0.0
    plans: set[int] = field(default_factory=set)

    def add(self, row: StopDosage, top_k: int) -> None:
        self.plans.add(row.plan_id)
        if row.stop_id is None:
            self.unplanned_visits += row.visits_made
            self.unplanned_minutes += row.actual_minutes
            return
        self.actual_minutes += row.actual_minutes
        self.planned_minutes += row.planned_total
        self.visits_planned += row.planned_visits
        self.visits_made += row.visits_made
        self.places += 1
        self.places_visited += row.visits_made > 0
        if row.in_top(top_k):
            self.top_places += 1
            self.top_covered += row.covered

    @property
    def coverage(self) -> float | None:
        """Share of the top places covered at their planned dosage (None without any)."""
        return self.top_covered / self.top_places if self.top_places else None

    @property
    def minutes_ratio(self) -> float | None:
        return self.actual_minutes / self.planned_minutes if self.planned_minutes else None


def stop_rows(plans: QuerySet[PatrolPlan]) -> list[StopDosage]:
    """One row per stop of ``plans`` (route order), plus one per plan with unplanned visits."""
    visits: dict[tuple[int, int | None], list[Visit]] = defaultdict(list)
    for visit in Visit.objects.filter(plan__in=plans).only(
        "plan_id", "stop_id", "arrived_at", "left_at"
    ):
        visits[(visit.plan_id, visit.stop_id)].append(visit)
    rows: list[StopDosage] = []
    for plan in (
        plans.select_related("unit")
        .prefetch_related("stops__team")
        .order_by("start", "unit__name", "pk")
    ):
        for stop in sorted(
            plan.stops.all(), key=lambda s: (s.team.name if s.team else "", s.order)
        ):
            made = visits.get((plan.pk, stop.pk), [])
            if stop.team_id is not None or made:  # candidates off the routes were not planned
                rows.append(_row(plan, stop, made))
        if (plan.pk, None) in visits:
            rows.append(_row(plan, None, visits[(plan.pk, None)]))
    return rows


def _on_route(stop: Any) -> bool:
    return stop is not None and stop.team_id is not None


def _route_key(stop: Any) -> tuple[str, int]:
    return (stop.team.name if stop.team else "", stop.order)


def _row(plan: PatrolPlan, stop: Any, visits: list[Visit]) -> StopDosage:
    minutes = [v.minutes_on_site or 0.0 for v in visits]
    return StopDosage(
        plan_id=plan.pk,
        shift_key=plan.shift_key,
        unit=plan.unit.name,
        team=stop.team.name if stop is not None and stop.team else "",
        stop_id=stop.pk if stop is not None else None,
        rank=stop.rank if stop is not None else 0,
        label=stop.label if stop is not None else _("Places not in the plan"),
        planned_minutes=stop.planned_minutes if _on_route(stop) else 0,
        planned_visits=stop.planned_visits if _on_route(stop) else 0,
        visits_made=len(visits),
        open_visits=sum(v.left_at is None for v in visits),
        actual_minutes=round(sum(minutes), 2),
        longest_minutes=round(max(minutes, default=0.0), 2),
    )


def summarise(
    rows: Iterable[StopDosage], key: Callable[[StopDosage], tuple[str, ...]], top_k: int
) -> list[Summary]:
    groups: dict[tuple[str, ...], Summary] = {}
    for row in rows:
        k = key(row)
        groups.setdefault(k, Summary(k)).add(row, top_k)
    return list(groups.values())


def by_unit(row: StopDosage) -> tuple[str, ...]:
    return (row.unit,)


def by_plan_team(row: StopDosage) -> tuple[str, ...]:
    return (row.shift_key, row.unit, row.team)


# ---- the report's filter ------------------------------------------------------------------


@dataclass(frozen=True)
class DosageFilter:
    unit: Unit | None
    date_from: date
    date_to: date
    group: str
    top_k: int

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time(0), tzinfo=WITA)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.date_to + timedelta(days=1), time(0), tzinfo=WITA)


def parse_filter(user: Any, params: Any) -> tuple[DosageFilter, list[str]]:
    """The filter from URL parameters; a bad value falls back to its default with a notice."""
    notices: list[str] = []
    today = timezone.now().astimezone(WITA).date()
    date_to = _date(params.get("to"), today, _("end date"), notices)
    date_from = _date(params.get("from"), date_to - timedelta(days=DEFAULT_DAYS - 1),
                      _("start date"), notices)  # fmt: skip
    if date_from > date_to or (date_to - date_from).days >= MAX_DAYS:
        notices.append(
            _("The date range was not valid (at most a year); the last 4 weeks are shown.")
        )
        date_to, date_from = today, today - timedelta(days=DEFAULT_DAYS - 1)
    unit = None
    if params.get("unit"):
        unit_id = _int_or_none(params.get("unit"))
        if unit_id is not None:
            unit = plan_access.visible_units(user).filter(pk=unit_id).first()
        if unit is None:
            notices.append(_("The unit filter was not valid and was ignored."))
    group = params.get("group") or ""
    if group and group not in CRIME_GROUPS:
        notices.append(_("The crime group filter was not valid and was ignored."))
        group = ""
    top_k = _int_or_none(params.get("top")) if params.get("top") else DEFAULT_TOP_K
    if top_k is None or not 1 <= top_k <= 100:
        notices.append(_("Top places must be a number from 1 to 100; 10 is used."))
        top_k = DEFAULT_TOP_K
    return DosageFilter(unit, date_from, date_to, group, top_k), notices


def _date(raw: Any, default: date, name: str, notices: list[str]) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        notices.append(_("The %s was not a valid date and was ignored.") % name)
        return default


def _int_or_none(raw: Any) -> int | None:
    try:
        return int(str(raw))
    except ValueError:
        return None


def plans_in(user: Any, flt: DosageFilter) -> QuerySet[PatrolPlan]:
    """Issued and closed plans in the user's scope whose shift starts in the date range."""
    qs = plan_access.plans_for(user).filter(
        status__in=(PlanStatus.ISSUED, PlanStatus.CLOSED), start__gte=flt.start, start__lt=flt.end
    )
    if flt.unit is not None:
        qs = qs.filter(unit_id__in=flt.unit.descendant_ids())
    if flt.group:
        qs = qs.filter(group=flt.group)
    return qs
