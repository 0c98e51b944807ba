"""Patrol plans in the JSON API (/api/v1/patrols): read only, for staff, never public.

The same scoping as the pages (``plan_access.plans_for``): another Polsek's plan is a 404, a
draft is seen only by planners (commanders, analysts, administrators), a resident gets 403.
Dosage figures come from ``dosage`` so the API and the dosage report count alike. Visits carry
times and minutes only: never the officer, notes or who was talked to."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from kamtibmas import api_staff
from kamtibmas.accounts.api_auth import STAFF_AUTH
from kamtibmas.api_errors import invalid, not_found
from kamtibmas.forecasts.explain import explanation_lines
from kamtibmas.forecasts.groups import CRIME_GROUPS
from kamtibmas.forecasts.shifts import configured_shifts
from kamtibmas.patrols import dosage, plan_access
from kamtibmas.patrols.api_schemas import PlanDetailOut, PlanFilters, PlanPageOut
from kamtibmas.patrols.models import PatrolPlan, PatrolStop, PlanStatus, Visit
from kamtibmas.reports.schemas import wita
from kamtibmas.reports.scoping import sees_all

MAX_ID = 2**63  # ids beyond a bigint never exist (and would overflow the query)
router = Router(tags=["patrols"])

ERRORS = api_staff.STAFF_ERRORS
LISTED_STATUSES = (PlanStatus.DRAFT, PlanStatus.ISSUED, PlanStatus.CLOSED)


def staff_user(request: HttpRequest) -> Any:
    return api_staff.staff_user(request, _("Patrol plans are for police staff only."))


# ---- filters -------------------------------------------------------------------------------


def _unit_ids(user: Any, code: str) -> set[int]:
    visible = None if sees_all(user) else user.unit.descendant_ids()
    return api_staff.unit_and_below(code, visible)


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise invalid({"date": [_("Enter a date like 2026-12-01.")]}) from None


def filtered(user: Any, f: PlanFilters) -> QuerySet[PatrolPlan]:
    """The user's plans narrowed by the query; 400 naming each bad parameter."""
    qs = plan_access.plans_for(user)
    if f.unit:
        qs = qs.filter(unit_id__in=_unit_ids(user, f.unit))
    if f.date:
        qs = qs.filter(shift_key__startswith=f"{_day(f.date).isoformat()}/")
    if f.shift:
        if f.shift not in {s.name for s in configured_shifts()}:
            raise invalid({"shift": [_("Unknown shift name.")]})
        qs = qs.filter(shift_name=f.shift)
    if f.status:
        if f.status not in LISTED_STATUSES:
            raise invalid({"status": [_("Use draft, issued or closed.")]})
        qs = qs.filter(status=f.status)
    if f.group:
        if f.group not in CRIME_GROUPS:
            raise invalid({"group": [_("Unknown crime group.")]})
        qs = qs.filter(group=f.group)
    return qs


# ---- shapes --------------------------------------------------------------------------------


def _team(stop: PatrolStop) -> dict[str, Any] | None:
    return {"id": stop.team.pk, "name": stop.team.name} if stop.team is not None else None


def summary(plan: PatrolPlan, stops: list[PatrolStop]) -> dict[str, Any]:
    teams = {s.team.pk: s.team.name for s in stops if s.team is not None}
    return {
        "id": plan.pk,
        "unit": {"code": plan.unit.code, "name": plan.unit.name},
        "shift": {
            "key": plan.shift_key,
            "name": plan.shift_name,
            "start": wita(plan.start),
            "end": wita(plan.end),
        },
        "group": plan.group,
        "status": plan.status,
        "version": plan.version,
        "forecast_run_id": plan.forecast_run_id,
        "model_name": plan.model_name,
        "created_at": wita(plan.created_at),
        "issued_at": wita(plan.issued_at),
        "teams": [{"id": k, "name": v} for k, v in sorted(teams.items(), key=lambda t: t[1])],
        "stop_count": sum(1 for s in stops if s.team_id is not None),
    }


def _visit(visit: Visit) -> dict[str, Any]:
    minutes = visit.minutes_on_site
    return {
        "arrived_at": wita(visit.arrived_at),
        "left_at": wita(visit.left_at),
        "minutes": round(minutes, 2) if minutes is not None else None,
    }


def _stop_dosage(row: dosage.StopDosage | None) -> dict[str, Any]:
    if row is None:  # a candidate place without visits: nothing planned, nothing done
        return {"planned_minutes": 0, "actual_minutes": 0.0, "visits_planned": 0,
                "visits_made": 0, "open_visits": 0, "covered": False}  # fmt: skip
    return {
        "planned_minutes": row.planned_total,
        "actual_minutes": row.actual_minutes,
        "visits_planned": row.planned_visits,
        "visits_made": row.visits_made,
        "open_visits": row.open_visits,
        "covered": row.covered,
    }


def _why(reason: Any) -> list[str]:
    if not isinstance(reason, dict) or "near_m" not in reason:
        return []
    return explanation_lines(reason)


def _arrivals(plan: PatrolPlan, stop: PatrolStop) -> list[Any]:
    minutes = stop.reason.get("arrivals_min", []) if isinstance(stop.reason, dict) else []
    return [wita(plan.start + timedelta(minutes=float(m))) for m in minutes]


