"""Crime map, dashboard and downloads: scoping per persona, URL filters, files that open."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from kamtibmas.analytics import layers, queries
from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.incidents.models import Incident
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN

CATEGORIES = ("curanmor", "curat", "theft", "assault", "narcotics")
END = datetime(2026, 10, 31, 12, tzinfo=UTC)


def make_incidents(
    n: int = 300, *, seed: int = 7, end: datetime = END, days: int = 400, **extra: Any
) -> list[Incident]:
    """``n`` synthetic incidents around kelurahan centres of Selatan (60 %) and Utara, with
    their kelurahan and Polsek resolved like the importer does, over ``days`` up to ``end``."""
    rng = np.random.default_rng(seed)
    centres = {}
    for code in (SELATAN_KELURAHAN, UTARA_KELURAHAN):
        kel = Kelurahan.objects.get(code=code)
        centres[code] = (kel.lat, kel.lon)
    rows = []
    for k in range(n):
        code = SELATAN_KELURAHAN if rng.random() < 0.6 else UTARA_KELURAHAN
        lat0, lon0 = centres[code]
        lat = lat0 + rng.normal(0, 0.0015)
        lon = lon0 + rng.normal(0, 0.0015)
        area = lookup.locate(lat, lon)
        start = end - timedelta(days=float(rng.uniform(0, days)))
        window = timedelta(hours=float(rng.choice([0, 0, 1, 3, 10])))
        rows.append(
            Incident(
                dataset="balikpapan",
                external_id=f"t-{seed}-{k}",
                category=str(rng.choice(CATEGORIES)),
                occurred_from=start,
                occurred_to=start + window if window else None,
                lat=lat,
                lon=lon,
                kelurahan_id=area.kelurahan_id if area else None,
                kelurahan_code=area.kelurahan_code if area else "",
                unit_id=area.unit_id if area else None,
                is_synthetic=True,
                **extra,
            )
        )
    return Incident.objects.bulk_create(rows)


@pytest.fixture(autouse=True)
def fresh_layers() -> Any:
    layers.clear_cache()
    queries.forget_dataset_caches()
    yield
    layers.clear_cache()


@pytest.fixture
def incidents(db: Any) -> list[Incident]:
    return make_incidents()


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


PERIOD = {"from": "2026-01-01", "to": "2026-10-31"}
PAGES = [
    "/analisis/",
    "/analisis/peta/",
    "/analisis/peta/kepadatan.json",
    "/analisis/peta/kepadatan.png",
    "/analisis/peta/titik-rawan.geojson",
    "/analisis/peta/kelurahan.geojson",
    "/analisis/peta/titik.json",
    "/analisis/peta/kejadian.geojson",
    "/analisis/dasbor/knox/",
    "/analisis/dasbor/hotspot-baru/",
    "/analisis/unduh/polsek.csv",
    "/analisis/unduh/jam-hari.png",
    "/analisis/laporan-bulanan/",
]


@pytest.mark.parametrize("path", PAGES)
def test_it_sends_anonymous_visitors_to_login_and_refuses_residents(
    path: str, resident: Any, db: Any
) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert "/akun/masuk/" in response["Location"]
    assert login(resident).get(path).status_code == 403


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_it_shows_an_officer_only_the_incidents_of_their_polsek(
    incidents: list[Incident], officer_selatan: Any, officer_utara: Any, commander_polres: Any
) -> None:
    query = "?" + urlencode(PERIOD)
    selatan = Unit.objects.get(code="polsek-balikpapan-selatan")
    utara = Unit.objects.get(code="polsek-balikpapan-utara")
    start = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(hours=8)  # midnight WITA
    period = [i for i in incidents if i.occurred_from >= start]
    own = [i for i in period if i.unit_id == selatan.pk]
    assert own and len(own) < len(period)

    rows = _csv(login(officer_selatan).get("/analisis/unduh/polsek.csv" + query))
    by_unit = {r["unit"]: int(r["count"]) for r in rows}
    assert by_unit[selatan.name] == len(own)
    assert int(rows[-1]["count"]) == len(own), "the total row counts only the own unit"
    assert utara.name not in by_unit

    rows = _csv(login(officer_utara).get("/analisis/unduh/polsek.csv" + query))
    assert selatan.name not in {r["unit"] for r in rows}

    rows = _csv(login(commander_polres).get("/analisis/unduh/polsek.csv" + query))
    names = {r["unit"] for r in rows}
    assert {selatan.name, utara.name} <= names

    points = login(officer_selatan).get("/analisis/peta/kejadian.geojson" + query).json()
    assert len(points["features"]) == len(own)


def test_it_restores_the_filters_from_the_url(
    incidents: list[Incident], commander_polres: Any
) -> None:
    unit = Unit.objects.get(code="polsek-balikpapan-selatan")
    params = [
        ("dataset", "balikpapan"),
        ("from", "2026-03-01"),
        ("to", "2026-09-30"),
        ("category", "curanmor"),
        ("category", "curat"),
        ("unit", str(unit.pk)),
        ("kelurahan", SELATAN_KELURAHAN),
        ("hours", "22-4"),
        ("weekday", "5"),
        ("weekday", "6"),
    ]
    response = login(commander_polres).get("/analisis/peta/?" + urlencode(params))
    assert response.status_code == 200
    filters = response.context["filters"]
    assert sorted(parse_qsl(filters.query())) == sorted(params)
    html = response.content.decode()
    assert 'value="22-4"' in html
    assert '<option value="curanmor" selected>' in html
    assert 'value="2026-03-01"' in html


def test_the_time_of_day_filter_wraps_midnight(
    incidents: list[Incident], commander_polres: Any
) -> None:
    params = {**PERIOD, "hours": "22-4"}
    rows = _csv(login(commander_polres).get("/analisis/unduh/jam-hari.csv?" + urlencode(params)))
    matrix = np.array([[float(r[f"h{h:02d}"]) for h in range(24)] for r in rows])
    assert matrix.sum() > 0
    # Only windows that start between 22:00 and 04:00 remain; they reach at most into 14:00.
    assert matrix[:, 15:21].sum() == 0


@pytest.mark.parametrize(
    "query",
    [
        "from=yesterday&to=2026-13-45",
        "category=robbery&category=<script>",
        "unit=abc&kelurahan=99.99",
        "hours=25-3&weekday=9&weekday=x",
        "dataset=nowhere&bandwidth=-5",
        "from=2026-10-01&to=2020-01-01",
        "bandwidth=nan&z=abc&bbox=1,2,x",
    ],
)
def test_bad_filters_are_ignored_with_a_notice_never_a_server_error(
    query: str, incidents: list[Incident], commander_polres: Any
) -> None:
    client = login(commander_polres)
    for path in (
        "/analisis/",
        "/analisis/peta/",
        "/analisis/peta/kepadatan.json",
        "/analisis/peta/kepadatan.png",
        "/analisis/peta/titik.json",
        "/analisis/unduh/knox.csv",
    ):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200, (path, query)
    page = client.get(f"/analisis/peta/?{query}")
    assert list(page.context["messages"]), "a notice names the dropped value"
    assert client.get(f"/analisis/peta/sel.json?{query}").status_code == 400


def test_a_click_without_a_point_is_a_plain_error(commander_polres: Any) -> None:
    response = login(commander_polres).get("/analisis/peta/sel.json?lat=abc&lon=1")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_point"


def test_the_density_overlay_is_a_transparent_png_with_bounds_and_legend(
    incidents: list[Incident], commander_polres: Any
) -> None:
    client = login(commander_polres)
    query = urlencode(PERIOD)
    meta = client.get("/analisis/peta/kepadatan.json?" + query).json()
    assert meta["empty"] is False and meta["total"] > 0
    (south, west), (north, east) = meta["bounds"]
    assert -1.5 < south < north < -0.9 and 116.7 < west < east < 117.2
    assert len(meta["legend"]) == 5
    response = client.get("/analisis/peta/kepadatan.png?" + query)
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.mode == "RGBA"
    alpha = np.asarray(image)[..., 3]
    assert (alpha == 0).any() and (alpha > 0).any()


def test_hot_spots_and_choropleth_are_valid_geojson(
    incidents: list[Incident], commander_polres: Any
) -> None:
    client = login(commander_polres)
    query = urlencode(PERIOD)
    hot = client.get("/analisis/peta/titik-rawan.geojson?" + query)
    assert hot["Content-Type"] == "application/geo+json"
    data = json.loads(hot.content)
    assert data["type"] == "FeatureCollection"
    assert data["features"], "the clustered synthetic points make hot cells"
    for feature in data["features"]:
        ring = feature["geometry"]["coordinates"][0]
        assert feature["geometry"]["type"] == "Polygon" and ring[0] == ring[-1]
        assert feature["properties"]["category"] in (-3, -2, -1, 1, 2, 3)
    assert any(f["properties"]["category"] > 0 for f in data["features"])

    areas = json.loads(client.get("/analisis/peta/kelurahan.geojson?" + query).content)
    counts = {f["properties"]["code"]: f["properties"]["count"] for f in areas["features"]}
    assert counts[SELATAN_KELURAHAN] > 0
    rated = next(f for f in areas["features"] if f["properties"]["code"] == SELATAN_KELURAHAN)
    props = rated["properties"]
    assert props["rate_km2"] == pytest.approx(props["count"] / props["area_km2"], rel=0.02)


def test_clicking_a_cell_returns_its_numbers(
    incidents: list[Incident], commander_polres: Any
) -> None:
    lat, lon = Kelurahan.objects.filter(code=SELATAN_KELURAHAN).values_list("lat", "lon").get()
    data = (
        login(commander_polres)
        .get("/analisis/peta/sel.json?" + urlencode({**PERIOD, "lat": lat, "lon": lon}))
        .json()
    )
    assert data["cell"]["density_km2"] > 0
    assert data["cell"]["gi"]["count"] >= data["cell"]["count"] >= 0


def test_points_are_clustered_when_zoomed_out_and_single_when_zoomed_in(
    incidents: list[Incident], commander_polres: Any
) -> None:
    client = login(commander_polres)
    far = client.get("/analisis/peta/titik.json?" + urlencode({**PERIOD, "z": 11})).json()
    assert far["kind"] == "clusters"
    assert sum(c["n"] for c in far["items"]) == far["total"]
    assert len(far["items"]) < far["total"]
    near = client.get("/analisis/peta/titik.json?" + urlencode({**PERIOD, "z": 18})).json()
    assert near["kind"] == "points" and near["items"][0]["n"] == 1
    assert "description" not in near["items"][0]


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("polsek.csv", ["unit_id", "unit", "count", "previous", "change", "pct_change"]),
        ("kategori.csv", ["category", "label", "count", "previous", "share"]),
        ("jam-hari.csv", ["weekday", "h00", "h01"]),
        ("bulanan.csv", ["month", "count", "trend", "seasonal"]),
        ("knox.csv", ["distance_m", "time_days", "observed", "expected", "ratio", "p_value"]),
        ("gi-sel.csv", ["row", "col", "lat", "lon", "cell_m", "count", "z", "p", "q"]),
        ("hotspot-baru.csv", ["category", "lat", "lon", "count"]),
    ],
)
def test_every_aggregate_downloads_as_csv_with_its_header(
    name: str, header: list[str], incidents: list[Incident], commander_polres: Any
) -> None:
    response = login(commander_polres).get(f"/analisis/unduh/{name}?" + urlencode(PERIOD))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    first = response.content.decode().splitlines()[0].split(",")
    assert first[: len(header)] == header


def test_the_hour_weekday_matrix_sums_to_the_incident_count(
    incidents: list[Incident], commander_polres: Any
) -> None:
    rows = _csv(login(commander_polres).get("/analisis/unduh/jam-hari.csv?" + urlencode(PERIOD)))
    total = sum(float(r[f"h{h:02d}"]) for r in rows for h in range(24))
    monthly = _csv(login(commander_polres).get("/analisis/unduh/polsek.csv?" + urlencode(PERIOD)))
    assert total == pytest.approx(int(monthly[-1]["count"]), abs=0.05)


@pytest.mark.parametrize("name", ["jam-hari.png", "bulanan.png"])
def test_charts_download_as_png(
    name: str, incidents: list[Incident], commander_polres: Any
) -> None:
    response = login(commander_polres).get(f"/analisis/unduh/{name}?" + urlencode(PERIOD))
    assert response["Content-Type"] == "image/png"
    Image.open(io.BytesIO(response.content)).verify()


def test_the_dashboard_shows_every_section(
    incidents: list[Incident], commander_polres: Any
) -> None:
    client = login(commander_polres)
    html = client.get("/analisis/?" + urlencode(PERIOD)).content.decode()
    for marker in ("<svg", 'hx-get="/analisis/dasbor/knox/', "Polsek Balikpapan Selatan"):
        assert marker in html
    knox = client.get("/analisis/dasbor/knox/?" + urlencode(PERIOD)).content.decode()
    assert "<table" in knox and "999" in knox
    emerging = client.get("/analisis/dasbor/hotspot-baru/?" + urlencode(PERIOD))
    assert emerging.status_code == 200


def test_an_unknown_download_is_not_found(commander_polres: Any) -> None:
    assert login(commander_polres).get("/analisis/unduh/secret.txt").status_code == 404


def test_an_empty_selection_still_answers(commander_polres: Any) -> None:
    client = login(commander_polres)
    assert client.get("/analisis/peta/kepadatan.json").json()["empty"] is True
    Image.open(io.BytesIO(client.get("/analisis/peta/kepadatan.png").content)).verify()
    assert client.get("/analisis/").status_code == 200


# ---- the snapshot path (kamtibmas.analytics.facts) against the SQL path -------------------------


SNAPSHOT_FILTERS = [
    "from=2025-11-01&to=2026-10-31",
    "from=2026-06-01&to=2026-07-15&category=curanmor&category=theft",
    "from=2026-01-01&to=2026-10-31&hours=22-4",
    "from=2026-03-01&to=2026-09-30&weekday=5&weekday=6&weekday=7",
    f"from=2025-12-01&to=2026-10-31&kelurahan={SELATAN_KELURAHAN}",
]


def _sql_and_snapshot(monkeypatch: Any, compute: Any) -> tuple[Any, Any]:
    from kamtibmas.analytics import facts

    monkeypatch.setattr(facts, "MIN_ROWS", 10**12)
    by_sql = compute()
    monkeypatch.setattr(facts, "MIN_ROWS", 0)
    facts.forget()
    by_snapshot = compute()
    facts.forget()
    return by_sql, by_snapshot


@pytest.mark.parametrize("query", SNAPSHOT_FILTERS)
def test_the_snapshot_gives_the_numbers_of_the_database(
    db: Any, monkeypatch: Any, query: str
) -> None:
    from django.http import QueryDict

    from kamtibmas.analytics import aggregates

    make_incidents(250)
    # Unlocated, week-long windows and open windows are counted like the SQL path counts them.
    Incident.objects.bulk_create(
        Incident(
            dataset="balikpapan",
            external_id=f"x-{k}",
            category="curat",
            occurred_from=END - timedelta(days=3 * k, hours=k),
            occurred_to=END - timedelta(days=3 * k - 9) if k % 2 else None,
            unit_id=Unit.objects.filter(kind="polsek").first().pk if k % 3 else None,
            is_synthetic=True,
        )
        for k in range(1, 40)
    )
    scope = Incident.objects.all()
    unit = Unit.objects.filter(kind="polsek").first()
    for raw in (query, f"{query}&unit={unit.pk}"):
        filters = queries.parse_filters(QueryDict(raw), scope)

        def compute(f: Any = filters) -> Any:
            binned = layers.selection_binned(scope, f)
            order = np.lexsort((binned.y_m, binned.x_m))
            series = aggregates.monthly(scope, f)
            return (
                aggregates.per_unit(scope, f),
                aggregates.top_categories(scope, f, limit=100),
                aggregates.hour_weekday_of(scope, f),
                np.asarray(series.counts).tolist(),
                np.column_stack([binned.x_m, binned.y_m, binned.n])[order],
            )

        sql, snapshot = _sql_and_snapshot(monkeypatch, compute)
        assert snapshot[0] == sql[0]
        assert snapshot[1] == sql[1]
        np.testing.assert_allclose(snapshot[2], sql[2], rtol=1e-12, atol=1e-12)
        assert snapshot[3] == sql[3]
        np.testing.assert_allclose(snapshot[4], sql[4], rtol=0, atol=1e-6)


def test_a_new_incident_makes_the_snapshot_stale(db: Any, monkeypatch: Any) -> None:
    from kamtibmas.analytics import facts

    make_incidents(50)
    monkeypatch.setattr(facts, "MIN_ROWS", 0)
    monkeypatch.setattr(facts, "VERSION_TTL_S", 0.0)
    facts.forget()
    scope = Incident.objects.all()
    first = facts.for_scope(scope, "balikpapan")
    assert first is not None and facts.for_scope(scope, "balikpapan") is first
    Incident.objects.filter(pk=Incident.objects.first().pk).delete()
    second = facts.for_scope(scope, "balikpapan")
    assert second is not None and second is not first and second.rows == first.rows - 1
    facts.forget()
