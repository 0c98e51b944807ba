"""Patrol effect: difference in differences against matched unpatrolled places."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from kamtibmas_analytics import patrol_effect
from kamtibmas_analytics.patrol_effect import (
    INCREASE,
    INSUFFICIENT,
    NO_EFFECT,
    REDUCTION,
    PatrolEffect,
    level_bands,
    split_panel,
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261201)


def did_slow(before, after, patrolled, bands, scale=1.0) -> float:
    """Obviously correct: loop over bands, keep those with both kinds, weight by patrolled."""
    rows = list(zip(before, after, patrolled, bands, strict=True))
    total, weight = 0.0, 0
    for band in sorted(set(bands)):
        t = [a - b * scale for b, a, p, k in rows if k == band and p]
        c = [a - b * scale for b, a, p, k in rows if k == band and not p]
        if t and c:
            total += len(t) * (sum(t) / len(t) - sum(c) / len(c))
            weight += len(t)
    return total / weight


def synthetic(rng, n=800, effect=0.0, trend=1.1):
    """Places with gamma-distributed rates and a noisy forecast of them; the higher a place's
    forecast rank, the likelier it was patrolled (teams are few, commanders add and drop
    places). After counts follow the rate times a city trend times (1 + effect) if patrolled.
    Returns before, after, patrolled, forecast bands and the true effect in crimes per
    patrolled place."""
    rate = rng.gamma(shape=1.5, scale=2.0, size=n)
    before = rng.poisson(rate)
    forecast = rate * rng.lognormal(0.0, 0.3, size=n)
    rank = forecast.argsort().argsort() / (n - 1)
    patrolled = rng.random(n) < 0.7 * rank**2
    mean_after = rate * trend * np.where(patrolled, 1.0 + effect, 1.0)
    after = rng.poisson(mean_after)
    true_att = float((rate * trend * effect)[patrolled].mean())
    return before, after, patrolled, level_bands(forecast, 10), true_att


def test_its_docstring_examples_hold():
    failures, _ = doctest.testmod(patrol_effect)
    assert failures == 0


def test_it_matches_the_slow_band_loop(rng):
    n = 300
    before = rng.poisson(3.0, n)
    after = rng.poisson(3.0, n)
    patrolled = rng.random(n) < 0.3
    bands = rng.integers(0, 6, n)
    fit = PatrolEffect(bands=bands, before_length=8, after_length=4, n_boot=10).fit(
        before, after, patrolled
    )
    assert fit.estimate_ == pytest.approx(did_slow(before, after, patrolled, bands, 0.5))


def test_it_finds_a_known_reduction_and_covers_it(rng):
    before, after, patrolled, bands, true_att = synthetic(rng, effect=-0.4)
    fit = PatrolEffect(bands=bands, random_state=1).fit(before, after, patrolled)
    assert fit.verdict_ == REDUCTION
    low, high = fit.interval_
    assert low <= true_att <= high < 0
    assert -0.6 < fit.relative_ < -0.2


def test_it_finds_a_known_increase(rng):
    before, after, patrolled, bands, _ = synthetic(rng, effect=0.5)
    assert (
        PatrolEffect(bands=bands, random_state=1).fit(before, after, patrolled).verdict_ == INCREASE
    )


def test_it_says_no_detectable_effect_when_there_is_none(rng):
    before, after, patrolled, bands, _ = synthetic(rng, effect=0.0)
    fit = PatrolEffect(bands=bands, random_state=1).fit(before, after, patrolled)
    assert fit.verdict_ == NO_EFFECT
    assert fit.interval_[0] < 0 < fit.interval_[1]


def test_matching_removes_regression_to_the_mean(rng):
    """Places picked for their bad before-count improve anyway; the naive before/after drop of
    the patrolled places is large, the matched estimate shows no effect."""
    n = 1500
    rate = np.full(n, 3.0)
    before = rng.poisson(rate)
    after = rng.poisson(rate)
    patrolled = (before >= 6) & (rng.random(n) < 0.5)  # half of the bad months, no effect
    naive = float((after - before)[patrolled].mean())
    fit = PatrolEffect(random_state=2).fit(before, after, patrolled)
    assert naive < -2.0
    assert fit.verdict_ == NO_EFFECT
    assert abs(fit.estimate_) < 0.6


def test_an_unbanded_comparison_would_have_been_fooled(rng):
    """The same data in one band (no matching) shows a spurious reduction: the oracle that
    the bands matter."""
    n = 1500
    before = rng.poisson(3.0, n)
    after = rng.poisson(3.0, n)
    patrolled = (before >= 6) & (rng.random(n) < 0.5)
    fit = PatrolEffect(bands=np.zeros(n, dtype=int), random_state=2).fit(before, after, patrolled)
    assert fit.verdict_ == REDUCTION


def test_the_analytic_interval_is_near_the_bootstrap_one(rng):
    before, after, patrolled, bands, _ = synthetic(rng, n=1200, effect=-0.2)
    boot = PatrolEffect(bands=bands, random_state=3, n_boot=4000).fit(before, after, patrolled)
    analytic = PatrolEffect(bands=bands, interval="analytic").fit(before, after, patrolled)
    assert analytic.estimate_ == boot.estimate_
    width_boot = boot.interval_[1] - boot.interval_[0]
    width_analytic = analytic.interval_[1] - analytic.interval_[0]
    assert width_analytic == pytest.approx(width_boot, rel=0.1)


def test_the_analytic_interval_has_its_nominal_coverage_without_an_effect():
    rng = np.random.default_rng(7)
    misses = 0
    for _ in range(200):
        before, after, patrolled, bands, _ = synthetic(rng, n=400, effect=0.0)
        fit = PatrolEffect(bands=bands, interval="analytic").fit(before, after, patrolled)
        misses += fit.verdict_ != NO_EFFECT
    assert misses / 200 <= 0.10  # nominal 5 %, allowing for sampling noise


def test_it_is_reproducible_with_a_seed(rng):
    before, after, patrolled, bands, _ = synthetic(rng, effect=-0.1)
    one = PatrolEffect(bands=bands, random_state=5).fit(before, after, patrolled).interval_
    two = PatrolEffect(bands=bands, random_state=5).fit(before, after, patrolled).interval_
    other = PatrolEffect(bands=bands, random_state=6).fit(before, after, patrolled).interval_
    assert one == two and one != other


def test_it_scales_the_before_count_to_the_after_period():
    # 8 weeks before, 4 after: a place with 8 then 4 did not change; one with 8 then 2 halved.
    fit = PatrolEffect(bands=[0, 0], before_length=8, after_length=4, min_places=1, n_boot=50)
    fit.fit([8, 8], [2, 4], [True, False])
    assert fit.estimate_ == pytest.approx(-2.0)
    assert fit.relative_ == pytest.approx(-0.5)


def test_it_reports_insufficient_data_for_few_or_unmatched_places():
    few = PatrolEffect(bands=[0, 0, 0, 0], n_boot=50).fit([1, 2, 1, 2], [0, 0, 1, 2], [1, 1, 0, 0])
    assert few.verdict_ == INSUFFICIENT and few.n_patrolled_ == 2
    unmatched = PatrolEffect(bands=[0, 0, 1, 1]).fit([1, 2, 1, 2], [0, 0, 1, 2], [1, 1, 0, 0])
    assert unmatched.verdict_ == INSUFFICIENT
    assert unmatched.n_unmatched_ == 4 and np.isnan(unmatched.estimate_)


def test_it_lists_the_matched_bands():
    fit = PatrolEffect(bands=[1, 1, 1, 2, 3], min_places=1, n_boot=20)
    fit.fit([3, 3, 3, 0, 0], [1, 3, 5, 0, 1], [True, False, False, True, False])
    assert [(b.band, b.n_patrolled, b.n_unpatrolled) for b in fit.bands_] == [(1, 1, 2)]
    assert fit.bands_[0].did == pytest.approx(-3.0)
    assert fit.n_unmatched_ == 2


@pytest.mark.parametrize(
    ("kwargs", "args"),
    [
        ({}, ([1, 2], [1], [True, False])),
        ({}, ([1, -2], [1, 2], [True, False])),
        ({"interval": "magic"}, ([1, 2], [1, 2], [True, False])),
        ({"confidence": 1.5}, ([1, 2], [1, 2], [True, False])),
        ({"before_length": 0}, ([1, 2], [1, 2], [True, False])),
        ({"bands": [0]}, ([1, 2], [1, 2], [True, False])),
    ],
)
def test_it_rejects_bad_input(kwargs, args):
    with pytest.raises(ValueError):
        PatrolEffect(**kwargs).fit(*args)


def test_level_bands_keep_ties_together_and_split_a_panel():
    bands = level_bands([0, 0, 0, 0, 1, 1, 2, 7, 9, 9], n_bands=4)
    assert bands[:4].tolist() == [0, 0, 0, 0] and bands[8] == bands[9]
    assert list(bands) == sorted(bands)
    before, after, nb, na = split_panel(np.arange(12).reshape(3, 4), start=1)
    assert before.tolist() == [0, 4, 8] and after.tolist() == [6, 18, 30] and (nb, na) == (1, 3)
    with pytest.raises(ValueError):
        split_panel([[1, 2]], start=2)
