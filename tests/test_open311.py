"""Open311 GeoReport v2 (/open311/v2/), read the way a generic client reads it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from kamtibmas.accounts.models import ApiKey, User
from kamtibmas.reports import intake, workflow
from kamtibmas.reports.models import Report
from tests.conftest import CANARIES, CANARY_EMAIL, CANARY_NAME, SELATAN_KELURAHAN, draft, point_in

BASE = "/open311/v2"


def xml(response: HttpResponse) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own output


def open311_error(response: HttpResponse, status: int) -> str:
    """The description of an error in Open311's format (JSON or XML)."""
    assert response.status_code == status, response.content
    if response["Content-Type"].startswith("text/xml"):
        root = xml(response)
        assert root.tag == "errors"
        error = root.find("error")
        assert error is not None and error.findtext("code") == str(status)
        return error.findtext("description") or ""
    data = response.json()
    assert isinstance(data, list) and data[0]["code"] == status
    return str(data[0]["description"])


def write_key(user: User) -> str:
    return ApiKey.issue(user, "open311 client", "read_write")[1]


def post_request(client: Client, key: str, **fields: Any) -> HttpResponse:
    lat, lon = point_in(SELATAN_KELURAHAN)
    data: dict[str, Any] = {
        "api_key": key,
        "service_code": "crime.curanmor",
        "lat": lat,
        "long": lon,
        "description": "Motor hilang di parkiran pasar.",
        "first_name": "Canarius",
        "last_name": "Budiwati",
        "email": CANARY_EMAIL,
        "attribute[vehicle_type]": "motorcycle",
    }
    data.update(fields)
    return client.post(f"{BASE}/requests.json", {k: v for k, v in data.items() if v is not None})


def no_canary(response: HttpResponse) -> None:
    for canary in (*CANARIES, "Canarius", "Budiwati"):
        assert canary not in response.content.decode()


# --- discovery and services -------------------------------------------------------------------


