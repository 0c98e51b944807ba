"""Patrol planning: drafting plans from a hand-made risk surface, commander adjustments with
optimistic locking and audit, issuing, scoping of the pages, the PDF sheet, road networks and
the `patrol plan` / `patrol roads` commands."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from kamtibmas.accounts import roles
from kamtibmas.forecasts.data import unit_area
from kamtibmas.forecasts.shifts import WITA, shift_by_key
from kamtibmas.forecasts.surface import RiskSurface
from kamtibmas.geo import lookup
from kamtibmas.geo.models import Unit
from kamtibmas.patrols import adjust, planning, services
from kamtibmas.patrols import network as network_module
from kamtibmas.patrols.forms import tonight
from kamtibmas.patrols.models import (
    PatrolPlan,
    PatrolPlanEvent,
    PatrolStop,
    PatrolTeam,
    PlanStatus,
    RoadNetwork,
    Visit,
)
from tests.conftest import make_user, shared_data

SELATAN = "polsek-balikpapan-selatan"
KOTA = "polsek-balikpapan-kota"
SHIFT_KEY = "2026-12-01/malam"
ROADS = ("balikpapan", "roads_kecamatan_balikpapan_kota_osm.geojson")


def hand_surface(unit: Unit, hot: int = 12, seed: int = 5, near: Any = None) -> RiskSurface:
    """A surface over the unit's real grid with ``hot`` positive cells inside its area (and
    covered by the road network ``near`` when given)."""
    area = unit_area(unit)
    assert area is not None
    shift = shift_by_key(SHIFT_KEY)
    assert shift is not None
    rng = np.random.default_rng(seed)
    allowed = area.mask.copy()
    if near is not None:
        xx, yy = np.meshgrid(area.grid.x_centers, area.grid.y_centers)
        allowed &= near.covers(xx.ravel(), yy.ravel()).reshape(area.grid.shape)
    inside = np.argwhere(allowed)
    picks = inside[rng.choice(len(inside), size=min(hot, len(inside)), replace=False)]
    scores = np.zeros(area.grid.shape)
    for rank, (i, j) in enumerate(picks):
        scores[i, j] = 1.0 + (len(picks) - rank)
    return RiskSurface(
        area.grid,
        scores,
        area.mask,
        unit.pk,
        "3c",
        shift.start,
        shift.end,
        "hand-made",
        run_id=None,
    )


@pytest.fixture
def selatan(db: Any) -> Unit:
    return Unit.objects.get(code=SELATAN)


@pytest.fixture
def kapolsek(db: Any) -> Any:
    return make_user("kapolsek.selatan", roles.COMMANDER, SELATAN)


@pytest.fixture
def patrol_selatan(db: Any) -> Any:
    return make_user("samapta.selatan", roles.PATROL_OFFICER, SELATAN)


@pytest.fixture
def fake_forecast(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Views and commands get the hand-made surface instead of a real forecast."""
    calls: list[str] = []

    def risk_surface(unit: Unit, group: str, start: datetime, end: datetime) -> RiskSurface:
        calls.append(unit.code)
        return hand_surface(unit)

    monkeypatch.setattr("kamtibmas.forecasts.surface.risk_surface", risk_surface)
    return calls


def draft(unit: Unit, user: Any = None, **kwargs: Any) -> PatrolPlan:
    shift = shift_by_key(SHIFT_KEY)
    assert shift is not None
    kwargs.setdefault("surface", hand_surface(unit))
    return services.draft_plan(unit, shift, "3c", user, **kwargs).plan


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ---- the planner ----------------------------------------------------------------------------


