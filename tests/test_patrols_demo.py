"""Demo patrols and nightly drafting: teams, past issued plans with synthetic visits inside their
shifts, tonight's drafts; running again adds nothing and never touches an issued plan."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kamtibmas.accounts import roles
from kamtibmas.forecasts.shifts import WITA, shift_by_key
from kamtibmas.forecasts.surface import RiskSurface
from kamtibmas.geo.models import Unit
from kamtibmas.incidents.models import Incident
from kamtibmas.patrols import demo, nightly, stations
from kamtibmas.patrols.models import PatrolPlan, PatrolPlanEvent, PatrolTeam, PlanStatus, Visit
from tests.conftest import make_user, shared_data
from tests.test_patrols_planning import hand_surface

NOW = datetime(2026, 12, 1, 20, 30, tzinfo=WITA)
UNITS = ("polsek-balikpapan-selatan", "polsek-balikpapan-utara")


@pytest.fixture
def fake_forecast(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def risk_surface(unit: Unit, group: str, start: datetime, end: datetime) -> RiskSurface:
        calls.append(unit.code)
        return hand_surface(unit)

    monkeypatch.setattr("kamtibmas.forecasts.surface.risk_surface", risk_surface)
    return calls


@pytest.fixture
def two_units(db: Any, monkeypatch: pytest.MonkeyPatch) -> list[Unit]:
    """Only two Polsek plan (fast), no road file (the import is tested elsewhere)."""
    Unit.objects.filter(kind__in=(Unit.Kind.POLSEK, Unit.Kind.KSKP)).exclude(code__in=UNITS).update(
        is_active=False
    )
    monkeypatch.setattr(demo, "ROADS_FILE", Path("no", "such", "roads.geojson"))
    for code in UNITS:
        short = code.rsplit("-", 1)[-1]
        make_user(f"kapolsek.{short}", roles.COMMANDER, code, is_demo=True)
        make_user(f"patroli.{short}", roles.PATROL_OFFICER, code, is_demo=True)
    when = NOW - timedelta(days=10)
    Incident.objects.create(category="curanmor", lat=-1.2540, lon=116.9050, occurred_from=when)
    return list(Unit.objects.filter(code__in=UNITS))


def test_without_incidents_it_makes_teams_but_no_plans(
    two_units: list[Unit], fake_forecast: list[str]
) -> None:
    Incident.objects.all().delete()
    result = demo.load_demo_patrols(now=NOW, weeks=1)
    assert result.teams == 4 and result.plans_made == 0 and result.tonight.made == []
    assert PatrolPlan.objects.count() == 0 and fake_forecast == []


def test_it_makes_past_plans_with_visits_inside_their_shifts(
    two_units: list[Unit], fake_forecast: list[str]
) -> None:
    result = demo.load_demo_patrols(now=NOW, weeks=2)
    assert result.roads == "skipped"
    assert result.teams == 4
    assert all(t.members.exists() for t in PatrolTeam.objects.filter(unit__in=two_units))
    past = PatrolPlan.objects.filter(status=PlanStatus.CLOSED)
    assert result.plans_made == past.count() == 2 * len(demo.past_nights(NOW, 2))
    assert all(p.settings.get("demo") and p.end <= NOW and p.issued_at for p in past)
    visits = Visit.objects.filter(plan__in=past).select_related("plan")
    assert result.visits_made == visits.count() > 0
    assert all(v.plan.start <= v.arrived_at < v.left_at <= v.plan.end for v in visits)
    assert all(v.notes == demo.DEMO_NOTE for v in visits)
    planned = sum(s.planned_visits for p in past for s in p.stops.filter(team__isnull=False))
    assert 0.5 * planned < visits.count() < planned  # most visited, some missed
    minutes = [v.minutes_on_site or 0 for v in visits]
    assert any(m < 10 for m in minutes) and sum(m >= 10 for m in minutes) > len(minutes) / 2
    kinds = set(PatrolPlanEvent.objects.filter(plan__in=past).values_list("kind", flat=True))
    assert {"created", "issued", "closed"} <= kinds
    tonight = PatrolPlan.objects.filter(status=PlanStatus.DRAFT)
    assert len(result.tonight.made) == tonight.count() == 2
    assert {p.shift_key for p in tonight} == {"2026-12-01/malam"}


def test_it_adds_nothing_when_run_again(two_units: list[Unit], fake_forecast: list[str]) -> None:
    demo.load_demo_patrols(now=NOW, weeks=1)
    counts = (PatrolPlan.objects.count(), Visit.objects.count(), PatrolTeam.objects.count())
    events = PatrolPlanEvent.objects.count()
    again = demo.load_demo_patrols(now=NOW, weeks=1)
    assert (again.plans_made, again.visits_made, again.teams) == (0, 0, 0)
    assert again.plans_existing > 0 and len(again.tonight.existing) == 2
    assert (PatrolPlan.objects.count(), Visit.objects.count(), PatrolTeam.objects.count()) == (
        counts
    )
    assert PatrolPlanEvent.objects.count() == events


def test_nightly_drafts_wait_for_the_evening_and_keep_issued_plans(
    two_units: list[Unit], fake_forecast: list[str]
) -> None:
    assert nightly.run_nightly(datetime(2026, 12, 1, 14, 0, tzinfo=WITA)).made == []
    evening = datetime(2026, 12, 1, 19, 5, tzinfo=WITA)
    keys = [s.key for s in nightly.nightly_shifts(evening)]
    assert keys == ["2026-12-01/malam", "2026-12-02/pagi", "2026-12-02/siang"]
    first = nightly.run_nightly(evening)
    assert len(first.made) == 6 and not first.failed
    plan = PatrolPlan.objects.get(unit=two_units[0], shift_key="2026-12-01/malam")
    PatrolPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.ISSUED)
    stops = list(plan.stops.values_list("pk", "team_id", "order"))
    again = nightly.run_nightly(datetime(2026, 12, 1, 20, 5, tzinfo=WITA))
    assert again.made == [] and len(again.existing) == 6
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ISSUED and plan.version == 1
    assert list(plan.stops.values_list("pk", "team_id", "order")) == stops


def test_nightly_reports_a_unit_without_forecast_and_goes_on(
    two_units: list[Unit], monkeypatch: pytest.MonkeyPatch
) -> None:
    def risk_surface(unit: Unit, group: str, start: datetime, end: datetime) -> RiskSurface:
        if unit.code == UNITS[0]:
            raise ValueError("no incidents")
        return hand_surface(unit)

    monkeypatch.setattr("kamtibmas.forecasts.surface.risk_surface", risk_surface)
    shift = shift_by_key("2026-12-01/malam")
    assert shift is not None
    result = nightly.draft_all([shift])
    assert list(result.failed) == [f"{UNITS[0]} 2026-12-01/malam"]
    assert result.made == [f"{UNITS[1]} 2026-12-01/malam"]


def test_it_reads_the_stations_and_starts_routes_there(db: Any, fake_forecast: list[str]) -> None:
    assert stations.load_stations(shared_data("balikpapan", "police_sites_osm.geojson")) >= 3
    selatan = Unit.objects.get(code="polsek-balikpapan-selatan")
    assert selatan.station_lat == pytest.approx(-1.25397, abs=1e-4)
    assert Unit.objects.get(code="polsek-bandara-sepinggan").station_lon is not None
    assert Unit.objects.get(code="polsek-balikpapan-kota").station_lat is None
    shift = shift_by_key("2026-12-01/malam")
    assert shift is not None
    plan = nightly.draft_all([shift], units=[selatan])
    drafted = PatrolPlan.objects.get(unit=selatan, shift_key=shift.key)
    assert plan.made and drafted.settings["start"] == [selatan.station_lat, selatan.station_lon]
    firsts = drafted.stops.filter(team__isnull=False, order=1)
    assert firsts.exists() and all(s.travel_minutes_from_previous > 0 for s in firsts)


@pytest.mark.parametrize("share", [1.0, 0.5])
def test_it_keeps_part_of_the_shift_free_for_calls(db: Any, share: float) -> None:
    from kamtibmas.patrols.planning import PlanningOptions, propose

    unit = Unit.objects.get(code="polsek-balikpapan-selatan")
    surface = hand_surface(unit, hot=60)
    proposal = propose(surface, PlanningOptions(teams=2, hotspot_share=share, time_limit_s=1))
    horizon = proposal.horizon_min
    for team in (0, 1):
        stops = proposal.team_stops(team)
        work = sum(s.dosage_min * s.visits + (s.travel_min or 0) for s in stops)
        assert 0 < work <= share * horizon + 1
        assert all(0 <= a <= horizon for s in stops for a in s.arrivals_min)
    if share < 1:
        assert max(a for s in proposal.stops for a in s.arrivals_min) > horizon / 2


def test_the_stations_command_reads_a_file_and_refuses_a_bad_one(db: Any, tmp_path: Path) -> None:
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command(
        "patrol_stations", shared_data("balikpapan", "police_sites_osm.geojson"), stdout=out
    )
    assert "stations set for 4 units" in out.getvalue()
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not a GeoJSON file"):
        call_command("patrol_stations", str(bad))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("patrol_stations", str(tmp_path / "missing.geojson"))


def test_a_forecast_wider_than_the_shift_is_planned_for_the_shift(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from kamtibmas.patrols.services import draft_plan

    unit = Unit.objects.get(code="polsek-balikpapan-selatan")
    shift = shift_by_key("2026-12-03/malam")
    assert shift is not None
    week = dataclasses.replace(
        hand_surface(unit, hot=60), end=hand_surface(unit).start + timedelta(days=7)
    )
    monkeypatch.setattr("kamtibmas.forecasts.surface.risk_surface", lambda *a: week)
    plan = draft_plan(unit, shift, "3c").plan
    arrivals = [a for s in plan.stops.filter(team__isnull=False) for a in s.reason["arrivals_min"]]
    assert arrivals and max(arrivals) < 8 * 60


def test_adjusting_a_plan_keeps_the_drive_from_the_station(
    db: Any, fake_forecast: list[str]
) -> None:
    from kamtibmas.patrols import adjust

    stations.load_stations(shared_data("balikpapan", "police_sites_osm.geojson"))
    selatan = Unit.objects.get(code="polsek-balikpapan-selatan")
    shift = shift_by_key("2026-12-01/malam")
    assert shift is not None
    nightly.draft_all([shift], units=[selatan])
    plan = PatrolPlan.objects.get(unit=selatan, shift_key=shift.key)
    first = plan.stops.filter(team__isnull=False).order_by("team_id", "order").first()
    assert first is not None
    adjust.remove_stop(plan, first.pk, plan.version, None)
    new_first = plan.stops.filter(team_id=first.team_id, order=1).get()
    assert new_first.travel_minutes_from_previous > 0
    assert new_first.reason["arrivals_min"][0] >= new_first.travel_minutes_from_previous
