"""Staff side of community programmes and events: forms and bad input, scoping per persona,
audit rows, attendance by list, status changes, QR rotation, certificates, iCal, demo."""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import AuditEvent
from kamtibmas.community import attendance, certificate, ical
from kamtibmas.community.demo import load_demo_programmes
from kamtibmas.community.models import Event, Programme, ProgrammeKind, Registration
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.notifications.models import OutboundMessage
from tests.conftest import CANARY_EMAIL, CANARY_NAME, CANARY_PHONE, SELATAN_KELURAHAN, make_user

pytestmark = pytest.mark.django_db
WITA = timezone.get_default_timezone()


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def selatan() -> Unit:
    return Unit.objects.get(code="polsek-balikpapan-selatan")


@pytest.fixture
def bhabin_utara(db: Any) -> Any:
    return make_user("bhabin.utara", roles.COMMUNITY_OFFICER, "polsek-balikpapan-utara")


def make_programme(unit: Unit, kind: str = ProgrammeKind.DIALOGUE, **extra: Any) -> Programme:
    return Programme.objects.create(name=extra.pop("name", "Jumat Curhat Sepinggan"), kind=kind,
                                    organising_unit=unit, **extra)  # fmt: skip


def make_event(programme: Programme, start: datetime | None = None, **extra: Any) -> Event:
    starts = start or timezone.now() + timedelta(days=3)
    values: dict[str, Any] = {
        "title": "Dialog keamanan RT 05",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
        "place_name": "Balai Kelurahan Sepinggan Baru",
    }
    values.update(extra)
    return Event.objects.create(programme=programme, **values)


def register(event: Event, name: str = CANARY_NAME, **extra: Any) -> Registration:
    return Registration.objects.create(event=event, name=name, **extra)


def event_post(**overrides: str) -> dict[str, str]:
    data = {
        "title": "Penyuluhan anti-narkoba",
        "starts_at": "2027-01-15T09:00",
        "ends_at": "2027-01-15T11:30",
        "place_name": "Aula SMA 5",
        "lat": "",
        "lon": "",
        "kelurahan": "",
        "audience": "Pelajar",
        "capacity": "50",
        "materials": "Leaflet",
        "description": "Bahaya narkoba",
        "is_public": "on",
        "registration_open": "on",
    }
    data.update(overrides)
    return data


# ---- programmes ----------------------------------------------------------------------------


def test_it_creates_a_programme_in_the_officers_own_unit_and_audits_it(
    bhabin_selatan: Any, selatan: Unit
) -> None:
    kel = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    response = login(bhabin_selatan).post("/petugas/kegiatan/program/baru/", {
        "name": "Jumat Curhat Sepinggan", "kind": "dialogue", "organising_unit": selatan.pk,
        "target_kelurahan": [kel.pk], "audience": "Warga", "is_active": "on",
    })  # fmt: skip
    programme = Programme.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{programme.pk}/")
    assert list(programme.target_kelurahan.all()) == [kel]
    row = AuditEvent.objects.get(action="programme_created")
    assert row.object_id == str(programme.pk) and row.actor == bhabin_selatan


def test_a_programme_cannot_be_given_to_another_polsek(bhabin_selatan: Any) -> None:
    utara = Unit.objects.get(code="polsek-balikpapan-utara")
    response = login(bhabin_selatan).post("/petugas/kegiatan/program/baru/", {
        "name": "Dialog", "kind": "dialogue", "organising_unit": utara.pk,
    })  # fmt: skip
    assert response.status_code == 400 and not Programme.objects.exists()
    assert 'value="Dialog"' in response.content.decode()


def test_programme_pages_are_scoped_to_the_unit(
    bhabin_selatan: Any, bhabin_utara: Any, officer_selatan: Any, selatan: Unit
) -> None:
    programme = make_programme(selatan)
    event = make_event(programme)
    other = login(bhabin_utara)
    assert other.get(f"/petugas/kegiatan/program/{programme.pk}/").status_code == 404
    assert other.get(f"/petugas/kegiatan/acara/{event.pk}/").status_code == 404
    assert programme.name not in other.get("/petugas/kegiatan/").content.decode()
    assert other.post(f"/petugas/kegiatan/acara/{event.pk}/status/",
                      {"status": "cancelled"}).status_code == 404  # fmt: skip
    desk = login(officer_selatan)
    assert desk.get(f"/petugas/kegiatan/acara/{event.pk}/").status_code == 200
    assert desk.get(f"/petugas/kegiatan/program/{programme.pk}/ubah/").status_code == 403
    assert (
        login(bhabin_selatan).get(f"/petugas/kegiatan/program/{programme.pk}/").status_code == 200
    )