def test_it_merges_adjacent_hot_cells_into_one_place(selatan: Unit) -> None:
    surface = hand_surface(selatan, hot=0)
    scores = surface.scores.copy()
    i, j = map(int, np.argwhere(surface.mask)[len(np.argwhere(surface.mask)) // 2])
    scores[i, j], scores[i, j + 1], scores[i + 5, j + 5] = 5.0, 4.0, 3.0
    merged = RiskSurface(
        surface.grid,
        scores,
        np.ones_like(surface.mask),
        selatan.pk,
        "3c",
        surface.start,
        surface.end,
        "t",
    )
    places = planning.micro_places(merged, 5)
    assert [p.cells for p in places] == [[(i, j), (i, j + 1)], [(i + 5, j + 5)]]
    assert places[0].score == 9.0
    # The centre is pulled toward the hotter cell.
    assert surface.grid.x_centers[j] < places[0].x < surface.grid.x_centers[j] + 75


def test_it_routes_every_team_within_the_shift_and_returns_to_the_top_places(
    selatan: Unit,
) -> None:
    surface = hand_surface(selatan, hot=60)
    proposal = planning.propose(surface, planning.PlanningOptions(teams=2))
    assert proposal.candidates, "60 places cannot all fit two 8-hour shifts"
    routed = [s for s in proposal.stops if s.team is not None]
    assert {s.team for s in routed} == {0, 1}
    assert min(s.place.rank for s in proposal.candidates) > 1
    for team in (0, 1):
        stops = proposal.team_stops(team)
        assert [s.order for s in stops] == list(range(1, len(stops) + 1))
        last = max(a for s in stops for a in s.arrivals_min)
        assert last + 15 <= 480
    top = next(s for s in routed if s.place.rank == 1)
    assert top.visits == 2 and len(top.arrivals_min) == 2
    assert top.arrivals_min[0] <= 120 and 240 <= top.arrivals_min[1] <= 360


def test_it_refuses_a_dosage_outside_ten_to_fifteen_minutes() -> None:
    with pytest.raises(ValueError, match="10-15"):
        planning.PlanningOptions(dosage_min=30)


def test_tonight_is_the_running_night_shift_in_the_small_hours() -> None:
    assert tonight(datetime(2026, 12, 2, 3, 0, tzinfo=WITA)).key == "2026-12-01/malam"
    assert tonight(datetime(2026, 12, 2, 15, 0, tzinfo=WITA)).key == "2026-12-02/malam"
    assert tonight(datetime(2026, 12, 2, 22, 30, tzinfo=WITA)).key == "2026-12-02/malam"


# ---- drafting -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Service messages are checked in English (pages answer in Indonesian first)."""
    with translation.override("en"):
        yield


@pytest.mark.django_db
def test_it_drafts_a_plan_with_teams_stops_and_an_audit_row(selatan: Unit, kapolsek: Any) -> None:
    plan = draft(selatan, kapolsek, teams=3)
    assert plan.status == PlanStatus.DRAFT and plan.shift_name == "malam"
    assert plan.start == datetime(2026, 12, 1, 22, tzinfo=WITA)
    assert list(PatrolTeam.objects.filter(unit=selatan).values_list("name", flat=True)) == [
        "Tim 1",
        "Tim 2",
        "Tim 3",
    ]
    stops = list(plan.stops.filter(team__isnull=False))
    assert len(stops) == 12  # twelve hot cells, all fit
    for stop in stops:
        area = lookup.locate(stop.lat, stop.lon)
        assert area is not None and area.unit_id == selatan.pk
        assert stop.kelurahan_id == area.kelurahan_id and area.kelurahan_name in stop.label
        assert stop.planned_minutes == 15
    assert plan.stops.get(rank=1).planned_visits == 2
    [event] = PatrolPlanEvent.objects.filter(plan=plan)
    assert event.kind == "created" and event.actor == kapolsek and event.details["stops"] == 12


@pytest.mark.django_db
def test_asking_again_returns_the_same_plan_unless_rebuilt(selatan: Unit) -> None:
    first = draft(selatan)
    shift = shift_by_key(SHIFT_KEY)
    assert shift is not None
    again = services.draft_plan(selatan, shift, "3c", surface=hand_surface(selatan, seed=9))
    assert again.plan.pk == first.pk and not again.created
    assert PatrolPlan.objects.count() == 1 and first.events.count() == 1
    rebuilt = services.draft_plan(
        selatan, shift, "3c", rebuild=True, surface=hand_surface(selatan, seed=9)
    )
    assert rebuilt.plan.pk == first.pk and rebuilt.rebuilt and not rebuilt.created
    rebuilt.plan.refresh_from_db()
    assert rebuilt.plan.version == first.version + 1
    assert list(first.events.values_list("kind", flat=True)) == ["created", "rebuilt"]


@pytest.mark.django_db
def test_it_refuses_bad_requests_with_messages(selatan: Unit, kapolsek: Any) -> None:
    shift = shift_by_key(SHIFT_KEY)
    assert shift is not None
    with pytest.raises(services.PlanError, match="crime group"):
        services.draft_plan(selatan, shift, "nope", surface=hand_surface(selatan))
    with pytest.raises(services.PlanError, match="Polsek"):
        services.draft_plan(Unit.objects.get(code="polres-balikpapan"), shift, "3c")
    plan = draft(selatan)
    stop = plan.stops.filter(team__isnull=False).first()
    assert stop is not None
    Visit.objects.create(
        stop=stop,
        plan=plan,
        team=stop.team,
        officer=kapolsek,
        client_id=uuid.uuid4(),
        arrived_at=plan.start,
    )
    with pytest.raises(services.PlanError, match="Visits"):
        services.draft_plan(selatan, shift, "3c", rebuild=True, surface=hand_surface(selatan))
    adjust.issue(plan, plan.version, kapolsek)
    with pytest.raises(services.PlanError, match="issued"):
        services.draft_plan(selatan, shift, "3c", rebuild=True, surface=hand_surface(selatan))


# ---- adjustments ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_commander_adjusts_a_draft_and_each_change_is_audited(
    selatan: Unit, kapolsek: Any
) -> None:
    plan = draft(selatan, kapolsek, teams=2)
    team1, team2 = PatrolTeam.objects.filter(unit=selatan).order_by("name")
    stop = plan.stops.filter(team=team1).order_by("order").first()
    assert stop is not None
    adjust.remove_stop(plan, stop.pk, plan.version, kapolsek)
    stop.refresh_from_db()
    assert stop.team is None
    orders = list(plan.stops.filter(team=team1).order_by("order").values_list("order", flat=True))
    assert orders == list(range(1, len(orders) + 1))

    adjust.add_stop(plan, stop.pk, team2.pk, plan.version, kapolsek)
    stop.refresh_from_db()
    assert stop.team == team2 and stop.added_by_commander

    adjust.set_dosage(plan, stop.pk, 10, 3, plan.version, kapolsek)
    stop.refresh_from_db()
    assert (stop.planned_minutes, stop.planned_visits) == (10, 3)

    adjust.move_stop(plan, stop.pk, team1.pk, plan.version, kapolsek)
    stop.refresh_from_db()
    assert stop.team == team1

    first = plan.stops.filter(team=team1).order_by("order").first()
    assert first is not None
    adjust.shift_order(plan, first.pk, 1, plan.version, kapolsek)
    first.refresh_from_db()
    assert first.order == 2
    adjust.reroute(plan, plan.version, kapolsek)
    kinds = list(plan.events.values_list("kind", flat=True))
    assert kinds == [
        "created",
        "stop_removed",
        "stop_added",
        "dosage",
        "team",
        "stop_moved",
        "rerouted",
    ]
    assert plan.version == 7 and all(e.actor == kapolsek for e in plan.events.all()[1:])


@pytest.mark.django_db
def test_a_stale_version_or_an_issued_plan_is_refused(selatan: Unit, kapolsek: Any) -> None:
    plan = draft(selatan, kapolsek)
    stop = plan.stops.filter(team__isnull=False).first()
    assert stop is not None
    seen = plan.version
    adjust.set_dosage(plan, stop.pk, 12, 1, seen, kapolsek)
    with pytest.raises(adjust.StaleVersion):
        adjust.remove_stop(plan, stop.pk, seen, kapolsek)
    stop.refresh_from_db()
    assert stop.team_id is not None
    with pytest.raises(services.PlanError, match="10 to 15"):
        adjust.set_dosage(plan, stop.pk, 30, 1, plan.version, kapolsek)
    adjust.issue(plan, plan.version, kapolsek)
    assert plan.status == PlanStatus.ISSUED and plan.issued_by == kapolsek
    with pytest.raises(services.PlanError, match="issued"):
        adjust.remove_stop(plan, stop.pk, plan.version, kapolsek)
    assert list(plan.events.values_list("kind", flat=True)) == ["created", "dosage", "issued"]


# ---- pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_commander_drafts_tonights_plan_from_the_overview(
    kapolsek: Any, fake_forecast: list[str]
) -> None:
    client = client_for(kapolsek)
    page = client.get("/petugas/patroli/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Polsek Balikpapan Selatan" in html and "Polsek Balikpapan Utara" not in html
    shift = tonight()
    response = client.post(
        "/petugas/patroli/rencana/buat/",
        {"unit": SELATAN, "shift": shift.key, "group": "3c", "teams": "2"},
    )
    plan = PatrolPlan.objects.get()
    assert response.status_code == 302 and response.url == f"/petugas/patroli/rencana/{plan.pk}/"
    assert plan.shift_key == shift.key and fake_forecast == [SELATAN]
    detail = client.get(response.url)
    assert detail.status_code == 200
    assert 'id="plan-map-data"' in detail.content.decode()
    assert "Tim 1" in detail.content.decode()


@pytest.mark.django_db
def test_bad_page_input_gives_messages_not_errors(kapolsek: Any, selatan: Unit) -> None:
    client = client_for(kapolsek)
    page = client.get("/petugas/patroli/?shift=2026-13-45/malam&group=zzz")
    assert page.status_code == 200
    response = client.post(
        "/petugas/patroli/rencana/buat/",
        {"unit": SELATAN, "shift": "yesterday-ish", "group": "3c"},
        follow=True,
    )
    assert response.status_code == 200 and "YYYY-MM-DD/nama" in response.content.decode()
    response = client.post(
        "/petugas/patroli/rencana/buat/",
        {"unit": "polsek-atlantis", "shift": SHIFT_KEY, "group": "3c"},
        follow=True,
    )
    assert response.status_code == 200 and b'class="msg-error"' in response.content
    assert not PatrolPlan.objects.exists()
    plan = draft(selatan, kapolsek)
    stop = plan.stops.filter(team__isnull=False).first()
    assert stop is not None
    url = f"/petugas/patroli/rencana/{plan.pk}/ubah/"
    for data in (
        {"action": "remove", "stop": stop.pk, "version": plan.version - 1},
        {"action": "remove", "stop": "abc", "version": plan.version},
        {"action": "explode", "version": plan.version},
        {"action": "dosage", "stop": stop.pk, "minutes": "x", "visits": 1, "version": plan.version},
        {"action": "remove", "stop": stop.pk},
    ):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert b'class="msg-error"' in response.content, data
    stop.refresh_from_db()
    assert stop.team_id is not None and plan.events.count() == 1


@pytest.mark.django_db
def test_plans_are_scoped_to_the_unit_and_drafts_to_the_planners(
    selatan: Unit,
    kapolsek: Any,
    patrol_selatan: Any,
    officer_utara: Any,
    resident: Any,
    commander_polres: Any,
) -> None:
    plan = draft(selatan, kapolsek)
    url = f"/petugas/patroli/rencana/{plan.pk}/"
    assert client_for(patrol_selatan).get(url).status_code == 404  # a draft
    assert client_for(commander_polres).get(url).status_code == 200
    assert client_for(officer_utara).get(url).status_code == 404
    assert client_for(resident).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    # A patrol officer may not change the plan, nor draft one.
    change = client_for(patrol_selatan).post(url + "ubah/", {"action": "issue", "version": 1})
    assert change.status_code == 404
    made = client_for(patrol_selatan).post(
        "/petugas/patroli/rencana/buat/", {"unit": SELATAN, "shift": SHIFT_KEY, "group": "3c"}
    )
    assert made.status_code == 403
    adjust.issue(plan, plan.version, kapolsek)
    assert client_for(patrol_selatan).get(url).status_code == 200
    assert client_for(officer_utara).get(url).status_code == 404
    assert (
        client_for(patrol_selatan)
        .post(url + "ubah/", {"action": "reroute", "version": plan.version})
        .status_code
        == 403
    )


@pytest.mark.django_db
def test_the_printable_sheet_is_a_pdf_per_plan_and_per_team(selatan: Unit, kapolsek: Any) -> None:
    plan = draft(selatan, kapolsek, teams=2)
    client = client_for(kapolsek)
    whole = client.get(f"/petugas/patroli/rencana/{plan.pk}/lembar.pdf")
    assert whole.status_code == 200 and whole["Content-Type"] == "application/pdf"
    assert whole.content.startswith(b"%PDF") and whole.content.count(b"/Type /Page\n") >= 2
    team = PatrolTeam.objects.filter(unit=selatan).first()
    assert team is not None
    one = client.get(f"/petugas/patroli/rencana/{plan.pk}/lembar.pdf?tim={team.pk}")
    assert one.status_code == 200 and one.content.count(b"/Type /Page\n") == 1
    other = client.get(f"/petugas/patroli/rencana/{plan.pk}/lembar.pdf?tim=999999", follow=True)
    assert other.status_code == 200 and b'class="msg-error"' in other.content


# ---- road network and commands ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_plan_in_balikpapan_kota_follows_the_imported_roads(kapolsek: Any) -> None:
    out = io.StringIO()
    call_command("patrol_roads", "import", shared_data(*ROADS), "--name", "kota", stdout=out)
    assert re.search(
        r"imported 'kota': \d+ directed segments, \d+ nodes, [\d.]+ km²", out.getvalue()
    )
    network = RoadNetwork.objects.get()
    assert network.is_active and network.edge_count > 2000
    kota = Unit.objects.get(code=KOTA)
    loaded = network_module.active_network()
    assert loaded is not None
    plan = draft(kota, surface=hand_surface(kota, hot=8, near=loaded))
    assert plan.settings["road_network"] == "kota"
    stops = list(plan.stops.filter(team__isnull=False).order_by("team_id", "order"))
    with_path = [s for s in stops if s.order > 1]
    assert with_path and all(len(s.path) >= 2 for s in with_path)
    assert any(s.label.startswith("Jalan") for s in stops)
    listing = io.StringIO()
    call_command("patrol_roads", "list", stdout=listing)
    assert "kota:" in listing.getvalue() and "(active)" in listing.getvalue()


@pytest.mark.django_db
def test_the_roads_command_rejects_bad_files(tmp_path: Any) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"geometry": {"type": "Point", "coordinates": [1, 2]}}]}'
    )
    with pytest.raises(CommandError, match="LineString"):
        call_command("patrol_roads", "import", str(bad))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("patrol_roads", "import", str(tmp_path / "missing.geojson"))
    assert not RoadNetwork.objects.exists()


