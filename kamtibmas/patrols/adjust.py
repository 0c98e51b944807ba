"""Commander adjustments of a draft plan, and issuing it.

Every change names the plan version the commander saw (optimistic locking): a change made on a
stale page is refused with a message instead of overwriting someone else's change. Every change
bumps the version and appends a ``PatrolPlanEvent``. Issued plans are frozen.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kamtibmas.forecasts.surface import METRIC_CRS
from kamtibmas.patrols import network
from kamtibmas.patrols.models import (
    MAX_DOSAGE_MINUTES,
    MIN_DOSAGE_MINUTES,
    PatrolPlan,
    PatrolStop,
    PatrolTeam,
    PlanEventKind,
    PlanStatus,
    plan_event,
)
from kamtibmas.patrols.planning import route_minutes
from kamtibmas.patrols.services import PlanError
from kamtibmas_analytics import roads
from kamtibmas_analytics.projection import to_metres
from kamtibmas_analytics.routing import solve_routes


class StaleVersion(PlanError):
    """The plan changed since the page was loaded."""


def _claim(plan: PatrolPlan, version: int) -> None:
    """Bump the version if it is still ``version`` and the plan still a draft."""
    updated = PatrolPlan.objects.filter(pk=plan.pk, version=version, status=PlanStatus.DRAFT)
    if updated.update(version=F("version") + 1) == 1:
        plan.refresh_from_db()
        return
    plan.refresh_from_db()
    if plan.status != PlanStatus.DRAFT:
        raise PlanError(_("This plan has been issued and can no longer be changed."))
    raise StaleVersion(
        _("Someone changed this plan after you opened it. Look at the current plan and try again.")
    )


def _stop(plan: PatrolPlan, stop_id: Any) -> PatrolStop:
    try:
        return plan.stops.get(pk=int(stop_id))
    except (TypeError, ValueError, PatrolStop.DoesNotExist):
        raise PlanError(_("That place is not part of this plan.")) from None


def _team(plan: PatrolPlan, team_id: Any) -> PatrolTeam:
    try:
        return PatrolTeam.objects.get(pk=int(team_id), unit_id=plan.unit_id, active=True)
    except (TypeError, ValueError, PatrolTeam.DoesNotExist):
        raise PlanError(_("That team does not belong to this unit.")) from None


def team_stops(plan: PatrolPlan, team_id: int) -> list[PatrolStop]:
    return list(plan.stops.filter(team_id=team_id).order_by("order", "pk"))


def retime(plan: PatrolPlan, team_id: int, loaded: network.LoadedNetwork | None) -> float:
    """Renumber a team's stops 1..n, recompute travel and planned arrival times from their
    order (from and back to the station when the plan has one; planned work counts
    ``1 / hotspot_share`` of shift time, as when drafting); returns the minutes the route runs
    over the shift (0 when it fits)."""
    stops = team_stops(plan, team_id)
    if not stops:
        return 0.0
    start = _start(plan)
    share = float(plan.settings.get("hotspot_share") or 1.0)
    points = [start, *[(s.lat, s.lon) for s in stops]] if start else [(s.lat, s.lon) for s in stops]
    travel = _travel(points, loaded)
    offset = 1 if start else 0
    clock = 0.0
    for k, stop in enumerate(stops):
        leg = 0.0 if k + offset == 0 else float(travel[k + offset - 1, k + offset])
        clock += leg / share
        stop.order = k + 1
        stop.travel_minutes_from_previous = round(leg, 1)
        stop.reason = {**stop.reason, "arrivals_min": [round(clock, 1)]}
        clock += stop.planned_minutes * stop.planned_visits / share
    if start:
        clock += float(travel[len(stops), 0]) / share
    PatrolStop.objects.bulk_update(stops, ["order", "travel_minutes_from_previous", "reason"])
    shift_min = (plan.end - plan.start).total_seconds() / 60.0
    return max(0.0, round(clock - shift_min, 1))


def _start(plan: PatrolPlan) -> tuple[float, float] | None:
    start = plan.settings.get("start") if isinstance(plan.settings, dict) else None
    if isinstance(start, list) and len(start) == 2 and None not in start:
        return float(start[0]), float(start[1])
    return None


def _travel(points: list[tuple[float, float]], loaded: network.LoadedNetwork | None) -> np.ndarray:
    """Minutes between ``(lat, lon)`` points."""
    x, y, _crs = to_metres([p[1] for p in points], [p[0] for p in points], METRIC_CRS)
    fn = network.distance_fn(loaded)
    metres = fn(x, y) if fn else roads.straight_line_metres(x, y)
    return roads.travel_minutes(metres)


def resequence(plan: PatrolPlan, team_id: int, loaded: network.LoadedNetwork | None) -> None:
    """Order a team's stops by the shortest route through all of them (none dropped)."""
    stops = team_stops(plan, team_id)
    if len(stops) > 2:
        from kamtibmas.patrols.planning import Place

        places = [Place(s.rank, [], s.risk_score, *_xy(s)) for s in stops]
        travel = route_minutes(places, network.distance_fn(loaded), roads.DEFAULT_SPEED_KMH)
        horizon = float(travel.sum()) + sum(s.planned_minutes for s in stops) + 60.0
        routed = solve_routes(travel, service_min=[s.planned_minutes for s in stops],
                              prize=[1.0] * len(stops), teams=1, horizon_min=horizon)  # fmt: skip
        for order, k in enumerate(routed.routes[0], start=1):
            stops[k].order = order
        PatrolStop.objects.bulk_update(stops, ["order"])


