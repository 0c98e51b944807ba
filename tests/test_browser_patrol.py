"""End to end on a phone-sized browser: a patrol officer opens the shift's page, loses the
connection, taps "arrived" and "left", sees the actions waiting, comes back online, and the
server has exactly one visit with the times of the taps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from kamtibmas.accounts import roles
from kamtibmas.geo.models import Unit
from kamtibmas.patrols.models import PatrolTeam, Visit
from tests.conftest import SELATAN_KELURAHAN, local_page, make_user, point_in
from tests.test_browser import _log_in
from tests.test_patrol_field import SELATAN, make_plan

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]


def _phone(browser: Any, base_url: str, lat: float, lon: float) -> tuple[Any, Any]:
    page = local_page(
        browser, base_url, viewport={"width": 390, "height": 844}, is_mobile=True,
        has_touch=True, geolocation={"latitude": lat, "longitude": lon, "accuracy": 14},
        permissions=["geolocation"], service_workers="block",
    )  # fmt: skip
    return page.context, page


def _pending(page: Any) -> int:
    return int(page.get_attribute("#sync-status", "data-pending") or "0")


def test_officer_logs_a_visit_offline_and_it_syncs_once(
    browser: Any, live_server: Any, live_reference: None
) -> None:
    base = live_server.url
    officer = make_user("samapta.selatan", roles.PATROL_OFFICER, SELATAN)
    team = PatrolTeam.objects.create(unit=Unit.objects.get(code=SELATAN), name="Sabhara 1")
    team.members.add(officer)
    plan = make_plan(SELATAN, places=2, team=team)
    stop = plan.stops.order_by("order").first()
    lat, lon = point_in(SELATAN_KELURAHAN)
    context, page = _phone(browser, base, lat, lon)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    _log_in(page, base, "samapta.selatan")
    page.goto(f"{base}/petugas/patroli/tugas/")
    page.wait_for_url(f"**/tugas/{plan.pk}/tim/{team.pk}/")
    page.wait_for_selector("#sync-status[data-pending='0']")
    card = page.locator(f"#stop-{stop.pk}")

    context.set_offline(True)
    card.locator("[data-action=arrive]").click()
    page.wait_for_selector("#sync-status[data-pending='1']")
    page.wait_for_function("!JSON.stringify(window.kamtibmasField.queue()).includes('pending')")
    card.locator("[data-action=leave]").click()
    page.wait_for_selector("#sync-status[data-pending='2']")
    status = page.inner_text("#sync-status")
    assert "2" in status and ("waiting to sync" in status or "menunggu" in status)
    assert Visit.objects.count() == 0  # nothing reached the server while offline

    context.set_offline(False)
    page.wait_for_selector("#sync-status[data-pending='0']")
    local = page.evaluate(
        "() => Object.entries(localStorage).filter(([k]) => k.includes('.visits.'))"
        ".map(([k, v]) => JSON.parse(v))"
    )
    [visits] = local
    [(client_id, taps)] = visits.items()
    visit = Visit.objects.get()
    assert str(visit.client_id) == client_id and visit.stop == stop and visit.officer == officer
    assert visit.arrived_at == datetime.fromisoformat(taps["arrived"])
    assert visit.left_at == datetime.fromisoformat(taps["left"])
    assert visit.arrived_lat == pytest.approx(lat) and visit.arrived_accuracy_m == 14
    assert "Sabhara 1" in page.inner_text("main")

    card.locator(".visit-notes summary").click()
    card.locator("input[name=residents_met]").fill("3")
    card.locator("[data-form=notes] button").click()
    card.locator(".visit-incident summary").click()
    card.locator("select[name=category]").select_option("curanmor")
    card.locator("textarea[name=description]").fill("Dua orang mencoba membuka paksa motor.")
    card.locator("[data-form=incident] button").click()
    page.wait_for_function("window.kamtibmasField.queue().length === 0")
    page.wait_for_selector("#sync-status[data-pending='0']")
    visit.refresh_from_db()
    assert visit.residents_met == 3 and visit.report is not None
    assert visit.report.channel == "patrol" and visit.report.lat == pytest.approx(lat)

    page.reload()  # the server's copy and the phone's agree; nothing is sent twice
    page.wait_for_selector("#sync-status[data-pending='0']")
    assert Visit.objects.count() == 1
    assert errors == []
    context.close()


def test_the_page_reloads_offline_from_the_service_worker(
    browser: Any, live_server: Any, live_reference: None
) -> None:
    base = live_server.url
    officer = make_user("samapta.selatan", roles.PATROL_OFFICER, SELATAN)
    team = PatrolTeam.objects.create(unit=Unit.objects.get(code=SELATAN), name="Sabhara 2")
    team.members.add(officer)
    plan = make_plan(SELATAN, places=2, team=team)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID")
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    _log_in(page, base, "samapta.selatan")
    url = f"{base}/petugas/patroli/tugas/{plan.pk}/tim/{team.pk}/"
    page.goto(url)
    page.wait_for_function("navigator.serviceWorker.controller !== null || "
                           "navigator.serviceWorker.ready.then(() => true)")  # fmt: skip
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # now controlled: the page and its static files go into the cache
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.reload()
    assert "Sabhara 2" in page.inner_text("main")
    page.wait_for_selector("#sync-status[data-pending='0']")
    context.close()
