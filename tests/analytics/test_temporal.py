"""Aoristic hour x weekday, monthly series, Mann-Kendall and period comparisons."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from scipy import stats

from kamtibmas_analytics import temporal
from kamtibmas_analytics.temporal import (
    aoristic_hour_weekday,
    compare_periods,
    mann_kendall,
    monthly_series,
)

MONDAY_0800_WITA = np.datetime64("2024-01-01T00:00", "s")  # Monday 1 January 2024, 08:00 +08


def aoristic_slow(start: np.ndarray, end: np.ndarray, offset_h: float = 8.0) -> np.ndarray:
    """Walk each window minute by minute (windows are whole minutes) and share weight 1."""
    out = np.zeros((7, 24))
    for a, b in zip(start, end, strict=True):
        minutes = np.arange(a, b, np.timedelta64(1, "m")) if b > a else np.array([a])
        for m in minutes:
            local = m + np.timedelta64(int(offset_h * 60), "m")
            day = local.astype("datetime64[D]")
            weekday = (day.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
            hour = int((local - day).astype("timedelta64[h]").astype(np.int64))
            out[weekday, hour] += 1.0 / len(minutes)
    return out


def test_an_exact_time_lands_in_its_local_hour_and_weekday():
    m = aoristic_hour_weekday(np.array([MONDAY_0800_WITA + np.timedelta64(30, "m")]))
    assert m[0, 8] == 1.0 and m.sum() == 1.0
    sunday_late = np.datetime64("2024-01-07T15:59", "s")  # Sunday 23:59 WITA
    assert aoristic_hour_weekday(np.array([sunday_late]))[6, 23] == 1.0


def test_a_two_hour_window_splits_fifty_fifty():
    start = np.array([MONDAY_0800_WITA + np.timedelta64(2, "h")])
    m = aoristic_hour_weekday(start, start + np.timedelta64(2, "h"))
    assert m[0, 10] == pytest.approx(0.5) and m[0, 11] == pytest.approx(0.5)


def test_epoch_seconds_and_datetimes_agree():
    start = np.array([MONDAY_0800_WITA, MONDAY_0800_WITA + np.timedelta64(50, "h")])
    end = start + np.timedelta64(5, "h")
    as_secs = start.astype(np.int64), end.astype(np.int64)
    np.testing.assert_allclose(aoristic_hour_weekday(start, end), aoristic_hour_weekday(*as_secs))


def test_aoristic_matches_the_minute_walk_and_sums_to_the_events():
    rng = np.random.default_rng(9)
    n = 30
    start = MONDAY_0800_WITA + rng.integers(0, 60 * 24 * 30, n).astype("timedelta64[m]")
    length = rng.choice([0, 1, 45, 90, 600, 60 * 30], n).astype("timedelta64[m]")
    end = start + length
    fast = aoristic_hour_weekday(start.astype("datetime64[s]"), end.astype("datetime64[s]"))
    np.testing.assert_allclose(fast, aoristic_slow(start, end), atol=1e-9)
    assert fast.sum() == pytest.approx(n)


def test_windows_of_a_week_or_more_spread_evenly():
    start = np.array([MONDAY_0800_WITA])
    m = aoristic_hour_weekday(start, start + np.timedelta64(9, "D"))
    np.testing.assert_allclose(m, np.full((7, 24), 1 / 168))


def test_end_before_start_is_refused():
    with pytest.raises(ValueError, match="end before start"):
        aoristic_hour_weekday(np.array([10.0]), np.array([5.0]))


def test_mann_kendall_on_a_monotone_series_and_against_scipy():
    tau, p = mann_kendall(np.arange(10.0))
    # S = 45, var = 10*9*25/18 = 125, z = 44 / sqrt(125).
    assert tau == 1.0 and p == pytest.approx(2 * stats.norm.sf(44 / np.sqrt(125)))
    assert mann_kendall(np.arange(10.0)[::-1])[0] == -1.0
    series = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9], dtype=float)  # ties
    tau, p = mann_kendall(series)
    assert tau == pytest.approx(stats.kendalltau(np.arange(series.size), series).statistic)
    # Ties: groups 1,1 / 3,3 / 5,5,5 / 9,9,9 reduce the variance.
    n = series.size
    var = (n * (n - 1) * (2 * n + 5) - 2 * 18 - 2 * 33 - 2 * 33) / 18
    s = sum(np.sign(series[j] - series[i]) for i in range(n) for j in range(i + 1, n))
    assert p == pytest.approx(2 * stats.norm.sf((abs(s) - 1) / np.sqrt(var)))
    assert mann_kendall([2.0, 2.0, 2.0]) == (0.0, 1.0)


def test_monthly_series_counts_local_months_and_fills_gaps():
    # 31 Jan 17:00 UTC is 1 Feb 01:00 WITA.
    t = np.array(["2024-01-05T00:00", "2024-01-31T17:00", "2024-04-02T00:00"], "datetime64[s]")
    s = monthly_series(t)
    assert [str(m) for m in s.months] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert s.counts.tolist() == [1, 1, 0, 1]
    wide = monthly_series(t, start="2023-11", end="2024-02")
    assert wide.counts.tolist() == [0, 0, 1, 1]


def test_monthly_series_recovers_trend_and_seasonality():
    rng = np.random.default_rng(4)
    months = np.arange(np.datetime64("2021-01"), np.datetime64("2024-01"))  # 36 months
    season = 150 * np.sin(2 * np.pi * np.arange(36) / 12)
    lam = 1000 + 20.0 * np.arange(36) + season
    counts = np.rint(lam + rng.normal(0, 3, 36)).astype(int)  # small noise: a sharp check
    times = np.repeat(months.astype("datetime64[D]") + np.timedelta64(10, "D"), counts)
    s = monthly_series(times.astype("datetime64[s]"))
    assert s.counts.tolist() == counts.tolist()
    assert s.slope_per_month == pytest.approx(20.0, abs=0.5) and s.slope_p_value < 1e-6
    np.testing.assert_allclose(s.seasonal, season[:12] - season[:12].mean(), atol=5)
    assert s.seasonal.sum() == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(s.trend + s.seasonal[np.arange(36) % 12], counts, atol=12)
    assert s.mann_kendall_tau > 0.5 and s.mann_kendall_p < 0.001


def test_short_series_have_no_seasonality():
    t = np.array(["2024-01-05", "2024-02-05", "2024-02-06", "2024-05-01"], "datetime64[s]")
    assert (monthly_series(t).seasonal == 0).all()


def test_compare_periods_gives_the_exact_binomial_p_value():
    r = compare_periods([10, 0, 7, 25], [2, 0, 7, 40])
    # 10 vs 2: 2 * P(X >= 10 | n = 12) = 2 * (66 + 12 + 1) / 4096.
    assert r.p_value[0] == pytest.approx(158 / 4096)
    expect = [stats.binomtest(c, c + p).pvalue if c + p else 1.0 for c, p in [(7, 7), (25, 40)]]
    np.testing.assert_allclose(r.p_value[2:], expect)
    assert r.p_value[1] == 1.0 and np.isnan(r.pct_change[1])
    assert r.change.tolist() == [8, 0, 0, -15]
    assert r.pct_change[3] == pytest.approx(-37.5)
    assert r.significant.tolist() == [True, False, False, False]


def test_compare_periods_refuses_negative_counts():
    with pytest.raises(ValueError):
        compare_periods([1, -1], [1, 1])


def test_docstring_examples_run():
    assert doctest.testmod(temporal).failed == 0