def stop_view(
    plan: PatrolPlan, stop: PatrolStop, visits: list[Visit], row: dosage.StopDosage | None
) -> dict[str, Any]:
    return {
        "id": stop.pk,
        "order": stop.order,
        "team": _team(stop),
        "place": stop.label,
        "kelurahan": stop.kelurahan.name if stop.kelurahan is not None else None,
        "lat": stop.lat,
        "lon": stop.lon,
        "rank": stop.rank,
        "risk_score": stop.risk_score,
        "dosage_minutes": stop.planned_minutes,
        "planned_visits": stop.planned_visits,
        "planned_arrivals": _arrivals(plan, stop),
        "travel_minutes_from_previous": stop.travel_minutes_from_previous,
        "added_by_commander": stop.added_by_commander,
        "why": _why(stop.reason),
        "visits": [_visit(v) for v in visits],
        "dosage": _stop_dosage(row),
    }


def routes(stops: list[PatrolStop]) -> list[dict[str, Any]]:
    """Each team's route as a LineString: road paths where stored, straight lines otherwise."""
    lines: dict[int, dict[str, Any]] = {}
    for stop in stops:
        if stop.team is None:
            continue
        route = lines.setdefault(stop.team.pk, {"team": _team(stop), "on_roads": False, "c": []})
        route["on_roads"] = route["on_roads"] or bool(stop.path)
        route["c"] += [[lon, lat] for lat, lon in (stop.path or [[stop.lat, stop.lon]])]
    return [
        {"team": r["team"], "on_roads": r["on_roads"],
         "geometry": {"type": "LineString", "coordinates": r["c"]}}
        for r in lines.values()
    ]  # fmt: skip


def _route_order(stop: PatrolStop) -> tuple[int, str, int, int]:
    """Routed places by team name and order first, then the candidates by risk rank."""
    if stop.team is None:
        return (1, "", stop.rank, stop.pk)
    return (0, stop.team.name, stop.order, stop.pk)


def _plan_dosage(rows: list[dosage.StopDosage]) -> dict[str, Any]:
    found = dosage.summarise(rows, lambda _row: ("plan",), dosage.DEFAULT_TOP_K)
    total = found[0] if found else dosage.Summary(("plan",))
    return {
        "planned_minutes": total.planned_minutes,
        "actual_minutes": round(total.actual_minutes, 2),
        "visits_planned": total.visits_planned,
        "visits_made": total.visits_made,
        "places": total.places,
        "places_visited": total.places_visited,
        "top_places": total.top_places,
        "top_covered": total.top_covered,
        "coverage": total.coverage,
        "unplanned_visits": total.unplanned_visits,
        "unplanned_minutes": round(total.unplanned_minutes, 2),
    }


def detail(plan: PatrolPlan) -> dict[str, Any]:
    stops = sorted(plan.stops.select_related("team", "kelurahan"), key=_route_order)
    visits: dict[int | None, list[Visit]] = defaultdict(list)
    for visit in Visit.objects.filter(plan=plan).only("stop_id", "arrived_at", "left_at"):
        visits[visit.stop_id].append(visit)
    rows = dosage.stop_rows(PatrolPlan.objects.filter(pk=plan.pk))
    by_stop = {r.stop_id: r for r in rows if r.stop_id is not None}
    data = summary(plan, stops)
    data.update(
        road_network=(plan.settings or {}).get("road_network"),
        stops=[stop_view(plan, s, visits.get(s.pk, []), by_stop.get(s.pk)) for s in stops],
        routes=routes(stops),
        unplanned_visits=[_visit(v) for v in visits.get(None, [])],
        dosage=_plan_dosage(rows),
    )
    return data


# ---- endpoints -----------------------------------------------------------------------------


@router.get(
    "/plans",
    auth=STAFF_AUTH,
    response={200: PlanPageOut, **ERRORS},
    summary="List patrol plans in your scope",
    url_name="patrol_plan_list",
)
def list_plans(request: HttpRequest, filters: Query[PlanFilters]) -> dict[str, Any]:
    """Plans of your units, newest shift first. Drafts appear only for planners (commanders,
    analysts, administrators); cancelled plans never."""
    user = staff_user(request)
    qs = filtered(user, filters).select_related("unit").order_by("-start", "unit__name", "pk")
    page = list(qs.prefetch_related("stops__team")[filters.offset : filters.offset + filters.limit])
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [summary(plan, list(plan.stops.all())) for plan in page],
    }


@router.get(
    "/plans/{plan_id}",
    auth=STAFF_AUTH,
    response={200: PlanDetailOut, **ERRORS},
    summary="One patrol plan with its stops, routes, visits and dosage",
    url_name="patrol_plan_detail",
)
def get_plan(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    """The shift window, teams, each stop in route order (place, point, dosage, team, planned
    arrivals, why) with the visits logged there and planned against actual minutes; each
    team's route line. 404 outside your units, and for a draft unless you plan."""
    user = staff_user(request)
    if not 0 < plan_id < MAX_ID:
        raise not_found()
    plan = plan_access.plans_for(user).select_related("unit").filter(pk=plan_id).first()
    if plan is None:
        raise not_found()
    return detail(plan)
