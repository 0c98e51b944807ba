"""Demo patrols, so that a newcomer sees the patrol pages filled: the Kota road network, the
Polsek stations, two teams per Polsek, issued (and closed) night plans over the past weeks with
synthetic visits, and tonight's drafts.

Plans go through the product's own services (``draft_plan`` on the stored demo forecasts).
Only the visits are made up: most planned visits happen, some are short, some are missed, all
within the shift. They are labelled (``DEMO_NOTE`` in the notes, ``"demo": true`` in the plan's
settings and events). Running it again adds only what is missing (visits have fixed ids).
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import User
from kamtibmas.forecasts.groups import DEFAULT_GROUP
from kamtibmas.forecasts.shifts import Shift, configured_shifts, shift_on
from kamtibmas.forecasts.windows import nightly_anchor
from kamtibmas.geo.models import Unit
from kamtibmas.incidents.models import BALIKPAPAN, Incident
from kamtibmas.patrols import nightly, stations
from kamtibmas.patrols.forms import tonight
from kamtibmas.patrols.models import (
    PatrolPlan,
    PatrolPlanEvent,
    PatrolStop,
    PatrolTeam,
    PlanEventKind,
    PlanStatus,
    RoadNetwork,
    Visit,
    plan_event,
)
from kamtibmas.patrols.services import PlanError, draft_plan, ensure_teams, live_plan

log = logging.getLogger(__name__)
DEMO_WEEKS = 4
NIGHT_OFFSETS = (1, 3, 5)  # nights planned in each week, days after the forecast's evening
TEAMS_PER_UNIT = 2
DEMO_NOTE = "Demo: kunjungan sintetis"
VISIT_IDS = uuid.UUID("5b1f7c62-3f0e-4d7a-9a43-6d2f0c1e9b11")
SOLVER_SECONDS = 0.5
ROADS_FILE = Path("shared", "data", "balikpapan", "roads_kecamatan_balikpapan_kota_osm.geojson")
STATIONS_FILE = Path("shared", "data", "balikpapan", "police_sites_osm.geojson")
ROADS_NAME = "Kecamatan Balikpapan Kota (OSM)"


@dataclass
class DemoPatrols:
    roads: str = "skipped"  # imported, kept or skipped (no file)
    stations: int = 0
    teams: int = 0
    plans_made: int = 0
    plans_existing: int = 0
    visits_made: int = 0
    tonight: nightly.BulkResult = field(default_factory=nightly.BulkResult)


def find_shared(name: Path) -> Path | None:
    """``../shared/<name>`` beside the project's root (a checkout) or the working directory."""
    candidates = [Path(__file__).resolve().parents[3] / name, Path.cwd().parent / name]
    return next((p for p in candidates if p.exists()), None)


def load_demo_patrols(
    *, now: datetime | None = None, weeks: int = DEMO_WEEKS, seed: int = 42
) -> DemoPatrols:
    """Everything above; idempotent. Without located incidents (so without forecasts) only the
    roads, stations and teams; units without a forecast get no plans (and no error)."""
    now = now or timezone.now()
    result = DemoPatrols(roads=_roads(), stations=_stations())
    units = nightly.planning_units()
    for unit in units:
        result.teams += _teams(unit)
    if not Incident.objects.filter(dataset=BALIKPAPAN, lat__isnull=False).exists():
        return result  # no incidents, no forecasts: plans would be empty
    rng = random.Random(seed)
    for nights in past_weeks(now, weeks):
        for unit in units:
            _past_week(unit, nights, rng, result)
    result.tonight = nightly.draft_all([tonight(now)], DEFAULT_GROUP)
    return result


def _roads() -> str:
    path = find_shared(ROADS_FILE)
    if path is None:
        return "skipped"
    if RoadNetwork.objects.filter(name=ROADS_NAME).exists():
        return "kept"
    from kamtibmas.patrols.network import import_file

    import_file(path, ROADS_NAME)
    return "imported"


def _stations() -> int:
    path = find_shared(STATIONS_FILE)
    return stations.load_stations(path) if path is not None else 0


def _teams(unit: Unit) -> int:
    """Two teams per Polsek, with the unit's demo patrol and community officers as members."""
    before = PatrolTeam.objects.filter(unit=unit).count()
    teams = ensure_teams(unit, TEAMS_PER_UNIT)
    officers = list(
        User.objects.filter(
            is_demo=True,
            unit=unit,
            groups__name__in=(roles.PATROL_OFFICER, roles.COMMUNITY_OFFICER),
        ).order_by("username")
    )
    for k, team in enumerate(teams):
        if officers and not team.members.exists():
            team.members.add(officers[k % len(officers)])
    return PatrolTeam.objects.filter(unit=unit).count() - before


def past_weeks(now: datetime, weeks: int) -> list[list[Shift]]:
    """The night shifts (the day's last shift) planned in each of the past ``weeks`` weeks,
    oldest first, all over before ``now``. The nights of one week share the week's stored
    forecast (the seven days from that evening), so they get the same places."""
    last = max(configured_shifts(), key=lambda s: s.start_hour)
    anchor = nightly_anchor(now)
    found = []
    for k in range(weeks, 0, -1):
        first_day = (anchor - timedelta(weeks=k)).date()
        nights = [shift_on(first_day + timedelta(days=d), last) for d in NIGHT_OFFSETS]
        found.append([s for s in nights if s.end <= now])
    return [week for week in found if week]


