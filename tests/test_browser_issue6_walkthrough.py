"""On a 390 px phone, in a real browser, the pages a Bhabinkamtibmas and a resident use in
issue 6 never scroll sideways: wide tables scroll inside their frame, long filters and facts
wrap (the walkthrough found the statistics page, a post's page, its roster and an event's page
wider than the screen)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from kamtibmas.community.demo import load_demo_programmes
from kamtibmas.community.models import Event, Registration
from tests.conftest import local_page
from tests.test_browser import _log_in
from tests.test_siskamling_posts import make_post

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _phone_page(browser: Any, base_url: str) -> Any:
    return local_page(browser, base_url, viewport=PHONE)


def _page_width(page: Any, url: str) -> int:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_issue6_pages_fit_a_phone(browser: Any, live_server: Any, live_reference: None) -> None:
    from kamtibmas.accounts import roles
    from kamtibmas.geo.models import Kelurahan
    from tests.conftest import SELATAN_KELURAHAN, make_user

    base = live_server.url
    officer = make_user("bhabin.sepinggan", roles.COMMUNITY_OFFICER, "polsek-balikpapan-selatan")
    officer.kelurahan.add(Kelurahan.objects.get(code=SELATAN_KELURAHAN))
    post = make_post(
        name="Pos Kamling Anggrek",
        address_text="Jalan Marsma R. Iswahyudi gang Keluarga Sejahtera Bersama nomor 12A",
    )
    load_demo_programmes(seed=7, now=datetime.now().astimezone())
    event = Event.objects.filter(programme__organising_unit__code="polsek-balikpapan-selatan")[0]
    Registration.objects.create(event=event, name="Peserta Contoh", phone="+62 812 0000 0001")
    page = _phone_page(browser, base)

    assert _page_width(page, f"{base}/statistik/") <= PHONE["width"]
    _log_in(page, base, "bhabin.sepinggan")
    for path in (
        f"/petugas/siskamling/pos/{post.pk}/",
        f"/petugas/siskamling/pos/{post.pk}/jadwal/",
        "/petugas/siskamling/dasbor/",
        "/petugas/siskamling/kunjungan/",
        f"/petugas/kegiatan/acara/{event.pk}/",
    ):
        assert _page_width(page, base + path) <= PHONE["width"], path
