"""The outcome report of a community programme (numbers on a hand-made case, the page, CSV and
PDF, who may see it) and the demo topics."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import AuditEvent
from kamtibmas.community.demo_aspirations import load_demo_aspirations
from kamtibmas.community.models import Aspiration, Event, Programme, Registration
from kamtibmas.community.outcome import programme_outcome
from kamtibmas.notifications.models import OutboundMessage
from kamtibmas.reports import workflow
from kamtibmas.reports.models import Report, Status
from tests.conftest import UTARA_KELURAHAN, make_user
from tests.test_community_aspirations import client_for, file_one, make_event, make_programme

NOW = timezone.now()


def attendance(event: Event, registered: int, attended: int, cancelled: int = 0) -> None:
    for n in range(registered):
        Registration.objects.create(
            event=event, name=f"Peserta {n}", attended_at=event.starts_at if n < attended else None
        )
    for n in range(cancelled):
        Registration.objects.create(event=event, name=f"Batal {n}", cancelled_at=event.starts_at)


@pytest.fixture
def case(db: Any, bhabin_selatan: Any, commander_polres: Any) -> dict[str, Any]:
    """Two events held (10 and 20 days ago), one cancelled, one planned; four topics:
    resolved (done), rejected (done), open past its deadline (overdue), open on time."""
    programme = make_programme()
    first = make_event(programme, starts_at=NOW - timedelta(days=20), title="Pertama")
    second = make_event(programme, starts_at=NOW - timedelta(days=10), title="Kedua")
    make_event(programme, starts_at=NOW - timedelta(days=5), status=Event.Status.CANCELLED)
    make_event(programme, starts_at=NOW + timedelta(days=5), status=Event.Status.PLANNED)
    attendance(first, registered=4, attended=3, cancelled=2)
    attendance(second, registered=6, attended=3)
    resolved = file_one(first, bhabin_selatan, batch="r").report
    rejected = file_one(first, bhabin_selatan, topic="complaint:noise", batch="j").report
    overdue = file_one(
        second, bhabin_selatan, topic="complaint:noise", kelurahan=UTARA_KELURAHAN, batch="o"
    ).report
    file_one(second, bhabin_selatan, topic="tip:gambling", batch="t")
    by = commander_polres
    workflow.transition(resolved, Status.VERIFIED, by)
    workflow.transition(resolved, Status.ASSIGNED, by)
    workflow.transition(resolved, Status.RESOLVED, by)
    workflow.transition(rejected, Status.REJECTED, by, reason="Bukan wewenang Polri.")
    Report.objects.filter(pk=overdue.pk).update(ack_due_at=NOW - timedelta(hours=2))
    return {"programme": programme, "first": first, "second": second}


def test_outcome_counts_events_attendance_topics_and_follow_ups(case: dict[str, Any]) -> None:
    outcome = programme_outcome(case["programme"], now=NOW)
    assert (outcome.events_held, outcome.events_cancelled, outcome.events_planned) == (2, 1, 1)
    assert (outcome.registered, outcome.attended) == (10, 6)
    assert outcome.attendance_rate == pytest.approx(0.6)
    assert outcome.topics == 4
    assert (outcome.done, outcome.resolved, outcome.overdue, outcome.open_on_time) == (2, 1, 1, 1)
    assert {c.key: c.count for c in outcome.by_category} == {
        "aspiration:lighting": 1,
        "complaint:noise": 2,
        "tip:gambling": 1,
    }
    assert {c.key: c.count for c in outcome.by_kind} == {"aspiration": 1, "complaint": 2, "tip": 1}
    by_place = {c.key: c.count for c in outcome.by_kelurahan}
    assert by_place[UTARA_KELURAHAN] == 1 and sum(by_place.values()) == 4
    assert [line.state for line in outcome.topic_lines] == ["done", "done", "overdue", "open"]
    assert [(e.event.title, e.registered, e.attended, e.topics) for e in outcome.events[:2]] == [
        ("Pertama", 4, 3, 2),
        ("Kedua", 6, 3, 2),
    ]


def test_outcome_of_a_period_counts_only_its_events(case: dict[str, Any]) -> None:
    start = timezone.localdate(NOW - timedelta(days=12))
    outcome = programme_outcome(case["programme"], start, timezone.localdate(NOW), now=NOW)
    assert (outcome.events_held, outcome.events_cancelled, outcome.events_planned) == (1, 1, 0)
    assert (outcome.registered, outcome.attended, outcome.topics) == (6, 3, 2)
    assert (outcome.done, outcome.overdue, outcome.open_on_time) == (0, 1, 1)


def test_outcome_of_an_empty_programme_has_no_rate(db: Any) -> None:
    outcome = programme_outcome(make_programme(), now=NOW)
    assert outcome.topics == 0 and outcome.attendance_rate is None


def url(name: str, programme: Programme, query: str = "") -> str:
    return reverse(f"community:{name}", args=[programme.pk]) + query


def test_the_page_shows_the_figures_and_links_exports(
    case: dict[str, Any], officer_selatan: Any
) -> None:
    response = client_for(officer_selatan).get(url("programme_outcome", case["programme"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-figure="follow_ups_overdue" class="overdue">1<' in html
    assert 'data-figure="attendance_rate">60%<' in html
    assert "Tindak lanjut terlambat" in html
    assert url("programme_outcome_pdf", case["programme"]) in html


def test_a_bad_period_is_ignored_with_a_notice(case: dict[str, Any], officer_selatan: Any) -> None:
    client = client_for(officer_selatan)
    query = "?start=kemarin&end=2020-01-01"
    response = client.get(url("programme_outcome", case["programme"], query))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="notice"') == 1  # start ignored; end alone is a valid bound
    reversed_period = client.get(
        url("programme_outcome", case["programme"], "?start=2026-05-02&end=2026-05-01")
    )
    assert reversed_period.status_code == 200
    assert reversed_period.content.decode().count('class="notice"') == 1


def test_csv_export_has_tidy_rows_and_is_audited(
    case: dict[str, Any], officer_selatan: Any
) -> None:
    response = client_for(officer_selatan).get(url("programme_outcome_csv", case["programme"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "key", "label", "value"]
    values = {(r[0], r[1]): r[3] for r in rows[1:]}
    assert values[("summary", "follow_ups_done")] == "2"
    assert values[("summary", "follow_ups_overdue")] == "1"
    assert values[("summary", "attendance_rate")] == "60%"
    assert values[("topics_by_category", "complaint:noise")] == "2"
    assert values[("event_topics", str(case["first"].uid))] == "2"
    assert AuditEvent.objects.filter(action="programme.outcome_export").count() == 1


def test_pdf_export_is_a_pdf(case: dict[str, Any], officer_selatan: Any) -> None:
    response = client_for(officer_selatan).get(
        url("programme_outcome_pdf", case["programme"], "?start=2020-01-01")
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 2000


def test_who_may_see_the_outcome(
    case: dict[str, Any], officer_utara: Any, resident: Any, commander_polres: Any
) -> None:
    programme = case["programme"]
    for name in ("programme_outcome", "programme_outcome_csv", "programme_outcome_pdf"):
        assert Client().get(url(name, programme)).status_code == 302
        assert client_for(resident).get(url(name, programme)).status_code == 403
        assert client_for(officer_utara).get(url(name, programme)).status_code == 404
    assert client_for(commander_polres).get(url("programme_outcome", programme)).status_code == 200


# ---- demo ----------------------------------------------------------------------------------


@pytest.fixture
def demo_events(db: Any) -> list[Event]:
    make_user("kapolsek.demo", roles.COMMANDER, "polsek-balikpapan-selatan", is_demo=True)
    programme = make_programme(is_synthetic=True)
    events = [
        make_event(programme, starts_at=NOW - timedelta(days=d), is_synthetic=True)
        for d in (3, 30, 60)
    ]
    make_event(programme, starts_at=NOW + timedelta(days=3), status="planned", is_synthetic=True)
    for event in events:
        attendance(event, registered=3, attended=2)
        Registration.objects.filter(event=event).update(email="peserta@example.org")
    return events


def test_demo_topics_are_synthetic_moved_along_and_idempotent(
    demo_events: list[Event], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = load_demo_aspirations(seed=7, now=NOW)
    assert 3 <= created <= 12
    assert Aspiration.objects.count() == created
    reports = Report.objects.filter(event_source__isnull=False)
    assert all(r.is_synthetic and r.channel == "event" for r in reports)
    statuses = set(reports.values_list("status", flat=True))
    assert len(statuses) >= 2
    assert all(r.created_at > r.event_source.event.ends_at for r in reports)
    assert OutboundMessage.objects.filter(recipient="peserta@example.org").count() == 0
    assert load_demo_aspirations(seed=7, now=NOW) == 0
    assert Aspiration.objects.count() == created


def test_demo_topics_are_deterministic_for_a_seed(demo_events: list[Event]) -> None:
    load_demo_aspirations(seed=7, now=NOW)
    first = sorted(Report.objects.values_list("idempotency_key", "category__code", "status"))
    Aspiration.objects.all().delete()
    Report.objects.all().delete()
    load_demo_aspirations(seed=7, now=NOW)
    second = sorted(Report.objects.values_list("idempotency_key", "category__code", "status"))
    assert first == second


def test_demo_outcome_shows_done_and_overdue_follow_ups(demo_events: list[Event]) -> None:
    load_demo_aspirations(seed=7, now=NOW)
    outcome = programme_outcome(demo_events[0].programme, now=NOW)
    assert outcome.topics == Aspiration.objects.count()
    assert outcome.done + outcome.overdue + outcome.open_on_time == outcome.topics
    assert date.today() >= timezone.localdate(demo_events[-1].starts_at)
