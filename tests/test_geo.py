"""Geography: boundary import, reference loading, point lookup, admin and the public endpoints."""

from __future__ import annotations

import copy
import csv
import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import shapely
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation
from shapely.geometry import Point, mapping, shape

from kamtibmas import cli
from kamtibmas.accounts.models import User
from kamtibmas.geo import lookup
from kamtibmas.geo.admin import geometry_summary
from kamtibmas.geo.importer import ImportRefused, import_file, normalise_code
from kamtibmas.geo.models import Kecamatan, Kelurahan, Unit
from kamtibmas.geo.projection import area_km2
from kamtibmas.geo.reference import FACTS_CSV, SECTORS
from tests.conftest import SELATAN_KELURAHAN, shared_data

pytestmark = pytest.mark.django_db

BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[116.80, -1.20], [116.82, -1.22], [116.82, -1.20], [116.80, -1.22], [116.80, -1.20]]
    ],
}


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    """Messages are checked in English; the Indonesian catalogue is checked on its own below."""
    with translation.override("en"):
        yield


# --- helpers ---


def real_file(name: str) -> Path:
    return Path(shared_data("balikpapan", name))


def real_features(name: str) -> dict[str, dict[str, Any]]:
    data = json.loads(real_file(name).read_text())
    return {f["properties"]["kode"]: f for f in data["features"]}


def write_collection(tmp_path: Path, features: list[dict[str, Any]], **extra: Any) -> Path:
    path = tmp_path / "boundaries.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", **extra, "features": features}))
    return path


def approximate_features() -> list[dict[str, Any]]:
    """A valid kelurahan file made from the built-in approximate polygons, in code order."""
    return [
        {
            "type": "Feature",
            "properties": {"kode": k.code, "nama": k.name},
            "geometry": copy.deepcopy(k.geometry),
        }
        for k in Kelurahan.objects.order_by("code")
    ]


def snapshot() -> list[tuple[Any, ...]]:
    kelurahan = list(
        Kelurahan.objects.order_by("code").values_list(
            "code", "geometry", "is_approximate", "area_km2", "lat", "lon"
        )
    )
    kecamatan = list(
        Kecamatan.objects.order_by("code").values_list("code", "geometry", "is_approximate")
    )
    return kelurahan + kecamatan


def facts() -> list[dict[str, str]]:
    with FACTS_CSV.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# --- import: the real files ---


def test_it_imports_all_34_real_kelurahan_by_code_with_areas_within_one_percent() -> None:
    file_areas = {
        code: area_km2(shape(f["geometry"]))
        for code, f in real_features("kelurahan.geojson").items()
    }

    summary = import_file(real_file("kelurahan.geojson"))

    assert summary.level == "kelurahan"
    assert summary.matched == 34 and summary.replaced_approximate == 34
    assert summary.not_in_file == []
    assert not Kelurahan.objects.filter(is_approximate=True).exists()
    for kel in Kelurahan.objects.all():
        assert kel.area_km2 == pytest.approx(file_areas[kel.code], rel=0.01)
        assert area_km2(shape(kel.geometry)) == pytest.approx(file_areas[kel.code], rel=0.01)


def test_it_imports_the_six_real_kecamatan_and_marks_them_real() -> None:
    file_areas = {
        code: area_km2(shape(f["geometry"]))
        for code, f in real_features("kecamatan.geojson").items()
    }

    summary = import_file(real_file("kecamatan.geojson"), level="auto")

    assert summary.level == "kecamatan" and summary.matched == 6
    for kec in Kecamatan.objects.all():
        assert not kec.is_approximate
        assert area_km2(shape(kec.geometry)) == pytest.approx(file_areas[kec.code], rel=0.01)
    assert Kelurahan.objects.filter(is_approximate=True).count() == 34


def test_it_replaces_on_reimport_and_never_duplicates() -> None:
    counts = (Kelurahan.objects.count(), Kecamatan.objects.count())

    import_file(real_file("kelurahan.geojson"))
    first = snapshot()
    second = import_file(real_file("kelurahan.geojson"))

    assert (Kelurahan.objects.count(), Kecamatan.objects.count()) == counts
    assert second.matched == 34 and second.replaced_approximate == 0
    assert snapshot() == first


def test_it_redraws_approximate_kecamatan_from_their_real_kelurahan() -> None:
    import_file(real_file("kelurahan.geojson"))

    selatan = Kecamatan.objects.get(code="64.71.05")
    members = [shape(k.geometry) for k in selatan.kelurahan.all()]
    assert selatan.is_approximate
    assert shape(selatan.geometry).equals(shapely.union_all(members))


