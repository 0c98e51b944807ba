"""The public web pages: home, report form, receipt, tracking and status page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kamtibmas.reports import workflow
from kamtibmas.reports.models import Category, Report, Status
from tests.conftest import (
    CANARY_EMAIL,
    CANARY_NAME,
    CANARY_PHONE,
    SELATAN_KELURAHAN,
    UTARA_KELURAHAN,
    png_bytes,
    point_in,
)

pytestmark = pytest.mark.django_db
NEW = "/lapor/"


@pytest.fixture
def client() -> Client:
    """An English-speaking browser, so message checks hold once the Indonesian catalogue is
    compiled (the site's default language is Indonesian)."""
    browser = Client()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return browser


def form_data(**overrides: Any) -> dict[str, Any]:
    lat, lon = point_in(SELATAN_KELURAHAN)
    data: dict[str, Any] = {
        "kind": "crime",
        "category": "crime.curanmor",
        "description": "Sepeda motor saya hilang di depan warung.",
        "occurred_from": "2025-01-05T14:30",
        "lat": f"{lat:.6f}",
        "lon": f"{lon:.6f}",
        "address_text": "Jl. Marsma R. Iswahyudi, depan warung",
        "reporter_name": CANARY_NAME,
        "reporter_phone": CANARY_PHONE,
        "reporter_email": CANARY_EMAIL,
        "idempotency_key": "5f0c8a1e9b2d4c6e8f0a1b2c3d4e5f60",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def photo(name: str = "foto.png", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, png_bytes() if content is None else content, content_type="image/png"
    )


def post(client: Client, **overrides: Any) -> Any:
    return client.post(NEW, form_data(**overrides))


def assert_refused(response: Any, message: str) -> None:
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Report.objects.count() == 0


# --- home and language -----------------------------------------------------------------------


def test_it_renders_the_home_page_with_both_actions(client: Client) -> None:
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("reports:new") in html and reverse("reports:track_form") in html
    assert 'href="tel:110"' in html
    assert "27" in html  # UU 27/2022 privacy statement


def test_it_speaks_indonesian_by_default_and_english_on_request(client: Client) -> None:
    html = Client().get(NEW).content.decode()
    assert '<html lang="id">' in html
    assert "Pencurian kendaraan bermotor (Curanmor)" in html  # Category.label in Indonesian
    html = client.get(NEW).content.decode()
    assert '<html lang="en">' in html
    assert "Motor-vehicle theft" in html


def test_it_switches_language_through_setlang() -> None:
    browser = Client()
    browser.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in browser.get("/").content.decode()
    browser.post("/i18n/setlang/", {"language": "id", "next": "/"})
    assert '<html lang="id">' in browser.get("/").content.decode()


# --- filing ----------------------------------------------------------------------------------


def test_it_files_a_report_with_a_photo_and_shows_the_receipt(client: Client) -> None:
    data = form_data(
        **{
            "q__crime__curanmor__vehicle_type": "motorcycle",
            "q__crime__curanmor__plate_number": "KT 1234 AB",
        }
    )
    response = client.post(NEW, {**data, "photos": [photo("a.png"), photo("b.png")]})
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:receipt", args=[report.tracking_code])
    assert report.assigned_unit.code == "polsek-balikpapan-selatan"
    assert report.kelurahan_code == SELATAN_KELURAHAN
    assert report.photos.count() == 2
    assert report.channel == "web"
    assert report.extra == {"vehicle_type": "motorcycle", "plate_number": "KT 1234 AB"}
    html = client.get(response["Location"]).content.decode()
    assert report.tracking_code in html
    assert report.assigned_unit.name in html
    assert reverse("reports:track", args=[report.tracking_code]) in html
    assert 'name="robots" content="noindex' in html


def test_it_reads_the_time_as_wita(client: Client) -> None:
    post(client, occurred_from="2025-01-05T14:30", occurred_to="2025-01-05T16:00")
    report = Report.objects.get()
    assert report.occurred_from == datetime(2025, 1, 5, 6, 30, tzinfo=UTC)
    assert report.occurred_to == datetime(2025, 1, 5, 8, 0, tzinfo=UTC)


def test_it_files_once_when_the_phone_sends_the_form_twice(client: Client) -> None:
    first = post(client)
    second = post(client)
    assert Report.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_it_accepts_a_fully_anonymous_tip_without_contact(client: Client) -> None:
    response = post(
        client,
        kind="tip",
        category="tip.narcotics",
        reporter_name="",
        reporter_phone="",
        reporter_email="",
        keep_anonymous="on",
    )
    report = Report.objects.get()
    assert response.status_code == 302
    assert report.keep_anonymous and not report.has_contact and not report.reporter_name
    assert report.assigned_unit.code == "sat-resnarkoba"


def test_it_takes_the_kind_from_the_category_when_no_kind_was_chosen(client: Client) -> None:
    post(client, kind="", category="complaint.noise")
    assert Report.objects.get().kind == "complaint"


def test_it_lets_an_explicit_kelurahan_win_over_the_pin(client: Client) -> None:
    post(client, kelurahan=UTARA_KELURAHAN)
    assert Report.objects.get().kelurahan_code == UTARA_KELURAHAN


def test_it_accepts_an_address_without_a_pin(client: Client) -> None:
    response = post(client, lat="", lon="", kelurahan=SELATAN_KELURAHAN)
    assert response.status_code == 302


# --- bad input -------------------------------------------------------------------------------


def test_it_keeps_what_was_typed_and_stores_nothing_on_errors(client: Client) -> None:
    response = client.post(NEW, {**form_data(description="short", rt="12a"), "photos": [photo()]})
    html = response.content.decode()
    assert_refused(response, "at least 10 characters")
    assert "RT and RW are numbers" in html
    assert "Jl. Marsma R. Iswahyudi, depan warung" in html
    assert CANARY_PHONE in html and CANARY_EMAIL in html
    assert 'value="crime.curanmor" selected' in html
    assert 'value="2025-01-05T14:30"' in html
    assert 'value="5f0c8a1e9b2d4c6e8f0a1b2c3d4e5f60"' in html  # same idempotency key
    assert "Photos must be chosen again" in html


def test_it_explains_a_position_that_is_not_a_number(client: Client) -> None:
    response = post(client, lat="abc", lon="nan")
    assert_refused(response, "The map position is not valid")


def test_it_explains_a_malformed_date(client: Client) -> None:
    assert_refused(post(client, occurred_from="kemarin sore"), "Enter the date and time like")


def test_it_explains_a_time_window_that_ends_before_it_starts(client: Client) -> None:
    assert_refused(post(client, occurred_to="2025-01-05T10:00"), "before its start")


def test_it_explains_a_place_outside_the_polres_area(client: Client) -> None:
    assert_refused(post(client, lat="-6.2", lon="106.8"), "outside the area of Polres")


def test_it_explains_missing_kind_category_and_place(client: Client) -> None:
    response = post(client, kind="", category="", lat="", lon="", address_text="", description="")
    html = response.content.decode()
    assert_refused(response, "Choose what kind of report this is.")
    assert "Describe what happened" in html
    assert "Tell us where" in html


def test_it_explains_a_category_of_another_kind(client: Client) -> None:
    assert_refused(
        post(client, kind="tip", category="crime.curanmor"), "does not belong to the kind"
    )


def test_it_explains_an_unknown_category(client: Client) -> None:
    assert_refused(post(client, category="crime.nonsense"), "crime.nonsense")


def test_it_asks_for_required_extra_questions_and_keeps_their_answers(client: Client) -> None:
    category = Category.objects.get(kind="crime", code="curanmor")
    category.questions = [
        *category.questions,
        {
            "code": "loss_idr",
            "datatype": "number",
            "required": True,
            "description_id": "Kerugian (Rp)",
            "description_en": "Loss (IDR)",
        },
    ]
    category.save()
    plate = "q__crime__curanmor__plate_number"
    response = post(client, **{plate: "KT 9999 ZZ"})
    assert_refused(response, "This question must be answered.")
    assert 'value="KT 9999 ZZ"' in response.content.decode()
    post(client, **{"q__crime__curanmor__loss_idr": "15000000"})
    assert Report.objects.get().extra == {"loss_idr": 15000000}


def test_it_refuses_a_file_that_is_not_a_photo(client: Client) -> None:
    response = client.post(
        NEW, {**form_data(), "photos": [photo("surat.png", b"%PDF-1.4 not an image")]}
    )
    assert_refused(response, "is not a photo")


def test_it_refuses_an_oversized_photo(client: Client, settings: Any) -> None:
    settings.REPORT_PHOTO_MAX_BYTES = 2048
    big = photo("besar.png", b"\x89PNG" + b"0" * 4096)
    assert_refused(client.post(NEW, {**form_data(), "photos": [big]}), "larger than")


def test_it_refuses_more_than_five_photos(client: Client) -> None:
    photos = [photo(f"{i}.png") for i in range(6)]
    assert_refused(client.post(NEW, {**form_data(), "photos": photos}), "At most 5 photos")


def test_it_refuses_a_bad_email_and_phone(client: Client) -> None:
    response = post(client, reporter_email="not-an-email", reporter_phone="call me")
    assert_refused(response, "This e-mail address is not valid.")
    assert "This phone number is not valid." in response.content.decode()


def test_it_throttles_report_posts_per_address_with_retry_after(
    client: Client, settings: Any
) -> None:
    settings.REPORT_THROTTLE = "2/h"
    post(client, idempotency_key="")
    post(client, idempotency_key="")
    response = post(client, idempotency_key="")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "try again in" in response.content.decode()
    assert Report.objects.count() == 2


# --- receipt, tracking and status ------------------------------------------------------------


def test_it_shows_the_receipt_only_to_the_session_that_filed(client: Client) -> None:
    location = post(client)["Location"]
    code = Report.objects.get().tracking_code
    assert client.get(location).status_code == 200
    other = Client().get(location)
    assert other.status_code == 302
    assert other["Location"] == reverse("reports:track", args=[code])


def test_status_page_shows_public_notes_and_hides_the_rest(
    client: Client, officer_selatan: Any
) -> None:
    post(client, address_text="Jl. Rahasia No. 7")
    report = Report.objects.get()
    workflow.transition(report, Status.VERIFIED, officer_selatan)
    workflow.add_note(report, officer_selatan, "Petugas sudah mendatangi lokasi.", public=True)
    workflow.add_note(report, officer_selatan, "Internal: saksi kunci bernama X.", public=False)
    workflow.update_fields(report, officer_selatan, {"address_text": "Gang Kenari Rahasia"})
    response = Client().get(reverse("reports:track", args=[report.tracking_code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Petugas sudah mendatangi lokasi." in html
    assert report.kelurahan.name in html and report.assigned_unit.name in html
    for secret in (
        "Internal: saksi kunci",
        CANARY_NAME,
        CANARY_PHONE,
        CANARY_EMAIL,
        "Jl. Rahasia",
        "Gang Kenari",
        f"{report.lat:.5f}",
        officer_selatan.username,
    ):
        assert secret not in html
    assert 'name="robots" content="noindex' in html


def test_it_normalizes_a_typed_code_and_redirects(client: Client) -> None:
    post(client)
    code = Report.objects.get().tracking_code
    response = client.get("/lacak/", {"code": code.lower().replace("-", " ")})
    assert response["Location"] == reverse("reports:track", args=[code])
    assert client.get(f"/lacak/{code.replace('-', '').lower()}/")["Location"] == reverse(
        "reports:track", args=[code]
    )


def test_it_explains_a_malformed_or_unknown_code_on_the_track_form(client: Client) -> None:
    bad = client.get("/lacak/", {"code": "hello"})
    assert bad.status_code == 400 and "This is not a tracking code" in bad.content.decode()
    unknown = client.get("/lacak/", {"code": "7KQM-4TX-9HC"})
    assert unknown.status_code == 404
    assert "No report has this tracking code" in unknown.content.decode()
    assert 'value="7KQM-4TX-9HC"' in unknown.content.decode()


def test_unknown_code_gives_a_friendly_404(client: Client) -> None:
    for url in ("/lacak/7KQM-4TX-9HC/", "/lacak/not-a-code/", "/lapor/tanda-terima/nope/"):
        response = client.get(url, follow=True)
        assert response.status_code == 404
        assert "Report not found" in response.content.decode()


def test_it_throttles_code_lookups(client: Client, settings: Any) -> None:
    settings.TRACK_THROTTLE = "3/m"
    for _ in range(3):
        client.get("/lacak/7KQM-4TX-9HC/")
    response = client.get("/lacak/7KQM-4TX-9HC/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
