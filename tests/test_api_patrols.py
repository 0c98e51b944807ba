"""The patrols API (/api/v1/patrols/plans): staff keys only, scoped per unit like the pages,
drafts only for planners, stops in route order with visits and dosage, bad filters as 400."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import User
from kamtibmas.forecasts.shifts import WITA
from kamtibmas.geo.models import Kelurahan
from kamtibmas.patrols.models import PatrolPlan, PatrolStop, PatrolTeam, PlanStatus, Visit
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN, make_user
from tests.test_api_forecasts import assert_error, get
from tests.test_patrol_field import SELATAN, UTARA, make_plan

URL = "/api/v1/patrols/plans"
# Yesterday's shift at this hour: over, so its visits are all in.
START = timezone.now().replace(microsecond=0) - timedelta(days=1)


def visit(stop: PatrolStop | None, plan: PatrolPlan, officer: User, at: datetime,
          minutes: float | None) -> Visit:  # fmt: skip
    return Visit.objects.create(
        stop=stop, plan=plan, team=stop.team if stop else None, officer=officer,
        client_id=uuid.uuid4(), arrived_at=at,
        left_at=at + timedelta(minutes=minutes) if minutes is not None else None,
        contact_notes="Pak RT Canarius", notes="warung tutup",
    )  # fmt: skip


@pytest.fixture
def plans(db: Any) -> dict[str, PatrolPlan]:
    """Selatan: an issued 3C plan (team Sabhara 1, 3 places, visits) and a draft theft plan;
    Utara: an issued 3C plan."""
    patrol = make_user("samapta.selatan", roles.PATROL_OFFICER, SELATAN)
    team = PatrolTeam.objects.create(unit_id=patrol.unit_id, name="Sabhara 1")
    issued = make_plan(SELATAN, team=team, start=START)
    first, second, third = issued.stops.order_by("order")
    first.reason = {"arrivals_min": [30.0, 250.5]}
    first.planned_visits = 2
    first.path = [[-1.27, 116.86], [first.lat, first.lon]]
    first.kelurahan = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    first.save()
    PatrolStop.objects.filter(pk=third.pk).update(team=None, rank=9)  # a candidate
    visit(first, issued, patrol, issued.start + timedelta(minutes=35), 20)
    visit(second, issued, patrol, issued.start + timedelta(minutes=80), 5)
    visit(second, issued, patrol, issued.start + timedelta(minutes=200), None)
    visit(None, issued, patrol, issued.start + timedelta(minutes=300), 7.5)
    draft = make_plan(SELATAN, status=PlanStatus.DRAFT, group="theft", start=START)
    utara = make_plan(UTARA, kelurahan=UTARA_KELURAHAN, start=START)
    return {"issued": issued, "draft": draft, "utara": utara}


@pytest.fixture
def kapolsek(db: Any) -> User:
    return make_user("kapolsek.selatan", roles.COMMANDER, SELATAN)


def ids(user: User, **params: Any) -> set[int]:
    response = get(user, URL, **params)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == len(data["items"])
    return {item["id"] for item in data["items"]}


# ---- who sees what -------------------------------------------------------------------------


def test_it_needs_a_key_and_gives_a_resident_nothing(
    plans: dict[str, PatrolPlan], resident: User
) -> None:
    pk = plans["issued"].pk
    assert_error(get(None, URL), 401, "not_authenticated")
    assert_error(get(None, f"{URL}/{pk}"), 401, "not_authenticated")
    assert_error(get(resident, URL), 403, "forbidden")
    assert_error(get(resident, f"{URL}/{pk}"), 403, "forbidden")


def test_each_persona_sees_its_units_and_drafts_only_when_planning(
    plans: dict[str, PatrolPlan], commander_polres: User, kapolsek: User,
    officer_selatan: User, officer_utara: User,
) -> None:  # fmt: skip
    issued, draft, utara = plans["issued"].pk, plans["draft"].pk, plans["utara"].pk
    assert ids(commander_polres) == {issued, draft, utara}
    assert ids(kapolsek) == {issued, draft}
    assert ids(officer_selatan) == {issued}  # a desk officer does not plan: no drafts
    assert ids(officer_utara) == {utara}
    assert ids(officer_selatan, status="draft") == set()
    assert get(kapolsek, f"{URL}/{draft}").status_code == 200
    assert_error(get(officer_selatan, f"{URL}/{draft}"), 404, "not_found")


def test_another_polsek_gets_404(plans: dict[str, PatrolPlan], officer_utara: User) -> None:
    assert_error(get(officer_utara, f"{URL}/{plans['issued'].pk}"), 404, "not_found")
    assert_error(get(officer_utara, f"{URL}/999999"), 404, "not_found")
    assert_error(get(officer_utara, f"{URL}/{'9' * 30}"), 404, "not_found")
    data = assert_error(get(officer_utara, f"{URL}/satu"), 400, "invalid")
    assert list(data["fields"]) == ["plan_id"]


def test_a_cancelled_plan_is_gone(plans: dict[str, PatrolPlan], commander_polres: User) -> None:
    PatrolPlan.objects.filter(pk=plans["utara"].pk).update(status=PlanStatus.CANCELLED)
    assert plans["utara"].pk not in ids(commander_polres)
    assert_error(get(commander_polres, f"{URL}/{plans['utara'].pk}"), 404, "not_found")


# ---- shapes --------------------------------------------------------------------------------


def test_the_list_item_has_shift_window_status_and_teams(
    plans: dict[str, PatrolPlan], officer_selatan: User
) -> None:
    plan = plans["issued"]
    item = get(officer_selatan, URL).json()["items"][0]
    assert set(item) == {
        "id", "unit", "shift", "group", "status", "version", "forecast_run_id", "model_name",
        "created_at", "issued_at", "teams", "stop_count",
    }  # fmt: skip
    assert item["unit"]["code"] == SELATAN and item["status"] == "issued"
    assert item["shift"] == {
        "key": plan.shift_key,
        "name": plan.shift_name,
        "start": plan.start.astimezone(WITA).isoformat(),
        "end": plan.end.astimezone(WITA).isoformat(),
    }
    assert item["shift"]["start"].endswith("+08:00")
    team = PatrolTeam.objects.get(name="Sabhara 1")
    assert item["teams"] == [{"id": team.pk, "name": "Sabhara 1"}] and item["stop_count"] == 2


def test_the_detail_has_stops_in_order_with_visits_and_dosage(
    plans: dict[str, PatrolPlan], officer_selatan: User
) -> None:
    plan = plans["issued"]
    response = get(officer_selatan, f"{URL}/{plan.pk}")
    assert response.status_code == 200, response.content
    data = response.json()
    stops = data["stops"]
    assert [s["place"] for s in stops] == ["Tempat 1", "Tempat 2", "Tempat 3"]
    first, second, candidate = stops
    assert first["team"]["name"] == "Sabhara 1" and candidate["team"] is None
    assert first["kelurahan"] == Kelurahan.objects.get(code=SELATAN_KELURAHAN).name
    assert first["dosage_minutes"] == 15 and first["planned_visits"] == 2
    start = plan.start.astimezone(WITA)
    assert first["planned_arrivals"] == [
        (start + timedelta(minutes=30)).isoformat(),
        (start + timedelta(minutes=250.5)).isoformat(),
    ]
    assert first["visits"] == [
        {
            "arrived_at": (start + timedelta(minutes=35)).isoformat(),
            "left_at": (start + timedelta(minutes=55)).isoformat(),
            "minutes": 20.0,
        }
    ]
    assert first["dosage"] == {
        "planned_minutes": 30, "actual_minutes": 20.0, "visits_planned": 2, "visits_made": 1,
        "open_visits": 0, "covered": True,
    }  # fmt: skip
    assert [v["minutes"] for v in second["visits"]] == [5.0, None]
    assert second["dosage"]["covered"] is False and second["dosage"]["open_visits"] == 1
    assert candidate["visits"] == [] and candidate["dosage"]["planned_minutes"] == 0
    assert data["unplanned_visits"][0]["minutes"] == 7.5
    assert data["dosage"] == {
        "planned_minutes": 45, "actual_minutes": 25.0, "visits_planned": 3, "visits_made": 3,
        "places": 2, "places_visited": 2, "top_places": 2, "top_covered": 1, "coverage": 0.5,
        "unplanned_visits": 1, "unplanned_minutes": 7.5,
    }  # fmt: skip


def test_the_detail_has_route_lines_and_no_personal_data(
    plans: dict[str, PatrolPlan], commander_polres: User
) -> None:
    plan = plans["issued"]
    response = get(commander_polres, f"{URL}/{plan.pk}")
    (route,) = response.json()["routes"]
    first, second = plan.stops.filter(team__isnull=False).order_by("order")
    assert route["team"]["name"] == "Sabhara 1" and route["on_roads"] is True
    assert route["geometry"] == {
        "type": "LineString",
        "coordinates": [[116.86, -1.27], [first.lon, first.lat], [second.lon, second.lat]],
    }
    text = response.content.decode()
    assert "Canarius" not in text and "warung tutup" not in text and "samapta" not in text


# ---- filters, errors, pagination ------------------------------------------------------------


def test_it_filters_by_unit_date_shift_status_and_group(
    plans: dict[str, PatrolPlan], commander_polres: User
) -> None:
    issued, draft, utara = plans["issued"], plans["draft"], plans["utara"]
    everything = {issued.pk, draft.pk, utara.pk}
    day, shift = issued.shift_key.split("/")
    assert ids(commander_polres, unit=UTARA) == {utara.pk}
    assert ids(commander_polres, unit="polres-balikpapan") == everything
    assert ids(commander_polres, date=day, shift=shift) == everything
    other = next(s for s in ("pagi", "siang", "malam") if s != shift)
    assert ids(commander_polres, shift=other) == set()
    next_day = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    assert ids(commander_polres, date=next_day) == set()
    assert ids(commander_polres, status="issued") == {issued.pk, utara.pk}
    assert ids(commander_polres, status="draft", group="theft") == {draft.pk}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"unit": "polsek-atlantis"}, "unit"),
        ({"unit": "x" * 500}, "unit"),
        ({"date": "1 Desember"}, "date"),
        ({"date": "2026-02-30"}, "date"),
        ({"shift": "subuh"}, "shift"),
        ({"status": "cancelled"}, "status"),
        ({"group": "3C!"}, "group"),
        ({"limit": "500"}, "limit"),
        ({"offset": "x"}, "offset"),
    ],
)
def test_bad_parameters_give_400_naming_the_field(
    plans: dict[str, PatrolPlan], commander_polres: User, params: dict[str, str], field: str
) -> None:
    data = assert_error(get(commander_polres, URL, **params), 400, "invalid")
    assert list(data["fields"]) == [field] and data["fields"][field][0]


def test_a_polsek_may_not_filter_on_another_unit(
    plans: dict[str, PatrolPlan], officer_selatan: User
) -> None:
    data = assert_error(get(officer_selatan, URL, unit=UTARA, lang="en"), 400, "invalid")
    assert data["fields"]["unit"] == ["Unknown unit, or not one of your units."]
    bad_date = get(officer_selatan, URL, date="besok").json()
    assert bad_date["fields"]["date"] == ["Masukkan tanggal seperti 2026-12-01."]


def test_it_pages_newest_shift_first(plans: dict[str, PatrolPlan], commander_polres: User) -> None:
    older = make_plan(SELATAN, start=START - timedelta(days=3), group="narcotics")
    pages = [get(commander_polres, URL, limit=2, offset=k).json() for k in (0, 2, 4)]
    assert [p["count"] for p in pages] == [4, 4, 4]
    seen = [item["id"] for p in pages for item in p["items"]]
    assert len(seen) == 4 and set(seen) == {*(p.pk for p in plans.values()), older.pk}
    assert seen[-1] == older.pk and pages[2]["items"] == []


def test_the_openapi_schema_lists_the_patrol_paths(db: Any) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    for path in (URL, f"{URL}/{{plan_id}}"):
        operation = schema["paths"][path]["get"]
        assert operation["tags"] == ["patrols"]
        assert {"200", "400", "401", "403", "404"} <= set(operation["responses"])
    names = {p["name"] for p in schema["paths"][URL]["get"]["parameters"]}
    assert {"unit", "date", "shift", "status", "group", "limit", "offset"} <= names