def test_it_leaves_imported_kecamatan_alone_on_a_later_kelurahan_import() -> None:
    import_file(real_file("kecamatan.geojson"))
    before = Kecamatan.objects.get(code="64.71.05").geometry

    summary = import_file(real_file("kelurahan.geojson"))

    assert summary.recomputed_kecamatan == []
    assert Kecamatan.objects.get(code="64.71.05").geometry == before


# --- import: codes and levels ---


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("64.71.01.1001", ("64.71.01.1001", "kelurahan")),
        ("6471011001", ("64.71.01.1001", "kelurahan")),
        (6471011001, ("64.71.01.1001", "kelurahan")),
        (" 647105 ", ("64.71.05", "kecamatan")),
        ("64.71", None),
        ("abc", None),
        ("64.71.01.100A", None),
        (None, None),
        (True, None),
    ],
)
def test_it_normalises_dotted_and_plain_codes(raw: object, expected: object) -> None:
    assert normalise_code(raw) == expected


def test_it_accepts_ten_digit_codes_under_other_property_names(tmp_path: Path) -> None:
    features = approximate_features()
    for i, feature in enumerate(features):
        code = feature["properties"].pop("kode").replace(".", "")
        feature["properties"]["code" if i % 2 else "kode_kel"] = code

    summary = import_file(write_collection(tmp_path, features), level="kelurahan")

    assert summary.matched == 34
    assert not Kelurahan.objects.filter(is_approximate=True).exists()


def test_it_refuses_kelurahan_codes_in_a_kecamatan_import(tmp_path: Path) -> None:
    path = write_collection(tmp_path, approximate_features())

    with pytest.raises(ImportRefused, match="kelurahan"):
        import_file(path, level="kecamatan")


def test_a_dry_run_validates_and_changes_nothing(tmp_path: Path) -> None:
    before = snapshot()

    summary = import_file(write_collection(tmp_path, approximate_features()), dry_run=True)

    assert summary.dry_run and summary.matched == 34
    assert snapshot() == before


# --- import: refusals change nothing ---


def _set_geometry(value: Any) -> Any:
    def mutate(feature: dict[str, Any]) -> None:
        feature["geometry"] = value

    return mutate


def _set_properties(value: dict[str, Any]) -> Any:
    def mutate(feature: dict[str, Any]) -> None:
        feature["properties"] = value

    return mutate


def _swap_lon_lat(feature: dict[str, Any]) -> None:
    feature["geometry"] = mapping(
        shapely.transform(shape(feature["geometry"]), lambda xy: xy[:, ::-1])
    )


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (_set_geometry(BOWTIE), "Self-intersection"),
        (_set_geometry({"type": "Point", "coordinates": [116.8, -1.2]}), "Point"),
        (
            _set_geometry({"type": "LineString", "coordinates": [[116.8, -1.2], [116.9, -1.3]]}),
            "LineString",
        ),
        (_set_geometry(None), "geometry"),
        (_set_geometry({"type": "Polygon", "coordinates": [[[116.8, -1.2], [116.9]]]}), "polygon"),
        (
            _set_geometry(
                {"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], [1, 2]]]}
            ),
            "numbers",
        ),
        (_swap_lon_lat, "out of range"),
        (_set_properties({"nama": "Tanpa Kode"}), "no code"),
        (_set_properties({"kode": "64.71.09.9999"}), "no kelurahan with this code"),
        (_set_properties({"kode": "64.71.01.1001"}), "same code"),
        (_set_properties({"kode": "64.71.01"}), "mixes"),
        (_set_properties({"kode": "Manggar"}), "not an official code"),
    ],
)
def test_it_refuses_a_file_with_one_bad_feature_and_changes_nothing(
    tmp_path: Path, mutate: Any, reason: str
) -> None:
    features = approximate_features()
    for feature in features:
        feature["geometry"] = mapping(shape(feature["geometry"]).buffer(0.0001))
    mutate(features[4])
    before = snapshot()
    version = lookup.current_version()

    with pytest.raises(ImportRefused) as refused:
        import_file(write_collection(tmp_path, features))

    assert reason.lower() in refused.value.message().lower()
    assert "feature 5" in refused.value.message() or reason == "mixes"
    assert snapshot() == before
    assert lookup.current_version() == version


