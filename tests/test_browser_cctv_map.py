"""In a real browser: an officer opens the camera list, switches on the forecast risk layer
and sees the risk cells drawn under the camera sectors; a failing forecast gives a message."""

from __future__ import annotations

from typing import Any

import pytest

from kamtibmas.accounts import roles
from kamtibmas.cctv import risk_views
from tests.conftest import SELATAN_KELURAHAN, make_user
from tests.test_browser import _log_in, _page
from tests.test_cctv_registry import make_camera
from tests.test_cctv_risk_layer import fake_surface

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_an_officer_shows_the_forecast_risk_under_the_cameras(
    browser: Any, live_server: Any, live_reference: None, monkeypatch: Any
) -> None:
    base = live_server.url
    make_user("desk.selatan", roles.DESK_OFFICER, "polsek-balikpapan-selatan")
    make_camera("pasar-klandasan", SELATAN_KELURAHAN, "polsek-balikpapan-selatan")
    fake_surface(monkeypatch, {(5, 5): 4.0, (2, 3): 1.0, (7, 7): 2.0})
    page = _page(browser, base)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, base, "desk.selatan")
    page.goto(f"{base}/petugas/cctv/")
    page.wait_for_selector(".leaflet-overlay-pane path")  # the camera's sector
    assert page.locator(".leaflet-risk-pane path").count() == 0  # off until asked
    page.get_by_label("Tampilkan prakiraan risiko 7 hari ke depan").check()
    page.wait_for_function("document.querySelectorAll('.leaflet-risk-pane path').length === 3")
    assert "Sel lebih gelap" in page.inner_text("#cctv-risk-status")
    page.get_by_label("Tampilkan prakiraan risiko 7 hari ke depan").uncheck()
    page.wait_for_function("document.querySelectorAll('.leaflet-risk-pane path').length === 0")

    def broken(unit: Any, group: str) -> Any:
        raise RuntimeError("no model")

    monkeypatch.setattr(risk_views, "week_surface", broken)
    page.get_by_label("Tampilkan prakiraan risiko 7 hari ke depan").check()
    page.wait_for_function(
        "document.getElementById('cctv-risk-status').textContent.includes('Balikpapan Selatan')"
    )
    assert page.locator(".leaflet-risk-pane path").count() == 0
    assert errors == []