@pytest.mark.django_db
def test_the_plan_command_drafts_each_polsek_once(fake_forecast: list[str]) -> None:
    out = io.StringIO()
    call_command("patrol_plan", "--unit", SELATAN, "--shift", SHIFT_KEY, "--teams", "2", stdout=out)
    assert re.search(
        rf"made #\d+ {SELATAN} {SHIFT_KEY} 3c draft: 12 places, 2 teams", out.getvalue()
    )
    again = io.StringIO()
    call_command("patrol_plan", "--unit", SELATAN, "--shift", SHIFT_KEY, stdout=again)
    assert "exists #" in again.getvalue() and PatrolPlan.objects.count() == 1
    with pytest.raises(CommandError, match="unknown shift"):
        call_command("patrol_plan", "--unit", SELATAN, "--shift", "2026-12-01/siesta")
    with pytest.raises(CommandError, match="no active Polsek"):
        call_command("patrol_plan", "--unit", "nowhere", "--shift", SHIFT_KEY)
    assert PatrolStop.objects.filter(plan__unit__code=SELATAN).exists()


@pytest.mark.django_db
def test_a_plan_without_risk_has_no_places_and_cannot_be_issued(
    selatan: Unit, kapolsek: Any
) -> None:
    plan = draft(selatan, kapolsek, surface=hand_surface(selatan, hot=0))
    assert not plan.stops.exists() and plan.settings["solver"] == "no_places"
    client = client_for(kapolsek)
    page = client.get(f"/petugas/patroli/rencana/{plan.pk}/")
    assert page.status_code == 200
    sheet = client.get(f"/petugas/patroli/rencana/{plan.pk}/lembar.pdf")
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    issued = client.post(
        f"/petugas/patroli/rencana/{plan.pk}/ubah/",
        {"action": "issue", "version": plan.version},
        follow=True,
    )
    assert b'class="msg-error"' in issued.content
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
