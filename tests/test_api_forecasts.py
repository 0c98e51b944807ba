"""The forecasts API (/api/v1/forecasts): staff keys only, scoped per unit like the pages, the
"why" and accuracy so far, filters that fail with field messages, pagination, OpenAPI."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import ApiKey, User
from kamtibmas.forecasts import scoring
from kamtibmas.forecasts.models import ForecastEvent, ForecastRun
from kamtibmas.forecasts.services import make_forecasts
from kamtibmas.forecasts.shifts import WITA
from kamtibmas.forecasts.windows import upcoming
from kamtibmas.geo.models import Unit
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN, make_user
from tests.test_forecasts_services import add_incident, scatter

URL = "/api/v1/forecasts"
SELATAN = "polsek-balikpapan-selatan"
UTARA = "polsek-balikpapan-utara"
# Five days ago at 19:00 WITA: recent enough for "accuracy so far" (90 days), long enough ago
# for the malam window (22:00-06:00) to be over and scored.
AT = datetime.combine(
    (timezone.now() - timedelta(days=5)).astimezone(WITA).date(), time(19), tzinfo=WITA
)


def key_for(user: User) -> dict[str, str]:
    _key, raw = ApiKey.issue(user, "wall", "read")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def get(user: User | None, url: str, lang: str = "id", **params: Any) -> HttpResponse:
    """GET with a fresh read key of ``user`` (none when None), in ``lang``."""
    headers = key_for(user) if user is not None else {}
    return Client().get(url, params, HTTP_ACCEPT_LANGUAGE=lang, **headers)


def assert_error(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    data = response.json()
    assert data["code"] == code and data["message"]
    assert isinstance(data["fields"], dict)
    return dict(data)


@pytest.fixture
def runs(db: Any) -> dict[str, ForecastRun]:
    """Malam and seven-day 3C forecasts of Selatan and Utara; Selatan's malam is scored."""
    scatter(SELATAN_KELURAHAN, 40, end=AT)
    scatter(UTARA_KELURAHAN, 20, seed=4, end=AT)
    units = list(Unit.objects.filter(code__in=(SELATAN, UTARA)))
    make_forecasts(units, ["3c"], upcoming(AT, "both", 1), at=AT, model_name="long_run")
    found = {
        f"{r.unit.code.rsplit('-', 1)[-1]}-{r.window_kind}": r
        for r in ForecastRun.objects.select_related("unit")
    }
    malam = found["selatan-malam"]
    best = malam.cells.get(rank=1)
    add_incident(best.lat, best.lon, malam.start + timedelta(hours=2))
    assert scoring.score_due(AT + timedelta(days=3), ForecastRun.objects.filter(pk=malam.pk))
    return found


@pytest.fixture
def commander(db: Any) -> User:
    return make_user("kapolres", roles.COMMANDER, "polres-balikpapan")


# ---- who sees what -------------------------------------------------------------------------


def test_it_needs_an_api_key_or_a_session(runs: dict[str, ForecastRun]) -> None:
    assert_error(get(None, URL), 401, "not_authenticated")
    bad = Client().get(URL, HTTP_AUTHORIZATION="Bearer kmt_nope_nope")
    assert_error(bad, 401, "invalid_api_key")
    assert_error(get(None, f"{URL}/{runs['selatan-malam'].pk}"), 401, "not_authenticated")


def test_a_resident_gets_nothing(runs: dict[str, ForecastRun], resident: User) -> None:
    assert_error(get(resident, URL), 403, "forbidden")
    assert_error(get(resident, f"{URL}/{runs['selatan-malam'].pk}"), 403, "forbidden")
    assert_error(get(resident, f"{URL}/{runs['selatan-malam'].pk}/cells.geojson"), 403, "forbidden")


def test_polres_sees_every_unit_and_a_polsek_its_own(
    runs: dict[str, ForecastRun], commander: User, officer_selatan: User, officer_utara: User
) -> None:
    def units(user: User) -> set[str]:
        data = get(user, URL).json()
        assert data["count"] == len(data["items"])
        return {item["unit"]["code"] for item in data["items"]}

    assert units(commander) == {SELATAN, UTARA}
    assert units(officer_selatan) == {SELATAN}
    assert units(officer_utara) == {UTARA}


