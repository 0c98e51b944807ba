"""The Bhabinkamtibmas dashboard (scoping per persona, missed nights, reports from posts) and
the door-to-door visit log (validation, audit, filters)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import AuditEvent
from kamtibmas.geo.models import Kelurahan
from kamtibmas.reports.models import Channel
from kamtibmas.siskamling import roster
from kamtibmas.siskamling.models import DoorVisit, PostReport, RosterNight
from tests.conftest import (
    CANARY_NAME,
    SELATAN_KELURAHAN,
    UTARA_KELURAHAN,
    make_user,
)
from tests.test_siskamling_roster import make_post


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _missed_night(post: Any, days_ago: int = 3) -> RosterNight:
    day = timezone.localdate() - timedelta(days=days_ago)
    starts_at, ends_at = roster.night_bounds(day, *_times())
    return RosterNight.objects.create(
        post=post, date=day, starts_at=starts_at, ends_at=ends_at, members=["Budi", "Agus"]
    )


def _times() -> tuple[Any, Any]:
    from datetime import time

    return time(22, 0), time(4, 0)


def other_selatan_kelurahan() -> Kelurahan:
    """Another kelurahan of the same kecamatan (Polsek Balikpapan Selatan)."""
    mine = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    return Kelurahan.objects.filter(kecamatan=mine.kecamatan).exclude(pk=mine.pk).first()


@pytest.fixture
def posts(db: Any) -> dict[str, Any]:
    return {
        "mine": make_post("Pos Melati"),
        "neighbour": make_post("Pos Anggrek", kelurahan_code=other_selatan_kelurahan().code),
        "utara": make_post(
            "Pos Utara", kelurahan_code=UTARA_KELURAHAN, unit_code="polsek-balikpapan-utara"
        ),
    }


@pytest.mark.django_db
def test_a_bhabinkamtibmas_sees_only_the_posts_of_their_kelurahan(
    bhabin_selatan: Any, posts: dict[str, Any]
) -> None:
    _missed_night(posts["mine"])
    page = _client(bhabin_selatan).get(reverse("siskamling:dashboard"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Pos Melati" in body
    assert "Pos Anggrek" not in body and "Pos Utara" not in body
    assert f'id="post-{posts["mine"].pk}"' in body and "missed-nights" in body
    rows = page.context["rows"]
    assert [len(r.participation.missed) for r in rows] == [1]
    assert page.context["totals"].missed == 1


@pytest.mark.django_db
def test_a_polsek_officer_filters_by_kelurahan_within_their_scope(
    officer_selatan: Any, posts: dict[str, Any]
) -> None:
    client = _client(officer_selatan)
    body = client.get(reverse("siskamling:dashboard")).content.decode()
    assert "Pos Melati" in body and "Pos Anggrek" in body and "Pos Utara" not in body
    filtered = client.get(reverse("siskamling:dashboard"), {"kelurahan": SELATAN_KELURAHAN})
    assert [r.post.name for r in filtered.context["rows"]] == ["Pos Melati"]
    outside = client.get(reverse("siskamling:dashboard"), {"kelurahan": UTARA_KELURAHAN})
    assert outside.status_code == 200  # a kelurahan outside the scope is refused, not shown
    assert "Pos Utara" not in outside.content.decode()
    assert "errorlist" in outside.content.decode()


@pytest.mark.django_db
def test_residents_and_the_public_do_not_reach_the_dashboard(resident: Any) -> None:
    assert Client().get(reverse("siskamling:dashboard")).status_code == 302
    assert _client(resident).get(reverse("siskamling:dashboard")).status_code == 403
    assert _client(resident).get(reverse("siskamling:visit_list")).status_code == 403


@pytest.mark.django_db
def test_reports_from_a_post_are_listed_with_their_status(
    bhabin_selatan: Any, posts: dict[str, Any], make_report: Any
) -> None:
    report = make_report()
    report.channel = Channel.SISKAMLING
    report.save(update_fields=["channel"])
    PostReport.objects.create(post=posts["mine"], report=report)
    body = _client(bhabin_selatan).get(reverse("siskamling:dashboard")).content.decode()
    assert report.tracking_code in body
    assert reverse("reports:detail", args=[report.tracking_code]) in body
    assert CANARY_NAME not in body  # the reporter never shows here


# ---- door-to-door visits -----------------------------------------------------------------------


def _visit_data(**overrides: str) -> dict[str, str]:
    kelurahan = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    data = {
        "kelurahan": str(kelurahan.pk),
        "rw": "4",
        "rt": "12",
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "host": "Ibu Sari (warung)",
        "topic": "Pencurian motor",
        "notes": "Minta patroli malam.",
        "follow_up_needed": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_a_bhabinkamtibmas_adds_a_visit_and_it_is_audited(bhabin_selatan: Any) -> None:
    client = _client(bhabin_selatan)
    response = client.post(reverse("siskamling:visit_list"), _visit_data())
    assert response.status_code == 302
    visit = DoorVisit.objects.get()
    assert visit.officer == bhabin_selatan and (visit.rw, visit.rt) == ("004", "012")
    event = AuditEvent.objects.get(action="door_visit_create")
    assert event.object_id == str(visit.pk) and "Sari" not in str(event.detail)
    dashboard = client.get(reverse("siskamling:dashboard"))
    assert dashboard.context["visits_this_month"] == 1
    assert "Pencurian motor" in dashboard.content.decode()


@pytest.mark.parametrize(
    "overrides",
    [
        {"visited_at": "kemarin"},
        {"visited_at": "2099-01-01T10:00"},
        {"topic": ""},
        {"rw": "4a"},
        {"kelurahan": "999999"},
    ],
)
@pytest.mark.django_db
def test_bad_visit_input_re_renders_with_the_values(
    bhabin_selatan: Any, overrides: dict[str, str]
) -> None:
    response = _client(bhabin_selatan).post(
        reverse("siskamling:visit_list"), _visit_data(**overrides)
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "errorlist" in body and "Minta patroli malam." in body
    assert not DoorVisit.objects.exists()


@pytest.mark.django_db
def test_a_visit_outside_the_officers_kelurahan_is_refused(bhabin_selatan: Any) -> None:
    other = other_selatan_kelurahan()
    response = _client(bhabin_selatan).post(
        reverse("siskamling:visit_list"), _visit_data(kelurahan=str(other.pk))
    )
    assert response.status_code == 400 and not DoorVisit.objects.exists()


@pytest.mark.django_db
def test_a_desk_officer_reads_the_log_but_cannot_add(
    officer_selatan: Any, officer_utara: Any, bhabin_selatan: Any
) -> None:
    DoorVisit.objects.create(
        officer=bhabin_selatan,
        topic="Narkoba",
        kelurahan=Kelurahan.objects.get(code=SELATAN_KELURAHAN),
    )
    client = _client(officer_selatan)
    page = client.get(reverse("siskamling:visit_list"))
    assert page.status_code == 200 and "Narkoba" in page.content.decode()
    assert page.context["form"] is None
    assert client.post(reverse("siskamling:visit_list"), _visit_data()).status_code == 403
    other = _client(officer_utara).get(reverse("siskamling:visit_list"))
    assert "Narkoba" not in other.content.decode()


@pytest.mark.django_db
def test_the_visit_log_filters_by_kelurahan_and_month(bhabin_selatan: Any) -> None:
    kelurahan = Kelurahan.objects.get(code=SELATAN_KELURAHAN)
    now = timezone.localtime()
    DoorVisit.objects.create(
        officer=bhabin_selatan,
        kelurahan=kelurahan,
        topic="Bulan ini",
        visited_at=now - timedelta(minutes=5),
    )
    DoorVisit.objects.create(
        officer=bhabin_selatan,
        kelurahan=kelurahan,
        topic="Dulu sekali",
        visited_at=now - timedelta(days=70),
    )
    client = _client(bhabin_selatan)
    page = client.get(reverse("siskamling:visit_list"), {"month": f"{now:%Y-%m}"})
    topics = [v.topic for v in page.context["page"]]
    assert topics == ["Bulan ini"]
    page = client.get(reverse("siskamling:visit_list"), {"month": "13-2026"})
    assert page.status_code == 200 and "errorlist" in page.content.decode()
    assert len(page.context["page"]) == 2
    page = client.get(reverse("siskamling:visit_list"), {"kelurahan": SELATAN_KELURAHAN})
    assert len(page.context["page"]) == 2


@pytest.mark.django_db
def test_a_community_officer_without_kelurahan_is_told_so() -> None:
    user = make_user("bhabin.baru", roles.COMMUNITY_OFFICER, "polsek-balikpapan-selatan")
    body = _client(user).get(reverse("siskamling:visit_list")).content.decode()
    assert "visit-form" not in body and "visit-add" in body
