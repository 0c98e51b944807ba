"""Forecast pages: unit scoping, the map GeoJSON, downloads, making forecasts now, bad input,
the accuracy page, the audit log, and never a public link."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.forecasts import scoring
from kamtibmas.forecasts.models import ForecastEvent, ForecastRun
from kamtibmas.forecasts.services import make_forecasts
from kamtibmas.forecasts.windows import upcoming
from kamtibmas.geo.models import Unit
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN, make_user
from tests.test_forecasts_services import MODEL, scatter

LIST = "/analisis/prakiraan/"


@pytest.fixture
def runs(db: Any, monkeypatch: Any) -> dict[str, ForecastRun]:
    """Tonight's 3C forecast for Selatan and for Utara (made now, with recent incidents)."""
    monkeypatch.setattr(settings, "FORECAST_MODEL", MODEL)
    now = timezone.now()
    scatter(SELATAN_KELURAHAN, 40, end=now)
    scatter(UTARA_KELURAHAN, 30, seed=4, end=now)
    units = list(
        Unit.objects.filter(code__in=["polsek-balikpapan-selatan", "polsek-balikpapan-utara"])
    )
    made = make_forecasts(units, ["3c"], upcoming(now, "shifts", 1), at=now).made
    return {run.unit.code.rsplit("-", 1)[1]: run for run in made}


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_officer_sees_only_their_polsek_forecasts(
    runs: dict[str, ForecastRun], officer_selatan: Any
) -> None:
    client = client_for(officer_selatan)
    page = client.get(LIST).content.decode()
    assert "Polsek Balikpapan Selatan" in page and "Polsek Balikpapan Utara" not in page
    assert f"/analisis/prakiraan/{runs['selatan'].pk}/" in page
    assert client.get(f"{LIST}{runs['selatan'].pk}/").status_code == 200


@pytest.mark.parametrize("suffix", ["", "sel.geojson", "sel.csv"])
def test_another_polsek_gets_404_for_selatan_forecasts(
    runs: dict[str, ForecastRun], officer_utara: Any, suffix: str
) -> None:
    client = client_for(officer_utara)
    assert client.get(f"{LIST}{runs['selatan'].pk}/{suffix}").status_code == 404
    assert client.get(f"{LIST}{runs['utara'].pk}/{suffix}").status_code == 200


def test_polres_satuan_officers_see_every_polsek_forecast(runs: dict[str, ForecastRun]) -> None:
    samapta = make_user("samapta", roles.PATROL_OFFICER, "sat-samapta")
    page = client_for(samapta).get(LIST).content.decode()
    assert "Polsek Balikpapan Selatan" in page and "Polsek Balikpapan Utara" in page
    assert "Make forecasts now" not in page


def test_residents_get_403_and_anonymous_visitors_the_login(
    runs: dict[str, ForecastRun], resident: Any
) -> None:
    pk = runs["selatan"].pk
    for path in (LIST, f"{LIST}{pk}/", f"{LIST}{pk}/sel.geojson", f"{LIST}akurasi/"):
        assert client_for(resident).get(path).status_code == 403
        response = Client().get(path)
        assert response.status_code == 302 and "/akun/masuk/" in response["Location"]


def test_the_public_pages_never_link_to_forecasts(runs: dict[str, ForecastRun]) -> None:
    for path in ("/", "/lapor/", "/lacak/"):
        assert "/analisis/prakiraan/" not in Client().get(path).content.decode()