def test_it_lists_every_offending_feature(tmp_path: Path) -> None:
    features = approximate_features()
    features[0]["geometry"] = BOWTIE
    features[9]["properties"] = {}

    with pytest.raises(ImportRefused) as refused:
        import_file(write_collection(tmp_path, features))

    assert len(refused.value.problems) == 2
    assert "feature 1 (64.71.01.1001)" in refused.value.problems[0]
    assert "feature 10" in refused.value.problems[1]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"type": "FeatureCollection", "features": [', "not valid JSON"),
        ("\xff\xfe garbage", "not valid JSON"),
        ('{"type": "Feature", "geometry": null}', "FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "no features"),
        (
            '{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
            '{"name": "urn:ogc:def:crs:EPSG::32750"}}, "features": [{}]}',
            "32750",
        ),
    ],
)
def test_it_refuses_files_that_are_not_wgs84_feature_collections(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "bad.geojson"
    path.write_bytes(text.encode("latin-1"))
    before = snapshot()

    with pytest.raises(ImportRefused, match=reason):
        import_file(path)

    assert snapshot() == before


def test_it_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportRefused, match="not found"):
        import_file(tmp_path / "nope.geojson")


# --- the commands ---


def test_the_import_command_prints_a_summary() -> None:
    out = StringIO()

    call_command("geo_import", str(real_file("kelurahan.geojson")), verbosity=2, stdout=out)

    text = out.getvalue()
    assert "34" in text and "64.71.05.1008" in text and "km²" in text


def test_the_import_command_exits_with_the_reasons_on_refusal(tmp_path: Path) -> None:
    features = approximate_features()
    features[2]["geometry"] = BOWTIE
    before = snapshot()

    with pytest.raises(CommandError, match="64.71.01.1003"):
        call_command("geo_import", str(write_collection(tmp_path, features)), stdout=StringIO())

    assert snapshot() == before


def test_the_console_script_maps_geo_verbs_to_the_commands() -> None:
    assert cli.resolve(["geo", "import", "f.geojson", "--dry-run"]) == [
        "geo_import",
        "f.geojson",
        "--dry-run",
    ]
    assert cli.resolve(["geo", "load"]) == ["geo_load"]


def test_the_load_command_is_idempotent_and_prints_counts() -> None:
    counts = (Unit.objects.count(), Kecamatan.objects.count(), Kelurahan.objects.count())
    out = StringIO()

    call_command("geo_load", stdout=out)
    call_command("geo_load", stdout=out)

    assert (Unit.objects.count(), Kecamatan.objects.count(), Kelurahan.objects.count()) == counts
    assert counts[1:] == (6, 34)
    assert "(0" in out.getvalue()


# --- lookup ---


def _shared_border_vertex() -> tuple[Kelurahan, Kelurahan, tuple[float, float]]:
    rows = list(Kelurahan.objects.order_by("code"))
    for i, low in enumerate(rows):
        low_geom = shape(low.geometry)
        for high in rows[i + 1 :]:
            high_geom = shape(high.geometry)
            if not low_geom.touches(high_geom):
                continue
            for x, y in low_geom.exterior.coords:
                if high_geom.intersects(Point(x, y)):
                    return low, high, (x, y)
    raise AssertionError("no two approximate kelurahan share a border")


def test_a_point_on_a_shared_border_goes_to_the_lowest_code_every_time() -> None:
    low, high, (lon, lat) = _shared_border_vertex()
    assert shape(low.geometry).intersects(Point(lon, lat))
    assert shape(high.geometry).intersects(Point(lon, lat))

    answers = {lookup.find_area(lat, lon).kelurahan_code for _ in range(3)}  # type: ignore[union-attr]
    lookup.invalidate()
    answers.add(lookup.find_area(lat, lon).kelurahan_code)  # type: ignore[union-attr]

    assert answers == {low.code}


def test_it_answers_none_outside_the_area() -> None:
    assert lookup.find_area(-6.2, 106.8) is None  # Jakarta
    assert lookup.locate(0.0, 0.0) is None
    assert lookup.responsible_unit_id(-6.2, 106.8) is None
    assert not lookup.is_inside(-6.2, 106.8)


def test_it_finds_the_polsek_of_the_kecamatan() -> None:
    kel = Kelurahan.objects.get(code=SELATAN_KELURAHAN)

    area = lookup.find_area(kel.lat, kel.lon)

    assert area is not None and area.kelurahan_code == SELATAN_KELURAHAN
    assert area.unit_id == Unit.objects.get(code="polsek-balikpapan-selatan").pk
    assert area.kecamatan_name == "Balikpapan Selatan"


