"""In a real browser: a resident opens the public calendar, opens an event, registers with a
phone number, and reaches their own registration page (no account needed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kamtibmas.community.models import Event, Programme, ProgrammeKind, Registration
from kamtibmas.geo.models import Kelurahan, Unit
from tests.conftest import SELATAN_KELURAHAN, local_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser: Any, base_url: str) -> Any:
    return local_page(browser, base_url, viewport={"width": 412, "height": 900})


def test_a_resident_registers_for_an_event_from_the_calendar(
    browser: Any, live_server: Any, live_reference: None
) -> None:
    programme = Programme.objects.create(
        name="Pelatihan Linmas",
        kind=ProgrammeKind.SECURITY_TRAINING,
        organising_unit=Unit.objects.get(code="polsek-balikpapan-selatan"),
    )
    starts = timezone.now() + timedelta(days=5)
    event = Event.objects.create(
        programme=programme, title="Pelatihan ronda malam", starts_at=starts,
        ends_at=starts + timedelta(hours=3), place_name="Aula Kelurahan Sepinggan Baru",
        kelurahan=Kelurahan.objects.get(code=SELATAN_KELURAHAN), capacity=20,
    )  # fmt: skip
    page = _page(browser, live_server.url)
    page.goto(f"{live_server.url}/kegiatan/")
    page.get_by_role("link", name="Pelatihan ronda malam").click()
    page.wait_for_url(f"**/kegiatan/{event.uid}/")
    assert "20 tempat tersisa" in page.inner_text("main")
    page.get_by_label("Nama").fill("Warga Uji Peramban")
    page.get_by_label("Telepon / WhatsApp (opsional)").fill("0812 0000 1111")
    page.get_by_label("Saya setuju", exact=False).check()
    page.get_by_role("button", name="Daftar").click()
    page.wait_for_url("**/kegiatan/pendaftaran/**")
    text = page.inner_text("main")
    assert "Warga Uji Peramban, Anda sudah terdaftar." in text
    assert "Pelatihan ronda malam" in text and "Batalkan pendaftaran saya" in text
    registration = Registration.objects.get()
    assert page.url.endswith(f"/kegiatan/pendaftaran/{registration.token}/")
    assert registration.phone == "0812 0000 1111"


def test_an_organiser_sets_the_events_place_by_tapping_the_map(
    browser: Any, live_server: Any, live_reference: None
) -> None:
    from kamtibmas.accounts import roles
    from tests.conftest import make_user
    from tests.test_browser import _log_in

    make_user("bhabin.peta", roles.COMMUNITY_OFFICER, "polsek-balikpapan-selatan")
    programme = Programme.objects.create(
        name="Jumat Curhat", kind=ProgrammeKind.DIALOGUE,
        organising_unit=Unit.objects.get(code="polsek-balikpapan-selatan"),
    )  # fmt: skip
    page = _page(browser, live_server.url)
    _log_in(page, live_server.url, "bhabin.peta")
    page.goto(f"{live_server.url}/petugas/kegiatan/program/{programme.pk}/acara/baru/")
    page.locator(".pick-point-map.leaflet-container").click()
    lat = float(page.input_value("#id_lat"))
    lon = float(page.input_value("#id_lon"))
    assert -1.4 < lat < -1.0 and 116.7 < lon < 117.1  # somewhere in Balikpapan
