from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from kamtibmas.reports import codes, intake
from kamtibmas.reports.models import EventKind, Status
from tests.conftest import UTARA_KELURAHAN, draft, png_bytes


def test_it_routes_report_to_polsek_by_location(make_report: Any) -> None:
    report = make_report()
    assert report.assigned_unit.code == "polsek-balikpapan-selatan"
    assert report.kelurahan_code == "64.71.05.1008"
    assert report.status == Status.RECEIVED
    assert report.events.get().kind == EventKind.CREATED


def test_it_routes_narcotics_tip_to_resnarkoba(make_report: Any) -> None:
    report = make_report(
        kind="tip",
        category_code="narcotics",
        keep_anonymous=True,
        reporter_name="",
        reporter_phone="",
        reporter_email="",
    )
    assert report.assigned_unit.code == "sat-resnarkoba"


def test_it_routes_police_conduct_complaint_to_polres(make_report: Any) -> None:
    report = make_report(kind="complaint", category_code="police_conduct")
    assert report.assigned_unit.code == "polres-balikpapan"


def test_it_routes_by_place_in_another_kecamatan(make_report: Any) -> None:
    assert make_report(kelurahan_at=UTARA_KELURAHAN).assigned_unit.code == (
        "polsek-balikpapan-utara"
    )


def test_tracking_code_is_readable_and_normalizes(make_report: Any) -> None:
    code = make_report().tracking_code
    assert len(code) == 12 and code.count("-") == 2
    assert set(code.replace("-", "")) <= set(codes.ALPHABET)
    assert codes.normalize(code.lower().replace("-", " ")) == code
    assert codes.normalize("0000-000-000") == ""


@pytest.mark.django_db
def test_outside_area_is_refused_with_message() -> None:
    with pytest.raises(intake.IntakeError) as exc:
        intake.submit(draft(lat=-6.2, lon=106.8))
    assert "location" in exc.value.errors


@pytest.mark.django_db
def test_photo_metadata_is_stripped_and_non_images_refused(make_report: Any) -> None:
    exif = Image.Exif()
    exif[0x8825] = {2: (1.0, 2.0, 3.0)}  # GPS info
    exif[0x010F] = "CanaryCam"
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(buf, format="JPEG", exif=exif.tobytes())
    buf.seek(0)
    report = make_report(photos=[("a.jpg", buf)])
    stored = report.photos.get()
    with Image.open(stored.image.path) as img:
        assert not img.getexif()
    with open(stored.image.path, "rb") as fh:
        assert b"CanaryCam" not in fh.read()
    with pytest.raises(intake.IntakeError) as exc:
        intake.submit(draft(), [("x.jpg", io.BytesIO(b"%PDF-1.4 not an image"))])
    assert "photos" in exc.value.errors


@pytest.mark.django_db
def test_idempotency_key_files_once() -> None:
    first = intake.submit(draft(), idempotency_key="phone-retry-1")
    second = intake.submit(draft(), idempotency_key="phone-retry-1")
    assert first.pk == second.pk


@pytest.mark.django_db
def test_nothing_is_stored_when_one_photo_is_bad() -> None:
    from kamtibmas.reports.models import Report

    with pytest.raises(intake.IntakeError):
        intake.submit(
            draft(), [("ok.png", io.BytesIO(png_bytes())), ("bad.png", io.BytesIO(b"nope"))]
        )
    assert Report.objects.count() == 0
