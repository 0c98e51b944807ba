"""SLA escalation: overdue open reports go to the commanders of their unit, once per deadline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kamtibmas.accounts import roles
from kamtibmas.notifications.models import OutboundMessage
from kamtibmas.reports import sla, tasks, workflow
from kamtibmas.reports.models import EventKind, Report, Status
from tests.conftest import CANARIES, make_user

START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Makassar"))


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def commanders(db: Any) -> dict[str, Any]:
    return {
        "kapolsek": make_user("kapolsek.selatan", roles.COMMANDER, "polsek-balikpapan-selatan"),
        "kapolres": make_user("kapolres", roles.COMMANDER, "polres-balikpapan"),
        "other": make_user("kapolsek.utara", roles.COMMANDER, "polsek-balikpapan-utara"),
        "no_mail": make_user("kapolsek.noemail", roles.COMMANDER, "polsek-balikpapan-selatan"),
    }


def recipients(report: Report) -> set[str]:
    return set(OutboundMessage.objects.filter(report=report).values_list("recipient", flat=True))


def escalations(report: Report) -> int:
    return report.events.filter(kind=EventKind.ESCALATED).count()


def test_it_leaves_reports_alone_before_their_deadline(clock: Any, make_report: Any) -> None:
    report = make_report()  # curanmor: acknowledge within 24 hours
    clock.shift(timedelta(hours=23, minutes=59))
    assert sla.escalate_overdue() == 0
    assert escalations(report) == 0


def test_it_escalates_unacknowledged_report_to_unit_and_parent_commanders(
    clock: Any, make_report: Any, commanders: dict[str, Any]
) -> None:
    commanders["no_mail"].email = ""
    commanders["no_mail"].save()
    report = make_report()
    clock.shift(timedelta(hours=25))
    assert sla.escalate_overdue() == 1
    report.refresh_from_db()
    assert report.escalated_at == START + timedelta(hours=25)
    assert escalations(report) == 1
    assert recipients(report) == {"kapolsek.selatan@example.org", "kapolres@example.org"}


def test_it_escalates_once_per_deadline(
    clock: Any, make_report: Any, commanders: dict[str, Any]
) -> None:
    report = make_report()
    clock.shift(timedelta(hours=25))
    assert sla.escalate_overdue() == 1
    queued = OutboundMessage.objects.filter(report=report).count()
    clock.shift(timedelta(minutes=5))
    assert sla.escalate_overdue() == 0
    assert escalations(report) == 1
    assert OutboundMessage.objects.filter(report=report).count() == queued == 3


def test_it_escalates_again_when_the_progress_deadline_is_missed(
    clock: Any, make_report: Any, officer_selatan: Any, commanders: dict[str, Any]
) -> None:
    report = make_report()
    clock.shift(timedelta(hours=25))
    assert sla.escalate_overdue() == 1
    workflow.transition(report, Status.VERIFIED, officer_selatan)  # acknowledges: +30 days
    assert sla.escalate_overdue() == 0
    clock.shift(timedelta(days=29))
    assert sla.escalate_overdue() == 0
    clock.shift(timedelta(days=2))
    assert sla.escalate_overdue() == 1
    assert escalations(report) == 2


def test_a_public_note_moves_the_progress_deadline(
    clock: Any, make_report: Any, officer_selatan: Any
) -> None:
    report = make_report()
    workflow.transition(report, Status.VERIFIED, officer_selatan)
    clock.shift(timedelta(days=20))
    workflow.add_note(report, officer_selatan, "Saksi sudah diperiksa.", public=True)
    clock.shift(timedelta(days=20))
    assert sla.escalate_overdue() == 0


def test_urgent_categories_are_due_within_an_hour(clock: Any, make_report: Any) -> None:
    report = make_report(category_code="curas")
    clock.shift(timedelta(minutes=61))
    assert sla.escalate_overdue() == 1
    assert escalations(report) == 1


def test_it_ignores_closed_reports(clock: Any, make_report: Any, officer_selatan: Any) -> None:
    report = make_report()
    workflow.transition(report, Status.REJECTED, officer_selatan, reason="Bukan pidana.")
    clock.shift(timedelta(days=60))
    assert sla.escalate_overdue() == 0
    assert report.due_at() is None


def test_the_message_to_commanders_holds_no_personal_data(
    clock: Any, make_report: Any, commanders: dict[str, Any]
) -> None:
    report = make_report(description="Tetangga saya bernama Canarius Budiwati diancam.")
    clock.shift(timedelta(days=2))
    sla.escalate_overdue()
    message = OutboundMessage.objects.filter(report=report).first()
    assert message is not None
    assert report.tracking_code in message.body
    assert "/petugas/laporan/" in message.body or "http" in message.body
    for canary in CANARIES:
        assert canary.lower() not in (message.subject + message.body).lower()


def test_a_report_without_unit_goes_to_the_polres_commander(
    clock: Any, make_report: Any, commanders: dict[str, Any]
) -> None:
    report = make_report()
    Report.objects.filter(pk=report.pk).update(assigned_unit=None)
    report.refresh_from_db()
    assert [u.username for u in sla.commanders_for(report)] == ["kapolres"]


def test_the_background_task_runs_the_check(clock: Any, make_report: Any) -> None:
    report = make_report()
    clock.shift(timedelta(hours=30))
    result = tasks.check_sla.enqueue()
    assert result.return_value == 1
    assert escalations(report) == 1


def test_overdue_query_matches_the_in_memory_rule(
    clock: Any, make_report: Any, officer_selatan: Any
) -> None:
    reports = [make_report(), make_report(category_code="curas"), make_report()]
    workflow.transition(reports[2], Status.VERIFIED, officer_selatan)
    clock.shift(timedelta(hours=3))
    now = START + timedelta(hours=3)
    expected = {r.pk for r in Report.objects.all() if sla.needs_escalation(r, now)}
    assert set(sla.overdue(now).values_list("pk", flat=True)) == expected == {reports[1].pk}
