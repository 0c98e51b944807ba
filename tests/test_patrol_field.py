"""The officer's phone page and its sync: idempotent actions, validation per action, scoping,
incidents filed into the report workflow; the dosage report's numbers checked by hand."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import AuditEvent, User
from kamtibmas.forecasts.shifts import shift_at
from kamtibmas.geo.models import Unit
from kamtibmas.patrols.models import PatrolPlan, PatrolStop, PatrolTeam, PlanStatus, Visit
from kamtibmas.reports.models import Channel, Report
from tests.conftest import CANARY_NAME, SELATAN_KELURAHAN, UTARA_KELURAHAN, make_user, point_in

SELATAN = "polsek-balikpapan-selatan"
UTARA = "polsek-balikpapan-utara"
SYNC = "/petugas/patroli/sinkron/"


def make_plan(unit_code: str, *, places: int = 3, status: str = PlanStatus.ISSUED,
              start: datetime | None = None, group: str = "3c", team: PatrolTeam | None = None,
              kelurahan: str = SELATAN_KELURAHAN) -> PatrolPlan:  # fmt: skip
    """An issued plan of the current shift (or from ``start``, 8 hours) with ``places`` stops."""
    unit = Unit.objects.get(code=unit_code)
    shift = shift_at(start or timezone.now())
    plan = PatrolPlan.objects.create(
        unit=unit, shift_key=shift.key, shift_name=shift.name, start=shift.start,
        end=shift.end, group=group, status=status,
    )  # fmt: skip
    lat, lon = point_in(kelurahan)
    for k in range(places):
        PatrolStop.objects.create(
            plan=plan, team=team, order=k, lat=lat + 0.001 * k, lon=lon, label=f"Tempat {k + 1}",
            rank=k + 1, planned_minutes=15,
        )  # fmt: skip
    return plan


@pytest.fixture
def patrol_selatan(db: Any) -> User:
    return make_user("samapta.selatan", roles.PATROL_OFFICER, SELATAN)


@pytest.fixture
def patrol_utara(db: Any) -> User:
    return make_user("samapta.utara", roles.PATROL_OFFICER, UTARA)


@pytest.fixture
def team_selatan(patrol_selatan: User) -> PatrolTeam:
    team = PatrolTeam.objects.create(unit=Unit.objects.get(code=SELATAN), name="Sabhara 1")
    team.members.add(patrol_selatan)
    return team


@pytest.fixture
def plan_selatan(team_selatan: PatrolTeam) -> PatrolPlan:
    return make_plan(SELATAN, team=team_selatan)


def client_for(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies["django_language"] = "en"  # messages checked in English
    client.force_login(user)
    client.get("/petugas/patroli/tugas/")  # sets the CSRF cookie
    return client


def post_actions(client: Client, actions: list[dict[str, Any]]) -> Any:
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return client.post(
        SYNC, data=json.dumps({"actions": actions}), content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )  # fmt: skip


def arrive(plan: PatrolPlan, stop: PatrolStop | None, at: datetime, **extra: Any) -> dict:
    return {
        "id": str(uuid.uuid4()), "type": "arrive", "visit": str(uuid.uuid4()), "plan": plan.pk,
        "stop": stop.pk if stop else None, "at": at.isoformat(), "lat": -1.27, "lon": 116.86,
        "accuracy_m": 12.0, **extra,
    }  # fmt: skip


def leave(visit: str, at: datetime) -> dict:
    return {"id": str(uuid.uuid4()), "type": "leave", "visit": visit, "at": at.isoformat()}


def statuses(response: Any) -> list[str]:
    return [r["status"] for r in response.json()["results"]]


# ---- sync ---------------------------------------------------------------------------------


def test_it_applies_arrived_and_left_once_even_when_resent(patrol_selatan, plan_selatan):
    client = client_for(patrol_selatan)
    stop = plan_selatan.stops.first()
    now = timezone.now().replace(microsecond=0)
    a = arrive(plan_selatan, stop, now - timedelta(minutes=20))
    b = leave(a["visit"], now - timedelta(minutes=5))
    first = post_actions(client, [a, b])
    again = post_actions(client, [a, b])  # the answer was lost: the phone sends it all again
    assert first.status_code == 200 and statuses(first) == ["applied", "applied"]
    assert statuses(again) == ["duplicate", "duplicate"]
    visit = Visit.objects.get()
    assert str(visit.client_id) == a["visit"] and visit.stop == stop
    assert visit.team == stop.team and visit.officer == patrol_selatan
    assert visit.arrived_at == now - timedelta(minutes=20)
    assert visit.minutes_on_site == 15.0 and visit.arrived_accuracy_m == 12.0
    assert visit.left_lat is None  # left without a GPS fix
    actions = list(AuditEvent.objects.filter(object_type="visit").values_list("action", flat=True))
    assert sorted(actions) == ["patrol_visit_arrived", "patrol_visit_left"]


def test_it_rejects_a_visit_to_another_units_plan_and_applies_the_rest(
    patrol_selatan, plan_selatan
):
    plan_utara = make_plan(UTARA, kelurahan=UTARA_KELURAHAN)
    client = client_for(patrol_selatan)
    now = timezone.now()
    good = arrive(plan_selatan, plan_selatan.stops.first(), now)
    foreign = arrive(plan_utara, plan_utara.stops.first(), now)
    response = post_actions(client, [foreign, good])
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert "not one of your unit" in results[0]["message"]
    assert Visit.objects.count() == 1 and Visit.objects.get().plan == plan_selatan


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"at": "kemarin"}, "not valid"),
        ({"at": "2026-01-01T10:00:00"}, "not valid"),  # no time zone
        ({"at": "2999-01-01T10:00:00+08:00"}, "future"),
        ({"visit": "not-a-uuid"}, "UUID"),
        ({"plan": "x"}, "whole number"),
        ({"stop": 999999}, "not in the patrol plan"),
        ({"lat": 200.0}, "GPS"),
        ({"lat": "abc"}, "GPS"),
        ({"type": "teleport"}, "Unknown action"),
    ],
)
def test_it_rejects_bad_actions_with_a_message(patrol_selatan, plan_selatan, change, message):
    client = client_for(patrol_selatan)
    action = {**arrive(plan_selatan, plan_selatan.stops.first(), timezone.now()), **change}
    response = post_actions(client, [action])
    result = response.json()["results"][0]
    assert response.status_code == 200 and result["status"] == "rejected"
    assert message in result["message"]
    assert not Visit.objects.exists()


def test_it_rejects_times_outside_the_shift_and_a_leave_before_arrival(
    patrol_selatan, plan_selatan
):
    client = client_for(patrol_selatan)
    stop = plan_selatan.stops.first()
    early = arrive(plan_selatan, stop, plan_selatan.start - timedelta(hours=5))
    ok = arrive(plan_selatan, stop, timezone.now() - timedelta(minutes=1))
    back = leave(ok["visit"], timezone.now() - timedelta(minutes=30))
    unknown = leave(str(uuid.uuid4()), timezone.now())
    assert statuses(post_actions(client, [early, ok, back, unknown])) == [
        "rejected", "applied", "rejected", "rejected",
    ]  # fmt: skip


def test_it_answers_a_malformed_request_with_a_message_not_a_500(patrol_selatan, plan_selatan):
    client = client_for(patrol_selatan)
    token = client.cookies["csrftoken"].value
    bad_json = client.post(SYNC, data="{nope", content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)  # fmt: skip
    not_list = client.post(SYNC, data='{"actions": 3}', content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)  # fmt: skip
    odd_items = post_actions(client, [3, None, {"id": "x"}])  # type: ignore[list-item]
    assert bad_json.status_code == 400 and "JSON" in bad_json.json()["error"]
    assert not_list.status_code == 400 and "list" in not_list.json()["error"]
    assert statuses(odd_items) == ["rejected", "rejected", "rejected"]


def test_the_sync_endpoint_needs_a_login_a_field_role_and_csrf(
    patrol_selatan, officer_selatan, plan_selatan
):
    action = arrive(plan_selatan, None, timezone.now())
    body = json.dumps({"actions": [action]})
    assert Client().post(SYNC, body, content_type="application/json").status_code == 401
    desk = Client()
    desk.force_login(officer_selatan)
    assert desk.post(SYNC, body, content_type="application/json").status_code == 403
    no_token = Client(enforce_csrf_checks=True)
    no_token.force_login(patrol_selatan)
    assert no_token.post(SYNC, body, content_type="application/json").status_code == 403
    assert not Visit.objects.exists()


def test_another_officer_cannot_touch_my_visit(patrol_selatan, plan_selatan):
    colleague = make_user("samapta.selatan2", roles.PATROL_OFFICER, SELATAN)
    mine = arrive(plan_selatan, plan_selatan.stops.first(), timezone.now())
    post_actions(client_for(patrol_selatan), [mine])
    theirs = client_for(colleague)
    same_visit = {**mine, "id": str(uuid.uuid4())}
    results = post_actions(theirs, [same_visit, leave(mine["visit"], timezone.now())])
    assert statuses(results) == ["rejected", "rejected"]
    assert Visit.objects.get().left_at is None


def test_notes_and_residents_met_are_saved_but_never_logged_or_audited(
    patrol_selatan, plan_selatan
):
    client = client_for(patrol_selatan)
    a = arrive(plan_selatan, None, timezone.now())  # an unplanned place
    notes = {
        "id": str(uuid.uuid4()), "type": "notes", "visit": a["visit"], "residents_met": 4,
        "notes": "Pos ronda aktif.", "contact_notes": f"Ketua RT {CANARY_NAME}",
    }  # fmt: skip
    assert statuses(post_actions(client, [a, notes, notes])) == ["applied", "applied", "duplicate"]
    visit = Visit.objects.get()
    assert visit.stop is None and visit.residents_met == 4
    assert visit.contact_notes == f"Ketua RT {CANARY_NAME}"
    detail = AuditEvent.objects.get(action="patrol_visit_notes").detail
    assert CANARY_NAME not in json.dumps(detail) and detail["residents_met"] == 4
    bad = {**notes, "id": str(uuid.uuid4()), "residents_met": -1}
    assert statuses(post_actions(client, [bad])) == ["rejected"]


def test_an_incident_seen_is_filed_into_the_report_workflow_once(patrol_selatan, plan_selatan):
    client = client_for(patrol_selatan)
    stop = plan_selatan.stops.first()
    a = arrive(plan_selatan, stop, timezone.now() - timedelta(minutes=3))
    seen = {
        "id": str(uuid.uuid4()), "type": "incident", "visit": a["visit"],
        "category": "curanmor", "description": "Dua orang mencoba membobol sepeda motor.",
        "at": timezone.now().isoformat(),
    }  # fmt: skip
    first = post_actions(client, [a, seen]).json()["results"]
    again = post_actions(client, [seen]).json()["results"]
    report = Report.objects.get()
    assert first[1]["status"] == "applied" and first[1]["report"] == report.tracking_code
    assert again[0]["status"] == "duplicate" and again[0]["report"] == report.tracking_code
    assert report.channel == Channel.PATROL and report.reporter_user == patrol_selatan
    assert (report.lat, report.lon) == (stop.lat, stop.lon)  # no GPS: the place of the stop
    assert report.assigned_unit.code == SELATAN and report.events.count() == 1
    assert Visit.objects.get().report == report
    short = {**seen, "id": str(uuid.uuid4()), "description": "maling"}
    result = post_actions(client, [short]).json()["results"][0]
    assert result["status"] == "rejected" and "10 characters" in result["message"]


# ---- pages --------------------------------------------------------------------------------


def test_the_phone_page_opens_my_team_of_the_current_shift(patrol_selatan, plan_selatan):
    client = client_for(patrol_selatan)
    home = client.get("/petugas/patroli/tugas/")
    team = plan_selatan.stops.first().team
    assert home.status_code == 302
    assert home["Location"] == f"/petugas/patroli/tugas/{plan_selatan.pk}/tim/{team.pk}/"
    page = client.get(home["Location"])
    text = page.content.decode()
    assert page.status_code == 200 and "Tempat 1" in text and "Tempat 3" in text
    assert 'id="field-data"' in text and "patrols/field.js" in text


def test_the_phone_page_is_scoped_to_my_unit(patrol_utara, plan_selatan, patrol_selatan):
    client = client_for(patrol_utara)
    team = plan_selatan.stops.first().team
    assert client.get(f"/petugas/patroli/tugas/{plan_selatan.pk}/").status_code == 404
    url = f"/petugas/patroli/tugas/{plan_selatan.pk}/tim/{team.pk}/"
    assert client.get(url).status_code == 404
    home = client.get("/petugas/patroli/tugas/")
    assert home.status_code == 200 and "No patrol plan" in home.content.decode()


def test_a_draft_plan_is_not_on_the_phone(patrol_selatan, team_selatan):
    draft_plan = make_plan(SELATAN, status=PlanStatus.DRAFT, team=team_selatan)
    client = client_for(patrol_selatan)
    assert client.get(f"/petugas/patroli/tugas/{draft_plan.pk}/").status_code == 404
    action = arrive(draft_plan, None, timezone.now())
    assert statuses(post_actions(client, [action])) == ["rejected"]


def test_the_service_worker_is_served_with_its_scope(patrol_selatan):
    response = Client().get("/petugas/patroli/tugas/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/petugas/patroli/tugas/"


# ---- dosage -------------------------------------------------------------------------------


def visit(plan: PatrolPlan, stop: PatrolStop | None, officer: User, start: datetime,
          minutes: float | None) -> Visit:  # fmt: skip
    return Visit.objects.create(
        plan=plan, stop=stop, team=stop.team if stop else None, officer=officer,
        client_id=uuid.uuid4(), arrived_at=start,
        left_at=start + timedelta(minutes=minutes) if minutes is not None else None,
    )  # fmt: skip


@pytest.fixture
def dosed_plan(patrol_selatan: User, team_selatan: PatrolTeam) -> PatrolPlan:
    """Three places, 15 planned minutes each, the third twice. Visits: place 1 for 20 min
    (covered); place 2 for 10 and 8 min (18 min, not covered: no visit reached 15); place 3
    open (no "left": 0 min); one unplanned visit of 5 min."""
    start = timezone.now() - timedelta(days=2)
    plan = make_plan(SELATAN, team=team_selatan, start=start)
    one, two, three = plan.stops.order_by("order")
    PatrolStop.objects.filter(pk=three.pk).update(planned_visits=2)
    t0 = plan.start + timedelta(minutes=30)
    visit(plan, one, patrol_selatan, t0, 20)
    visit(plan, two, patrol_selatan, t0 + timedelta(minutes=40), 10)
    visit(plan, two, patrol_selatan, t0 + timedelta(minutes=60), 8)
    visit(plan, three, patrol_selatan, t0 + timedelta(minutes=80), None)
    visit(plan, None, patrol_selatan, t0 + timedelta(minutes=100), 5)
    return plan


def test_dosage_numbers_match_a_hand_count(dosed_plan):
    from kamtibmas.patrols import dosage

    rows = dosage.stop_rows(PatrolPlan.objects.filter(pk=dosed_plan.pk))
    assert [(r.rank, r.actual_minutes, r.visits_made, r.open_visits, r.covered) for r in rows] == [
        (1, 20.0, 1, 0, True), (2, 18.0, 2, 0, False), (3, 0.0, 1, 1, False),
        (0, 5.0, 1, 0, False),
    ]  # fmt: skip
    [top2] = dosage.summarise(rows, dosage.by_unit, top_k=2)
    assert (top2.planned_minutes, top2.actual_minutes) == (60, 38.0)  # 15 + 15 + 2 x 15
    assert (top2.visits_made, top2.visits_planned) == (4, 4)
    assert (top2.top_covered, top2.top_places, top2.coverage) == (1, 2, 0.5)
    assert (top2.unplanned_visits, top2.unplanned_minutes) == (1, 5.0)
    [top3] = dosage.summarise(rows, dosage.by_unit, top_k=3)
    assert (top3.top_covered, top3.top_places) == (1, 3)


def test_dosage_leaves_out_candidates_that_were_never_on_a_route(dosed_plan, patrol_selatan):
    from kamtibmas.patrols import dosage

    left, seen = (
        PatrolStop.objects.create(plan=dosed_plan, lat=-1.25, lon=116.9, rank=rank)
        for rank in (4, 5)
    )
    visit(dosed_plan, seen, patrol_selatan, dosed_plan.start + timedelta(minutes=200), 12)
    rows = dosage.stop_rows(PatrolPlan.objects.filter(pk=dosed_plan.pk))
    assert left.pk not in [r.stop_id for r in rows]
    [row] = [r for r in rows if r.stop_id == seen.pk]
    assert (row.planned_minutes, row.planned_visits, row.actual_minutes) == (0, 0, 12.0)
    [total] = dosage.summarise(rows, dosage.by_unit, top_k=2)
    assert total.planned_minutes == 60


def test_the_dosage_page_and_csv_are_unit_scoped(dosed_plan):
    utara = PatrolTeam.objects.create(unit=Unit.objects.get(code=UTARA), name="Sabhara U")
    make_plan(UTARA, kelurahan=UTARA_KELURAHAN, start=timezone.now() - timedelta(days=1),
              team=utara)  # fmt: skip
    kapolsek = Client()
    kapolsek.cookies["django_language"] = "en"
    kapolsek.force_login(make_user("kapolsek.selatan", roles.COMMANDER, SELATAN))
    page = kapolsek.get("/petugas/patroli/dosis/?top=2")
    assert page.status_code == 200
    [total] = page.context["total"]
    assert total.plans == {dosed_plan.pk} and total.coverage == 0.5
    csv_text = kapolsek.get("/petugas/patroli/dosis.csv").content.decode()
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("shift,unit,team") and len(lines) == 1 + 4
    assert "Polsek Balikpapan Utara" not in csv_text
    polres = Client()
    polres.force_login(make_user("analis.polres", roles.ANALYST, "polres-balikpapan"))
    assert len(polres.get("/petugas/patroli/dosis/").context["rows"]) == 4 + 3


def test_the_dosage_page_turns_bad_filters_into_notices(dosed_plan):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(make_user("kapolsek.selatan", roles.COMMANDER, SELATAN))
    response = client.get("/petugas/patroli/dosis/?from=kemarin&unit=abc&group=x&top=0")
    text = response.content.decode()
    assert response.status_code == 200
    assert "not a valid date" in text and "unit filter" in text and "Top places" in text
    assert len(response.context["rows"]) == 4
    old = client.get("/petugas/patroli/dosis/?from=2020-01-01&to=2020-01-31")
    assert old.context["rows"] == [] and "No issued patrol plan" in old.content.decode()


def test_dosage_is_for_commanders_and_analysts_only(patrol_selatan, officer_selatan):
    for user in (patrol_selatan, officer_selatan):
        client = Client()
        client.force_login(user)
        assert client.get("/petugas/patroli/dosis/").status_code == 403
        assert client.get("/petugas/patroli/dosis.csv").status_code == 403
    assert Client().get("/petugas/patroli/dosis/").status_code == 302


# ---- effect -------------------------------------------------------------------------------


def effect_world(
    officer: User, team: PatrolTeam, *, patrolled_after: int, other_after: int,
    places: int = 40, patrolled: int = 12, earlier: int = 0,
) -> PatrolPlan:  # fmt: skip
    """``places`` spots 300 m apart in Selatan, each with 3 curanmor in the year before the
    last 28 days (2 of them in the 28 days before those). The first ``patrolled`` spots are
    stops of a plan 10 days ago, visited 15 min each; in the last 28 days each patrolled spot
    has ``patrolled_after`` incidents and each other spot ``other_after``. With ``earlier``,
    the patrolled spots had that many more in the 28 days before the "before" period (and the
    others as many, months earlier: the same yearly level)."""
    from kamtibmas.incidents.models import Incident

    now = timezone.now()
    plan = make_plan(SELATAN, places=0, team=team, start=now - timedelta(days=10))
    lat0, lon0 = point_in(SELATAN_KELURAHAN)
    unit = Unit.objects.get(code=SELATAN)
    rows = []
    for k in range(places):
        lat, lon = lat0 + 0.0027 * (k // 8), lon0 + 0.0027 * (k % 8)
        days_ago = [35, 45, 200] + [5 + m for m in range(patrolled_after if k < patrolled
                                                         else other_after)]  # fmt: skip
        days_ago += [(60 if k < patrolled else 150) + m for m in range(earlier)]
        rows += [Incident(category="curanmor", lat=lat, lon=lon, unit=unit,
                          occurred_from=now - timedelta(days=d)) for d in days_ago]  # fmt: skip
        if k < patrolled:
            stop = PatrolStop.objects.create(plan=plan, team=team, order=k, lat=lat, lon=lon,
                                             rank=k + 1, label=f"Titik {k}")  # fmt: skip
            visit(plan, stop, officer, plan.start + timedelta(minutes=10 * k), 15)
    Incident.objects.bulk_create(rows)
    return plan


def commander_client(unit_code: str, name: str) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(make_user(name, roles.COMMANDER, unit_code))
    return client


def test_the_effect_page_shows_a_clear_reduction(patrol_selatan, team_selatan):
    effect_world(patrol_selatan, team_selatan, patrolled_after=0, other_after=2)
    page = commander_client(SELATAN, "kapolsek.selatan").get("/petugas/patroli/dampak/")
    assert page.status_code == 200
    fit = page.context["fit"]
    assert fit.verdict_ == "reduction" and fit.n_patrolled_ == 12 and fit.n_unpatrolled_ == 28
    # Before: 2 crimes everywhere; after: 0 patrolled, 2 elsewhere: exactly -2 per place.
    assert fit.estimate_ == pytest.approx(-2.0)
    assert page.context["patrolled_totals"] == (24, 0)
    assert page.context["comparison_totals"] == (56, 56)
    assert "Fewer crimes in the patrolled places" in page.content.decode()
    # Over time: per place, the patrolled spots had 2 crimes before and none after; the
    # others 2 before and 2 after (each spot's third crime is older than the series).
    series = page.context["series"]
    assert sum(a for _w, a, _b in series) == pytest.approx(2.0)
    assert sum(b for _w, _a, b in series) == pytest.approx(4.0)
    assert "Over time" in page.content.decode() and "<polyline" in page.content.decode()


def test_the_effect_page_says_no_detectable_effect_honestly(patrol_selatan, team_selatan):
    effect_world(patrol_selatan, team_selatan, patrolled_after=1, other_after=1)
    page = commander_client(SELATAN, "kapolsek.selatan").get("/petugas/patroli/dampak/")
    text = page.content.decode()
    assert page.context["fit"].verdict_ == "no detectable effect"
    assert "No detectable effect" in text and "not at random" in text


def test_the_effect_page_is_unit_scoped_and_says_when_data_is_lacking(
    patrol_selatan, team_selatan, officer_selatan
):
    effect_world(patrol_selatan, team_selatan, patrolled_after=0, other_after=2)
    utara = commander_client(UTARA, "kapolsek.utara").get("/petugas/patroli/dampak/")
    assert utara.status_code == 200 and utara.context["fit"].verdict_ == "insufficient data"
    assert utara.context["fit"].n_patrolled_ == 0 and "Not enough data" in utara.content.decode()
    desk = Client()
    desk.force_login(officer_selatan)
    assert desk.get("/petugas/patroli/dampak/").status_code == 403
    bad = commander_client(SELATAN, "kapolsek.selatan").get("/petugas/patroli/dampak/?to=x")
    assert bad.status_code == 200 and "not a valid date" in bad.content.decode()


def test_the_effect_page_warns_when_places_already_differed_before_the_patrols(
    patrol_selatan, team_selatan
):
    effect_world(patrol_selatan, team_selatan, patrolled_after=0, other_after=2, earlier=2)
    page = commander_client(SELATAN, "kapolsek.selatan").get("/petugas/patroli/dampak/")
    assert page.context["fit"].verdict_ == "reduction"
    assert page.context["placebo_flag"] is True
    assert 'id="placebo-warning"' in page.content.decode()


def test_a_clean_world_passes_the_placebo_check(patrol_selatan, team_selatan):
    effect_world(patrol_selatan, team_selatan, patrolled_after=0, other_after=2)
    page = commander_client(SELATAN, "kapolsek.selatan").get("/petugas/patroli/dampak/")
    assert page.context["placebo_flag"] is False and page.context["placebo_checked"] is True
    assert 'id="placebo-warning"' not in page.content.decode()
