"""Patrol shifts: configured hours, the shift at a moment, the next shifts, keys."""

from __future__ import annotations

import doctest
from datetime import UTC, date, datetime

import pytest

from kamtibmas.env import ConfigError
from kamtibmas.forecasts import shifts
from kamtibmas.forecasts.shifts import WITA


def test_default_shifts_are_pagi_siang_malam() -> None:
    specs = shifts.parse_shifts(shifts.DEFAULT_SHIFTS)
    assert [(s.name, s.start_hour, s.hours) for s in specs] == [
        ("pagi", 6, 8),
        ("siang", 14, 8),
        ("malam", 22, 8),
    ]


def test_the_night_shift_belongs_to_the_day_it_starts() -> None:
    at_2am = datetime(2026, 12, 2, 2, 0, tzinfo=WITA)
    shift = shifts.shift_at(at_2am)
    assert shift.key == "2026-12-01/malam"
    assert shift.end == datetime(2026, 12, 2, 6, 0, tzinfo=WITA)


def test_shift_at_accepts_any_time_zone() -> None:
    assert shifts.shift_at(datetime(2026, 12, 1, 0, 0, tzinfo=UTC)).name == "pagi"  # 08:00 WITA


@pytest.mark.parametrize(
    "text",
    ["pagi=06-14,siang=14-22", "a=06-14,b=13-06", "pagi=6to14", "a=00-12,a=12-00", "x=25-02"],
)
def test_it_refuses_shifts_that_do_not_tile_the_day(text: str) -> None:
    with pytest.raises(ConfigError):
        shifts.parse_shifts(text)


def test_two_twelve_hour_shifts_work() -> None:
    specs = shifts.parse_shifts("siang=07-19,malam=19-07")
    assert shifts.shift_at(datetime(2026, 1, 1, 6, 59, tzinfo=WITA), specs).name == "malam"


def test_shift_by_key_round_trips_and_rejects_nonsense() -> None:
    shift = shifts.shift_on(date(2026, 12, 1), shifts.configured_shifts()[2])
    assert shifts.shift_by_key(shift.key) == shift
    assert shifts.shift_by_key("2026-13-01/malam") is None
    assert shifts.shift_by_key("2026-12-01/subuh") is None


def test_docstring_examples_run() -> None:
    assert doctest.testmod(shifts).failed == 0
