"""The JSON API (/api/v1/): public filing and tracking, staff endpoints with API keys, errors."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import NoReverseMatch, include, path, reverse
from django.utils import timezone

from kamtibmas import urls as root_urls
from kamtibmas.accounts.models import ApiKey, AuditEvent, User
from kamtibmas.reports.models import EventKind, Report, Status
from tests.conftest import (
    CANARIES,
    CANARY_EMAIL,
    CANARY_NAME,
    CANARY_PHONE,
    SELATAN_KELURAHAN,
    png_bytes,
    point_in,
)

# Until the lead mounts the key pages at /akun/kunci-api/, tests mount them here.
try:
    reverse("apikeys:list")
    urlpatterns = list(root_urls.urlpatterns)
except NoReverseMatch:
    urlpatterns = [
        path("akun/kunci-api/", include("kamtibmas.accounts.urls_apikeys")),
        *root_urls.urlpatterns,
    ]

REPORTS = "/api/v1/reports"


def body(**overrides: Any) -> dict[str, Any]:
    lat, lon = point_in(SELATAN_KELURAHAN)
    data: dict[str, Any] = {
        "kind": "crime",
        "category": "curanmor",
        "description": "Sepeda motor saya hilang di depan warung.",
        "occurred_from": (timezone.now() - timedelta(hours=2)).isoformat(),
        "lat": lat,
        "lon": lon,
        "reporter": {"name": CANARY_NAME, "phone": CANARY_PHONE, "email": CANARY_EMAIL},
    }
    data.update(overrides)
    return data


def post_json(client: Client, url: str, data: Any, **headers: Any) -> HttpResponse:
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def key_for(user: User, scope: str = "read") -> dict[str, str]:
    _key, raw = ApiKey.issue(user, "test", scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def assert_error(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    data = response.json()
    assert data["code"] == code
    assert isinstance(data["message"], str) and data["message"]
    assert isinstance(data["fields"], dict)
    return dict(data)


def no_canary(response: HttpResponse) -> None:
    text = response.content.decode()
    for canary in CANARIES:
        assert canary not in text


# --- public filing ----------------------------------------------------------------------------


def test_it_files_a_report_and_returns_its_tracking_code(client: Client, db: Any) -> None:
    response = post_json(client, REPORTS, body())
    assert response.status_code == 201
    data = response.json()
    report = Report.objects.get(tracking_code=data["tracking_code"])
    assert report.channel == "api"
    assert report.assigned_unit.code == "polsek-balikpapan-selatan"
    assert data["status"] == "received"
    assert data["status_url"].endswith(f"/api/v1/reports/track/{report.tracking_code}")
    no_canary(response)


def test_it_returns_the_same_report_for_the_same_idempotency_key(client: Client, db: Any) -> None:
    first = post_json(client, REPORTS, body(), HTTP_IDEMPOTENCY_KEY="phone-42-retry")
    again = post_json(client, REPORTS, body(), HTTP_IDEMPOTENCY_KEY="phone-42-retry")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["tracking_code"] == again.json()["tracking_code"]
    assert Report.objects.count() == 1


def test_it_accepts_multipart_with_photos(client: Client, db: Any) -> None:
    photo = ("motor.png", png_bytes(), "image/png")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        REPORTS, {"data": json.dumps(body()), "photos": [SimpleUploadedFile(*photo)]}
    )
    assert response.status_code == 201, response.content
    report = Report.objects.get(tracking_code=response.json()["tracking_code"])
    assert report.photos.count() == 1


def test_it_refuses_a_non_image_photo_and_stores_nothing(client: Client, db: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("motor.png", b"%PDF-1.4 not an image", "image/png")
    response = client.post(REPORTS, {"data": json.dumps(body()), "photos": [fake]})
    data = assert_error(response, 400, "invalid")
    assert "photos" in data["fields"]
    assert not Report.objects.exists()


def test_it_answers_malformed_json_with_400_and_a_code(client: Client, db: Any) -> None:
    response = client.post(REPORTS, "{kind: crime,", content_type="application/json")
    assert_error(response, 400, "malformed_json")


def test_it_lists_missing_fields(client: Client, db: Any) -> None:
    response = post_json(client, REPORTS, {"lat": "north"})
    data = assert_error(response, 400, "invalid")
    assert {"kind", "category", "description", "lat"} <= set(data["fields"])


def test_it_refuses_a_place_outside_the_polres_area(client: Client, db: Any) -> None:
    response = post_json(client, REPORTS, body(lat=-6.2, lon=106.8))  # Jakarta
    data = assert_error(response, 400, "invalid")
    assert "location" in data["fields"]
    assert not Report.objects.exists()


def test_it_refuses_a_time_without_offset(client: Client, db: Any) -> None:
    response = post_json(client, REPORTS, body(occurred_from="2025-01-01T10:00:00"))
    data = assert_error(response, 400, "invalid")
    assert "occurred_from" in data["fields"]


def test_it_translates_errors_by_accept_language(client: Client, db: Any) -> None:
    english = post_json(client, REPORTS, body(lat=-6.2, lon=106.8), HTTP_ACCEPT_LANGUAGE="en")
    assert "outside the area" in english.json()["fields"]["location"][0]


def test_it_checks_answers_to_extra_questions(client: Client, db: Any) -> None:
    response = post_json(client, REPORTS, body(extra={"vehicle_type": "spaceship"}))
    data = assert_error(response, 400, "invalid")
    assert "extra.vehicle_type" in data["fields"]
    ok = post_json(client, REPORTS, body(extra={"vehicle_type": "motorcycle"}))
    assert ok.status_code == 201
    assert Report.objects.get().extra == {"vehicle_type": "motorcycle"}


def test_it_throttles_filing_per_ip_with_retry_after(
    client: Client, db: Any, settings: Any
) -> None:
    settings.REPORT_THROTTLE = "2/h"
    for _ in range(2):
        assert post_json(client, REPORTS, body()).status_code == 201
    response = post_json(client, REPORTS, body())
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    other_ip = post_json(client, REPORTS, body(), REMOTE_ADDR="10.1.2.3")
    assert other_ip.status_code == 201


# --- public tracking --------------------------------------------------------------------------


def test_it_tracks_a_report_without_personal_data(
    client: Client, make_report: Any, officer_selatan: User
) -> None:
    from kamtibmas.reports import workflow

    report = make_report(address_text="Jl. Mawar no. 7")
    workflow.add_note(report, officer_selatan, "Petugas sudah datang ke lokasi.", public=True)
    workflow.add_note(report, officer_selatan, "Internal: cek CCTV toko.", public=False)
    code = report.tracking_code.replace("-", "").lower()
    response = client.get(f"{REPORTS}/track/{code}")
    assert response.status_code == 200
    data = response.json()
    assert data["tracking_code"] == report.tracking_code
    assert data["category"]["code"] == "curanmor"
    assert data["kelurahan"] and data["unit"] == report.assigned_unit.name
    assert data["received_at"].endswith("+08:00")
    texts = [e["text"] for e in data["timeline"]]
    assert "Petugas sudah datang ke lokasi." in texts
    text = response.content.decode()
    for secret in ("Internal: cek CCTV", "Jl. Mawar", str(report.lat), *CANARIES):
        assert secret not in text


def test_it_answers_an_unknown_tracking_code_with_404(client: Client, db: Any) -> None:
    assert_error(client.get(f"{REPORTS}/track/ACDE-FGH-JKM"), 404, "not_found")
    assert_error(client.get(f"{REPORTS}/track/not-a-code"), 404, "not_found")


# --- staff: keys, scoping ---------------------------------------------------------------------


def test_it_requires_a_key_for_staff_endpoints(client: Client, db: Any) -> None:
    assert_error(client.get(REPORTS), 401, "not_authenticated")
    bad = client.get(REPORTS, HTTP_AUTHORIZATION="Bearer kmt_deadbeef_nope")
    assert_error(bad, 401, "invalid_api_key")


def test_it_refuses_a_revoked_key(client: Client, officer_selatan: User) -> None:
    key, raw = ApiKey.issue(officer_selatan, "old", "read")
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    assert_error(client.get(REPORTS, HTTP_X_API_KEY=raw), 401, "invalid_api_key")


def test_it_scopes_the_list_to_the_owning_polsek(
    client: Client, make_report: Any, officer_selatan: User, officer_utara: User, resident: User
) -> None:
    report = make_report()
    own = client.get(REPORTS, **key_for(officer_selatan)).json()
    assert [r["tracking_code"] for r in own["items"]] == [report.tracking_code]
    assert own["count"] == 1
    assert client.get(REPORTS, **key_for(officer_utara)).json()["count"] == 0
    assert client.get(REPORTS, **key_for(resident)).json()["count"] == 0


def test_it_hides_a_report_outside_scope_with_404(
    client: Client, make_report: Any, officer_selatan: User, officer_utara: User, resident: User
) -> None:
    code = make_report().tracking_code
    assert client.get(f"{REPORTS}/{code}", **key_for(officer_selatan)).status_code == 200
    assert_error(client.get(f"{REPORTS}/{code}", **key_for(officer_utara)), 404, "not_found")
    assert_error(client.get(f"{REPORTS}/{code}", **key_for(resident)), 404, "not_found")


def test_it_filters_and_paginates_the_list(
    client: Client, make_report: Any, officer_selatan: User
) -> None:
    make_report()
    make_report(category_code="theft")
    headers = key_for(officer_selatan)
    theft = client.get(REPORTS, {"category": "theft"}, **headers).json()
    assert theft["count"] == 1 and theft["items"][0]["category"]["code"] == "theft"
    page = client.get(REPORTS, {"limit": 1, "offset": 1}, **headers).json()
    assert page["count"] == 2 and len(page["items"]) == 1
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    assert client.get(REPORTS, {"updated_since": later}, **headers).json()["count"] == 0
    assert_error(client.get(REPORTS, {"status": "lost"}, **headers), 400, "invalid")
    assert_error(client.get(REPORTS, {"limit": 5000}, **headers), 400, "invalid")


def test_it_shows_the_reporter_to_the_desk_officer_and_audits_the_read(
    client: Client, make_report: Any, officer_selatan: User
) -> None:
    report = make_report()
    data = client.get(f"{REPORTS}/{report.tracking_code}", **key_for(officer_selatan)).json()
    assert data["reporter"]["name"] == CANARY_NAME
    event = AuditEvent.objects.get(action="read_reporter", object_id=str(report.pk))
    assert event.actor == officer_selatan and event.purpose == "api"


def test_it_hides_an_anonymous_reporter_from_the_desk_officer(
    client: Client, make_report: Any, officer_selatan: User
) -> None:
    report = make_report(keep_anonymous=True)
    response = client.get(f"{REPORTS}/{report.tracking_code}", **key_for(officer_selatan))
    assert response.json()["reporter"] is None and response.json()["reporter_hidden"]
    no_canary(response)
    assert not AuditEvent.objects.filter(action="read_reporter").exists()
    listing = client.get(REPORTS, **key_for(officer_selatan))
    no_canary(listing)


# --- staff: writes ----------------------------------------------------------------------------


def test_it_verifies_a_report_with_a_read_write_key(
    client: Client, make_report: Any, officer_selatan: User
) -> None:
    report = make_report()
    response = post_json(
        client,
        f"{REPORTS}/{report.tracking_code}/transitions",
        {"to": "verified", "expected_version": report.version},
        **key_for(officer_selatan, "read_write"),
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"]["code"] == "verified"
    report.refresh_from_db()
    assert report.status == Status.VERIFIED
    assert report.events.filter(kind=EventKind.STATUS, actor=officer_selatan).exists()


def test_it_refuses_writes_with_a_read_key(
    client: Client, make_report: Any, officer_selatan: User
) -> None:
    report = make_report()
    headers = key_for(officer_selatan, "read")
    url = f"{REPORTS}/{report.tracking_code}"
    assert_error(
        post_json(client, f"{url}/transitions", {"to": "verified"}, **headers), 403, "read_only_key"
    )
    assert_error(
        post_json(client, f"{url}/notes", {"text": "Halo"}, **headers), 403, "read_only_key"
    )
    report.refresh_from_db()
    assert report.status == Status.RECEIVED and report.version == 1


def test_it_refuses_a_transition_from_another_polsek_with_404(
    client: Client, make_report: Any, officer_utara: User
) -> None:
    report = make_report()
    response = post_json(
        client,
        f"{REPORTS}/{report.tracking_code}/transitions",
        {"to": "verified"},
        **key_for(officer_utara, "read_write"),
    )
    assert_error(response, 404, "not_found")


def test_it_refuses_triage_to_a_community_officer(
    client: Client, make_report: Any, bhabin_selatan: User
) -> None:
    report = make_report()
    headers = key_for(bhabin_selatan, "read_write")
    url = f"{REPORTS}/{report.tracking_code}"
    assert_error(
        post_json(client, f"{url}/transitions", {"to": "verified"}, **headers), 403, "forbidden"
    )
    note = post_json(
        client, f"{url}/notes", {"text": "Sudah saya kunjungi.", "public": True}, **headers
    )
    assert note.status_code == 201


def test_it_answers_a_stale_version_with_409(
    client: Client, make_report: Any, officer_selatan: User
) -> None:
    report = make_report()
    headers = key_for(officer_selatan, "read_write")
    url = f"{REPORTS}/{report.tracking_code}"
    assert (
        post_json(
            client, f"{url}/notes", {"text": "Pertama", "expected_version": 1}, **headers
        ).status_code
        == 201
    )
    stale = post_json(
        client, f"{url}/transitions", {"to": "verified", "expected_version": 1}, **headers
    )
    assert_error(stale, 409, "stale")


def test_it_reports_workflow_rule_errors_with_their_code(
    client: Client, make_report: Any, officer_selatan: User
) -> None:
    report = make_report()
    headers = key_for(officer_selatan, "read_write")
    url = f"{REPORTS}/{report.tracking_code}/transitions"
    assert_error(post_json(client, url, {"to": "rejected"}, **headers), 400, "reason_required")
    assert_error(
        post_json(client, url, {"to": "resolved"}, **headers), 400, "transition_not_allowed"
    )
    assert_error(post_json(client, url, {"to": "flying"}, **headers), 400, "invalid")
    assert_error(
        post_json(client, url, {"to": "duplicate", "duplicate_of": "ACDE-FGH-JKM"}, **headers),
        400,
        "invalid",
    )


def test_it_marks_a_duplicate_by_tracking_code(
    client: Client, make_report: Any, officer_selatan: User
) -> None:
    original, copy = make_report(), make_report()
    response = post_json(
        client,
        f"{REPORTS}/{copy.tracking_code}/transitions",
        {"to": "duplicate", "duplicate_of": original.tracking_code},
        **key_for(officer_selatan, "read_write"),
    )
    assert response.status_code == 200
    assert response.json()["duplicate_of"] == original.tracking_code


def test_it_adds_public_and_internal_notes(
    client: Client, make_report: Any, officer_selatan: User
) -> None:
    report = make_report()
    headers = key_for(officer_selatan, "read_write")
    url = f"{REPORTS}/{report.tracking_code}/notes"
    public = post_json(client, url, {"text": "Kasus sedang diselidiki.", "public": True}, **headers)
    internal = post_json(client, url, {"text": "Saksi: pemilik warung."}, **headers)
    assert public.status_code == 201 and internal.status_code == 201
    assert internal.json()["event"]["is_public"] is False
    assert internal.json()["version"] == 3
    tracked = client.get(f"{REPORTS}/track/{report.tracking_code}").content.decode()
    assert "Kasus sedang diselidiki." in tracked and "pemilik warung" not in tracked
    assert_error(post_json(client, url, {"text": "   "}, **headers), 400, "note_empty")


def test_it_throttles_staff_calls_per_key(
    client: Client, officer_selatan: User, settings: Any
) -> None:
    settings.API_THROTTLE = "2/m"
    headers = key_for(officer_selatan)
    assert client.get(REPORTS, **headers).status_code == 200
    assert client.get(REPORTS, **headers).status_code == 200
    response = client.get(REPORTS, **headers)
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert client.get(REPORTS, **key_for(officer_selatan)).status_code == 200


# --- staff: session ---------------------------------------------------------------------------


def test_it_lets_a_logged_in_officer_use_the_api_with_csrf(
    make_report: Any, officer_selatan: User
) -> None:
    report = make_report()
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer_selatan)
    assert client.get(REPORTS).json()["count"] == 1
    url = f"{REPORTS}/{report.tracking_code}/transitions"
    assert_error(post_json(client, url, {"to": "verified"}), 403, "csrf_failed")
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()  # what a page's csrftoken cookie would hold
    client.cookies["csrftoken"] = token
    ok = post_json(client, url, {"to": "verified"}, HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 200, ok.content


# --- docs -------------------------------------------------------------------------------------


def test_it_publishes_openapi_and_docs(client: Client, db: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/reports",
        "/api/v1/reports/track/{code}",
        "/api/v1/reports/{code}",
        "/api/v1/reports/{code}/transitions",
        "/api/v1/reports/{code}/notes",
    } <= paths
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.content


# --- API key pages ----------------------------------------------------------------------------


@pytest.mark.urls("tests.test_api")
def test_it_lets_an_officer_create_and_revoke_a_key(client: Client, officer_selatan: User) -> None:
    client.force_login(officer_selatan)
    url = reverse("apikeys:list")
    assert client.get(url).status_code == 200
    created = client.post(url, {"name": "Tablet SPKT", "scope": "read_write"})
    assert created.status_code == 200
    key = ApiKey.objects.get(user=officer_selatan)
    raw = created.context["raw_key"]
    assert raw.startswith(f"kmt_{key.prefix}_") and raw.encode() in created.content
    assert ApiKey.authenticate(raw) == key
    assert raw.encode() not in client.get(url).content  # shown once
    client.post(reverse("apikeys:revoke", args=[key.pk]))
    assert ApiKey.authenticate(raw) is None


@pytest.mark.urls("tests.test_api")
def test_it_keeps_key_pages_to_their_owner(
    client: Client, officer_selatan: User, officer_utara: User, resident: User
) -> None:
    key, raw = ApiKey.issue(officer_selatan, "mine", "read")
    client.force_login(officer_utara)
    assert client.post(reverse("apikeys:revoke", args=[key.pk])).status_code == 404
    assert ApiKey.authenticate(raw) is not None
    client.force_login(resident)
    assert client.get(reverse("apikeys:list")).status_code == 403
    anonymous = Client().get(reverse("apikeys:list"))
    assert anonymous.status_code == 302


@pytest.mark.urls("tests.test_api")
def test_it_refuses_a_key_without_a_name(client: Client, officer_selatan: User) -> None:
    client.force_login(officer_selatan)
    response = client.post(reverse("apikeys:list"), {"name": "", "scope": "read"})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()
