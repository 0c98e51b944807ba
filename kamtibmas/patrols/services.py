"""Drafting patrol plans: forecast -> micro-places -> dosage -> routes -> a stored draft.

``draft_plan`` is idempotent: asking again for the same unit, shift and group returns the plan
already there unless ``rebuild`` (which only a draft allows). Commander adjustments live in
``kamtibmas.patrols.adjust``; road networks in ``kamtibmas.patrols.network``.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kamtibmas.forecasts.groups import CRIME_GROUPS
from kamtibmas.forecasts.shifts import Shift
from kamtibmas.forecasts.surface import RiskSurface
from kamtibmas.geo import lookup
from kamtibmas.geo.models import Unit
from kamtibmas.patrols import network, stations
from kamtibmas.patrols.models import (
    PatrolPlan,
    PatrolStop,
    PatrolTeam,
    PlanEventKind,
    PlanStatus,
    Visit,
    plan_event,
)
from kamtibmas.patrols.planning import PlannedStop, PlanningOptions, Proposal, propose

log = logging.getLogger(__name__)


class PlanError(Exception):
    """A plan cannot be made or changed; the message is for the user (translated)."""


@dataclass(frozen=True)
class DraftResult:
    plan: PatrolPlan
    created: bool
    rebuilt: bool = False


def ensure_teams(unit: Unit, count: int | None) -> list[PatrolTeam]:
    """The unit's active teams; when it has none, ``count`` (default 2) teams "Tim 1..N"."""
    teams = list(PatrolTeam.objects.filter(unit=unit, active=True).order_by("name", "pk"))
    if teams and (count is None or count <= len(teams)):
        return teams[: count or len(teams)]
    wanted = count or 2
    for k in range(1, wanted + 1):
        if len(teams) >= wanted:
            break
        team, made = PatrolTeam.objects.get_or_create(unit=unit, name=f"Tim {k}")
        if made or (team.active and team not in teams):
            teams.append(team)
    return teams[:wanted]


def live_plan(unit: Unit, shift_key: str, group: str) -> PatrolPlan | None:
    return (
        PatrolPlan.objects.filter(unit=unit, shift_key=shift_key, group=group)
        .exclude(status=PlanStatus.CANCELLED)
        .first()
    )


def fetch_surface(unit: Unit, group: str, shift: Shift) -> RiskSurface:
    """The forecast for the shift; PlanError (translated) when there is none to be had."""
    from kamtibmas.forecasts import surface as surface_module

    try:
        return surface_module.risk_surface(unit, group, shift.start, shift.end)
    except Exception as exc:  # noqa: BLE001 - any forecast failure becomes a message
        log.warning("no forecast for unit %s group %s: %s", unit.pk, group, type(exc).__name__)
        raise PlanError(
            _("No forecast could be made for %(unit)s: %(reason)s") % {"unit": unit, "reason": exc}
        ) from exc


def draft_plan(
    unit: Unit,
    shift: Shift,
    group: str,
    user: Any = None,
    *,
    teams: int | None = None,
    dosage_min: int = 15,
    rebuild: bool = False,
    surface: RiskSurface | None = None,
    time_limit_s: float = 5.0,
) -> DraftResult:
    """The unit's plan for ``shift`` and ``group``: the existing one, or a new draft."""
    if group not in CRIME_GROUPS:
        raise PlanError(_("Unknown crime group: %(group)s") % {"group": group})
    if unit.kind not in (Unit.Kind.POLSEK, Unit.Kind.KSKP):
        raise PlanError(_("Patrol plans are made for a Polsek, not for %(unit)s.") % {"unit": unit})
    existing = live_plan(unit, shift.key, group)
    if existing is not None and not rebuild:
        return DraftResult(existing, False)
    if existing is not None and not existing.is_draft:
        raise PlanError(_("This plan has been issued and can no longer be rebuilt."))
    if existing is not None and Visit.objects.filter(plan=existing).exists():
        raise PlanError(_("Visits have been logged against this plan: it cannot be rebuilt."))
    try:
        options = PlanningOptions(teams=teams or 2, dosage_min=dosage_min)
    except ValueError as exc:
        raise PlanError(str(exc)) from exc
    team_rows = ensure_teams(unit, teams)
    options = PlanningOptions(
        teams=len(team_rows), dosage_min=dosage_min, start_xy=stations.station_xy(unit),
        hotspot_share=float(getattr(settings, "PATROL_HOTSPOT_SHARE", 1.0)),
        time_limit_s=time_limit_s,
    )  # fmt: skip
    surface = surface or fetch_surface(unit, group, shift)
    # A stored forecast may cover more than the shift (the seven-day window): plan the shift.
    surface = dataclasses.replace(surface, start=shift.start, end=shift.end)
    roads = network.active_network()
    proposal = propose(surface, options, network.distance_fn(roads))
    try:
        with transaction.atomic():
            plan = _save(unit, shift, group, user, surface, proposal, team_rows, existing, roads)
    except IntegrityError:  # another request drafted it a moment ago
        again = live_plan(unit, shift.key, group)
        if again is None:
            raise
        return DraftResult(again, False)
    return DraftResult(plan, existing is None, existing is not None)


