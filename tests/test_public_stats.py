"""Public crime statistics: the privacy rules (delay, "<3", sensitive categories only per
kelurahan, foreign datasets never public, the differencing rule), the open-data GeoJSON and CSV,
the statistics page and the monthly summary for subscribers."""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone
from shapely.geometry import Point, shape

from kamtibmas.geo.models import Kelurahan
from kamtibmas.incidents.mapping import OFFENCE_CODES, CategoryResolver, load_builtin_mappings
from kamtibmas.incidents.models import CategoryMapping, Incident
from kamtibmas.portal import public_stats
from kamtibmas.portal.public_stats import StatsError
from kamtibmas.reports.models import Category, Kind
from kamtibmas.reports.reference import load_categories
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN, point_in

pytestmark = pytest.mark.django_db
API = "/api/v1/public/crime-stats.geojson"
COUNT_WORDS = ("1", "2")


def add(
    category: str,
    n: int,
    *,
    code: str = SELATAN_KELURAHAN,
    days_ago: float = 20,
    dataset: str = "balikpapan",
    offset_m: float = 0.0,
) -> None:
    lat, lon = point_in(code)
    when = timezone.now() - timedelta(days=days_ago)
    for _ in range(n):
        Incident.objects.create(
            dataset=dataset, category=category, occurred_from=when, lat=lat + offset_m / 111_000,
            lon=lon, kelurahan_code=code if dataset == "balikpapan" else code,
        )  # fmt: skip


def geojson(client: Client, **params: str) -> dict[str, Any]:
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def by_area(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f["properties"].get("kelurahan_code") or f["properties"]["cell_id"]: f["properties"]
        for f in data["features"]
    }


def assert_no_small_number(properties: dict[str, Any]) -> None:
    assert properties["count_label"] not in COUNT_WORDS
    if "count" in properties:
        assert properties["count"] >= 3 and properties["count_label"] == str(properties["count"])
    else:
        assert properties["count_label"] == "<3"


# --- rules ----------------------------------------------------------------------------------


def test_it_gives_three_or_more_as_a_number_and_one_or_two_as_less_than_three(
    client: Client,
) -> None:
    add("curanmor", 2, code=SELATAN_KELURAHAN)
    add("curanmor", 3, code=UTARA_KELURAHAN)
    areas = by_area(geojson(client))
    assert areas[SELATAN_KELURAHAN]["count_label"] == "<3"
    assert "count" not in areas[SELATAN_KELURAHAN]
    assert areas[UTARA_KELURAHAN]["count"] == 3 and areas[UTARA_KELURAHAN]["count_label"] == "3"


def test_it_leaves_out_what_happened_in_the_last_seven_days(client: Client) -> None:
    add("curanmor", 5, days_ago=6.9)
    add("curanmor", 3, days_ago=7.1)
    areas = by_area(geojson(client))
    assert areas[SELATAN_KELURAHAN]["count"] == 3


def test_it_never_counts_foreign_datasets_even_with_a_kelurahan_code(client: Client) -> None:
    add("curanmor", 9, dataset="chicago")
    assert geojson(client)["features"] == []
    assert geojson(client, level="cell")["features"] == []


def test_sensitive_categories_are_counted_per_kelurahan_but_never_in_cells(
    client: Client,
) -> None:
    add("domestic_violence", 4)
    add("sexual_offence", 5)
    add("curanmor", 3)
    areas = by_area(geojson(client))
    assert areas[SELATAN_KELURAHAN]["count"] == 12
    cells = geojson(client, level="cell")
    assert [f["properties"]["count"] for f in cells["features"]] == [3]
    assert cells["metadata"]["sensitive_categories_in_cells"] is False
    for code in ("domestic_violence", "sexual_offence"):
        assert by_area(geojson(client, category=code))[SELATAN_KELURAHAN]["count"] in (4, 5)
        response = client.get(API, {"level": "cell", "category": code})
        assert response.status_code == 400 and "category" in response.json()["fields"]


