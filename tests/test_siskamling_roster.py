"""Siskamling rosters: the weekly template makes nights (WITA, across midnight, idempotent,
edits kept), participation and missed nights, the roster page and its PDF, and the hourly
reminders to the coordinator."""

from __future__ import annotations

import logging
import shutil
import subprocess
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from kamtibmas.accounts.models import AuditEvent
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.notifications.models import OutboundMessage
from kamtibmas.siskamling import reminders, roster
from kamtibmas.siskamling.models import CheckIn, DoorVisit, Post, RosterNight, RosterSlot
from tests.conftest import CANARY_EMAIL, CANARY_NAME, CANARY_PHONE, SELATAN_KELURAHAN

WITA = ZoneInfo("Asia/Makassar")
MONDAY = date(2026, 11, 16)  # a Monday
SELATAN = "polsek-balikpapan-selatan"


def make_post(name: str = "Pos Kamling Melati", **extra: Any) -> Post:
    kelurahan = Kelurahan.objects.get(code=extra.pop("kelurahan_code", SELATAN_KELURAHAN))
    values: dict[str, Any] = {
        "kelurahan": kelurahan,
        "kelurahan_code": kelurahan.code,
        "unit": Unit.objects.get(code=extra.pop("unit_code", SELATAN)),
        "lat": kelurahan.lat,
        "lon": kelurahan.lon,
        "rw": "004",
        "rt": "012",
        "coordinator_name": CANARY_NAME,
        "coordinator_phone": CANARY_PHONE,
        "coordinator_email": CANARY_EMAIL,
    }
    values.update(extra)
    return Post.objects.create(name=name, **values)


def add_slot(
    post: Post, weekday: int, members: list[str], start: time = time(22, 0), end: time = time(4, 0)
) -> RosterSlot:
    return RosterSlot.objects.create(
        post=post, weekday=weekday, start_time=start, end_time=end, members=members
    )


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WITA)


# ---- template -> nights ---------------------------------------------------------------------


@pytest.mark.django_db
def test_it_makes_a_weeks_nights_in_wita_across_midnight() -> None:
    post = make_post()
    add_slot(post, 0, ["Budi", "Agus"])
    add_slot(post, 5, ["Joko"], start=time(19, 0), end=time(23, 30))
    nights = roster.make_week(post, MONDAY + timedelta(days=3))  # any day of the week
    assert [n.date for n in nights] == [MONDAY, MONDAY + timedelta(days=5)]
    monday, saturday = nights
    assert monday.starts_at == at(MONDAY, 22) and monday.ends_at == at(MONDAY + timedelta(1), 4)
    assert monday.starts_at.utcoffset() == timedelta(hours=8)
    assert monday.members == ["Budi", "Agus"]
    assert saturday.ends_at == at(MONDAY + timedelta(days=5), 23, 30)  # same evening


@pytest.mark.django_db
def test_making_a_week_twice_adds_nothing_and_keeps_edits() -> None:
    post = make_post()
    add_slot(post, 0, ["Budi", "Agus"])
    add_slot(post, 2, ["Joko"])
    [monday, _wednesday] = roster.make_week(post, MONDAY)
    roster.update_night(monday, ["Budi", "Slamet"], None, at(MONDAY, 12))
    RosterSlot.objects.filter(post=post, weekday=0).update(members=["Someone Else"])
    assert roster.make_week(post, MONDAY) == []
    assert RosterNight.objects.filter(post=post).count() == 2
    monday.refresh_from_db()
    assert monday.members == ["Budi", "Slamet"]


@pytest.mark.django_db
def test_a_night_that_has_started_cannot_be_edited() -> None:
    post = make_post()
    add_slot(post, 0, ["Budi"])
    [night] = roster.make_week(post, MONDAY)
    with pytest.raises(roster.NightLocked):
        roster.update_night(night, ["Agus"], None, at(MONDAY, 22, 5))
    night.refresh_from_db()
    assert night.members == ["Budi"]