def test_another_polsek_gets_404_for_a_forecast_it_may_not_see(
    runs: dict[str, ForecastRun], officer_utara: User
) -> None:
    pk = runs["selatan-malam"].pk
    assert_error(get(officer_utara, f"{URL}/{pk}"), 404, "not_found")
    assert_error(get(officer_utara, f"{URL}/{pk}/cells.geojson"), 404, "not_found")
    assert_error(get(officer_utara, f"{URL}/999999"), 404, "not_found")


@pytest.mark.parametrize(("ident", "status"), [("abc", 400), ("-1", 404), ("9" * 30, 404)])
def test_a_bad_id_is_a_json_error_not_a_crash(
    runs: dict[str, ForecastRun], commander: User, ident: str, status: int
) -> None:
    for path in (f"{URL}/{ident}", f"{URL}/{ident}/cells.geojson"):
        data = assert_error(
            get(commander, path), status, "invalid" if status == 400 else "not_found"
        )
        assert status == 404 or list(data["fields"]) == ["forecast_id"]


# ---- shapes --------------------------------------------------------------------------------


def test_the_list_item_has_window_model_inputs_and_accuracy(
    runs: dict[str, ForecastRun], officer_selatan: User
) -> None:
    items = get(officer_selatan, URL).json()["items"]
    malam = next(i for i in items if i["window_kind"] == "malam")
    run = runs["selatan-malam"]
    assert set(malam) == {
        "id", "unit", "group", "group_label", "window_kind", "start", "end", "model", "inputs",
        "trigger", "created_at", "scored", "score", "accuracy_so_far",
    }  # fmt: skip
    assert malam["id"] == run.pk and malam["unit"] == {"code": SELATAN, "name": run.unit.name}
    assert malam["start"] == run.start.astimezone(WITA).isoformat()
    assert malam["start"].endswith("+08:00") and malam["end"].endswith("+08:00")
    assert malam["model"] == {"name": "long_run", "version": "1"}
    assert malam["inputs"]["incident_count"] == 40 and malam["inputs"]["crs"] == "EPSG:32750"
    assert malam["inputs"]["cell_m"] == 150.0 and malam["inputs"]["data_up_to"].endswith("+08:00")
    assert malam["scored"] is True
    assert malam["score"]["coverage_pct"] == 5 and malam["score"]["events"] == 1
    assert malam["score"]["hits"] == 1 and malam["score"]["hit_rate"] == 1.0
    accuracy = malam["accuracy_so_far"]
    assert accuracy["coverage_pct"] == 5 and accuracy["days"] == 90
    assert accuracy["scored"] == 1 and accuracy["n"] == 1 and accuracy["hit_rate"] == 1.0
    week = next(i for i in items if i["window_kind"] == "7d")
    assert week["scored"] is False and week["score"] is None and week["accuracy_so_far"] is None


