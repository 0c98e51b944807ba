"""The time-of-day factor of shift forecasts."""

from __future__ import annotations

import doctest

import numpy as np

from kamtibmas_analytics.forecast import timeofday
from kamtibmas_analytics.forecast.base import DAY_S, HOUR_S, Events
from kamtibmas_analytics.forecast.timeofday import time_of_day_factor, window_hours
from kamtibmas_analytics.grid import Grid

GRID = Grid(0.0, 0.0, 100.0, nx=20, ny=10)


def _events(rng: np.random.Generator, n: int, hours: np.ndarray) -> Events:
    days = rng.integers(0, 200, n) * DAY_S
    return Events.from_arrays(
        rng.uniform(0, 2000, n), rng.uniform(0, 1000, n), days + hours * HOUR_S
    )


def test_window_hours_wrap_round_midnight_and_follow_the_local_offset() -> None:
    assert np.flatnonzero(window_hours(0.0, 8 * HOUR_S, 8 * HOUR_S)).tolist() == list(range(8, 16))
    assert window_hours(0.0, 30 * 60.0).sum() == 1
    assert window_hours(0.0, 2 * DAY_S).all()


def test_a_day_or_more_and_an_empty_history_change_nothing() -> None:
    rng = np.random.default_rng(1)
    ev = _events(rng, 100, rng.integers(0, 24, 100).astype(float))
    assert np.array_equal(time_of_day_factor(ev, GRID, 0.0, DAY_S), np.ones(GRID.shape))
    empty = Events.from_arrays([], [], [])
    assert np.array_equal(time_of_day_factor(empty, GRID, 0.0, 8 * HOUR_S), np.ones(GRID.shape))


def test_crime_spread_evenly_over_the_day_gives_factors_near_one() -> None:
    rng = np.random.default_rng(2)
    ev = _events(rng, 20_000, rng.uniform(0, 24, 20_000))
    factor = time_of_day_factor(ev, GRID, 0.0, 8 * HOUR_S, bandwidth_m=300.0)
    assert np.allclose(factor, 1.0, atol=0.1)


def test_night_places_rise_at_night_and_fall_by_day() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    west = _events(rng, n, rng.uniform(0, 4, n))  # crime at 00-04
    west = Events.from_arrays(west.x * 0.4, west.y, west.t)  # x in 0-800 m
    east = _events(rng, n, rng.uniform(12, 16, n))
    east = Events.from_arrays(1200 + east.x * 0.4, east.y, east.t)  # x in 1200-2000 m
    both = Events.from_arrays(np.r_[west.x, east.x], np.r_[west.y, east.y], np.r_[west.t, east.t])
    night = time_of_day_factor(both, GRID, 0.0, 8 * HOUR_S, bandwidth_m=100.0)  # 00-08
    day = time_of_day_factor(both, GRID, 12 * HOUR_S, 8 * HOUR_S, bandwidth_m=100.0)  # 12-20
    assert night[5, 2] > 2.0 and night[5, 17] < 0.5
    assert day[5, 17] > 2.0 and day[5, 2] < 0.5


def test_it_is_never_zero_even_for_hours_without_any_incident() -> None:
    rng = np.random.default_rng(4)
    ev = _events(rng, 50, np.full(50, 14.0))
    factor = time_of_day_factor(ev, GRID, 0.0, 8 * HOUR_S)
    assert factor.min() > 0.0 and np.all(np.isfinite(factor))


def test_whole_days_earlier_or_later_give_the_same_factor() -> None:
    rng = np.random.default_rng(5)
    ev = _events(rng, 500, rng.uniform(0, 24, 500))
    shifted = Events.from_arrays(ev.x, ev.y, ev.t + 7 * DAY_S)
    a = time_of_day_factor(ev, GRID, 22 * HOUR_S, 8 * HOUR_S)
    b = time_of_day_factor(shifted, GRID, 22 * HOUR_S + 30 * DAY_S, 8 * HOUR_S)
    assert np.allclose(a, b)


def test_docstring_examples_run() -> None:
    assert doctest.testmod(timeofday).failed == 0