def test_members_are_parsed_one_per_line_without_repeats() -> None:
    assert roster.parse_members(" Budi \n\nagus, Agus\n  Joko   Santoso ") == [
        "Budi",
        "agus",
        "Joko Santoso",
    ]


# ---- participation ----------------------------------------------------------------------------


def _round(
    post: Post, start: datetime, names: list[str], night: RosterNight | None = None, count: int = 0
) -> CheckIn:
    return CheckIn.objects.create(
        post=post,
        night=night,
        started_at=start,
        ended_at=start + timedelta(hours=2),
        attendees=names,
        attendee_count=count or len(names),
        via=CheckIn.Via.STAFF,
    )


@pytest.mark.django_db
def test_participation_counts_rounds_attendance_and_missed_nights() -> None:
    post = make_post()
    add_slot(post, 0, ["Budi", "Agus"])
    add_slot(post, 2, ["Joko", "Slamet"])
    add_slot(post, 4, ["Wawan"])
    roster.make_week(post, MONDAY)
    nights = {n.date.weekday(): n for n in post.nights.all()}
    _round(post, at(MONDAY, 22, 30), ["budi", "Pak RT"])  # unlinked, within the night
    _round(post, at(MONDAY, 20), ["Joko"], night=nights[2])  # linked, even if early
    now = at(MONDAY + timedelta(days=7), 12)
    p = roster.participation(post, now)
    assert (p.nights, p.nights_with_round) == (3, 2)
    assert [s.night.date for s in p.missed] == [MONDAY + timedelta(days=4)]
    assert (p.attendees, p.member_places) == (3, 5)
    assert p.night_percent == 67 and p.attendance_percent == 60
    statuses = roster.night_statuses(post, MONDAY, MONDAY + timedelta(days=7), now)
    assert statuses[0].came == ["Budi"] and statuses[0].absent == ["Agus"]
    assert statuses[0].others == ["Pak RT"]


@pytest.mark.django_db
def test_a_night_not_yet_over_is_not_missed() -> None:
    post = make_post()
    add_slot(post, 0, ["Budi"])
    roster.make_week(post, MONDAY)
    p = roster.participation(post, at(MONDAY + timedelta(days=1), 3))
    assert p.nights == 0 and p.missed == []
    assert roster.tonight(post, at(MONDAY + timedelta(days=1), 3)).date == MONDAY


# ---- pages -------------------------------------------------------------------------------------


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _template_post(**overrides: str) -> dict[str, str]:
    data = {"action": "template"}
    for day in range(7):
        data.update(
            {
                f"d{day}-start_time": "22:00",
                f"d{day}-end_time": "04:00",
                f"d{day}-members": "",
                f"d{day}-note": "",
            }
        )
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_a_bhabinkamtibmas_saves_the_template_and_it_is_audited(bhabin_selatan: Any) -> None:
    post = make_post()
    client = _client(bhabin_selatan)
    url = reverse("siskamling:roster", args=[post.pk])
    response = client.post(url, _template_post(**{"d0-members": "Budi\nAgus", "d5-note": "x"}))
    assert response.status_code == 302
    [slot] = post.roster_slots.all()
    assert (slot.weekday, slot.members) == (0, ["Budi", "Agus"])
    event = AuditEvent.objects.get(action="roster_template")
    assert event.detail == {"weekdays": [0]} and "Budi" not in str(event.detail)