def test_the_detail_has_cells_with_squares_and_why_and_scores(
    runs: dict[str, ForecastRun], officer_selatan: User
) -> None:
    run = runs["selatan-malam"]
    response = get(officer_selatan, f"{URL}/{run.pk}", lang="en")
    assert response.status_code == 200
    data = response.json()
    assert data["model"]["params"] == run.model_params
    assert len(data["cells"]) == 20 and [c["rank"] for c in data["cells"]] == list(range(1, 21))
    cell = data["cells"][0]
    best = run.cells.get(rank=1)
    assert (cell["i"], cell["j"], cell["lat"], cell["lon"]) == (best.i, best.j, best.lat, best.lon)
    assert cell["size_m"] == 150.0 and cell["polygon"]["type"] == "Polygon"
    ring = cell["polygon"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    assert min(lons) < cell["lon"] < max(lons) and min(lats) < cell["lat"] < max(lats)
    why = cell["explanation"]
    assert why["recent_28"] == best.explanation["recent_28"] and why["near_m"] == 400.0
    assert len(why["lines"]) == 3 and why["lines"][0].startswith("Recent incidents nearby")
    assert [s["coverage_pct"] for s in data["scores"]] == [1, 2, 5, 10, 20]
    assert "do not publish" in data["note"]
    assert ForecastEvent.objects.filter(run=run, action="viewed").count() == 1


def test_the_cells_geojson_is_the_pages_layer(
    runs: dict[str, ForecastRun], officer_selatan: User
) -> None:
    run = runs["selatan-7d"]
    response = get(officer_selatan, f"{URL}/{run.pk}/cells.geojson")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    data = response.json()
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 20
    assert data["forecast"]["id"] == run.pk and data["forecast"]["window"] == "7d"
    assert data["features"][0]["properties"]["rank"] == 1


# ---- filters, errors, pagination ------------------------------------------------------------


def test_it_filters_by_unit_group_kind_and_time(
    runs: dict[str, ForecastRun], commander: User
) -> None:
    def ids(**params: Any) -> set[int]:
        response = get(commander, URL, **params)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    everything = {r.pk for r in runs.values()}
    assert ids() == everything
    assert ids(unit=UTARA) == {runs["utara-malam"].pk, runs["utara-7d"].pk}
    assert ids(unit="polres-balikpapan") == everything
    assert ids(group="3c") == everything and ids(group="theft") == set()
    assert ids(kind="week") == {runs["selatan-7d"].pk, runs["utara-7d"].pk}
    assert (
        ids(kind="shift") == ids(kind="malam") == {runs["selatan-malam"].pk, runs["utara-malam"].pk}
    )
    assert ids(kind="pagi") == set()
    malam_end = runs["selatan-malam"].end.astimezone(WITA)
    assert ids(**{"from": malam_end.isoformat()}) == {runs["selatan-7d"].pk, runs["utara-7d"].pk}
    day_before = (AT - timedelta(days=1)).date().isoformat()
    assert ids(to=AT.date().isoformat(), **{"from": day_before}) == set()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"unit": "polsek-atlantis"}, "unit"),
        ({"unit": "polsek\x00selatan"}, "unit"),
        ({"group": "curanmor"}, "group"),
        ({"kind": "month"}, "kind"),
        ({"from": "kemarin"}, "from"),
        ({"to": "2026-13-45"}, "to"),
        ({"from": "2026-12-02", "to": "2026-12-01"}, "to"),
        ({"limit": "0"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_bad_parameters_give_400_naming_the_field(
    runs: dict[str, ForecastRun], commander: User, params: dict[str, str], field: str
) -> None:
    data = assert_error(get(commander, URL, **params), 400, "invalid")
    assert list(data["fields"]) == [field] and data["fields"][field][0]


def test_a_polsek_may_not_filter_on_another_unit(
    runs: dict[str, ForecastRun], officer_selatan: User
) -> None:
    data = assert_error(get(officer_selatan, URL, unit=UTARA), 400, "invalid")
    assert data["fields"]["unit"] == ["Unit tidak dikenal, atau bukan salah satu unit Anda."]
    english = get(officer_selatan, URL, unit=UTARA, lang="en").json()
    assert english["fields"]["unit"] == ["Unknown unit, or not one of your units."]


def test_it_pages_newest_window_first(runs: dict[str, ForecastRun], commander: User) -> None:
    pages = [get(commander, URL, limit=1, offset=k).json() for k in range(5)]
    assert all(p["count"] == 4 and p["limit"] == 1 for p in pages)
    seen = [p["items"][0]["id"] for p in pages[:4]]
    assert sorted(seen) == sorted(r.pk for r in runs.values()) and pages[4]["items"] == []
    starts = [p["items"][0]["start"] for p in pages[:4]]
    assert starts == sorted(starts, reverse=True)


def test_the_openapi_schema_lists_the_forecast_paths(db: Any) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    for path in (URL, f"{URL}/{{forecast_id}}", f"{URL}/{{forecast_id}}/cells.geojson"):
        operation = schema["paths"][path]["get"]
        assert operation["tags"] == ["forecasts"]
        assert {"200", "400", "401", "403", "404"} <= set(operation["responses"])
    names = {p["name"] for p in schema["paths"][URL]["get"]["parameters"]}
    assert {"unit", "group", "from", "to", "kind", "limit", "offset"} <= names


def test_an_x_api_key_header_works_and_each_key_is_throttled(
    runs: dict[str, ForecastRun], officer_selatan: User, settings: Any
) -> None:
    settings.API_THROTTLE = "2/m"
    _key, raw = ApiKey.issue(officer_selatan, "wall", "read")
    client = Client()
    answers = [client.get(URL, HTTP_X_API_KEY=raw) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [200, 200]
    assert_error(answers[2], 429, "throttled")
    assert int(answers[2]["Retry-After"]) >= 1
