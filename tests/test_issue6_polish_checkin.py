"""Last night's round recorded the next afternoon: the coordinator chooses tonight or last
night between 12:00 and 18:00 WITA; the round is linked to that night and stays idempotent."""

from __future__ import annotations

import doctest
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from kamtibmas.siskamling import checkin
from kamtibmas.siskamling.models import CheckIn, RosterNight
from tests.test_siskamling_checkin import round_data
from tests.test_siskamling_posts import make_post

pytestmark = pytest.mark.django_db

WITA = checkin.WITA
AFTERNOON = datetime(2026, 3, 3, 14, 0, tzinfo=WITA)  # Tuesday 14:00: Monday's night is over
EVENING = datetime(2026, 3, 3, 19, 0, tzinfo=WITA)


@pytest.fixture
def post(db: Any) -> Any:
    return make_post(name="Pos Kamling Anggrek")


@pytest.fixture
def night(post: Any) -> RosterNight:
    """Monday's night, 22:00 to Tuesday 04:00."""
    return RosterNight.objects.create(
        post=post, date=date(2026, 3, 2), members=["Budi Contoh", "Andi Contoh"],
        starts_at=datetime(2026, 3, 2, 22, 0, tzinfo=WITA),
        ends_at=datetime(2026, 3, 3, 4, 0, tzinfo=WITA),
    )  # fmt: skip


@pytest.fixture
def afternoon() -> Iterator[None]:
    with time_machine.travel(AFTERNOON, tick=False):
        yield


def test_the_choice_and_its_night() -> None:
    morning = datetime(2026, 3, 3, 9, 0, tzinfo=WITA)
    assert checkin.default_choice(morning) == checkin.LAST_NIGHT
    assert checkin.default_choice(AFTERNOON) == checkin.TONIGHT
    assert checkin.chosen_night(checkin.LAST_NIGHT, AFTERNOON) == date(2026, 3, 2)
    assert checkin.chosen_night(checkin.TONIGHT, AFTERNOON) == date(2026, 3, 3)
    assert checkin.chosen_night(checkin.LAST_NIGHT, morning) == date(2026, 3, 2)
    assert not checkin.late_entry_open(morning) and checkin.late_entry_open(AFTERNOON)
    assert not checkin.late_entry_open(EVENING)
    assert not checkin.choice_allowed(checkin.LAST_NIGHT, EVENING)


def test_after_noon_the_page_offers_last_night_with_its_duty_list(
    afternoon: None, post: Any, night: Any
) -> None:
    client = Client()
    default = client.get(f"/pos/{post.checkin_token}/").content.decode()
    assert "Ronda malam ini" in default and "Ronda tadi malam" in default
    assert "Budi Contoh" not in default  # tonight has no roster night
    last = client.get(f"/pos/{post.checkin_token}/?which_night=last").content.decode()
    assert "Budi Contoh" in last and 'value="last"' in last and "<script" not in last
    assert "Bertugas tadi malam" in last and "Jadwal tadi malam: 22:00–04:00" in last


def test_before_noon_the_running_night_is_still_tonight(post: Any, night: Any) -> None:
    with time_machine.travel(datetime(2026, 3, 3, 3, 0, tzinfo=WITA), tick=False):
        page = Client().get(f"/pos/{post.checkin_token}/").content.decode()
    assert "Jadwal malam ini: 22:00–04:00" in page and "Budi Contoh" in page
    assert "which-night" not in page and 'value="last"' in page


def test_last_nights_round_is_recorded_the_next_afternoon_once(
    afternoon: None, post: Any, night: RosterNight
) -> None:
    client = Client()
    url = f"/pos/{post.checkin_token}/"
    first = client.post(url, round_data(which_night="last"))
    assert first.status_code == 200 and "tercatat" in first.content.decode()
    assert client.post(url, round_data(which_night="last")).status_code == 200
    done = CheckIn.objects.get()
    assert done.night == night
    assert done.started_at == datetime(2026, 3, 2, 22, 30, tzinfo=WITA)
    assert done.ended_at == datetime(2026, 3, 3, 2, 15, tzinfo=WITA)


def test_tonight_after_noon_refuses_last_nights_times_and_points_to_the_choice(
    afternoon: None, post: Any, night: Any
) -> None:
    response = Client().post(f"/pos/{post.checkin_token}/", round_data())
    text = response.content.decode()
    assert response.status_code == 400 and CheckIn.objects.count() == 0
    assert "Untuk mencatat ronda semalam" in text and "Motor tanpa plat" in text


def test_last_night_is_refused_after_18_with_the_values_kept(post: Any, night: Any) -> None:
    client = Client()
    with time_machine.travel(EVENING, tick=False):
        page = client.get(f"/pos/{post.checkin_token}/?which_night=last").content.decode()
        assert "Ronda tadi malam" not in page and 'value="tonight"' in page
        response = client.post(f"/pos/{post.checkin_token}/", round_data(which_night="last"))
    text = response.content.decode()
    assert response.status_code == 400 and CheckIn.objects.count() == 0
    assert "18.00" in text and "Motor tanpa plat" in text
    assert 'href="?which_night=tonight"' in text  # the way back to tonight's round


def test_a_forged_choice_falls_back_to_the_default(afternoon: None, post: Any) -> None:
    response = Client().post(
        f"/pos/{post.checkin_token}/", round_data(which_night="x" * 500, start="14:00", end="")
    )
    assert response.status_code == 200
    assert CheckIn.objects.get().started_at == AFTERNOON


def test_the_examples_in_the_checkin_docstrings_hold() -> None:
    assert doctest.testmod(checkin).failed == 0