def past_nights(now: datetime, weeks: int) -> list[Shift]:
    return [shift for week in past_weeks(now, weeks) for shift in week]


def _past_week(unit: Unit, nights: list[Shift], rng: random.Random, result: DemoPatrols) -> None:
    """The week's first night drafted by the planning service, the other nights copied from it
    (the same forecast gives the same plan; drafting it again would only cost solver time)."""
    try:
        drafted = draft_plan(unit, nights[0], DEFAULT_GROUP, time_limit_s=SOLVER_SECONDS)
    except PlanError:
        log.info("demo patrols: no forecast for unit %s shift %s", unit.pk, nights[0].key)
        return
    plans = [(drafted.plan, drafted.created)]
    plans += [_copy(drafted.plan, shift) for shift in nights[1:]]
    for plan, created in plans:
        if not created:
            result.plans_existing += 1
            continue
        result.plans_made += 1
        with transaction.atomic():
            _issue_and_close(plan)
            result.visits_made += _visits(plan, rng)


@transaction.atomic
def _copy(source: PatrolPlan, shift: Shift) -> tuple[PatrolPlan, bool]:
    """``source``'s places and routes for another shift; (the plan, made now)."""
    existing = live_plan(source.unit, shift.key, source.group)
    if existing is not None:
        return existing, False
    plan = PatrolPlan.objects.create(
        unit=source.unit, shift_key=shift.key, shift_name=shift.name, start=shift.start,
        end=shift.end, group=source.group, forecast_run_id=source.forecast_run_id,
        model_name=source.model_name, settings={**source.settings, "copied_from": source.pk},
    )  # fmt: skip
    stops = list(source.stops.all())
    for stop in stops:
        stop.pk, stop.plan = None, plan
    PatrolStop.objects.bulk_create(stops)
    routed = sum(1 for s in stops if s.team_id)
    plan_event(plan, PlanEventKind.CREATED, None, demo=True, copied_from=source.pk, stops=routed,
               forecast_run=source.forecast_run_id)  # fmt: skip
    return plan, True


def _commander(unit: Unit) -> User | None:
    return (
        User.objects.filter(is_demo=True, unit=unit, groups__name=roles.COMMANDER)
        .order_by("username")
        .first()
    )


def _issue_and_close(plan: PatrolPlan) -> None:
    """Issue the plan two hours before its shift and close it after, as a commander would."""
    boss = _commander(plan.unit)
    issued_at = plan.start - timedelta(hours=2)
    PatrolPlan.objects.filter(pk=plan.pk).update(
        status=PlanStatus.CLOSED, issued_by=boss, issued_at=issued_at,
        created_at=issued_at - timedelta(hours=1), settings={**plan.settings, "demo": True},
    )  # fmt: skip
    plan.refresh_from_db()
    PatrolPlanEvent.objects.filter(plan=plan).update(at=issued_at - timedelta(hours=1))
    for kind, at in ((PlanEventKind.ISSUED, issued_at), (PlanEventKind.CLOSED, plan.end)):
        PatrolPlanEvent.objects.create(
            plan=plan, kind=kind, at=at, actor=boss, details={"demo": True}
        )


def _visits(plan: PatrolPlan, rng: random.Random) -> int:
    """Synthetic visits: 80 % of planned visits happen (one in six of them short), 20 % are
    missed; arrivals near the planned time, all inside the shift."""
    rows: list[Visit] = []
    stops = plan.stops.filter(team__isnull=False).select_related("team")
    for stop in stops.order_by("team_id", "order"):
        officer = stop.team.members.order_by("pk").first() if stop.team else None
        officer = officer or _commander(plan.unit)
        if officer is None:
            continue
        arrivals = (stop.reason or {}).get("arrivals_min") or [0.0]
        for k in range(stop.planned_visits):
            if rng.random() < 0.2:
                continue
            extra = max(0, k - len(arrivals) + 1)  # visits beyond the planned times: later
            planned = float(arrivals[min(k, len(arrivals) - 1)]) + 120.0 * extra
            visit = _visit(plan, stop, officer, planned, k, rng)
            if visit is not None:
                rows.append(visit)
    return len(Visit.objects.bulk_create(rows))


def _visit(
    plan: PatrolPlan, stop: PatrolStop, officer: Any, planned_min: float, k: int,
    rng: random.Random,
) -> Visit | None:  # fmt: skip
    minutes = rng.uniform(5, 9) if rng.random() < 1 / 6 else rng.uniform(10, 16)
    arrive = plan.start + timedelta(minutes=max(0.0, planned_min + rng.gauss(0, 10)))
    leave = arrive + timedelta(minutes=minutes)
    if leave > plan.end:
        return None
    jitter = 0.0003
    return Visit(
        stop=stop, plan=plan, team=stop.team, officer=officer,
        client_id=uuid.uuid5(VISIT_IDS, f"{stop.pk}/{k}"),
        arrived_at=arrive, left_at=leave, arrived_accuracy_m=15.0, left_accuracy_m=15.0,
        arrived_lat=stop.lat + rng.uniform(-jitter, jitter),
        arrived_lon=stop.lon + rng.uniform(-jitter, jitter),
        left_lat=stop.lat, left_lon=stop.lon, notes=DEMO_NOTE, residents_met=rng.randint(0, 4),
        created_at=leave, synced_at=leave,
    )  # fmt: skip