def test_a_total_adds_only_the_shown_categories_so_subtraction_reveals_nothing(
    client: Client,
) -> None:
    add("curanmor", 5)
    add("theft", 2)
    total = by_area(geojson(client))[SELATAN_KELURAHAN]
    assert total["count"] == 5 and total["complete"] is False
    theft = by_area(geojson(client, category="theft"))[SELATAN_KELURAHAN]
    assert theft["count_label"] == "<3"
    group = by_area(geojson(client, category="3c"))[SELATAN_KELURAHAN]
    assert group["count"] == 5 and group["complete"] is True


def test_only_small_categories_give_a_hidden_total(client: Client) -> None:
    add("curanmor", 2)
    add("theft", 2)  # four crimes, but both parts are hidden: the total must not say 4
    total = by_area(geojson(client))[SELATAN_KELURAHAN]
    assert total["count_label"] == "<3" and "count" not in total and total["complete"] is False


def test_differencing_oracle_on_random_data(client: Client) -> None:
    """For random data, every total equals the sum of what its categories show: a total
    carries no information that the per-category answers do not already give."""
    rng = random.Random(7)
    codes = ("curat", "curas", "curanmor", "theft", "narcotics", "domestic_violence")
    for kel, category in itertools.product((SELATAN_KELURAHAN, UTARA_KELURAHAN), codes):
        add(category, rng.choice((0, 1, 2, 3, 4, 7)), code=kel)
    totals = by_area(geojson(client))
    for kel in (SELATAN_KELURAHAN, UTARA_KELURAHAN):
        parts = [by_area(geojson(client, category=c)).get(kel, {}) for c in codes]
        shown = sum(p.get("count", 0) for p in parts)
        assert totals[kel].get("count", 0) == shown
        for props in [totals[kel], *[p for p in parts if p]]:
            assert_no_small_number(props)


def test_cells_are_fixed_500_m_squares_that_contain_their_incidents(client: Client) -> None:
    add("curanmor", 3)
    feature = geojson(client, level="cell")["features"][0]
    lat, lon = point_in(SELATAN_KELURAHAN)
    polygon = shape(feature["geometry"])
    assert polygon.contains(Point(lon, lat))
    assert 0.0040 < polygon.bounds[2] - polygon.bounds[0] < 0.0050  # about 500 m of longitude
    ident = feature["properties"]["cell_id"]
    east, north = (int(v) for v in ident[1:].split("N"))
    assert east % 500 == 0 and north % 500 == 0
    assert geojson(client, level="cell")["features"][0]["properties"]["cell_id"] == ident


def test_delay_under_seven_days_is_refused(settings: Any) -> None:
    settings.PUBLIC_STATS_DELAY_DAYS = 3
    with pytest.raises(ImproperlyConfigured):
        public_stats.cutoff()
    assert [e.id for e in public_stats.check_delay()] == ["portal.E001"]
    settings.PUBLIC_STATS_DELAY_DAYS = 14
    assert public_stats.check_delay() == []
    now = timezone.now()
    assert public_stats.cutoff(now) == now - timedelta(days=14)


def test_a_longer_delay_setting_is_honoured(client: Client, settings: Any) -> None:
    add("curanmor", 3, days_ago=10)
    settings.PUBLIC_STATS_DELAY_DAYS = 14
    assert geojson(client)["features"] == []


# --- periods --------------------------------------------------------------------------------


def test_a_date_stands_for_its_month_and_the_end_is_clamped_to_the_cutoff() -> None:
    now = timezone.make_aware(datetime(2026, 3, 20, 12, 0))
    query = public_stats.parse_query({"from": "2025-11-17", "to": "2027-01"}, now=now)
    assert query.period.label_from == "2025-11" and query.period.label_to == "2026-03"
    assert query.period.end == now - timedelta(days=7)
    assert query.period.start == timezone.make_aware(datetime(2025, 11, 1))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"level": "street"}, "level"),
        ({"from": "2025-13"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2025-06", "to": "2025-01"}, "from"),
        ({"from": "2099-01"}, "from"),
        ({"from": "2000-01"}, "from"),
        ({"category": "unicorn"}, "category"),
        ({"category": "'; DROP TABLE"}, "category"),
    ],
)
def test_bad_parameters_get_400_in_the_api_error_shape(
    client: Client, params: dict[str, str], field: str
) -> None:
    response = client.get(API, params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "fields"} and body["code"] == "invalid"
    assert field in body["fields"] and body["message"]