def _xy(stop: PatrolStop) -> tuple[float, float]:
    x, y, _crs = to_metres([stop.lon], [stop.lat], METRIC_CRS)
    return float(x[0]), float(y[0])


def _after(plan: PatrolPlan, team_ids: set[int | None], reroute: bool = False) -> dict[int, float]:
    loaded = network.active_network()
    overrun = {}
    for team_id in sorted(t for t in team_ids if t is not None):
        if reroute:
            resequence(plan, team_id, loaded)
        overrun[team_id] = retime(plan, team_id, loaded)
    network.store_paths(plan, loaded)
    return {k: v for k, v in overrun.items() if v > 0}


@transaction.atomic
def remove_stop(plan: PatrolPlan, stop_id: Any, version: int, user: Any) -> dict[int, float]:
    """Take a place off its team's route; it goes back to the candidates."""
    stop = _stop(plan, stop_id)
    if stop.team_id is None:
        raise PlanError(_("That place is not on a route."))
    _claim(plan, version)
    team_id = stop.team_id
    stop.team, stop.order = None, 0
    stop.save(update_fields=["team", "order"])
    plan_event(plan, PlanEventKind.STOP_REMOVED, user, stop=stop.pk, team=team_id,
               label=stop.label)  # fmt: skip
    return _after(plan, {team_id})


@transaction.atomic
def add_stop(
    plan: PatrolPlan, stop_id: Any, team_id: Any, version: int, user: Any
) -> dict[int, float]:
    """Put a candidate place on a team's route (the route is then re-ordered)."""
    stop, team = _stop(plan, stop_id), _team(plan, team_id)
    if stop.team_id is not None:
        raise PlanError(_("That place is already on a route."))
    _claim(plan, version)
    last = plan.stops.filter(team=team).count()
    stop.team, stop.order, stop.added_by_commander = team, last + 1, True
    stop.save(update_fields=["team", "order", "added_by_commander"])
    plan_event(plan, PlanEventKind.STOP_ADDED, user, stop=stop.pk, team=team.pk,
               label=stop.label)  # fmt: skip
    return _after(plan, {team.pk}, reroute=True)


@transaction.atomic
def set_dosage(
    plan: PatrolPlan, stop_id: Any, minutes: Any, visits: Any, version: int, user: Any
) -> dict[int, float]:
    """Change the minutes per visit (10-15) and the visits in the shift (1-4)."""
    stop = _stop(plan, stop_id)
    try:
        minutes, visits = int(minutes), int(visits)
    except (TypeError, ValueError):
        raise PlanError(_("Enter whole numbers of minutes and visits.")) from None
    if not (MIN_DOSAGE_MINUTES <= minutes <= MAX_DOSAGE_MINUTES) or not 1 <= visits <= 4:
        raise PlanError(_("A visit lasts 10 to 15 minutes, and a place gets 1 to 4 visits."))
    _claim(plan, version)
    old = {"minutes": stop.planned_minutes, "visits": stop.planned_visits}
    stop.planned_minutes, stop.planned_visits = minutes, visits
    stop.save(update_fields=["planned_minutes", "planned_visits"])
    plan_event(plan, PlanEventKind.DOSAGE_CHANGED, user, stop=stop.pk, old=old,
               new={"minutes": minutes, "visits": visits})  # fmt: skip
    return _after(plan, {stop.team_id})