@pytest.mark.parametrize("sector", sorted(SECTORS))
def test_sector_units_take_precedence_over_the_kecamatan_polsek(sector: str) -> None:
    centre = SECTORS[sector].centroid
    unit = Unit.objects.get(code=sector)

    area = lookup.find_area(centre.y, centre.x)
    located = lookup.locate(centre.y, centre.x)

    assert area is not None and area.unit_id != unit.pk
    assert lookup.responsible_unit_id(centre.y, centre.x) == unit.pk
    assert located is not None and located.unit_name == unit.name
    assert located.kelurahan_code == area.kelurahan_code


def test_every_interior_point_maps_to_its_own_kelurahan_after_the_real_import() -> None:
    import_file(real_file("kelurahan.geojson"))

    for fact in facts():
        area = lookup.find_area(float(fact["lat"]), float(fact["lon"]))
        assert area is not None and area.kelurahan_code == fact["kode"], fact["kelurahan"]
        assert not area.is_approximate


def test_it_closes_the_small_gaps_between_real_neighbours() -> None:
    import_file(real_file("kelurahan.geojson"))
    union = shapely.union_all([shape(k.geometry) for k in Kelurahan.objects.all()])
    holes = [shapely.Polygon(ring) for poly in union.geoms for ring in poly.interiors]
    gap = max(holes, key=lambda h: h.area).representative_point()
    assert not any(shape(k.geometry).intersects(gap) for k in Kelurahan.objects.all())

    assert lookup.find_area(gap.y, gap.x) is not None


def test_it_rebuilds_its_cached_index_when_another_process_bumps_the_version() -> None:
    kel = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    assert lookup.find_area(kel.lat, kel.lon) is not None
    Kelurahan.objects.filter(pk=kel.pk).update(geometry=mapping(Point(0, 0).buffer(0.01)))

    cached = lookup.find_area(kel.lat, kel.lon)
    cache.set(lookup.VERSION_KEY, "bumped-by-another-process")
    rebuilt = lookup.find_area(kel.lat, kel.lon)

    assert cached is not None and cached.kelurahan_code == SELATAN_KELURAHAN
    assert rebuilt is None or rebuilt.kelurahan_code != SELATAN_KELURAHAN
    assert lookup.find_area(0.0, 0.0).kelurahan_code == SELATAN_KELURAHAN  # type: ignore[union-attr]


def test_it_bumps_the_version_again_when_the_transaction_commits(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        lookup.invalidate()
        during = lookup.current_version()

    assert len(callbacks) == 1
    assert lookup.current_version() != during


# --- views ---


def test_the_geojson_layer_lists_every_kelurahan_with_its_unit(client: Client) -> None:
    response = client.get("/geo/kelurahan.geojson")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert "max-age" in response["Cache-Control"] and response["ETag"]
    features = json.loads(response.content)["features"]
    assert len(features) == 34
    selatan = next(f for f in features if f["properties"]["code"] == SELATAN_KELURAHAN)
    assert selatan["properties"] == {
        "code": SELATAN_KELURAHAN,
        "name": "Sepinggan Baru",
        "kecamatan": "Balikpapan Selatan",
        "is_approximate": True,
        "unit": "Polsek Balikpapan Selatan",
    }
    assert shape(selatan["geometry"]).is_valid


def test_the_geojson_layer_answers_304_until_the_geography_changes(client: Client) -> None:
    etag = client.get("/geo/kelurahan.geojson")["ETag"]

    assert client.get("/geo/kelurahan.geojson", HTTP_IF_NONE_MATCH=etag).status_code == 304
    import_file(real_file("kelurahan.geojson"))
    changed = client.get("/geo/kelurahan.geojson", HTTP_IF_NONE_MATCH=etag)

    assert changed.status_code == 200 and changed["ETag"] != etag
    assert not any(
        f["properties"]["is_approximate"] for f in json.loads(changed.content)["features"]
    )


def test_the_lookup_endpoint_finds_kelurahan_and_unit(client: Client) -> None:
    kel = Kelurahan.objects.get(code=SELATAN_KELURAHAN)

    response = client.get("/geo/lookup", {"lat": kel.lat, "lon": kel.lon})

    assert response.status_code == 200
    assert response.json() == {
        "inside": True,
        "kelurahan_code": SELATAN_KELURAHAN,
        "kelurahan_name": "Sepinggan Baru",
        "kecamatan_name": "Balikpapan Selatan",
        "unit_name": "Polsek Balikpapan Selatan",
        "is_approximate": True,
    }


def test_the_lookup_endpoint_names_the_airport_sector_unit(client: Client) -> None:
    centre = SECTORS["polsek-bandara-sepinggan"].centroid

    body = client.get("/geo/lookup", {"lat": centre.y, "lon": centre.x}).json()

    assert body["inside"] and body["unit_name"] == "Polsek Kawasan Bandara Sepinggan"


def test_the_lookup_endpoint_says_when_a_point_is_outside(client: Client) -> None:
    client.cookies["django_language"] = "en"
    response = client.get("/geo/lookup?lat=-6.2&lon=106.8", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.json() == {
        "inside": False,
        "message": "This place is outside the area of Polres Balikpapan.",
    }


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?lat=-1.2",
        "?lon=116.8",
        "?lat=&lon=116.8",
        "?lat=abc&lon=116.8",
        "?lat=-1.2&lon=1e999",
        "?lat=nan&lon=116.8",
        "?lat=-91&lon=116.8",
        "?lat=-1.2&lon=181",
        "?lat=-1,2&lon=116,8",
    ],
)
def test_the_lookup_endpoint_answers_400_with_a_message_for_bad_numbers(
    client: Client, query: str
) -> None:
    client.cookies["django_language"] = "en"
    response = client.get("/geo/lookup" + query)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "parameter" in body["message"]


