"""The learned forecaster: ranking quality, honesty about time, determinism, fallbacks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kamtibmas_analytics.forecast import make_model
from kamtibmas_analytics.forecast.base import DAY_S, HOUR_S, WEEK_S, Events
from kamtibmas_analytics.forecast.features import (
    CellFeatures,
    EventIndex,
    hour_of_week,
    window_hour_weights,
)
from kamtibmas_analytics.forecast.learned import Learned, training_starts
from kamtibmas_analytics.grid import Grid

GRID = Grid(0.0, 0.0, 100.0, nx=30, ny=30)
WEEKS = 80
FAST = {"n_periods": 16, "max_iter": 60, "learning_rate": 0.1, "min_samples_leaf": 20}


def synthetic_city(seed: int) -> tuple[Events, np.ndarray]:
    """Stable hot cells, a uniform background and near-repeat bursts over ``WEEKS`` weeks.

    Returns the events and the boolean map of the true hot cells.
    """
    rng = np.random.default_rng(seed)
    hot = np.zeros(GRID.shape, bool)
    hot_cells = rng.choice(GRID.nx * GRID.ny, size=20, replace=False)
    hot.ravel()[hot_cells] = True
    span = WEEKS * WEEK_S
    xs, ys, ts = [], [], []

    def add(cells: np.ndarray, times: np.ndarray) -> None:
        i, j = np.divmod(cells, GRID.nx)
        xs.append((j + rng.random(cells.size)) * GRID.cell_m)
        ys.append((i + rng.random(cells.size)) * GRID.cell_m)
        ts.append(times)

    n_hot = rng.poisson(0.6 * WEEKS * hot_cells.size)  # 0.6 a week in each hot cell
    add(rng.choice(hot_cells, n_hot), rng.uniform(0, span, n_hot))
    n_bg = rng.poisson(15 * WEEKS)  # 15 a week anywhere
    add(rng.integers(0, GRID.nx * GRID.ny, n_bg), rng.uniform(0, span, n_bg))
    n_seeds = 4 * WEEKS  # bursts: 4 a week, each 3 follow-ups in the same cell within days
    seeds = rng.integers(0, GRID.nx * GRID.ny, n_seeds)
    seed_t = rng.uniform(0, span, n_seeds)
    add(np.repeat(seeds, 4), np.repeat(seed_t, 4) + rng.exponential(2 * DAY_S, 4 * n_seeds))
    ev = Events.from_arrays(np.concatenate(xs), np.concatenate(ys), np.concatenate(ts))
    return ev, hot


def hit_rate(scores: np.ndarray, actual: np.ndarray, share: float) -> float:
    k = max(1, round(share * scores.size))
    top = np.argsort(-scores.ravel(), kind="stable")[:k]
    return float(actual.ravel()[top].sum() / max(actual.sum(), 1.0))


@pytest.fixture(scope="module")
def city() -> tuple[Events, np.ndarray]:
    return synthetic_city(7)


@pytest.fixture(scope="module")
def fitted(city: tuple[Events, np.ndarray]) -> tuple[Learned, float]:
    ev, _ = city
    cutoff = (WEEKS - 8) * WEEK_S
    return Learned(random_state=3, **FAST).fit(ev.before(cutoff), GRID), cutoff


def test_it_ranks_hot_cells_better_than_counting_the_last_period(city, fitted) -> None:
    ev, hot = city
    model, cutoff = fitted
    learned_hits = last_hits = 0.0
    hot_in_top = 0
    for k in range(8):
        start = cutoff + k * WEEK_S
        scores = model.predict(ev.before(start), start, WEEK_S)
        last = ev.between(start - WEEK_S, start).counts(GRID)
        actual = ev.between(start, start + WEEK_S).counts(GRID)
        learned_hits += hit_rate(scores, actual, 0.05) * actual.sum()
        last_hits += hit_rate(last, actual, 0.05) * actual.sum()
        top = np.argsort(-scores.ravel(), kind="stable")[: hot.sum()]
        hot_in_top += int(hot.ravel()[top].sum())
    assert learned_hits > 1.3 * last_hits
    assert hot_in_top >= 0.7 * 8 * hot.sum()  # the true hot cells lead the ranking


def test_it_ignores_events_at_or_after_start(city, fitted) -> None:
    ev, _ = city
    model, cutoff = fitted
    start = cutoff + 2 * WEEK_S
    honest = model.predict(ev.before(start), start, WEEK_S)
    leaky = model.predict(ev, start, WEEK_S)  # the future included, and an event at start
    at_start = Events.from_arrays(np.r_[ev.x, 150.0], np.r_[ev.y, 150.0], np.r_[ev.t, start], None)
    assert np.array_equal(honest, leaky)
    assert np.array_equal(honest, model.predict(at_start, start, WEEK_S))


def test_it_uses_events_newer_than_its_fit(city, fitted) -> None:
    ev, _ = city
    model, cutoff = fitted
    start = cutoff + 3 * WEEK_S  # as between refits: the model is older than the events
    newer = model.predict(ev.before(start), start, WEEK_S)
    stale = model.predict(ev.before(cutoff), start, WEEK_S)
    burst = Events.from_arrays(
        np.r_[ev.before(start).x, np.full(6, 1250.0)],
        np.r_[ev.before(start).y, np.full(6, 1250.0)],
        np.r_[ev.before(start).t, start - np.arange(1, 7) * HOUR_S],
    )
    after_burst = model.predict(burst, start, WEEK_S)
    assert not np.array_equal(newer, stale)
    assert after_burst[12, 12] > newer[12, 12]


def test_it_fits_only_on_what_it_is_given(city) -> None:
    ev, _ = city
    cutoff = (WEEKS - 8) * WEEK_S
    starts = training_starts(float(ev.before(cutoff).t[-1]), WEEK_S, 16, 364 * DAY_S)
    assert np.all(starts + WEEK_S <= cutoff)
    a = Learned(**FAST).fit(ev.before(cutoff), GRID)
    b = Learned(**FAST).fit(ev.before(cutoff), GRID)
    start = cutoff + WEEK_S
    assert np.array_equal(a.predict(ev, start, WEEK_S), b.predict(ev, start, WEEK_S))


def test_its_training_rows_see_only_events_before_each_window(city) -> None:
    ev, _ = city
    history = ev.before((WEEKS - 8) * WEEK_S)
    model = Learned(**FAST, empty_fraction=1.0, max_rows=10**7).fit(history, GRID)
    starts = training_starts(model.t_end_, WEEK_S, 16, 364 * DAY_S)
    x, y, w = model._training_rows(starts, WEEK_S)
    n_cells = GRID.nx * GRID.ny
    assert x.shape[0] == starts.size * n_cells and np.all(w == 1.0)  # every cell, unweighted
    for k in (0, 7, starts.size - 1):
        past = EventIndex(history.before(starts[k]), GRID)
        want = model.features_.compute(past, float(starts[k]), WEEK_S).reshape(x.shape[1], -1)
        rows = slice(k * n_cells, (k + 1) * n_cells)
        np.testing.assert_array_equal(x[rows], want.T)
        target = history.between(starts[k], starts[k] + WEEK_S).counts(GRID).ravel()
        np.testing.assert_array_equal(y[rows], target)


def test_it_is_deterministic_with_the_seed_and_varies_with_it(city) -> None:
    ev, _ = city
    cutoff = (WEEKS - 8) * WEEK_S
    params = {**FAST, "max_rows": 5000}  # forces the seeded row subsample
    runs = [Learned(random_state=s, **params).fit(ev.before(cutoff), GRID) for s in (1, 1, 2)]
    preds = [m.predict(ev, cutoff, WEEK_S) for m in runs]
    assert np.array_equal(preds[0], preds[1])
    assert not np.array_equal(preds[0], preds[2])


def test_it_returns_non_negative_expected_counts_of_the_grid_shape(city, fitted) -> None:
    ev, _ = city
    model, cutoff = fitted
    scores = model.predict(ev.before(cutoff), cutoff, WEEK_S)
    assert scores.shape == GRID.shape
    assert np.all(np.isfinite(scores)) and scores.min() >= 0
    weekly = len(ev.between(cutoff - 8 * WEEK_S, cutoff)) / 8
    assert 0.5 * weekly < scores.sum() < 1.5 * weekly  # Poisson: totals about right


def test_it_trains_a_model_for_another_horizon_on_demand(city, fitted) -> None:
    ev, _ = city
    model, cutoff = fitted
    shift = model.predict(ev.before(cutoff), cutoff, 8 * HOUR_S)
    week = model.predict(ev.before(cutoff), cutoff, WEEK_S)
    assert set(model.models_) == {WEEK_S, 8 * HOUR_S}
    assert shift.sum() < week.sum() / 5


@pytest.mark.parametrize("n_events", [0, 1, 20])
def test_it_falls_back_to_the_long_run_rate_on_tiny_history(n_events: int) -> None:
    rng = np.random.default_rng(0)
    ev = Events.from_arrays(
        rng.uniform(0, 3000, n_events), rng.uniform(0, 3000, n_events), np.arange(n_events) * DAY_S
    )
    start = float(n_events) * DAY_S
    model = Learned(**FAST).fit(ev, GRID)
    scores = model.predict(ev, start, WEEK_S)
    assert model.fallback_
    assert scores.shape == GRID.shape and scores.min() >= 0
    # Oracle: half the cell's own three-year count, half its 3 x 3 mean, scaled to a week.
    counts = ev.counts(GRID)
    padded = np.pad(counts, 1)
    n3 = sum(padded[a : a + 30, b : b + 30] for a in range(3) for b in range(3)) / 9
    expected = 0.5 * (counts + n3) * WEEK_S / (1092 * DAY_S)
    np.testing.assert_allclose(scores, expected, atol=1e-12)


def test_it_explains_a_hot_cell_by_its_history(city, fitted) -> None:
    ev, hot = city
    model, cutoff = fitted
    scores = model.predict(ev.before(cutoff), cutoff, WEEK_S)
    i, j = np.unravel_index(np.argmax(np.where(hot, scores, -1.0)), GRID.shape)
    reasons = model.explain(int(i), int(j), top=3)
    assert len(reasons) == 3
    assert {r["feature"] for r in reasons} <= set(model.feature_names_)
    assert all(r["label"] and r["label"] != r["feature"] for r in reasons)
    assert reasons[0]["effect"] > 0 and reasons[0]["value"] > reasons[0]["typical"]
    with pytest.raises(IndexError):
        model.explain(30, 0)


def test_it_is_registered_and_keeps_its_parameters_json_ready() -> None:
    model = make_model("learned", n_periods=5, places={"market": [[50.0, 50.0]]})
    assert isinstance(model, Learned)
    assert model.describe()["params"]["places"] == {"market": [[50.0, 50.0]]}
    assert model.describe()["params"]["n_periods"] == 5
    with pytest.raises(ValueError, match="empty_fraction"):
        Learned(empty_fraction=0.0)


# -- features against slow oracles -------------------------------------------------------------


def slow_count(ev: Events, i: int, j: int, t0: float, t1: float, size: int) -> float:
    """Mean count over the size x size neighbourhood of (i, j), by looping over events."""
    r = size // 2
    total = 0
    for x, y, t in zip(ev.x, ev.y, ev.t, strict=True):
        ci, cj = int(y // GRID.cell_m), int(x // GRID.cell_m)
        if t0 <= t < t1 and abs(ci - i) <= r and abs(cj - j) <= r:
            total += 1
    return total / size**2


def test_its_count_features_match_a_slow_oracle(city) -> None:
    ev, _ = city
    sample = ev.select(np.random.default_rng(1).random(len(ev)) < 0.2)
    start, horizon = 60 * WEEK_S + 5 * HOUR_S, 3 * DAY_S
    features = CellFeatures(GRID)
    stack = features.compute(EventIndex(sample, GRID), start, horizon)
    names = features.names
    for i, j in [(0, 0), (5, 17), (29, 3)]:
        for days, size, scale in [(7, 1, "c"), (28, 3, "n3"), (364, 7, "n7")]:
            want = slow_count(sample, i, j, start - days * DAY_S, start, size)
            got = stack[names.index(f"cnt_{days}d_{scale}"), i, j]
            assert math.isclose(got, want * horizon / (days * DAY_S), abs_tol=1e-9)


def test_its_same_hour_feature_matches_a_slow_oracle(city) -> None:
    ev, _ = city
    start, horizon, offset = 70 * WEEK_S + 22 * HOUR_S, 8 * HOUR_S, 8.0
    features = CellFeatures(GRID)
    stack = features.compute(EventIndex(ev, GRID, offset), start, horizon)
    window = {(int((start + offset * HOUR_S) // HOUR_S) + k + 72) % 168 for k in range(8)}
    year = ev.between(start - 364 * DAY_S, start)
    in_window = np.isin(hour_of_week(year.t, offset), list(window))
    expected = year.select(in_window).counts(GRID) / 52
    np.testing.assert_allclose(stack[features.names.index("how_c")], expected, atol=1e-12)


def test_window_hour_weights_cover_partial_hours() -> None:
    w = window_hour_weights(1800.0, 2 * HOUR_S, 0.0)
    assert w.sum() == pytest.approx(2.0)
    assert w[72] == pytest.approx(0.5) and w[73] == 1.0 and w[74] == pytest.approx(0.5)
    assert window_hour_weights(0.0, 2 * WEEK_S, 8.0).tolist() == [1.0] * 168


def test_every_feature_has_a_description() -> None:
    features = CellFeatures(GRID, places={"market": np.array([[0.0, 0.0]])})
    labels = [features.describe(name) for name in features.names]
    assert all(label != name for label, name in zip(labels, features.names, strict=True))
    assert len(set(labels)) == len(labels)


def test_its_place_distance_feature_matches_a_slow_oracle() -> None:
    places = np.array([[120.0, 80.0], [2500.0, 2900.0]])
    features = CellFeatures(GRID, places={"market": places})
    stack = features.compute(EventIndex(Events.from_arrays([], [], []), GRID), 0.0, WEEK_S)
    layer = stack[features.names.index("dist_market")]
    for i, j in [(0, 0), (12, 20), (29, 29)]:
        cx, cy = GRID.x_centers[j], GRID.y_centers[i]
        want = min(math.hypot(cx - px, cy - py) for px, py in places)
        assert layer[i, j] == pytest.approx(want)


def test_its_docstring_examples_run() -> None:
    import doctest

    from kamtibmas_analytics.forecast import features, learned

    for module in (features, learned):
        assert doctest.testmod(module).failed == 0, module.__name__
