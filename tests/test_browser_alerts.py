"""In a real browser: a public relations officer issues and publishes an alert; a resident
finds it, subscribes to its kelurahan from the alert page and confirms from the message."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kamtibmas.accounts import roles
from kamtibmas.notifications.models import OutboundMessage
from kamtibmas.portal.models import PublicAlert, Subscription
from tests.conftest import SELATAN_KELURAHAN, local_page, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HEADLINE = "Waspada pencurian sepeda motor di Sepinggan Baru"
UNLABELLED = """() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter(e => e.type !== 'hidden' && !e.labels?.length && !e.getAttribute('aria-label'))
  .map(e => e.name)"""


def _page(browser: Any, base_url: str) -> Any:
    return local_page(browser, base_url, viewport={"width": 412, "height": 900})


def _issue_alert(page: Any, base: str) -> None:
    page.goto(f"{base}/akun/masuk/")
    page.fill('input[name="username"]', "humas.browser")
    page.fill('input[name="password"]', "correct-horse-battery")
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(lambda url: "/akun/masuk/" not in url)
    page.goto(f"{base}/petugas/peringatan-publik/")
    page.click("text=Peringatan baru")
    assert page.evaluate(UNLABELLED) == []
    page.click("button:has-text('Simpan draf')")  # empty: explained
    page.wait_for_selector("#form-errors")
    page.fill("#id_headline_id", HEADLINE)
    page.fill("#id_description_id", "Rangkaian pencurian sepeda motor pada malam hari.")
    page.fill("#id_instruction_id", "Gunakan kunci ganda dan parkir di tempat terang.")
    page.select_option("#id_offence_category", "curanmor")
    page.check(f'input[name="kelurahan"][value="{SELATAN_KELURAHAN}"]')
    page.click("button:has-text('Simpan draf')")
    page.wait_for_selector("text=Pratinjau draf")
    page.click("button:has-text('Terbitkan')")
    page.wait_for_selector("text=Peringatan telah diterbitkan")


def _subscribe(page: Any, base: str) -> None:
    page.goto(f"{base}/peringatan/")
    page.click(f"text={HEADLINE}")
    page.wait_for_selector("text=WITA")
    page.click("text=Terima peringatan untuk kelurahan ini")
    checkbox = page.locator(f'input[name="kelurahan"][value="{SELATAN_KELURAHAN}"]')
    assert checkbox.is_checked()
    assert page.evaluate(UNLABELLED) == []
    page.fill("#id_recipient", "warga.browser@example.org")
    page.keyboard.press("Tab")
    page.check('input[name="consent"]')
    page.click("button[type=submit]:has-text('Berlangganan')")
    page.wait_for_selector("text=Periksa pesan Anda")


def test_humas_publishes_and_a_resident_subscribes(
    browser: Any, live_server: Any, live_reference: None
) -> None:
    base = live_server.url
    make_user("humas.browser", roles.PUBLIC_RELATIONS, "polres-balikpapan")
    _issue_alert(_page(browser, base), base)
    alert = PublicAlert.objects.get(headline_id=HEADLINE)
    assert alert.status == PublicAlert.Status.PUBLISHED

    resident = _page(browser, base)
    _subscribe(resident, base)
    message = OutboundMessage.objects.get(recipient="warga.browser@example.org")
    link = re.search(r"https?://\S+(/langganan/konfirmasi/\S+/)", message.body)
    assert link is not None
    resident.goto(base + link.group(1))
    resident.click("button:has-text('Konfirmasi')")
    resident.wait_for_selector("text=Langganan dikonfirmasi")
    row = Subscription.objects.get(recipient="warga.browser@example.org")
    assert row.kelurahan.code == SELATAN_KELURAHAN and row.confirmed_at is not None