def test_the_map_geojson_has_a_square_and_a_why_per_top_cell(
    runs: dict[str, ForecastRun], commander_polres: Any
) -> None:
    run = runs["selatan"]
    response = client_for(commander_polres).get(f"{LIST}{run.pk}/sel.geojson")
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    features = data["features"]
    assert len(features) == run.cells.count() == 20
    first = features[0]
    ring = first["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    props = first["properties"]
    assert min(lons) < props["lon"] < max(lons) and min(lats) < props["lat"] < max(lats)
    assert props["rank"] == 1 and len(props["why"]) == 3
    assert "Recent incidents nearby" in props["why"][0] or "Kejadian" in props["why"][0]
    assert data["forecast"]["model"] == MODEL and data["forecast"]["group"] == "3c"


def test_views_and_downloads_are_logged(runs: dict[str, ForecastRun], officer_selatan: Any) -> None:
    run = runs["selatan"]
    client = client_for(officer_selatan)
    client.get(f"{LIST}{run.pk}/")
    client.get(f"{LIST}{run.pk}/sel.geojson")  # the map's own fetch: not an export
    client.get(f"{LIST}{run.pk}/sel.geojson?download=1")
    response = client.get(f"{LIST}{run.pk}/sel.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["rank", "row", "col"] and len(rows) == 21
    actions = list(ForecastEvent.objects.filter(run=run).values_list("action", "actor_id"))
    assert actions.count(("viewed", officer_selatan.pk)) == 1
    assert actions.count(("exported", officer_selatan.pk)) == 2


def test_a_commander_makes_forecasts_now(db: Any, commander_polres: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(settings, "FORECAST_MODEL", MODEL)
    scatter(SELATAN_KELURAHAN, 20, end=timezone.now())
    selatan = Unit.objects.get(code="polsek-balikpapan-selatan")
    client = client_for(commander_polres)
    response = client.post(
        f"{LIST}buat/", {"unit": selatan.pk, "group": "3c", "horizon": "shifts"}, follow=True
    )
    page = response.content.decode()
    assert response.status_code == 200
    made = ForecastRun.objects.filter(unit=selatan, group="3c")
    assert made.count() == 3 and {r.trigger for r in made} == {"on_demand"}
    assert {r.created_by_id for r in made} == {commander_polres.pk}
    assert "Polsek Balikpapan Selatan" in page
    again = client.post(f"{LIST}buat/", {"unit": selatan.pk, "group": "3c", "horizon": "shifts"})
    assert again.status_code == 302 and made.count() == 3


def test_a_desk_officer_may_not_make_forecasts(db: Any, officer_selatan: Any) -> None:
    selatan = Unit.objects.get(code="polsek-balikpapan-selatan")
    response = client_for(officer_selatan).post(f"{LIST}buat/", {"unit": selatan.pk})
    assert response.status_code == 403 and not ForecastRun.objects.exists()
    assert "Make forecasts now" not in client_for(officer_selatan).get(LIST).content.decode()


@pytest.mark.parametrize(
    "form",
    [
        {"unit": "x", "group": "3c"},
        {"unit": "999999", "group": "3c"},
        {"unit": "99999999999999999999999", "group": "3c"},
        {"unit": "{selatan}", "group": "piracy"},
        {"unit": "{selatan}", "group": "3c", "horizon": "forever"},
    ],
)
def test_bad_make_requests_give_a_message_not_an_error(db: Any, form: dict[str, str]) -> None:
    selatan = Unit.objects.get(code="polsek-balikpapan-selatan")
    analyst = make_user("analis", roles.ANALYST, "polres-balikpapan")
    data = {k: v.format(selatan=selatan.pk) for k, v in form.items()}
    response = client_for(analyst).post(f"{LIST}buat/", data, follow=True)
    assert response.status_code == 200 and not ForecastRun.objects.exists()
    assert list(response.context["messages"])


def test_a_polsek_commander_cannot_make_forecasts_for_another_polsek(db: Any) -> None:
    kapolsek = make_user("kapolsek", roles.COMMANDER, "polsek-balikpapan-utara")
    selatan = Unit.objects.get(code="polsek-balikpapan-selatan")
    client_for(kapolsek).post(f"{LIST}buat/", {"unit": selatan.pk, "group": "3c"})
    assert not ForecastRun.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "?unit=abc",
        "?unit=999999",
        "?unit=99999999999999999999999",
        "?group=piracy",
        "?window=forever",
        "?day=2026-02-30",
        "?day=tomorrow",
        "?unit=&group=&day=",
    ],
)
def test_bad_filters_are_dropped_with_a_notice(
    runs: dict[str, ForecastRun], officer_selatan: Any, query: str
) -> None:
    for path in (LIST, f"{LIST}akurasi/"):
        response = client_for(officer_selatan).get(path + query)
        assert response.status_code == 200
        notices = [str(m) for m in response.context["messages"]]
        assert bool(notices) == (query != "?unit=&group=&day=")


def test_accuracy_is_shown_beside_the_forecast_and_over_time(
    runs: dict[str, ForecastRun], officer_selatan: Any
) -> None:
    run = runs["selatan"]
    # Score a copy of tonight's forecast as if its window had ended (the same surface).
    past = ForecastRun.objects.get(pk=run.pk)
    past.pk = None
    past.start = run.start - timedelta(days=7)
    past.end = run.end - timedelta(days=7)
    past.save()
    assert scoring.score_due(timezone.now()) == 1
    client = client_for(officer_selatan)
    listing = client.get(LIST).content.decode()
    assert "(n=1)" in listing or "1 dinilai, tidak ada kejadian" in listing
    page = client.get(f"{LIST}akurasi/").content.decode()
    assert f"/analisis/prakiraan/{past.pk}/" in page
    assert f"/analisis/prakiraan/{past.pk}/" not in listing  # the list shows current ones
    day = timezone.localtime(past.start).date().isoformat()
    assert f"/analisis/prakiraan/{past.pk}/" in client.get(f"{LIST}?day={day}").content.decode()
    assert client.get(f"{LIST}{past.pk}/").status_code == 200


def test_an_out_of_range_forecast_id_is_a_404(officer_selatan: Any) -> None:
    for suffix in ("", "sel.geojson", "sel.csv"):
        path = f"{LIST}99999999999999999999999/{suffix}"
        assert client_for(officer_selatan).get(path).status_code == 404


def test_the_admin_lists_forecasts_read_only(runs: dict[str, ForecastRun]) -> None:
    from kamtibmas.accounts.models import User

    admin = User.objects.create_superuser("root", "root@example.org", "x-long-password")
    client = client_for(admin)
    assert client.get("/admin/forecasts/forecastrun/").status_code == 200
    run = runs["selatan"]
    page = client.get(f"/admin/forecasts/forecastrun/{run.pk}/change/")
    assert page.status_code == 200 and b"surface" not in page.content.lower().split(b"<body")[1]
    assert client.post(f"/admin/forecasts/forecastrun/{run.pk}/delete/").status_code == 403
