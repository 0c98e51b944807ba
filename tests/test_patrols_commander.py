"""The commander's bulk and closing actions: "Buat semua rencana" (Polres level only, keeps
existing plans) and "Tutup rencana" (an issued plan after its shift, with an audit row)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.geo.models import Unit
from kamtibmas.patrols.forms import tonight
from kamtibmas.patrols.models import PatrolPlan, PatrolPlanEvent, PlanStatus
from tests.conftest import make_user
from tests.test_patrols_planning import SELATAN, client_for, draft, fake_forecast  # noqa: F401

pytestmark = pytest.mark.usefixtures("fake_forecast")
OVERVIEW = "/petugas/patroli/"
DRAFT_ALL = "/petugas/patroli/rencana/buat/"


def test_polres_commander_drafts_every_polsek_and_keeps_existing_plans(
    db: Any,
) -> None:
    client = client_for(make_user("kapolres", roles.COMMANDER, "polres-balikpapan"))
    client.cookies["django_language"] = "en"
    assert "Draft all plans" in client.get(OVERVIEW).content.decode()
    shift = tonight()
    selatan = Unit.objects.get(code=SELATAN)
    kept = draft(selatan)
    PatrolPlan.objects.filter(pk=kept.pk).update(shift_key=shift.key, status=PlanStatus.ISSUED)
    response = client.post(DRAFT_ALL, {"all": "1", "shift": shift.key, "group": "3c"}, follow=True)
    units = Unit.objects.filter(is_active=True, kind__in=(Unit.Kind.POLSEK, Unit.Kind.KSKP))
    plans = PatrolPlan.objects.filter(shift_key=shift.key, group="3c")
    assert plans.count() == units.count()
    assert plans.filter(status=PlanStatus.DRAFT).count() == units.count() - 1
    assert plans.get(unit=selatan).pk == kept.pk and kept.stops.count() > 0
    assert f"Draft plans made: {units.count() - 1}; already there: 1." in response.content.decode()
    again = client.post(DRAFT_ALL, {"all": "1", "shift": shift.key, "group": "3c"}, follow=True)
    assert "Draft plans made: 0" in again.content.decode() and plans.count() == units.count()


def test_a_polsek_commander_cannot_draft_all(db: Any) -> None:
    client = client_for(make_user("kapolsek.selatan", roles.COMMANDER, SELATAN))
    client.cookies["django_language"] = "en"
    assert "Draft all plans" not in client.get(OVERVIEW).content.decode()
    response = client.post(DRAFT_ALL, {"all": "1", "shift": "tonight", "group": "3c"})
    assert response.status_code == 403
    assert PatrolPlan.objects.count() == 0


def test_bad_shift_for_draft_all_gives_a_message(db: Any) -> None:
    client = client_for(make_user("kapolres", roles.COMMANDER, "polres-balikpapan"))
    client.cookies["django_language"] = "en"
    bad = {"all": "1", "shift": "yesterday-ish", "group": "3c"}
    page = client.post(DRAFT_ALL, bad, follow=True)
    assert page.status_code == 200 and "Unknown shift or crime group." in page.content.decode()
    assert PatrolPlan.objects.count() == 0


def test_an_issued_plan_closes_only_after_its_shift(db: Any) -> None:
    kapolsek = make_user("kapolsek.selatan", roles.COMMANDER, SELATAN)
    client = client_for(kapolsek)
    client.cookies["django_language"] = "en"
    plan = draft(Unit.objects.get(code=SELATAN))
    url = f"/petugas/patroli/rencana/{plan.pk}/ubah/"
    page = client.post(url, {"action": "close"}, follow=True).content.decode()
    assert "Only an issued plan can be closed." in page
    now = timezone.now()
    PatrolPlan.objects.filter(pk=plan.pk).update(
        status=PlanStatus.ISSUED, start=now - timedelta(hours=1), end=now + timedelta(hours=7)
    )
    page = client.post(url, {"action": "close"}, follow=True).content.decode()
    assert "only after its shift has ended" in page
    assert (
        "Close the plan" not in client.get(f"/petugas/patroli/rencana/{plan.pk}/").content.decode()
    )
    PatrolPlan.objects.filter(pk=plan.pk).update(end=now - timedelta(minutes=1))
    assert "Close the plan" in client.get(f"/petugas/patroli/rencana/{plan.pk}/").content.decode()
    page = client.post(url, {"action": "close"}, follow=True).content.decode()
    assert "Plan closed." in page
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED
    event = PatrolPlanEvent.objects.filter(plan=plan).latest("at")
    assert event.kind == "closed" and event.actor == kapolsek


def test_a_patrol_officer_cannot_close_a_plan(db: Any) -> None:
    plan = draft(Unit.objects.get(code=SELATAN))
    PatrolPlan.objects.filter(pk=plan.pk).update(
        status=PlanStatus.ISSUED, end=timezone.now() - timedelta(hours=1)
    )
    client = client_for(make_user("samapta.selatan", roles.PATROL_OFFICER, SELATAN))
    assert (
        client.post(f"/petugas/patroli/rencana/{plan.pk}/ubah/", {"action": "close"}).status_code
        == 403
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ISSUED