# --- open data ------------------------------------------------------------------------------


def test_the_geojson_is_a_feature_collection_with_documented_properties(client: Client) -> None:
    add("curanmor", 4)
    response = client.get(API, {"from": "2020-01"})
    assert response.status_code == 400  # more than 60 months
    response = client.get(API)
    assert response["Content-Type"] == "application/geo+json"
    assert "public" in response["Cache-Control"] and "max-age" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection" and data["metadata"]["delay_days"] == 7
    props = data["features"][0]["properties"]
    assert {
        "level", "kelurahan_code", "kelurahan", "period_from", "period_to", "category",
        "count", "count_label", "complete",
    } <= set(props)  # fmt: skip
    assert data["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert props["kelurahan"] == Kelurahan.objects.get(code=SELATAN_KELURAHAN).name


def test_the_csv_has_the_same_rows_and_protections(client: Client) -> None:
    add("curanmor", 2, code=SELATAN_KELURAHAN)
    add("curanmor", 6, code=UTARA_KELURAHAN)
    response = client.get("/statistik/kejahatan.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_code = {r["area_code"]: r for r in rows}
    assert by_code[SELATAN_KELURAHAN]["count"] == ""
    assert by_code[SELATAN_KELURAHAN]["count_label"] == "<3"
    assert by_code[UTARA_KELURAHAN]["count"] == "6"
    assert all(r["count"] not in COUNT_WORDS for r in rows)
    cells = client.get("/statistik/kejahatan.csv", {"level": "cell"})
    cell_rows = list(csv.DictReader(io.StringIO(cells.content.decode())))
    assert {r["count_label"] for r in cell_rows} == {"<3", "6"}
    assert len(cell_rows) == len(geojson(client, level="cell")["features"])


def test_the_csv_answers_bad_parameters_with_a_plain_400(client: Client) -> None:
    response = client.get("/statistik/kejahatan.csv", {"level": "house"})
    assert response.status_code == 400
    assert "kelurahan" in response.content.decode()


# --- the page -------------------------------------------------------------------------------


def test_the_page_shows_the_map_numbers_trend_and_rules(client: Client) -> None:
    add("curanmor", 2, code=SELATAN_KELURAHAN)
    add("curanmor", 8, code=UTARA_KELURAHAN)
    response = client.get("/statistik/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="stats-map"' in html and "crime-stats.geojson" in html and "<svg" in html
    assert "&lt;3" in html and "kejahatan.csv" in html
    assert "7 hari" in html  # the delay, explained in Indonesian
    counts = response.context["areas"]
    assert {a.total.label for a in counts} == {"<3", "8"}
    assert all(p.total.label not in COUNT_WORDS for p in response.context["trend"]["points"])


def test_the_page_survives_bad_filters_and_keeps_working(client: Client) -> None:
    response = client.get(
        "/statistik/", {"months": "999", "category": "<script>", "kelurahan": "x"}
    )
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main", 1)[1].split("</main>")[0]
    assert response.context["query"].category == "all"


def test_the_page_hides_cells_for_a_sensitive_category(client: Client) -> None:
    response = client.get("/statistik/", {"category": "domestic_violence"})
    assert response.status_code == 200
    assert "data-cells=" not in response.content.decode()


# --- monthly summary for subscribers --------------------------------------------------------


def test_the_monthly_summary_has_the_agreed_shape_and_protections() -> None:
    last_month = timezone.localtime(public_stats.cutoff()).date().replace(day=1)
    month = public_stats.add_months(last_month, -1)
    when = timezone.make_aware(datetime(month.year, month.month, 10, 21, 0))
    lat, lon = point_in(SELATAN_KELURAHAN)
    for category, n in (("curanmor", 4), ("theft", 1)):
        for _ in range(n):
            Incident.objects.create(
                category=category, occurred_from=when, lat=lat, lon=lon,
                kelurahan_code=SELATAN_KELURAHAN,
            )  # fmt: skip
    summary = public_stats.kelurahan_month_summary(SELATAN_KELURAHAN, month.year, month.month)
    assert set(summary) == {"kelurahan", "month", "total", "total_label", "by_category", "url"}
    assert summary["month"] == month.strftime("%Y-%m") and summary["total"] == 4
    assert summary["total_label"] == "4"
    theft = next(c for c in summary["by_category"] if c["code"] == "theft")
    assert theft == {"code": "theft", "name": "Pencurian biasa", "count": None, "count_label": "<3"}
    assert summary["url"].startswith("http") and "/statistik/" in summary["url"]


def test_the_monthly_summary_refuses_a_month_not_yet_public() -> None:
    future = timezone.localtime(timezone.now()).date()
    with pytest.raises(StatsError):
        public_stats.kelurahan_month_summary(SELATAN_KELURAHAN, future.year + 1, future.month)
    with pytest.raises(Kelurahan.DoesNotExist):
        public_stats.kelurahan_month_summary("00.00", 2025, 1)


# --- the sexual-offence category ------------------------------------------------------------


def test_sexual_offences_have_their_own_urgent_category_and_mappings() -> None:
    load_categories()
    assert load_categories() == 0  # idempotent
    category = Category.objects.get(kind=Kind.CRIME, code="sexual_offence")
    assert category.urgent and category.is_offence and category.name_en == "Sexual offence"
    assert "sexual_offence" in OFFENCE_CODES and "sexual_offence" in public_stats.CATEGORY_CODES
    load_builtin_mappings()
    chicago, nyc = CategoryResolver("chicago"), CategoryResolver("nyc")
    for value in ("CRIM SEXUAL ASSAULT", "CRIMINAL SEXUAL ASSAULT", "SEX OFFENSE"):
        assert chicago(value) == "sexual_offence"
    for value in ("RAPE", "SEX CRIMES", "Rape (except Statutory Rape)", "sodomy", "fondling"):
        assert nyc(value) == "sexual_offence"
    assert chicago("ARSON") == "other"


def test_old_built_in_rows_move_to_sexual_offence_but_an_admins_choice_stays() -> None:
    CategoryMapping.objects.create(scheme="chicago", external="SEX OFFENSE", code="other")
    CategoryMapping.objects.create(scheme="chicago", external="CRIM SEXUAL ASSAULT", code="assault")
    load_builtin_mappings()
    load_builtin_mappings()
    rows = dict(CategoryMapping.objects.filter(scheme="chicago").values_list("external", "code"))
    assert rows["SEX OFFENSE"] == "sexual_offence" and rows["CRIM SEXUAL ASSAULT"] == "assault"


def test_months_are_wita_months_and_empty_months_are_zero() -> None:
    last = timezone.localtime(public_stats.cutoff()).date().replace(day=1)
    month = public_stats.add_months(last, -2)
    just_after_midnight = timezone.make_aware(datetime(month.year, month.month, 1, 0, 30))
    lat, lon = point_in(SELATAN_KELURAHAN)
    for _ in range(3):
        Incident.objects.create(
            category="curat", occurred_from=just_after_midnight, lat=lat, lon=lon,
            kelurahan_code=SELATAN_KELURAHAN,
        )  # fmt: skip
    period = public_stats.make_period(public_stats.add_months(month, -1), month)
    trend = public_stats.monthly_trend(period, "all")
    assert [(p.month, p.total.label) for p in trend] == [
        (public_stats.add_months(month, -1), "0"),
        (month, "3"),
    ]
    assert public_stats.monthly_trend(period, "all", UTARA_KELURAHAN)[1].total.label == "0"


def test_api_messages_follow_accept_language_and_the_page_the_language_switch(
    client: Client,
) -> None:
    english = client.get(API, {"level": "street"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["fields"]["level"] == ["Choose kelurahan or cell."]
    indonesian = client.get(API, {"level": "street"}).json()
    assert indonesian["fields"]["level"] == ["Pilih kelurahan atau cell."]
    client.cookies["django_language"] = "en"
    html = client.get("/statistik/").content.decode()
    assert "Crime statistics of Balikpapan" in html and "Sexual offence" in html
