"""Public side of community events: calendar, event page and registration (capacity, closed,
cancelled, idempotent, throttled, bad input), the registrant's page (cancel, certificate),
self check-in with the QR code, and that registrants never show publicly."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone, translation

from kamtibmas.accounts.models import AuditEvent
from kamtibmas.community import attendance
from kamtibmas.community.models import Event, Programme, ProgrammeKind, Registration
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.notifications.models import OutboundMessage
from tests.conftest import (
    CANARY_EMAIL,
    CANARY_NAME,
    CANARY_PHONE,
    SELATAN_KELURAHAN,
    UTARA_KELURAHAN,
)

pytestmark = pytest.mark.django_db
WITA = timezone.get_default_timezone()


def make_event(kind: str = ProgrammeKind.DIALOGUE, start: datetime | None = None,
               **extra: Any) -> Event:  # fmt: skip
    programme = Programme.objects.create(
        name="Program uji", kind=kind,
        organising_unit=Unit.objects.get(code="polsek-balikpapan-selatan"),
    )  # fmt: skip
    starts = start or timezone.now() + timedelta(days=4)
    values: dict[str, Any] = {
        "title": "Jumat Curhat Sepinggan", "starts_at": starts,
        "ends_at": starts + timedelta(hours=2), "place_name": "Balai Kelurahan",
        "kelurahan": Kelurahan.objects.get(code=SELATAN_KELURAHAN),
    }  # fmt: skip
    values.update(extra)
    return Event.objects.create(programme=programme, **values)


def form(**overrides: str) -> dict[str, str]:
    data = {"name": CANARY_NAME, "phone": CANARY_PHONE, "email": "", "kelurahan": "",
            "consent": "on", "idempotency_key": "k-1"}  # fmt: skip
    data.update(overrides)
    return data


def url(event: Event) -> str:
    return f"/kegiatan/{event.uid}/"


# ---- calendar ------------------------------------------------------------------------------


def test_the_calendar_lists_coming_public_events_with_filters() -> None:
    shown = make_event(title="Dialog terbuka")
    make_event(title="Rapat internal", is_public=False)
    make_event(title="Acara lama", start=timezone.now() - timedelta(days=5))
    other = make_event(kind=ProgrammeKind.ANTI_DRUG, title="Penyuluhan narkoba",
                       kelurahan=Kelurahan.objects.get(code=UTARA_KELURAHAN))  # fmt: skip
    page = Client().get("/kegiatan/").content.decode()
    assert "Dialog terbuka" in page and "Penyuluhan narkoba" in page
    assert "Rapat internal" not in page and "Acara lama" not in page
    assert "Kegiatan kemasyarakatan" in page
    by_kind = Client().get("/kegiatan/?kind=anti_drug").content.decode()
    assert other.title in by_kind and shown.title not in by_kind
    by_kel = Client().get(f"/kegiatan/?kelurahan={SELATAN_KELURAHAN}").content.decode()
    assert shown.title in by_kel and other.title not in by_kel
    past = Client().get("/kegiatan/?when=past").content.decode()
    assert "Acara lama" in past and "Dialog terbuka" not in past
    bad = Client().get("/kegiatan/?kind=nonsense&kelurahan=%00")
    assert bad.status_code == 200 and "Dialog terbuka" in bad.content.decode()
    half = Client().get(f"/kegiatan/?kind=nonsense&kelurahan={UTARA_KELURAHAN}").content.decode()
    assert other.title in half and shown.title not in half


def test_the_calendar_speaks_english_when_asked() -> None:
    make_event()
    client = Client()
    client.cookies["django_language"] = "en"
    assert "Community events" in client.get("/kegiatan/").content.decode()
    translation.activate("id")


# ---- event page and registration ----------------------------------------------------------


def test_a_resident_registers_and_reaches_their_page() -> None:
    event = make_event(capacity=10)
    client = Client()
    page = client.get(url(event)).content.decode()
    assert "10 tempat tersisa" in page and "UU No. 27/2022" in page
    response = client.post(url(event), form())
    registration = Registration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/kegiatan/pendaftaran/{registration.token}/"
    own = client.get(response["Location"]).content.decode()
    assert CANARY_NAME in own and event.title in own
    assert registration.phone == CANARY_PHONE and registration.source == "online"
    message = OutboundMessage.objects.get()
    assert message.channel == "whatsapp" and registration.token in message.body
    audit = AuditEvent.objects.get(action="event_registered")
    assert CANARY_PHONE not in str(audit.detail) and CANARY_NAME not in str(audit.detail)


def test_registrants_never_show_on_public_pages() -> None:
    event = make_event()
    Registration.objects.create(event=event, name=CANARY_NAME, email=CANARY_EMAIL)
    for path in (url(event), "/kegiatan/", "/events.ics"):
        body = Client().get(path).content.decode()
        assert CANARY_NAME not in body and CANARY_EMAIL not in body


def test_registration_without_contact_needs_no_consent_and_sends_nothing() -> None:
    event = make_event()
    response = Client().post(url(event), form(phone="", consent=""))
    assert response.status_code == 302 and not OutboundMessage.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "Isi nama Anda."),
        ({"phone": "telepon saya"}, "0812 3456 7890"),
        ({"email": "bukan-email", "phone": ""}, "e-mail"),
        ({"consent": ""}, "Centang persetujuan"),
    ],
)
def test_bad_registration_input_keeps_the_values(overrides: dict[str, str], message: str) -> None:
    event = make_event()
    response = Client().post(url(event), form(**overrides))
    page = response.content.decode()
    assert response.status_code == 400 and not Registration.objects.exists()
    assert message.lower() in page.lower()
    kept = overrides.get("name", CANARY_NAME)
    assert not kept or f'value="{kept}"' in page


def test_a_resubmitted_form_registers_once() -> None:
    event = make_event(capacity=5)
    client = Client()
    first = client.post(url(event), form())
    second = client.post(url(event), form())
    assert Registration.objects.count() == 1 and first["Location"] == second["Location"]
    assert OutboundMessage.objects.count() == 1


def test_the_same_contact_cannot_register_twice() -> None:
    event = make_event()
    Client().post(url(event), form(idempotency_key="a"))
    again = Client().post(url(event), form(idempotency_key="b", phone="0811 0000 4242"))
    assert again.status_code == 409 and Registration.objects.count() == 1
    assert "sudah terdaftar" in again.content.decode()


def test_a_full_event_refuses_registration() -> None:
    event = make_event(capacity=1)
    Registration.objects.create(event=event, name="Sudah daftar")
    page = Client().get(url(event)).content.decode()
    assert "sudah penuh" in page and 'name="name"' not in page
    response = Client().post(url(event), form())
    assert response.status_code == 409 and Registration.objects.count() == 1
    assert "sudah penuh" in response.content.decode()


def test_a_cancelled_seat_is_free_again() -> None:
    event = make_event(capacity=1)
    Registration.objects.create(event=event, name="Batal", cancelled_at=timezone.now())
    assert Client().post(url(event), form()).status_code == 302


@pytest.mark.parametrize(
    ("extra", "text"),
    [
        ({"status": Event.Status.CANCELLED}, "dibatalkan"),
        ({"registration_open": False}, "Pendaftaran untuk kegiatan ini ditutup."),
        ({"start": timezone.now() - timedelta(days=2)}, "sudah selesai"),
    ],
)
def test_closed_cancelled_or_past_events_refuse_registration(
    extra: dict[str, Any], text: str
) -> None:
    event = make_event(**extra)
    response = Client().post(url(event), form())
    assert response.status_code == 409 and not Registration.objects.exists()
    assert text in response.content.decode()


def test_private_and_unknown_events_are_a_friendly_404() -> None:
    private = make_event(is_public=False)
    for path in (url(private), "/kegiatan/6a1d3a0e-0000-4000-8000-000000000000/"):
        response = Client().get(path)
        assert response.status_code == 404 and "kalender kegiatan" in response.content.decode()


def test_registration_posts_are_throttled(settings: Any) -> None:
    settings.EVENT_THROTTLE = "2/h"
    event = make_event()
    client = Client()
    for n in range(2):
        client.post(url(event), form(idempotency_key=f"k{n}", phone="", name=f"Orang {n}",
                                     consent=""))  # fmt: skip
    response = client.post(url(event), form(idempotency_key="k9", phone="", consent=""))
    assert response.status_code == 429 and response["Retry-After"]
    assert Registration.objects.count() == 2


# ---- the registrant's page -----------------------------------------------------------------


def test_the_registrant_cancels_on_their_page() -> None:
    event = make_event()
    registration = Registration.objects.create(event=event, name="Budi")
    page = f"/kegiatan/pendaftaran/{registration.token}/"
    assert "Batalkan pendaftaran saya" in Client().get(page).content.decode()
    assert Client().get(page + "batal/").status_code == 405
    Client().post(page + "batal/")
    registration.refresh_from_db()
    assert registration.cancelled_at is not None
    assert "Pendaftaran ini dibatalkan." in Client().get(page).content.decode()
    assert AuditEvent.objects.filter(action="event_registration_cancelled").exists()
    assert Client().get("/kegiatan/pendaftaran/salah/").status_code == 404


def test_the_certificate_is_on_the_registrants_page_only_after_attendance() -> None:
    event = make_event(ProgrammeKind.SECURITY_TRAINING, timezone.now() - timedelta(hours=1))
    registration = Registration.objects.create(event=event, name="Siti Peserta")
    page = f"/kegiatan/pendaftaran/{registration.token}/"
    assert Client().get(page + "sertifikat.pdf").status_code == 404
    assert "sertifikat.pdf" not in Client().get(page).content.decode()
    attendance.mark_present(registration, None)
    assert "sertifikat.pdf" in Client().get(page).content.decode()
    pdf = Client().get(page + "sertifikat.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert b"Siti Peserta" in pdf.content
    assert Client().post(page + "batal/").status_code == 302
    registration.refresh_from_db()
    assert registration.cancelled_at is None  # attended: cannot be cancelled


# ---- self check-in with the QR code -------------------------------------------------------


def attend(event: Event, **data: str) -> Any:
    return Client().post(f"/kegiatan/hadir/{event.attendance_token}/", data)


def test_check_in_with_the_registration_link() -> None:
    event = make_event(start=timezone.now() - timedelta(minutes=10))
    registration = Registration.objects.create(event=event, name="Budi")
    response = attend(
        event, code=f"http://127.0.0.1:8000/kegiatan/pendaftaran/{registration.token}/"
    )
    registration.refresh_from_db()
    assert response.status_code == 200 and registration.attended_at is not None
    assert "tercatat hadir" in response.content.decode()


def test_check_in_with_the_contact_registered_with() -> None:
    event = make_event(start=timezone.now() - timedelta(minutes=10))
    registration = Registration.objects.create(
        event=event, name=CANARY_NAME, phone="0811-0000-4242"
    )
    response = attend(event, phone="+62 811 0000 4242")
    registration.refresh_from_db()
    assert response.status_code == 200 and registration.attended_at is not None
    page = response.content.decode()
    assert "tercatat hadir" in page
    assert CANARY_NAME not in page and registration.token not in page  # a number is no proof


def test_someone_not_registered_joins_as_a_walk_in_when_seats_are_left() -> None:
    event = make_event(start=timezone.now() - timedelta(minutes=10), capacity=1)
    attend(event, name="Pendatang Baru", email="pendatang@contoh.invalid")
    walk_in = Registration.objects.get()
    assert walk_in.source == "on_site" and walk_in.attended_at is not None
    assert walk_in.token in OutboundMessage.objects.get(recipient="pendatang@contoh.invalid").body
    full = attend(event, name="Satu Lagi", email="lagi@contoh.invalid")
    assert full.status_code == 409 and Registration.objects.count() == 1
    assert 'value="Satu Lagi"' in full.content.decode()


def test_a_wrong_code_is_refused_and_the_form_kept() -> None:
    event = make_event(start=timezone.now() - timedelta(minutes=10))
    response = attend(event, code="x" * 30)
    assert response.status_code == 409 and "x" * 30 in response.content.decode()
    empty = attend(event)
    assert empty.status_code == 409


def test_check_in_only_on_the_day_of_the_event_wita() -> None:
    start = datetime(2030, 3, 8, 9, 0, tzinfo=WITA)
    event = make_event(start=start)
    registration = Registration.objects.create(event=event, name="Budi")
    with time_machine.travel(datetime(2030, 3, 7, 23, 50, tzinfo=WITA)):
        assert attend(event, code=registration.token).status_code == 409
    with time_machine.travel(datetime(2030, 3, 9, 0, 5, tzinfo=WITA)):
        assert attend(event, code=registration.token).status_code == 409
    with time_machine.travel(datetime(2030, 3, 8, 0, 5, tzinfo=WITA)):
        assert attend(event, code=registration.token).status_code == 200
    registration.refresh_from_db()
    assert registration.attended_at is not None


def test_a_wrong_or_rotated_qr_token_is_a_friendly_404() -> None:
    response = Client().get("/kegiatan/hadir/tidak-ada/")
    assert (
        response.status_code == 404
        and "Kode presensi ini tidak berlaku" in response.content.decode()
    )


def test_a_registrant_from_this_phone_checks_in_with_one_tap() -> None:
    event = make_event(start=timezone.now() + timedelta(minutes=30))
    client = Client()
    client.post(url(event), form(phone="", consent=""))
    page = client.get(f"/kegiatan/hadir/{event.attendance_token}/").content.decode()
    assert "Saya hadir: Canarius Budiwati" in page


def test_check_in_is_throttled_per_event(settings: Any) -> None:
    settings.EVENT_ATTEND_THROTTLE = "2/h"
    event = make_event(start=timezone.now() - timedelta(minutes=10))
    other = make_event(start=timezone.now() - timedelta(minutes=10))
    for _n in range(2):
        assert attend(event, code="y" * 30).status_code == 409
    assert attend(event, code="y" * 30).status_code == 429
    assert attend(other, code="y" * 30).status_code == 409