def test_it_publishes_discovery_in_both_formats(client: Client, db: Any) -> None:
    data = client.get(f"{BASE}/discovery.json").json()
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert "text/xml" in endpoint["formats"]
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.iterfind("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_it_lists_services_as_a_generic_client_reads_them(client: Client, db: Any) -> None:
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    services = {s.findtext("service_code"): s for s in root.iterfind("service")}
    curanmor = services["crime.curanmor"]
    assert curanmor.findtext("metadata") == "true"
    assert curanmor.findtext("type") == "realtime"
    assert curanmor.findtext("service_name")
    assert services["crime.theft"].findtext("metadata") == "false"
    listed = client.get(f"{BASE}/services.json").json()
    assert {s["service_code"] for s in listed} == set(services)
    assert all(
        {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
        <= set(s)
        for s in listed
    )


def test_it_names_services_in_the_requested_language(client: Client, db: Any) -> None:
    english = client.get(f"{BASE}/services.json", HTTP_ACCEPT_LANGUAGE="en").json()
    indonesian = client.get(f"{BASE}/services.json").json()
    by_code_en = {s["service_code"]: s for s in english}
    by_code_id = {s["service_code"]: s for s in indonesian}
    assert by_code_en["crime.curanmor"]["service_name"] == "Motor-vehicle theft"
    assert by_code_id["crime.curanmor"]["service_name"].startswith("Pencurian kendaraan")
    assert by_code_en["crime.curanmor"]["group"] == "Crime report"


def test_it_defines_a_service_with_its_questions(client: Client, db: Any) -> None:
    data = client.get(f"{BASE}/services/crime.curanmor.json").json()
    assert data["service_code"] == "crime.curanmor"
    vehicle = {a["code"]: a for a in data["attributes"]}["vehicle_type"]
    assert vehicle["datatype"] == "singlevaluelist" and vehicle["variable"] is True
    assert {"key": "motorcycle", "name": "Sepeda motor"} in vehicle["values"]
    assert vehicle["order"] == 1
    root = xml(client.get(f"{BASE}/services/crime.curanmor.xml"))
    assert root.tag == "service_definition"
    keys = [v.text for v in root.iterfind("attributes/attribute/values/value/key")]
    assert "car" in keys


def test_it_answers_an_unknown_service_code_with_404(client: Client, db: Any) -> None:
    assert "crime.unicorn" in open311_error(client.get(f"{BASE}/services/crime.unicorn.json"), 404)
    open311_error(client.get(f"{BASE}/services/crime.unicorn.xml"), 404)
    open311_error(client.get(f"{BASE}/nothing-here.xml"), 404)


def test_it_checks_the_jurisdiction(client: Client, db: Any) -> None:
    ok = client.get(f"{BASE}/services.json", {"jurisdiction_id": "balikpapan"})
    assert ok.status_code == 200
    open311_error(client.get(f"{BASE}/services.json", {"jurisdiction_id": "jakarta"}), 404)


# --- POST requests ----------------------------------------------------------------------------


def test_it_accepts_a_request_with_a_read_write_key(client: Client, officer_selatan: User) -> None:
    response = post_request(
        client,
        write_key(officer_selatan),
        jurisdiction_id="balikpapan",
        media_url="https://example.org/p.jpg",
    )
    assert response.status_code == 200, response.content
    created = response.json()[0]
    report = Report.objects.get(tracking_code=created["service_request_id"])
    assert report.channel == "open311"
    assert report.extra == {"vehicle_type": "motorcycle", "media_url": "https://example.org/p.jpg"}
    assert report.reporter_name == CANARY_NAME and report.reporter_user is None
    assert created["service_notice"] and created["account_id"] is None
    token = client.get(f"{BASE}/tokens/{created['token']}.json").json()
    assert token == [{"service_request_id": report.tracking_code, "token": created["token"]}]


def test_it_answers_post_in_xml(client: Client, officer_selatan: User) -> None:
    lat, lon = point_in(SELATAN_KELURAHAN)
    response = client.post(
        f"{BASE}/requests.xml",
        {
            "api_key": write_key(officer_selatan),
            "service_code": "complaint.noise",
            "address_string": "Jl. Jenderal Sudirman, dekat pasar",
            "address_id": "6471051008",
            "description": "Musik keras setiap malam sampai jam 3.",
        },
    )
    root = xml(response)
    assert root.tag == "service_requests"
    code = root.findtext("request/service_request_id")
    assert Report.objects.get(tracking_code=code).kelurahan_code == SELATAN_KELURAHAN


def test_it_refuses_posts_without_a_write_key(client: Client, officer_selatan: User) -> None:
    open311_error(post_request(client, ""), 403)
    open311_error(post_request(client, "kmt_nope_nope"), 403)
    read_key = ApiKey.issue(officer_selatan, "reader", "read")[1]
    open311_error(post_request(client, read_key), 403)
    assert not Report.objects.exists()


def test_it_refuses_bad_posts_with_400(client: Client, officer_selatan: User) -> None:
    key = write_key(officer_selatan)
    assert "crime.unicorn" in open311_error(
        post_request(client, key, service_code="crime.unicorn"), 400
    )
    open311_error(post_request(client, key, service_code=None), 400)
    outside = open311_error(post_request(client, key, lat="-6.2", long="106.8"), 400)
    assert outside.startswith("location:")
    open311_error(post_request(client, key, lat="north"), 400)
    attr = open311_error(post_request(client, key, **{"attribute[vehicle_type]": "ufo"}), 400)
    assert attr.startswith("attribute[vehicle_type]")
    open311_error(post_request(client, key, description="short"), 400)
    assert not Report.objects.exists()


def test_it_throttles_posts_with_retry_after(
    client: Client, officer_selatan: User, settings: Any
) -> None:
    settings.REPORT_THROTTLE = "1/h"
    key = write_key(officer_selatan)
    assert post_request(client, key).status_code == 200
    response = post_request(client, key)
    open311_error(response, 429)
    assert int(response["Retry-After"]) > 0


def test_it_refuses_other_methods(client: Client, db: Any) -> None:
    open311_error(client.put(f"{BASE}/services.json"), 405)


# --- GET requests -----------------------------------------------------------------------------


def test_it_lists_requests_as_a_generic_client_reads_them(
    client: Client, make_report: Any, officer_selatan: User
) -> None:
    report = make_report()
    workflow.transition(report, "rejected", officer_selatan, reason="Laporan ganda via 110.")
    root = xml(client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request is not None
    assert request.findtext("service_request_id") == report.tracking_code
    assert request.findtext("status") == "closed"
    assert request.findtext("status_notes") == "Laporan ganda via 110."
    assert request.findtext("service_code") == "crime.curanmor"
    assert request.findtext("agency_responsible") == "Polsek Balikpapan Selatan"
    assert (request.findtext("requested_datetime") or "").endswith("+08:00")
    assert request.findtext("media_url") == ""
    data = client.get(f"{BASE}/requests.json").json()
    assert data[0]["service_request_id"] == report.tracking_code


def test_it_geomasks_and_never_shows_the_reporter(client: Client, make_report: Any) -> None:
    report = make_report(address_text="Rumah Pak Canarius, Jl. Mawar 7")
    data = client.get(f"{BASE}/requests/{report.tracking_code}.json").json()[0]
    assert data["lat"] == round(report.lat, 3) and data["long"] == round(report.lon, 3)
    assert data["address"].startswith(report.kelurahan.name)
    assert data["description"] is None
    for response in (
        client.get(f"{BASE}/requests.json"),
        client.get(f"{BASE}/requests.xml"),
        client.get(f"{BASE}/requests/{report.tracking_code}.xml"),
    ):
        no_canary(response)
        assert "Mawar" not in response.content.decode()


def test_it_hides_the_place_of_sensitive_and_anonymous_reports(
    client: Client, make_report: Any
) -> None:
    violent = make_report(category_code="domestic_violence")
    anonymous = make_report(
        keep_anonymous=True, reporter_name="", reporter_phone="", reporter_email=""
    )
    for report in (violent, anonymous):
        data = client.get(f"{BASE}/requests/{report.tracking_code}.json").json()[0]
        assert data["lat"] is None and data["long"] is None
    assert client.get(f"{BASE}/requests/{violent.tracking_code}.json").json()[0]["address"] is None


def test_it_leaves_tips_out_of_lists(client: Client, make_report: Any) -> None:
    tip = make_report(kind="tip", category_code="gambling", keep_anonymous=True)
    assert client.get(f"{BASE}/requests.json").json() == []
    single = client.get(f"{BASE}/requests/{tip.tracking_code}.json").json()[0]
    assert single["lat"] is None and single["address"] is None
    no_canary(client.get(f"{BASE}/requests/{tip.tracking_code}.xml"))


def test_it_filters_requests(client: Client, make_report: Any, officer_selatan: User) -> None:
    theft = make_report(category_code="theft")
    curanmor = make_report()
    workflow.transition(curanmor, "rejected", officer_selatan, reason="Bukan tindak pidana.")
    url = f"{BASE}/requests.json"

    def codes(**params: str) -> set[str]:
        return {r["service_request_id"] for r in client.get(url, params).json()}

    assert codes(service_code="crime.theft") == {theft.tracking_code}
    assert codes(status="open") == {theft.tracking_code}
    assert codes(status="closed") == {curanmor.tracking_code}
    assert codes(status="open,closed") == {theft.tracking_code, curanmor.tracking_code}
    assert codes(
        service_request_id=f"{curanmor.tracking_code},ACDE-FGH-JKM", service_code="crime.theft"
    ) == {curanmor.tracking_code}
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert codes(start_date=future) == set()


def test_it_keeps_to_the_90_day_window(client: Client, db: Any) -> None:
    old = intake.submit(draft(), created_at=timezone.now() - timedelta(days=120))
    url = f"{BASE}/requests.json"
    assert client.get(url).json() == []
    start = (timezone.now() - timedelta(days=130)).isoformat()
    end = (timezone.now() - timedelta(days=100)).isoformat()
    found = client.get(url, {"start_date": start, "end_date": end}).json()
    assert [r["service_request_id"] for r in found] == [old.tracking_code]
    too_long = (timezone.now() - timedelta(days=200)).isoformat()
    open311_error(client.get(url, {"start_date": too_long, "end_date": end}), 400)
    open311_error(client.get(url, {"start_date": "yesterday"}), 400)
    open311_error(client.get(url, {"status": "pending"}), 400)


def test_it_answers_an_unknown_request_with_404(client: Client, db: Any) -> None:
    open311_error(client.get(f"{BASE}/requests/ACDE-FGH-JKM.json"), 404)
    open311_error(client.get(f"{BASE}/requests/ACDE-FGH-JKM.xml"), 404)
    open311_error(client.get(f"{BASE}/tokens/unknown-token.xml"), 404)


def test_it_throttles_reads_per_ip(client: Client, db: Any, settings: Any) -> None:
    settings.API_THROTTLE = "2/m"
    client.get(f"{BASE}/services.json")
    client.get(f"{BASE}/services.json")
    response = client.get(f"{BASE}/services.xml")
    open311_error(response, 429)
    assert int(response["Retry-After"]) > 0
