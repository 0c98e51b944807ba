"""CAP 1.2 documents: valid against the official OASIS schema, readable by a CAP client, with
closed lat,lon polygons for each kelurahan and references for Update and Cancel."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from capvalidator import check_schema, get_dates
from django.test import Client
from django.utils import timezone
from shapely.geometry import Point, Polygon, shape

from kamtibmas.accounts.models import User
from kamtibmas.geo.models import Kelurahan
from kamtibmas.portal import cap
from kamtibmas.portal.models import PublicAlert
from kamtibmas.reports.models import Category
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN
from tests.portal_alerts_support import follow_up, issue, make_humas

NS = {"cap": cap.CAP_NS}
pytestmark = pytest.mark.django_db


@pytest.fixture
def humas(db: Any) -> User:
    return make_humas()


def fetch(alert: PublicAlert) -> bytes:
    response = Client().get(f"/peringatan/{alert.uid}/cap.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/cap+xml"
    return response.content


def assert_valid(document: bytes) -> ET.Element:
    result = check_schema(document)
    assert result.passed, result.message
    return ET.fromstring(document)  # noqa: S314 - our own output


def polygons(root: ET.Element) -> list[list[tuple[float, float]]]:
    rings = []
    for text in (p.text or "" for p in root.iterfind(".//cap:info/cap:area/cap:polygon", NS)):
        rings.append([tuple(float(v) for v in pair.split(",")) for pair in text.split()])
    return rings  # type: ignore[return-value]


def test_it_serves_a_schema_valid_document_with_the_required_elements(humas: Any) -> None:
    alert = issue(humas)
    root = assert_valid(fetch(alert))
    assert root.tag == f"{{{cap.CAP_NS}}}alert"
    assert root.findtext("cap:identifier", namespaces=NS) == f"urn:uuid:{alert.uid}"
    assert root.findtext("cap:sender", namespaces=NS) == "humas@127.0.0.1"
    assert root.findtext("cap:status", namespaces=NS) == "Actual"
    assert root.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert root.findtext("cap:scope", namespaces=NS) == "Public"
    assert root.find("cap:references", NS) is None
    sent = root.findtext("cap:sent", namespaces=NS) or ""
    assert sent.endswith("+08:00") and "." not in sent
    assert sent == timezone.localtime(alert.published_at).isoformat()


def test_it_writes_one_info_per_language_with_the_alert_content(humas: Any) -> None:
    root = assert_valid(fetch(issue(humas)))
    infos = root.findall("cap:info", NS)
    assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["id-ID", "en-US"]
    indonesian, english = infos
    assert (
        indonesian.findtext("cap:headline", namespaces=NS) == "Waspada curanmor di Sepinggan Baru"
    )
    assert english.findtext("cap:headline", namespaces=NS) == "Motorbike thefts in Sepinggan Baru"
    assert indonesian.findtext("cap:category", namespaces=NS) == "Security"
    curanmor = Category.objects.get(kind="crime", code="curanmor")
    assert indonesian.findtext("cap:event", namespaces=NS) == curanmor.name_id
    assert english.findtext("cap:event", namespaces=NS) == curanmor.name_en
    assert indonesian.findtext("cap:senderName", namespaces=NS) == "Polres Balikpapan"
    assert "110" in (indonesian.findtext("cap:contact", namespaces=NS) or "")
    assert (indonesian.findtext("cap:web", namespaces=NS) or "").endswith("/")
    assert indonesian.findtext("cap:expires", namespaces=NS, default="").endswith("+08:00")


def test_an_alert_without_english_has_only_the_indonesian_info(humas: Any) -> None:
    alert = issue(humas, headline_en="", description_en="", instruction_en="")
    root = assert_valid(fetch(alert))
    assert len(root.findall("cap:info", NS)) == 1


def test_polygons_are_closed_lat_lon_rings_inside_the_kelurahan(humas: Any) -> None:
    root = assert_valid(fetch(issue(humas)))
    rings = polygons(root)
    assert rings, "the kelurahan boundary is the alert's area"
    kelurahan = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    boundary = shape(kelurahan.geometry)
    for ring in rings:
        assert len(ring) >= 4 and ring[0] == ring[-1]
        assert len(ring) <= cap.MAX_POLYGON_POINTS
        lats = [lat for lat, _ in ring]
        assert all(-2 < lat < 0 for lat in lats), "latitude first (Balikpapan is at -1.2)"
        polygon = Polygon([(lon, lat) for lat, lon in ring])
        assert polygon.is_valid
        assert polygon.intersection(boundary).area / boundary.area > 0.9
        assert (
            polygon.contains(Point(kelurahan.lon, kelurahan.lat))
            or polygon.distance(Point(kelurahan.lon, kelurahan.lat)) < 0.002
        )
    codes = [g.findtext("cap:value", namespaces=NS) for g in root.iterfind(".//cap:geocode", NS)]
    assert set(codes) == {SELATAN_KELURAHAN}


def test_a_multi_kelurahan_alert_has_a_polygon_and_geocode_for_each(humas: Any) -> None:
    alert = issue(humas, codes=(SELATAN_KELURAHAN, UTARA_KELURAHAN))
    root = assert_valid(fetch(alert))
    info = root.findall("cap:info", NS)[0]
    area_desc = info.findtext("cap:area/cap:areaDesc", namespaces=NS) or ""
    assert "Sepinggan Baru" in area_desc and "Muara Rapak" in area_desc
    assert len(root.findall("cap:info/cap:area", NS)) == 2  # one area per info block
    assert len(polygons(root)) >= 4  # at least one polygon per kelurahan, in both languages
    codes = {g.findtext("cap:value", namespaces=NS) for g in info.iterfind(".//cap:geocode", NS)}
    assert codes == {SELATAN_KELURAHAN, UTARA_KELURAHAN}


def test_update_and_cancel_reference_the_earlier_messages(humas: Any) -> None:
    original = issue(humas)
    update = follow_up(humas, original, PublicAlert.MsgType.UPDATE)
    cancel = follow_up(humas, update, PublicAlert.MsgType.CANCEL)
    for alert, msg_type in ((update, "Update"), (cancel, "Cancel")):
        root = assert_valid(fetch(alert))
        assert root.findtext("cap:msgType", namespaces=NS) == msg_type
    root = assert_valid(fetch(cancel))
    refs = (root.findtext("cap:references", namespaces=NS) or "").split()
    expected = [
        f"humas@127.0.0.1,urn:uuid:{a.uid},{timezone.localtime(a.published_at).isoformat()}"
        for a in (original, update)
    ]
    assert refs == expected
    assert root.find("cap:info/cap:responseType", NS).text == "AllClear"  # type: ignore[union-attr]


def test_a_cap_client_reads_the_dates_back(humas: Any) -> None:
    alert = issue(humas)
    dates = get_dates(fetch(alert))
    assert dates.sent == cap.cap_time(alert.published_at)  # type: ignore[arg-type]
    assert dates.effective == cap.cap_time(alert.effective_at)  # type: ignore[arg-type]
    assert dates.expiry == cap.cap_time(alert.expires_at)  # type: ignore[arg-type]


def test_demo_alerts_are_valid_cap(db: Any) -> None:
    from kamtibmas.portal.demo_alerts import load_demo_alerts

    load_demo_alerts()
    for alert in PublicAlert.objects.filter(is_synthetic=True):
        assert_valid(cap.build(alert))


def test_drafts_have_no_cap_document(humas: Any) -> None:
    draft = issue(humas, publish=False)
    assert Client().get(f"/peringatan/{draft.uid}/cap.xml").status_code == 404


def test_the_schema_check_really_rejects_a_bad_document(humas: Any) -> None:
    """The oracle itself: a document with a wrong msgType must fail the schema."""
    document = cap.build(issue(humas)).replace(b">Alert</msgType>", b">Warning</msgType>")
    assert not check_schema(document).passed


def test_a_detailed_boundary_is_simplified_but_stays_valid_and_closed() -> None:
    circle = Point(116.89, -1.23).buffer(0.02, quad_segs=256)  # 1025 points
    ring = [
        tuple(float(v) for v in pair.split(","))
        for pair in cap.cap_polygon(cap.simplified(circle)).split()
    ]
    assert 4 <= len(ring) <= cap.MAX_POLYGON_POINTS and ring[0] == ring[-1]
    simple = Polygon([(lon, lat) for lat, lon in ring])
    assert simple.is_valid and abs(simple.area - circle.area) / circle.area < 0.01


def test_each_part_of_a_multipolygon_becomes_a_polygon() -> None:
    islands = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[116.80, -1.20], [116.81, -1.20], [116.81, -1.21], [116.80, -1.20]]],
            [[[116.90, -1.30], [116.91, -1.30], [116.91, -1.31], [116.90, -1.30]]],
        ],
    }
    rings = cap.outer_rings(islands)
    assert len(rings) == 2
    assert cap.cap_polygon(rings[0]).split()[0] in {"-1.20000,116.80000", "-1.20000,116.81000",
                                                     "-1.21000,116.81000"}  # fmt: skip
    assert cap.outer_rings(None) == []


def test_a_cap_client_library_reads_every_kind_of_message(humas: Any) -> None:
    """cap-tools (CAP 1.2 data bindings generated from the OASIS schema by xsData) parses the
    documents strictly, as a consuming system would, and reads back what was published."""
    from cap_tools.models import Alert as CapAlert
    from xsdata.formats.dataclass.parsers import XmlParser
    from xsdata.formats.dataclass.parsers.config import ParserConfig

    parser = XmlParser(config=ParserConfig(fail_on_unknown_properties=True))
    original = issue(humas, codes=(SELATAN_KELURAHAN, UTARA_KELURAHAN))
    update = follow_up(humas, original, PublicAlert.MsgType.UPDATE)
    cancel = follow_up(humas, update, PublicAlert.MsgType.CANCEL)
    for alert, msg_type in ((original, "Alert"), (update, "Update"), (cancel, "Cancel")):
        read = parser.from_bytes(fetch(alert), CapAlert)
        assert read.identifier == f"urn:uuid:{alert.uid}"
        assert read.msg_type.value == msg_type and read.scope.value == "Public"
        assert [info.language for info in read.infos][0] == "id-ID"
        area = read.infos[0].areas[0]
        assert {g.value.value for g in area.geocodes} >= {SELATAN_KELURAHAN}
        assert all(len(p.split()) >= 4 for p in area.polygons)
    assert parser.from_bytes(fetch(cancel), CapAlert).references