def _save(
    unit: Unit,
    shift: Shift,
    group: str,
    user: Any,
    surface: RiskSurface,
    proposal: Proposal,
    teams: list[PatrolTeam],
    existing: PatrolPlan | None,
    roads: network.LoadedNetwork | None,
) -> PatrolPlan:
    summary = {
        "teams": len(teams),
        "dosage_min": proposal.stops[0].dosage_min if proposal.stops else None,
        "solver": proposal.status,
        "road_network": roads.name if roads else None,
        "notes": proposal.notes,
        "hotspot_share": proposal.hotspot_share,
        "start": [unit.station_lat, unit.station_lon] if proposal.start_known else None,
    }
    author = user if getattr(user, "is_authenticated", False) else None
    if existing is None:
        plan = PatrolPlan.objects.create(
            unit=unit, shift_key=shift.key, shift_name=shift.name, start=shift.start,
            end=shift.end, group=group, forecast_run_id=surface.run_id,
            model_name=surface.model, created_by=author, settings=summary,
        )  # fmt: skip
        kind = PlanEventKind.CREATED
    else:
        plan = existing
        plan.stops.all().delete()
        plan.forecast_run_id, plan.model_name = surface.run_id, surface.model
        plan.settings, plan.version = summary, plan.version + 1
        plan.save()
        kind = PlanEventKind.REBUILT
    grid = surface.grid
    rows = [_stop_row(plan, s, teams, grid, roads) for s in proposal.stops]
    PatrolStop.objects.bulk_create(rows)
    network.store_paths(plan, roads)
    assigned = sum(1 for s in proposal.stops if s.team is not None)
    plan_event(plan, kind, user, stops=assigned, candidates=len(rows) - assigned,
               forecast_run=surface.run_id, model=surface.model, **summary)  # fmt: skip
    return plan


def _stop_row(
    plan: PatrolPlan,
    stop: PlannedStop,
    teams: list[PatrolTeam],
    grid: Any,
    roads: network.LoadedNetwork | None,
) -> PatrolStop:
    place = stop.place
    area = lookup.find_area(place.lat, place.lon)
    i, j = place.cells[0]
    reason = dict(place.reason)
    reason.update({"cells": [list(c) for c in place.cells], "arrivals_min": stop.arrivals_min})
    return PatrolStop(
        plan=plan, team=teams[stop.team] if stop.team is not None else None, order=stop.order,
        cell_i=i, cell_j=j, grid_x0=grid.x0_m, grid_y0=grid.y0_m, cell_m=grid.cell_m,
        lat=place.lat, lon=place.lon, label=network.place_label(place.x, place.y, area, roads),
        kelurahan_id=area.kelurahan_id if area else None, risk_score=round(place.score, 6),
        rank=place.rank, planned_minutes=stop.dosage_min, planned_visits=stop.visits,
        travel_minutes_from_previous=stop.travel_min, reason=reason,
    )  # fmt: skip
