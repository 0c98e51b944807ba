"""The coordinator's check-in without an account: the night's round (idempotent, across
midnight, linked to tonight's roster night), a suspicious report entering the workflow with its
source, revoked or unknown links, bad input and rate limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

import pytest
import time_machine
from django.test import Client

from kamtibmas.accounts.models import AuditEvent
from kamtibmas.reports.models import Channel, Report
from kamtibmas.siskamling import checkin
from kamtibmas.siskamling.models import CheckIn, PostReport, RosterNight
from tests.conftest import CANARY_NAME, CANARY_PHONE, UTARA_KELURAHAN
from tests.test_siskamling_posts import make_post

pytestmark = pytest.mark.django_db

WITA = checkin.WITA
NOW = datetime(2026, 3, 3, 3, 0, tzinfo=WITA)  # Tuesday 03:00: Monday's night
KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def at_night() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def post(db: Any) -> Any:
    return make_post(name="Pos Kamling Anggrek")


@pytest.fixture
def night(post: Any) -> RosterNight:
    return RosterNight.objects.create(
        post=post, date=date(2026, 3, 2), members=["Budi Contoh", "Andi Contoh"],
        starts_at=datetime(2026, 3, 2, 22, 0, tzinfo=WITA),
        ends_at=datetime(2026, 3, 3, 4, 0, tzinfo=WITA),
    )  # fmt: skip


def round_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "key": KEY,
        "members": ["Budi Contoh"],
        "others": "Pak RT Contoh, Ibu Sari Contoh",
        "attendee_count": "",
        "start": "22:30",
        "end": "02:15",
        "all_quiet": "0",
        "observations": "Motor tanpa plat mondar-mandir di gang 3.",
    }
    data.update(overrides)
    return data


def report_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "key": "fedcba9876543210fedcba9876543210",
        "category": "crime.curanmor",
        "description": "Dua orang mencoba membuka kunci motor di depan warung.",
        "occurred_at": "01:40",
        "address_text": "",
        "reporter_name": CANARY_NAME,
        "reporter_phone": CANARY_PHONE,
    }
    data.update(overrides)
    return data


# ---- times of the night ----------------------------------------------------------------------


def test_a_round_after_midnight_belongs_to_the_evening_before() -> None:
    assert checkin.night_date(NOW) == date(2026, 3, 2)
    assert checkin.night_date(datetime(2026, 3, 2, 21, 0, tzinfo=WITA)) == date(2026, 3, 2)
    start, end = checkin.round_times(date(2026, 3, 2), time(22, 30), time(2, 15))
    assert start == datetime(2026, 3, 2, 22, 30, tzinfo=WITA)
    assert end == datetime(2026, 3, 3, 2, 15, tzinfo=WITA)
    start, end = checkin.round_times(date(2026, 3, 2), time(0, 30), time(3, 0))
    assert start.date() == end.date() == date(2026, 3, 3)


# ---- the round -------------------------------------------------------------------------------


def test_the_page_shows_tonights_duty_list_and_no_contact(
    at_night: None, post: Any, night: Any
) -> None:
    response = Client().get(f"/pos/{post.checkin_token}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Pos Kamling Anggrek" in text and "Budi Contoh" in text and "Andi Contoh" in text
    assert CANARY_PHONE not in text and CANARY_NAME not in text
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"


def test_a_round_is_recorded_once_even_when_the_phone_resends(
    at_night: None, post: Any, night: Any
) -> None:
    client = Client()
    first = client.post(f"/pos/{post.checkin_token}/", round_data())
    assert first.status_code == 200 and "tercatat" in first.content.decode()
    again = client.post(f"/pos/{post.checkin_token}/", round_data())
    assert again.status_code == 200
    assert CheckIn.objects.count() == 1
    done = CheckIn.objects.get()
    assert done.night == night and done.via == CheckIn.Via.LINK
    assert done.started_at == datetime(2026, 3, 2, 22, 30, tzinfo=WITA)
    assert done.ended_at == datetime(2026, 3, 3, 2, 15, tzinfo=WITA)
    assert done.attendees == ["Budi Contoh", "Pak RT Contoh", "Ibu Sari Contoh"]
    assert done.attendee_count == 3 and not done.all_quiet
    assert AuditEvent.objects.filter(action="siskamling_checkin_recorded").count() == 1


def test_a_round_without_a_roster_night_is_recorded_with_a_given_count(
    at_night: None, post: Any
) -> None:
    data = round_data(members=[], others="", attendee_count="5", all_quiet="1", observations="")
    response = Client().post(f"/pos/{post.checkin_token}/", data)
    assert response.status_code == 200
    done = CheckIn.objects.get()
    assert done.night is None and done.attendee_count == 5 and done.all_quiet


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start": "03:30", "end": ""}, "tidak bisa dimulai pada waktu yang akan datang"),
        ({"end": "03:45"}, "tidak bisa selesai pada waktu yang akan datang"),
        ({"start": "jam sepuluh"}, "Masukkan waktu yang valid"),
        ({"attendee_count": "-2"}, "sama dengan 0"),
        ({"key": "x"}, "kedaluwarsa"),
    ],
)
def test_a_bad_round_is_refused_with_a_message_and_the_values_kept(
    at_night: None, post: Any, overrides: dict[str, str], message: str
) -> None:
    response = Client().post(f"/pos/{post.checkin_token}/", round_data(**overrides))
    assert response.status_code == 400
    text = response.content.decode()
    assert message in text
    assert "Motor tanpa plat mondar-mandir di gang 3." in text
    assert not CheckIn.objects.exists()


def test_an_unknown_or_revoked_link_is_a_404_that_reveals_nothing(post: Any) -> None:
    client = Client()
    for path in ("/pos/not-a-real-token/", "/pos/not-a-real-token/lapor/"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Bhabinkamtibmas" in response.content.decode()
        assert "Anggrek" not in response.content.decode()
    assert client.post("/pos/not-a-real-token/", round_data()).status_code == 404
    assert not CheckIn.objects.exists()


def test_round_posts_are_rate_limited(at_night: None, post: Any) -> None:
    client = Client()
    statuses = [
        client.post(f"/pos/{post.checkin_token}/", round_data(key=f"{KEY}{n:04d}")).status_code
        for n in range(31)
    ]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    assert CheckIn.objects.count() == 30


# ---- something suspicious --------------------------------------------------------------------


def test_a_suspicious_report_enters_the_workflow_from_the_post(
    at_night: None, post: Any, night: Any
) -> None:
    client = Client()
    client.post(f"/pos/{post.checkin_token}/", round_data())
    round_ = CheckIn.objects.get()
    form = client.get(f"/pos/{post.checkin_token}/lapor/?round={round_.pk}")
    assert f'value="{round_.pk}"' in form.content.decode()
    response = client.post(f"/pos/{post.checkin_token}/lapor/", report_data(round=round_.pk))
    assert response.status_code == 200
    report = Report.objects.get()
    assert report.tracking_code in response.content.decode()
    assert report.channel == Channel.SISKAMLING
    assert report.kelurahan_code == post.kelurahan_code and report.lat == post.lat
    assert report.occurred_from == datetime(2026, 3, 3, 1, 40, tzinfo=WITA)
    assert report.assigned_unit is not None
    link = PostReport.objects.get()
    assert link.post == post and link.checkin == round_ and link.report == report
    assert report.siskamling_source == link
    event = AuditEvent.objects.get(action="siskamling_post_report_filed")
    assert CANARY_PHONE not in str(event.detail) and CANARY_NAME not in str(event.detail)
    client.post(f"/pos/{post.checkin_token}/lapor/", report_data(round=round_.pk))
    assert Report.objects.count() == 1 and PostReport.objects.count() == 1


def test_a_report_cannot_claim_another_posts_round(at_night: None, post: Any) -> None:
    other = make_post(UTARA_KELURAHAN, name="Pos Lain")
    foreign = CheckIn.objects.create(post=other, started_at=NOW)
    response = Client().post(f"/pos/{post.checkin_token}/lapor/", report_data(round=foreign.pk))
    assert response.status_code == 200
    assert PostReport.objects.get().checkin is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"description": "singkat"}, "minimal 10 karakter"),
        ({"category": "crime.nothing"}, "Masukkan pilihan yang valid"),
        ({"reporter_phone": "telepon saya"}, "Nomor telepon ini tidak valid"),
    ],
)
def test_a_bad_report_is_refused_with_a_message_and_the_values_kept(
    at_night: None, post: Any, overrides: dict[str, str], message: str
) -> None:
    data = report_data(address_text="Ujung gang mawar", **overrides)
    response = Client().post(f"/pos/{post.checkin_token}/lapor/", data)
    assert response.status_code == 400
    text = response.content.decode()
    assert message in text and "Ujung gang mawar" in text
    assert not Report.objects.exists() and not PostReport.objects.exists()


def test_the_staff_page_of_the_report_names_its_post(
    at_night: None, post: Any, officer_selatan: Any
) -> None:
    Client().post(f"/pos/{post.checkin_token}/lapor/", report_data())
    report = Report.objects.get()
    staff = Client()
    staff.force_login(officer_selatan)
    text = staff.get(f"/petugas/laporan/{report.tracking_code}/").content.decode()
    assert "Pos Kamling Anggrek" in text
    detail = staff.get(f"/petugas/siskamling/pos/{post.pk}/").content.decode()
    assert report.tracking_code in detail
