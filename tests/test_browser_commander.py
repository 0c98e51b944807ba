"""End to end in a real browser, as a new commander would: the Polres commander opens the patrol
overview, drafts tonight's plan for a Polsek, removes a place, changes a dosage, issues the plan
and downloads its sheet; a patrol officer of that Polsek then finds it on the phone page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from kamtibmas.accounts import roles
from kamtibmas.forecasts.surface import RiskSurface
from kamtibmas.geo.models import Unit
from kamtibmas.patrols.models import PatrolPlan, PatrolPlanEvent, PatrolTeam, PlanStatus
from tests.conftest import make_user
from tests.test_browser import _log_in
from tests.test_browser_patrol import _phone
from tests.test_patrols_planning import hand_surface

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]
SELATAN = "polsek-balikpapan-selatan"


@pytest.fixture
def fake_forecast(monkeypatch: pytest.MonkeyPatch) -> None:
    def risk_surface(unit: Unit, group: str, start: datetime, end: datetime) -> RiskSurface:
        return hand_surface(unit)

    monkeypatch.setattr("kamtibmas.forecasts.surface.risk_surface", risk_surface)


def _desktop(browser: Any, base_url: str) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base_url) else r.abort())
    page.set_default_timeout(30_000)
    return context, page


def _submit(page: Any, action: str) -> None:
    """Press the button of a plan change (``action``) and wait for the page to come back."""
    with page.expect_navigation():
        page.locator(f"button[name=action][value={action}]").first.click()


def test_commander_drafts_adjusts_issues_and_the_officer_sees_it(
    browser: Any, live_server: Any, live_reference: None, fake_forecast: None
) -> None:
    base = live_server.url
    make_user("kapolres", roles.COMMANDER, "polres-balikpapan")
    officer = make_user("samapta.selatan", roles.PATROL_OFFICER, SELATAN)
    unit = Unit.objects.get(code=SELATAN)
    for name in ("Sabhara 1", "Sabhara 2"):
        PatrolTeam.objects.create(unit=unit, name=name).members.add(officer)
    context, page = _desktop(browser, base)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    _log_in(page, base, "kapolres")
    page.goto(f"{base}/petugas/patroli/")
    assert page.locator("#plan-draft-all button").count() == 1  # Polres level: "draft all"
    row = page.locator("tr", has=page.locator(f"input[name=unit][value={SELATAN}]"))
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    plan = PatrolPlan.objects.get(unit=unit)
    assert page.url.endswith(f"/rencana/{plan.pk}/") and plan.status == PlanStatus.DRAFT
    routed = plan.stops.filter(team__isnull=False).count()
    assert routed >= 2

    _submit(page, "remove")
    assert plan.stops.filter(team__isnull=False).count() == routed - 1
    page.locator("details summary").first.click()
    page.locator("input[name=minutes]").first.fill("10")
    _submit(page, "dosage")
    assert plan.stops.filter(planned_minutes=10).count() == 1
    with page.expect_navigation():
        page.locator("form:has(input[name=action][value=issue]) button").click()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ISSUED and plan.issued_by is not None
    kinds = list(PatrolPlanEvent.objects.filter(plan=plan).values_list("kind", flat=True))
    assert kinds == ["created", "stop_removed", "dosage", "issued"]

    pdf_url = page.locator("a[href$='lembar.pdf']").first.get_attribute("href")
    pdf = page.request.get(f"{base}{pdf_url}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF") and len(pdf.body()) > 1000
    context.close()

    phone, mobile = _phone(browser, base, plan.stops.first().lat, plan.stops.first().lon)
    _log_in(mobile, base, "samapta.selatan")
    mobile.goto(f"{base}/petugas/patroli/")
    link = mobile.locator("nav a[href='/petugas/patroli/tugas/']")
    assert link.count() == 1  # "Tugas patroli" in the navigation
    mobile.goto(f"{base}/petugas/patroli/tugas/{plan.pk}/")
    mobile.wait_for_selector("[data-action=arrive]")
    for stop in plan.stops.all():  # every place on a route, not the one removed
        assert mobile.locator(f"#stop-{stop.pk}").count() == int(stop.team_id is not None)
    assert plan.stops.filter(planned_minutes=10).first().label in mobile.content()
    phone.close()
    assert errors == []
