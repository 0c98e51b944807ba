"""End to end in a real browser: a Bhabinkamtibmas logs in, opens the Siskamling dashboard,
sees the night a post of their kelurahan missed, and adds a door-to-door visit, keyboard and
labels working as a new user would use them."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.geo.models import Kelurahan
from kamtibmas.siskamling import roster
from kamtibmas.siskamling.models import DoorVisit, RosterNight
from tests.conftest import SELATAN_KELURAHAN, make_user
from tests.test_browser import _log_in, _page
from tests.test_siskamling_roster import make_post

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_a_bhabinkamtibmas_sees_a_missed_night_and_logs_a_visit(
    browser: Any, live_server: Any, live_reference: None
) -> None:
    base = live_server.url
    officer = make_user("bhabin.sepinggan", roles.COMMUNITY_OFFICER, "polsek-balikpapan-selatan")
    kelurahan = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    officer.kelurahan.add(kelurahan)
    post = make_post("Pos Kamling Melati")
    day = timezone.localdate() - timedelta(days=2)
    starts_at, ends_at = roster.night_bounds(day, time(22, 0), time(4, 0))
    RosterNight.objects.create(
        post=post, date=day, starts_at=starts_at, ends_at=ends_at, members=["Budi", "Agus"]
    )
    page = _page(browser, base)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    _log_in(page, base, "bhabin.sepinggan")
    page.goto(f"{base}/petugas/siskamling/dasbor/")
    card = page.locator(f"#post-{post.pk}")
    assert "Pos Kamling Melati" in card.inner_text()
    missed = card.locator(".missed-nights .badge")
    assert missed.count() == 1
    assert "Malam terlewat: 1" in page.inner_text("#dashboard-totals")

    page.get_by_role("link", name="Tambah kunjungan").click()
    page.wait_for_url("**/petugas/siskamling/kunjungan/**")
    form = page.locator("#visit-form")
    if not form.is_visible():
        page.locator("#visit-add summary").click()
    page.get_by_label("RW").fill("4")
    page.get_by_label("RT").fill("12")
    page.get_by_label("Topik").fill("Pencurian motor")
    page.get_by_label("Catatan").fill("Warga minta patroli malam di gang 3.")
    page.get_by_label("Yang dikunjungi").fill("Ketua RT 12")
    page.get_by_label("Waktu kunjungan (WITA)").fill("2001-01-01T10:00")  # too old: refused
    form.locator("button[type=submit]").click()
    assert "setahun" in page.inner_text("#visit-form")
    assert page.get_by_label("Catatan").input_value() == "Warga minta patroli malam di gang 3."
    assert not DoorVisit.objects.exists()

    when = timezone.localtime() - timedelta(hours=1)
    page.get_by_label("Waktu kunjungan (WITA)").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Waktu kunjungan (WITA)").press("Enter")
    page.wait_for_selector("ul.messages")
    visit = DoorVisit.objects.get()
    assert visit.officer == officer and visit.kelurahan == kelurahan and visit.rw == "004"
    assert "Pencurian motor" in page.inner_text("table.visits")

    page.goto(f"{base}/petugas/siskamling/dasbor/")
    assert "Pencurian motor" in page.inner_text("#latest-visits")
    assert errors == []