def test_the_programme_page_lists_events_and_counts(bhabin_selatan: Any, selatan: Unit) -> None:
    programme = make_programme(selatan)
    held = make_event(programme, timezone.now() - timedelta(days=10), title="Sudah lewat",
                      status=Event.Status.HELD)  # fmt: skip
    make_event(programme, title="Akan datang")
    register(held, attended_at=held.starts_at)
    page = login(bhabin_selatan).get(f"/petugas/kegiatan/program/{programme.pk}/").content.decode()
    assert "Sudah lewat" in page and "Akan datang" in page
    assert re.search(r"Hadir: 1", page) or "Attended: 1" in page


# ---- events: form, bad input -------------------------------------------------------------


def test_it_creates_an_event_with_times_in_wita(bhabin_selatan: Any, selatan: Unit) -> None:
    programme = make_programme(selatan)
    response = login(bhabin_selatan).post(
        f"/petugas/kegiatan/program/{programme.pk}/acara/baru/", event_post()
    )
    event = Event.objects.get()
    assert response.status_code == 302
    assert event.starts_at == datetime(2027, 1, 15, 1, 0, tzinfo=UTC)
    assert AuditEvent.objects.filter(action="event_created", object_id=str(event.pk)).exists()


def test_the_kelurahan_comes_from_the_pin(bhabin_selatan: Any, selatan: Unit) -> None:
    programme = make_programme(selatan)
    kel = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    login(bhabin_selatan).post(
        f"/petugas/kegiatan/program/{programme.pk}/acara/baru/",
        event_post(lat=str(kel.lat), lon=str(kel.lon)),
    )
    assert Event.objects.get().kelurahan == kel


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_at": "2027-01-15T08:00"}, "Waktu selesai harus setelah waktu mulai."),
        ({"starts_at": "besok pagi"}, "2025-03-01 14:30"),
        ({"capacity": "-3"}, "capacity"),
        ({"lat": "-1.2"}, "Isi lintang dan bujur"),
        ({"lat": "3.5", "lon": "100.0"}, "di luar Balikpapan"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_event_input_is_refused_and_the_values_are_kept(
    bhabin_selatan: Any, selatan: Unit, overrides: dict[str, str], message: str
) -> None:
    programme = make_programme(selatan)
    response = login(bhabin_selatan).post(
        f"/petugas/kegiatan/program/{programme.pk}/acara/baru/", event_post(**overrides)
    )
    page = response.content.decode()
    assert response.status_code == 400 and not Event.objects.exists()
    assert 'value="Aula SMA 5"' in page or overrides.get("title") == ""
    assert message in page or 'class="errorlist' in page
    if message == "capacity":
        assert "errorlist" in page


def test_capacity_cannot_drop_below_registrations(bhabin_selatan: Any, selatan: Unit) -> None:
    event = make_event(make_programme(selatan), capacity=10)
    for n in range(3):
        register(event, name=f"Peserta {n}")
    response = login(bhabin_selatan).post(
        f"/petugas/kegiatan/acara/{event.pk}/ubah/", event_post(capacity="2")
    )
    assert response.status_code == 400
    event.refresh_from_db()
    assert event.capacity == 10


def test_an_edit_is_audited_with_the_changed_fields(bhabin_selatan: Any, selatan: Unit) -> None:
    event = make_event(make_programme(selatan))
    login(bhabin_selatan).post(f"/petugas/kegiatan/acara/{event.pk}/ubah/", event_post())
    row = AuditEvent.objects.get(action="event_changed")
    assert "title" in row.detail["fields"] and "capacity" in row.detail["fields"]


# ---- the staff event page, status, attendance ---------------------------------------------


def test_the_staff_page_shows_registrants_with_contacts(bhabin_selatan: Any, selatan: Unit) -> None:
    event = make_event(make_programme(selatan))
    register(event, phone=CANARY_PHONE, email=CANARY_EMAIL)
    page = login(bhabin_selatan).get(f"/petugas/kegiatan/acara/{event.pk}/").content.decode()
    assert CANARY_NAME in page and CANARY_PHONE in page and CANARY_EMAIL in page


def test_cancelling_an_event_tells_registrants_with_a_contact(
    bhabin_selatan: Any, selatan: Unit
) -> None:
    event = make_event(make_programme(selatan))
    register(event, email=CANARY_EMAIL)
    register(event, name="Tanpa kontak")
    client = login(bhabin_selatan)
    client.post(f"/petugas/kegiatan/acara/{event.pk}/status/", {"status": "cancelled"})
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    message = OutboundMessage.objects.get()
    assert message.recipient == CANARY_EMAIL and event.title in message.body
    audit = AuditEvent.objects.get(action="event_status")
    assert audit.detail == {"old": "planned", "new": "cancelled"}


def test_an_event_cannot_be_marked_held_before_it_starts(
    bhabin_selatan: Any, selatan: Unit
) -> None:
    event = make_event(make_programme(selatan))
    response = login(bhabin_selatan).post(
        f"/petugas/kegiatan/acara/{event.pk}/status/", {"status": "held"}, follow=True
    )
    event.refresh_from_db()
    assert event.status == Event.Status.PLANNED
    assert "sudah dimulai" in response.content.decode()
    bogus = login(bhabin_selatan).post(f"/petugas/kegiatan/acara/{event.pk}/status/",
                                       {"status": "nonsense"})  # fmt: skip
    assert bogus.status_code == 302


def test_staff_tick_attendance_and_undo(bhabin_selatan: Any, selatan: Unit) -> None:
    event = make_event(make_programme(selatan), timezone.now() - timedelta(hours=1))
    person = register(event)
    client = login(bhabin_selatan)
    url = f"/petugas/kegiatan/acara/{event.pk}/hadir/"
    client.post(url, {"registration": person.pk, "present": "1"})
    person.refresh_from_db()
    assert person.attended_at is not None
    client.post(url, {"registration": person.pk, "present": "0"})
    person.refresh_from_db()
    assert person.attended_at is None
    assert AuditEvent.objects.filter(action="event_attendance").count() == 2
    assert client.post(url, {"registration": "x"}).status_code == 302


def test_attendance_cannot_be_ticked_before_the_event_day(
    bhabin_selatan: Any, selatan: Unit
) -> None:
    event = make_event(make_programme(selatan), timezone.now() + timedelta(days=5))
    person = register(event)
    login(bhabin_selatan).post(f"/petugas/kegiatan/acara/{event.pk}/hadir/",
                               {"registration": person.pk, "present": "1"})  # fmt: skip
    person.refresh_from_db()
    assert person.attended_at is None


def test_the_page_offers_ticks_and_walk_ins_only_from_the_event_day(
    bhabin_selatan: Any, selatan: Unit
) -> None:
    programme = make_programme(selatan)
    later = make_event(programme, timezone.now() + timedelta(days=5))
    today = make_event(programme, timezone.now() - timedelta(hours=1))
    for event in (later, today):
        register(event)
    client = login(bhabin_selatan)
    before = client.get(f"/petugas/kegiatan/acara/{later.pk}/").content.decode()
    assert f"/petugas/kegiatan/acara/{later.pk}/hadir/" not in before
    assert "Kehadiran dapat dicatat mulai hari kegiatan." in before
    on_the_day = client.get(f"/petugas/kegiatan/acara/{today.pk}/").content.decode()
    assert f"/petugas/kegiatan/acara/{today.pk}/hadir/" in on_the_day


def test_a_walk_in_is_added_present_and_bad_input_keeps_values(
    bhabin_selatan: Any, selatan: Unit
) -> None:
    event = make_event(make_programme(selatan), timezone.now() - timedelta(minutes=30))
    client = login(bhabin_selatan)
    url = f"/petugas/kegiatan/acara/{event.pk}/peserta-datang/"
    bad = client.post(url, {"name": "Budi Walkin", "phone": "abc"})
    assert bad.status_code == 400 and 'value="Budi Walkin"' in bad.content.decode()
    client.post(url, {"name": "Budi Walkin", "phone": "0812 3456 7890"})
    walk_in = Registration.objects.get()
    assert walk_in.source == Registration.Source.ON_SITE and walk_in.attended_at is not None


def test_other_polsek_cannot_change_attendance(bhabin_utara: Any, selatan: Unit) -> None:
    event = make_event(make_programme(selatan), timezone.now() - timedelta(minutes=30))
    person = register(event)
    response = login(bhabin_utara).post(f"/petugas/kegiatan/acara/{event.pk}/hadir/",
                                        {"registration": person.pk, "present": "1"})  # fmt: skip
    person.refresh_from_db()
    assert response.status_code == 404 and person.attended_at is None


def test_the_qr_page_shows_an_svg_and_rotation_revokes_the_old_code(
    bhabin_selatan: Any, selatan: Unit
) -> None:
    event = make_event(make_programme(selatan))
    client = login(bhabin_selatan)
    old = event.attendance_token
    page = client.get(f"/petugas/kegiatan/acara/{event.pk}/qr/").content.decode()
    assert "<svg" in page and old in page
    client.post(f"/petugas/kegiatan/acara/{event.pk}/qr/ganti/")
    event.refresh_from_db()
    assert event.attendance_token != old
    assert Client().get(f"/kegiatan/hadir/{old}/").status_code == 404
    assert Client().get(f"/kegiatan/hadir/{event.attendance_token}/").status_code == 200
    assert AuditEvent.objects.filter(action="event_qr_rotated").exists()


# ---- certificates --------------------------------------------------------------------------


def pdf_text(data: bytes) -> bytes:
    """The PDF's bytes with its compressed streams inflated (enough to find metadata)."""
    out = data
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out += zlib.decompress(stream)
        except zlib.error:
            continue
    return out


def test_a_certificate_needs_attendance_at_a_training(bhabin_selatan: Any, selatan: Unit) -> None:
    programme = make_programme(selatan, kind=ProgrammeKind.SECURITY_TRAINING)
    event = make_event(programme, timezone.now() - timedelta(hours=3))
    person = register(event, name="Budi Peserta Pelatihan")
    client = login(bhabin_selatan)
    url = f"/petugas/kegiatan/acara/{event.pk}/sertifikat/{person.pk}.pdf"
    assert client.get(url).status_code == 404
    attendance.mark_present(person, bhabin_selatan)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and b"Budi Peserta Pelatihan" in pdf_text(
        response.content
    )
    person.refresh_from_db()
    year = timezone.localtime(event.starts_at).year
    assert person.certificate_number == f"KMB/{year}/{event.pk}/1"


def test_certificate_numbers_are_stable_and_unique(selatan: Unit) -> None:
    event = make_event(make_programme(selatan, kind=ProgrammeKind.ANTI_DRUG),
                       timezone.now() - timedelta(hours=3))  # fmt: skip
    first, second = register(event, name="A"), register(event, name="B")
    for person in (second, first):
        attendance.mark_present(person, None)
    assert certificate.ensure_number(second).endswith("/1")
    assert certificate.ensure_number(first).endswith("/2")
    assert certificate.ensure_number(second).endswith("/1")
    assert AuditEvent.objects.filter(action="event_certificate_issued").count() == 2


def test_dialogues_give_no_certificate(selatan: Unit) -> None:
    event = make_event(make_programme(selatan), timezone.now() - timedelta(hours=3))
    person = register(event, attended_at=timezone.now())
    assert not certificate.is_eligible(person)


# ---- iCal ----------------------------------------------------------------------------------


def unfold(text: str) -> list[str]:
    """RFC 5545 3.1: a CRLF followed by one space or tab continues the line."""
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def vevents(text: str) -> list[dict[str, str]]:
    found, current = [], None
    for line in unfold(text):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT" and current is not None:
            found.append(current)
            current = None
        elif current is not None:
            key, _, value = line.partition(":")
            current[key] = value
    return found


def test_the_ical_feed_is_rfc5545(selatan: Unit) -> None:
    programme = make_programme(selatan)
    kel = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    long_title = "Dialog; keamanan, ketertiban\\lingkungan — " + "Sepinggan Baru " * 6
    event = make_event(programme, datetime(2030, 5, 3, 9, 0, tzinfo=WITA), title=long_title,
                       description="Baris satu\nBaris dua", lat=kel.lat, lon=kel.lon)  # fmt: skip
    make_event(programme, title="Rahasia internal", is_public=False)
    make_event(programme, title="Sudah lama", start=timezone.now() - timedelta(days=60))
    cancelled = make_event(programme, title="Batal", status=Event.Status.CANCELLED)
    response = Client().get("/events.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    text = raw.decode("utf-8")
    items = {unescape(e["SUMMARY"]): e for e in vevents(text)}
    assert "Rahasia internal" not in items and "Sudah lama" not in items
    mine = items[long_title]
    assert mine["UID"] == f"{event.uid}@127.0.0.1"
    assert mine["DTSTART"] == "20300503T010000Z" and mine["DTEND"] == "20300503T030000Z"
    assert unescape(mine["DESCRIPTION"]).startswith("Baris satu\nBaris dua")
    assert f"/kegiatan/{event.uid}/" in mine["URL"] and mine["GEO"].startswith(f"{kel.lat:.6f};")
    assert re.fullmatch(r"\d{8}T\d{6}Z", mine["DTSTAMP"]) and mine["STATUS"] == "CONFIRMED"
    assert items[f"DIBATALKAN: {cancelled.title}"]["STATUS"] == "CANCELLED"
    again = vevents(Client().get("/events.ics").content.decode())
    assert {e["UID"] for e in again} == {e["UID"] for e in items.values()}


def test_folding_never_splits_a_utf8_character() -> None:
    line = "SUMMARY:" + "é" * 100
    folded = ical.fold(line)
    pieces = folded.encode("utf-8").split(b"\r\n")
    assert all(len(p) <= 75 for p in pieces)
    assert all(p.decode("utf-8") for p in pieces)
    assert unfold(folded) == [line]
    assert ical.escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"


# ---- demo ----------------------------------------------------------------------------------


def test_the_demo_is_idempotent_and_fills_every_kind() -> None:
    now = datetime(2026, 11, 20, 10, 0, tzinfo=WITA)
    first = load_demo_programmes(seed=7, now=now)
    assert first["programmes_created"] == len(ProgrammeKind.values)
    assert set(Programme.objects.values_list("kind", flat=True)) == set(ProgrammeKind.values)
    assert Programme.objects.values("organising_unit").distinct().count() >= 4
    assert Event.objects.filter(status=Event.Status.CANCELLED).count() == 1
    held = Event.objects.filter(status=Event.Status.HELD)
    assert held.exists() and all(e.starts_at < now for e in held)
    assert all(e.starts_at > now for e in Event.objects.filter(status=Event.Status.PLANNED))
    assert Registration.objects.filter(attended_at__isnull=False).exists()
    assert not Registration.objects.filter(email__iendswith="example.org").exists()
    assert all(e.is_synthetic for e in Event.objects.all())
    counts = (Event.objects.count(), Registration.objects.count())
    second = load_demo_programmes(seed=7, now=now)
    assert second == {"programmes_created": 0, "events_created": 0, "registrations_created": 0}
    assert (Event.objects.count(), Registration.objects.count()) == counts
    assert not OutboundMessage.objects.exists()


def test_the_demo_is_deterministic_for_a_seed() -> None:
    now = datetime(2026, 11, 20, 10, 0, tzinfo=WITA)
    load_demo_programmes(seed=7, now=now)
    first = sorted(Event.objects.values_list("uid", "starts_at", "title"))
    names = sorted(Registration.objects.values_list("name", "email", "phone"))
    Registration.objects.all().delete()
    Event.objects.all().delete()
    load_demo_programmes(seed=7, now=now)
    assert sorted(Event.objects.values_list("uid", "starts_at", "title")) == first
    assert sorted(Registration.objects.values_list("name", "email", "phone")) == names
