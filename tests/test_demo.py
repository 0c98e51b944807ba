"""`kamtibmas demo`: accounts per role and unit, synthetic reports in every status, idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from kamtibmas import demo
from kamtibmas.accounts import roles
from kamtibmas.accounts.models import User
from kamtibmas.geo import lookup
from kamtibmas.geo.models import Unit
from kamtibmas.reports.models import Category, Kind, Report, ReportEvent, Status

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int]:
    return User.objects.count(), Report.objects.count(), ReportEvent.objects.count()


def test_it_runs_twice_without_adding_anything() -> None:
    first = demo.load_demo(reports=30)
    assert first.reports_created == 30
    before = counts()
    second = demo.load_demo(reports=30)
    assert (second.users_created, second.reports_created) == (0, 0)
    assert second.reports_existing == 30
    assert counts() == before


def test_every_status_appears_even_in_a_small_run() -> None:
    demo.load_demo(reports=20)
    assert set(Report.objects.values_list("status", flat=True)) == set(Status.values)


def test_it_makes_accounts_for_every_role_and_unit() -> None:
    demo.load_demo(reports=0)
    users = User.objects.filter(is_demo=True)
    assert {g for u in users for g in u.role_codes()} >= set(roles.ALL_ROLES)
    for unit in Unit.objects.filter(kind__in=[Unit.Kind.POLSEK, Unit.Kind.KSKP]):
        unit_roles = {g for u in users.filter(unit=unit) for g in u.role_codes()}
        assert {roles.DESK_OFFICER, roles.COMMANDER} <= unit_roles, unit.code
    assert users.filter(groups__name=roles.INVESTIGATOR, unit__code="sat-resnarkoba").exists()
    assert users.filter(groups__name=roles.INVESTIGATOR, unit__code="sat-reskrim").exists()
    bhabin = users.filter(groups__name=roles.COMMUNITY_OFFICER)
    assert bhabin.count() >= 3 and all(u.kelurahan.exists() for u in bhabin)
    admin = users.get(username="admin")
    assert admin.is_superuser and admin.check_password(demo.DEMO_PASSWORD)
    assert users.get(username="warga").unit is None
    assert not User.objects.filter(is_demo=False).exists()


def test_the_default_run_is_a_realistic_three_months() -> None:
    now = timezone.now()
    result = demo.load_demo()
    reports = list(Report.objects.select_related("category"))
    assert result.reports_created == len(reports) == demo.DEFAULT_REPORTS
    assert all(r.is_synthetic and r.channel == "demo" for r in reports)
    assert set(r.status for r in reports) == set(Status.values)
    assert set(r.kind for r in reports) == set(Kind.values)
    assert len({r.category_id for r in reports}) >= 15
    assert {c.code for c in Category.objects.filter(kind=Kind.CRIME)} == {
        r.category.code for r in reports if r.kind == Kind.CRIME
    }
    assert len({r.kelurahan_code for r in reports}) >= 25
    assert all(lookup.find_area(r.lat, r.lon) is not None for r in reports)
    assert all(now - timedelta(days=90) <= r.created_at <= now for r in reports)
    assert not ReportEvent.objects.filter(at__gt=timezone.now()).exists()
    assert sum(r.is_overdue() for r in reports) >= 10
    assert_timelines_are_ordered(reports)
    assert_reporters_are_obviously_fake(reports)


def assert_timelines_are_ordered(reports: list[Report]) -> None:
    for report in reports:
        events = list(report.events.order_by("pk"))
        assert events[0].kind == "created" and events[0].at == report.created_at
        assert [e.at for e in events] == sorted(e.at for e in events), report.tracking_code
        if report.status in (Status.RESOLVED, Status.REJECTED, Status.REFERRED):
            assert report.closed_at is not None and report.closed_at >= report.created_at


def assert_reporters_are_obviously_fake(reports: list[Report]) -> None:
    for r in reports:
        assert r.reporter_name in ("",) or r.reporter_name.startswith("Pelapor Contoh")
        assert not r.reporter_phone or r.reporter_phone.startswith("+62 800 0000")
        assert not r.reporter_email or r.reporter_email.endswith(".invalid")
        assert r.description.startswith("[DEMO]")


def test_the_same_seed_draws_the_same_reports() -> None:
    demo.load_reference()
    now = datetime(2026, 5, 1, 12, tzinfo=ZoneInfo("Asia/Makassar"))
    assert demo.draw_specs(7, 40, now) == demo.draw_specs(7, 40, now)
    assert demo.draw_specs(7, 40, now) != demo.draw_specs(8, 40, now)


def test_duplicates_point_to_an_earlier_report_of_the_same_category() -> None:
    demo.load_demo(reports=60)
    for dup in Report.objects.filter(status=Status.DUPLICATE).select_related("duplicate_of"):
        assert dup.duplicate_of is not None
        assert dup.duplicate_of.created_at <= dup.created_at


def test_the_command_prints_the_accounts_marked_demo_only(capsys: Any) -> None:
    call_command("demo", "--reports", "10", "--incidents", "0")
    out = capsys.readouterr().out
    assert "DEMO ONLY" in out and demo.DEMO_PASSWORD in out
    assert "spkt.selatan" in out and "kapolres" in out
    call_command("demo", "--reports", "10", "--incidents", "0")
    assert "already there, none added" in capsys.readouterr().out


def test_the_command_refuses_a_production_configuration() -> None:
    with override_settings(SECURE=True), pytest.raises(CommandError, match="--force"):
        call_command("demo", "--reports", "0")
