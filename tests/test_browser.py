"""End to end in a real browser (Playwright driving Debian's chromium).

A resident files a report by clicking the map and attaching a photo and gets a code; a desk
officer of the right Polsek finds it, verifies, assigns and posts a public note; the status
page shows it; an officer of another Polsek cannot see it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kamtibmas.accounts import roles
from kamtibmas.geo.models import Kelurahan
from kamtibmas.reports.models import Report, Status
from tests.conftest import SELATAN_KELURAHAN, local_page, make_user, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser: Any, base_url: str) -> Any:
    return local_page(browser, base_url, viewport={"width": 412, "height": 900})


def _click_map_at(page: Any, lat: float, lon: float) -> None:
    page.wait_for_function("document.getElementById('report-map').kamtibmasMap !== undefined")
    page.locator("#report-map").scroll_into_view_if_needed()
    point = page.evaluate(
        "([lat, lon]) => { const m = document.getElementById('report-map').kamtibmasMap;"
        " m.setView([lat, lon], 15, {animate: false});"
        " const p = m.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lat, lon],
    )
    box = page.locator("#report-map").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])


def _file_report(page: Any, base_url: str, photo: Path, kelurahan: Kelurahan) -> str:
    page.goto(f"{base_url}/lapor/")
    page.check('input[name="kind"][value="crime"]')
    page.select_option("#id_category", "crime.curanmor")
    page.fill("#id_description", "Sepeda motor saya dicuri di parkiran pasar pagi tadi.")
    _click_map_at(page, kelurahan.lat, kelurahan.lon)
    page.wait_for_function(f"document.getElementById('id_kelurahan').value === '{kelurahan.code}'")
    page.set_input_files("#id_photos", str(photo))
    page.click("button[type=submit].btn-big")
    page.wait_for_selector(".tracking-code")
    return str(page.inner_text(".tracking-code")).strip()


def _log_in(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/akun/masuk/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', "correct-horse-battery")
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(lambda url: "/akun/masuk/" not in url)


def _act(page: Any, target: str, fill: dict[str, str] | None = None) -> None:
    form = page.locator(f"form.transition-{target}")
    for selector, value in (fill or {}).items():
        if form.locator(selector).evaluate("e => e.tagName") == "SELECT":
            form.locator(selector).select_option(value)
        else:
            form.locator(selector).fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_resident_files_and_officer_handles_a_report(
    browser: Any, live_server: Any, live_reference: None, tmp_path: Path
) -> None:
    base = live_server.url
    kelurahan = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    make_user("desk.selatan", roles.DESK_OFFICER, "polsek-balikpapan-selatan")
    make_user("desk.utara", roles.DESK_OFFICER, "polsek-balikpapan-utara")
    photo = tmp_path / "motor.png"
    photo.write_bytes(png_bytes((120, 90)))

    resident = _page(browser, base)
    code = _file_report(resident, base, photo, kelurahan)
    report = Report.objects.get(tracking_code=code)
    assert report.assigned_unit.code == "polsek-balikpapan-selatan"
    assert report.photos.count() == 1 and report.kelurahan_code == SELATAN_KELURAHAN

    officer = _page(browser, base)
    _log_in(officer, base, "desk.selatan")
    officer.goto(f"{base}/petugas/laporan/?q={code}")
    officer.click(f"a:has-text('{code}')")
    _act(officer, "verified")
    _act(officer, "assigned", {"select[name$='unit']": str(report.assigned_unit.pk)})
    note = officer.locator("form[action$='/aksi/note/#note']")
    note.locator("textarea").fill("Petugas sudah mendatangi lokasi dan memeriksa saksi.")
    note.locator("input[value=public]").check()
    note.locator("button[type=submit]").click()
    officer.wait_for_load_state()
    report.refresh_from_db()
    assert report.status == Status.ASSIGNED

    resident.goto(f"{base}/lacak/{code}/")
    assert "Petugas sudah mendatangi lokasi" in resident.inner_text("main")

    other = _page(browser, base)
    _log_in(other, base, "desk.utara")
    other.goto(f"{base}/petugas/laporan/?q={code}")
    assert code not in other.inner_text("main")
    response = other.goto(f"{base}/petugas/laporan/{code}/")
    assert response is not None and response.status == 404