def test_the_geo_endpoints_only_answer_get(client: Client) -> None:
    assert client.post("/geo/lookup?lat=-1.2&lon=116.8").status_code == 405
    assert client.post("/geo/kelurahan.geojson").status_code == 405


# --- admin ---


@pytest.fixture
def admin_client(client: Client) -> Client:
    user = User.objects.create_superuser(
        "geo.admin", "geo.admin@example.org", "correct-horse-battery"
    )
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ["unit", "kecamatan", "kelurahan", "neighbourhood"])
def test_the_admin_lists_units_and_areas(admin_client: Client, model: str) -> None:
    response = admin_client.get(f"/admin/geo/{model}/")

    assert response.status_code == 200


def test_the_admin_shows_boundaries_as_a_read_only_summary(admin_client: Client) -> None:
    admin_client.cookies["django_language"] = "en"
    kel = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    unit = Unit.objects.get(code="polsek-bandara-sepinggan")

    kel_page = admin_client.get(f"/admin/geo/kelurahan/{kel.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    unit_page = admin_client.get(f"/admin/geo/unit/{unit.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")

    assert kel_page.status_code == 200 and b"Polygon, " in kel_page.content
    assert b'name="geometry"' not in kel_page.content
    assert unit_page.status_code == 200 and b"vertices" in unit_page.content


def test_a_geometry_summary_names_type_vertices_and_area() -> None:
    square = mapping(shapely.box(116.80, -1.21, 116.81, -1.20))

    summary = geometry_summary(square)

    assert summary.startswith("Polygon, 5 ")
    assert geometry_summary(None) == "-"
    assert geometry_summary({"type": "Polygon", "coordinates": "x"}) != ""


def test_editing_a_unit_in_the_admin_refreshes_the_lookup(admin_client: Client) -> None:
    kel = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    unit = Unit.objects.get(code="polsek-balikpapan-selatan")
    assert lookup.find_area(kel.lat, kel.lon).unit_id == unit.pk  # type: ignore[union-attr]

    response = admin_client.post(
        f"/admin/geo/unit/{unit.pk}/change/",
        {
            "name": unit.name,
            "code": unit.code,
            "kind": unit.kind,
            "parent": unit.parent_id,
            "kecamatan": [],
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    assert lookup.find_area(kel.lat, kel.lon).unit_id is None  # type: ignore[union-attr]


# --- translations ---

GEO_SOURCES = [
    "importer.py",
    "admin.py",
    "views.py",
    "lookup.py",
    "reference.py",
    "management/commands/geo_import.py",
    "management/commands/geo_load.py",
]


def test_every_geo_message_has_an_indonesian_translation() -> None:
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    package = Path(lookup.__file__).parent
    with (package.parent / "locale" / "parts" / "geo.po").open("rb") as fh:
        catalogue = read_po(fh, locale="id")
    keywords = {"_": None, "gettext": None, "gettext_lazy": None}
    messages = {
        msg
        for source in GEO_SOURCES
        for _line, msg, _comments, _context in extract_from_file(
            "python", package / source, keywords=keywords
        )
    }

    missing = [m for m in messages if not (catalogue.get(m) and catalogue.get(m).string)]
    assert messages and missing == []