@pytest.mark.django_db
def test_bad_template_input_re_renders_with_the_values(bhabin_selatan: Any) -> None:
    post = make_post()
    client = _client(bhabin_selatan)
    url = reverse("siskamling:roster", args=[post.pk])
    data = _template_post(
        **{
            "d1-members": "Budi\nAgus",
            "d1-start_time": "25:99",
            "d3-members": "Joko",
            "d3-end_time": "22:00",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "25:99" in body and "Budi\nAgus" in body and "errorlist" in body
    assert not post.roster_slots.exists()


@pytest.mark.django_db
def test_a_desk_officer_sees_the_roster_but_cannot_change_it(officer_selatan: Any) -> None:
    post = make_post()
    client = _client(officer_selatan)
    url = reverse("siskamling:roster", args=[post.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, _template_post(**{"d0-members": "Budi"})).status_code == 403
    assert not post.roster_slots.exists()


@pytest.mark.django_db
def test_another_polsek_gets_404(officer_utara: Any) -> None:
    post = make_post()
    assert (
        _client(officer_utara).get(reverse("siskamling:roster", args=[post.pk])).status_code == 404
    )


@pytest.mark.django_db
def test_making_a_week_and_swapping_a_night_from_the_page(bhabin_selatan: Any) -> None:
    from django.utils import timezone

    post = make_post()
    today = timezone.localdate()
    add_slot(post, (today + timedelta(days=8)).weekday(), ["Budi", "Agus"])
    client = _client(bhabin_selatan)
    url = reverse("siskamling:roster", args=[post.pk])
    next_week = roster.week_start(today) + timedelta(weeks=1)
    response = client.post(url, {"action": "week", "week": next_week.isoformat()})
    assert response.status_code == 302
    night = post.nights.get()
    assert client.post(url, {"action": "week", "week": "2001-01-01"}).status_code == 400
    response = client.post(url, {"action": "night", "night": night.pk, "members": "Budi\nSlamet"})
    assert response.status_code == 302
    night.refresh_from_db()
    assert night.members == ["Budi", "Slamet"]
    too_many = "\n".join(f"Warga {k}" for k in range(25))
    response = client.post(url, {"action": "night", "night": night.pk, "members": too_many})
    assert response.status_code == 400 and "Warga 24" in response.content.decode()
    page = client.get(url).content.decode()
    assert "Slamet" in page and f"night-{night.pk}" in page
    assert AuditEvent.objects.filter(action="roster_night_edit", object_id=str(night.pk)).exists()


@pytest.mark.django_db
def test_the_pdf_renders_with_the_post_and_names(bhabin_selatan: Any) -> None:
    post = make_post(name="Pos Kamling Kenanga")
    add_slot(post, 0, ["Budi Santoso"])
    response = _client(bhabin_selatan).get(
        reverse("siskamling:roster_pdf", args=[post.pk]) + f"?week={MONDAY}"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert b"Pos Kamling Kenanga" in response.content  # the document's title
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        command = [pdftotext, "-", "-"]
        result = subprocess.run(  # noqa: S603
            command,
            input=response.content,
            capture_output=True,
            check=True,
        )
        text = result.stdout.decode()
        assert "Pos Kamling Kenanga" in text and "Budi Santoso" in text
        assert CANARY_PHONE not in text  # no phone on paper
    assert AuditEvent.objects.filter(action="roster_pdf").exists()


@pytest.mark.django_db
def test_printing_a_week_not_made_yet_shows_the_template_and_saves_nothing() -> None:
    post = make_post()
    add_slot(post, 4, ["Budi"], start=time(21, 0), end=time(3, 0))
    [night] = roster.week_nights(post, MONDAY + timedelta(days=2))
    assert night.pk is None and night.date == MONDAY + timedelta(days=4)
    assert night.ends_at == at(MONDAY + timedelta(days=5), 3)
    assert not RosterNight.objects.exists()
    roster.make_week(post, MONDAY)
    RosterNight.objects.update(members=["Agus"])
    assert [n.members for n in roster.week_nights(post, MONDAY)] == [["Agus"]]


@pytest.mark.django_db
def test_the_post_page_shows_the_roster_summary(bhabin_selatan: Any) -> None:
    from django.utils import timezone

    post = make_post()
    today = timezone.localdate()
    add_slot(post, today.weekday(), ["Budi Tonight"])
    roster.make_week(post, today)
    body = _client(bhabin_selatan).get(reverse("siskamling:post_detail", args=[post.pk]))
    html = body.content.decode()
    assert 'id="roster-summary"' in html and "Budi Tonight" in html
    assert reverse("siskamling:roster", args=[post.pk]) in html


@pytest.mark.django_db
def test_a_bad_week_in_the_pdf_link_gives_this_week(officer_selatan: Any) -> None:
    post = make_post()
    url = reverse("siskamling:roster_pdf", args=[post.pk]) + "?week=not-a-date"
    response = _client(officer_selatan).get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


# ---- reminders ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_hourly_run_makes_next_weeks_nights() -> None:
    post = make_post()
    add_slot(post, 3, ["Budi"])
    make_post(name="Pos Tutup", is_active=False)
    reminders.run_hourly(at(MONDAY, 9))
    assert sorted(post.nights.values_list("date", flat=True)) == [
        MONDAY + timedelta(days=3),
        MONDAY + timedelta(days=10),
    ]
    assert reminders.run_hourly(at(MONDAY, 10)).nights_made == 0


@pytest.mark.django_db
def test_nights_already_over_are_not_made_after_the_fact() -> None:
    post = make_post()
    add_slot(post, 0, ["Budi"])
    add_slot(post, 3, ["Agus"])
    reminders.run_hourly(at(MONDAY + timedelta(days=3), 10))  # Thursday morning
    assert sorted(post.nights.values_list("date", flat=True)) == [
        MONDAY + timedelta(days=3),
        MONDAY + timedelta(days=7),
        MONDAY + timedelta(days=10),
    ]
    assert roster.participation(post, at(MONDAY + timedelta(days=3), 10)).missed == []


@pytest.mark.django_db
def test_a_reminder_is_sent_once_a_few_hours_before_the_night(caplog: Any) -> None:
    post = make_post()
    add_slot(post, 0, ["Budi", "Agus"])
    roster.make_week(post, MONDAY)
    night = post.nights.get()
    early = night.starts_at - reminders.REMINDER_LEAD - timedelta(minutes=5)
    with caplog.at_level(logging.DEBUG):
        assert reminders.run_hourly(early).reminders == 0
        due = night.starts_at - reminders.REMINDER_LEAD + timedelta(minutes=5)
        assert reminders.run_hourly(due).reminders == 1
        assert reminders.run_hourly(due + timedelta(hours=1)).reminders == 0
    messages = OutboundMessage.objects.order_by("channel")
    assert [(m.channel, m.recipient) for m in messages] == [
        ("email", CANARY_EMAIL),
        ("whatsapp", CANARY_PHONE),
    ]
    link = settings.PUBLIC_BASE_URL.rstrip("/") + f"/pos/{post.checkin_token}/"
    for message in messages:
        assert link in message.body and "Budi, Agus" in message.body and "22:00" in message.body
    night.refresh_from_db()
    assert night.reminder_sent_at == due
    assert post.checkin_token not in caplog.text and CANARY_PHONE not in caplog.text


@pytest.mark.django_db
def test_no_reminder_for_an_inactive_post_or_a_night_without_members() -> None:
    closed = make_post(name="Pos Tutup")
    add_slot(closed, 0, ["Budi"])
    empty = make_post(name="Pos Kosong")
    roster.make_week(closed, MONDAY)
    closed.is_active = False
    closed.save()
    RosterNight.objects.create(
        post=empty,
        date=MONDAY,
        starts_at=at(MONDAY, 22),
        ends_at=at(MONDAY + timedelta(1), 4),
        members=[],
    )
    assert reminders.run_hourly(at(MONDAY, 20)).reminders == 0
    assert not OutboundMessage.objects.exists()
    assert not RosterNight.objects.filter(reminder_sent_at__isnull=False).exists()


@pytest.mark.django_db
def test_only_the_coordinators_channels_are_used() -> None:
    post = make_post(coordinator_email="")
    add_slot(post, 0, ["Budi"])
    roster.make_week(post, MONDAY)
    reminders.run_hourly(at(MONDAY, 20))
    assert list(OutboundMessage.objects.values_list("channel", flat=True)) == ["whatsapp"]


@pytest.mark.django_db
def test_the_task_runs_the_hourly_job() -> None:
    from kamtibmas.siskamling.tasks import roster_hourly

    result = roster_hourly.enqueue()
    assert "nights_made=" in str(result.return_value)


# ---- demo ----------------------------------------------------------------------------------------


def _demo_posts() -> list[Post]:
    names = [
        "Pos Demo Mawar",
        "Pos Demo Kenanga",
        "Pos Demo Cempaka",
        "Pos Demo Dahlia",
        "Pos Demo Flamboyan",
        "Pos Demo Teratai",
    ]
    return [make_post(name, is_synthetic=True, coordinator_name="Demo") for name in names]


def _snapshot() -> list[Any]:
    return [
        sorted(RosterSlot.objects.values_list("post__name", "weekday", "start_time", "members")),
        sorted(RosterNight.objects.values_list("post__name", "date", "members")),
        sorted(CheckIn.objects.values_list("post__name", "started_at", "attendees", "all_quiet")),
        sorted(DoorVisit.objects.values_list("officer__username", "visited_at", "topic", "rw")),
    ]


@pytest.mark.django_db
def test_the_demo_is_idempotent_deterministic_and_has_missed_nights(bhabin_selatan: Any) -> None:
    from kamtibmas.siskamling.demo_roster import load_demo_roster

    _demo_posts()
    make_post("Pos Nyata")  # not synthetic: left alone
    now = at(MONDAY, 15)
    first = load_demo_roster(seed=7, now=now)
    assert first["templates"] and first["nights"] and first["rounds"] and first["visits"] == 12
    assert not RosterSlot.objects.filter(post__name="Pos Nyata").exists()
    for slot in RosterSlot.objects.all():
        assert 2 <= len(slot.members) <= 4
    for post in Post.objects.filter(is_synthetic=True):
        assert 3 <= post.roster_slots.count() <= 7
        assert post.nights.filter(date__gt=MONDAY + timedelta(days=6)).exists()  # next week
        assert post.nights.filter(date__lt=MONDAY - timedelta(weeks=7)).exists()  # 8 weeks back
    assert not CheckIn.objects.filter(started_at__gt=now).exists()
    assert CheckIn.objects.filter(all_quiet=False).exclude(observations="").exists()
    missed = sum(len(roster.participation(p, now).missed) for p in Post.objects.all())
    assert missed > 0
    assert all(v.officer == bhabin_selatan and v.is_synthetic for v in DoorVisit.objects.all())
    assert set(DoorVisit.objects.values_list("kelurahan__code", flat=True)) == {SELATAN_KELURAHAN}
    snapshot = _snapshot()
    second = load_demo_roster(seed=7, now=now)
    assert (second["templates"], second["nights"], second["rounds"], second["visits"]) == (0,) * 4
    assert _snapshot() == snapshot


@pytest.mark.django_db
def test_the_demo_gives_the_same_data_for_the_same_seed(bhabin_selatan: Any) -> None:
    from kamtibmas.siskamling.demo_roster import load_demo_roster

    posts = _demo_posts()
    load_demo_roster(seed=3, now=at(MONDAY, 15))
    first = _snapshot()
    DoorVisit.objects.all().delete()
    Post.objects.all().delete()
    for post in reversed(posts):  # another order in the database gives the same data
        make_post(post.name, is_synthetic=True, coordinator_name="Demo")
    load_demo_roster(seed=3, now=at(MONDAY, 15))
    assert _snapshot() == first
    DoorVisit.objects.all().delete()
    load_demo_roster(seed=4, now=at(MONDAY, 15))
    assert _snapshot() != first


@pytest.mark.django_db
def test_no_reminders_for_demo_posts() -> None:
    post = make_post(is_synthetic=True)
    add_slot(post, 0, ["Budi"])
    roster.make_week(post, MONDAY)
    assert reminders.run_hourly(at(MONDAY, 20)).reminders == 0