@transaction.atomic
def move_stop(
    plan: PatrolPlan, stop_id: Any, team_id: Any, version: int, user: Any
) -> dict[int, float]:
    """Give a place to another team (both routes are re-ordered)."""
    stop, team = _stop(plan, stop_id), _team(plan, team_id)
    if stop.team_id is None:
        raise PlanError(_("That place is not on a route."))
    if stop.team_id == team.pk:
        raise PlanError(_("That place is already with this team."))
    _claim(plan, version)
    old_team = stop.team_id
    stop.team, stop.order = team, plan.stops.filter(team=team).count() + 1
    stop.save(update_fields=["team", "order"])
    plan_event(plan, PlanEventKind.TEAM_CHANGED, user, stop=stop.pk, old=old_team, new=team.pk)
    return _after(plan, {old_team, team.pk}, reroute=True)


@transaction.atomic
def shift_order(
    plan: PatrolPlan, stop_id: Any, step: Any, version: int, user: Any
) -> dict[int, float]:
    """Move a place one position earlier (``step`` -1) or later (+1) in its team's route."""
    stop = _stop(plan, stop_id)
    if stop.team_id is None or str(step) not in ("-1", "1"):
        raise PlanError(_("That place cannot be moved that way."))
    stops = team_stops(plan, stop.team_id)
    k = next(n for n, s in enumerate(stops) if s.pk == stop.pk)
    other = k + int(step)
    if not 0 <= other < len(stops):
        raise PlanError(_("That place cannot be moved that way."))
    _claim(plan, version)
    stops[k], stops[other] = stops[other], stops[k]
    for order, s in enumerate(stops, start=1):
        s.order = order
    PatrolStop.objects.bulk_update(stops, ["order"])
    plan_event(plan, PlanEventKind.STOP_MOVED, user, stop=stop.pk, old=k + 1, new=other + 1)
    return _after(plan, {stop.team_id})


@transaction.atomic
def reroute(plan: PatrolPlan, version: int, user: Any) -> dict[int, float]:
    """Recompute the best order of every team's places (keeping who goes where)."""
    _claim(plan, version)
    team_ids = set(plan.stops.filter(team__isnull=False).values_list("team_id", flat=True))
    plan_event(plan, PlanEventKind.REROUTED, user, teams=sorted(team_ids))
    return _after(plan, set(team_ids), reroute=True)


@transaction.atomic
def issue(plan: PatrolPlan, version: int, user: Any) -> None:
    """Freeze the plan and hand it to the teams."""
    if not plan.stops.filter(team__isnull=False).exists():
        raise PlanError(_("A plan without places on a route cannot be issued."))
    _claim(plan, version)
    plan.status, plan.issued_by, plan.issued_at = PlanStatus.ISSUED, user, timezone.now()
    plan.save(update_fields=["status", "issued_by", "issued_at"])
    plan_event(plan, PlanEventKind.ISSUED, user, version=plan.version)


@transaction.atomic
def close(plan: PatrolPlan, user: Any, now: Any = None) -> None:
    """Close an issued plan once its shift is over: it leaves the officers' phone pages; its
    visits stay for the dosage and effect reports."""
    now = now or timezone.now()
    if plan.status != PlanStatus.ISSUED:
        raise PlanError(_("Only an issued plan can be closed."))
    if now < plan.end:
        raise PlanError(_("A plan can be closed only after its shift has ended."))
    if (
        PatrolPlan.objects.filter(pk=plan.pk, status=PlanStatus.ISSUED).update(
            status=PlanStatus.CLOSED
        )
        != 1
    ):
        raise PlanError(_("Only an issued plan can be closed."))
    plan.refresh_from_db()
    plan_event(plan, PlanEventKind.CLOSED, user, visits=plan.visits.count())
