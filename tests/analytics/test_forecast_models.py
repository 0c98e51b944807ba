"""Baselines, kernel models and auto against hand counts and brute-force references."""

from __future__ import annotations

import math
from typing import Any, Self

import numpy as np
import pytest

from kamtibmas_analytics.forecast import _REGISTRY as REGISTRY
from kamtibmas_analytics.forecast import DAY_S, WEEK_S, Events, Forecaster, make_model
from kamtibmas_analytics.forecast.baselines import TIE_WEIGHT, tie_term
from kamtibmas_analytics.grid import Grid
from kamtibmas_analytics.kde import kernel_density

MY_MODELS = ("last_period", "long_run", "retrospective_kde", "prospective")


def clustered_events(n: int = 3000, days: float = 200.0, seed: int = 7) -> Events:
    rng = np.random.default_rng(seed)
    centres = np.array([[600.0, 700.0], [2200.0, 1500.0], [1500.0, 300.0]])
    k = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    xy = centres[k] + rng.normal(0.0, 120.0, size=(n, 2))
    background = rng.random(n) < 0.3
    xy[background] = rng.uniform(0.0, 3000.0, size=(int(background.sum()), 2))
    t = rng.uniform(0.0, days * DAY_S, n)
    return Events.from_arrays(xy[:, 0], xy[:, 1], t)


GRID = Grid(0.0, 0.0, 100.0, nx=30, ny=20)


# -- baselines ------------------------------------------------------------------------------


def test_it_counts_the_last_period_by_hand():
    grid = Grid(0.0, 0.0, 100.0, nx=3, ny=1)
    ev = Events.from_arrays(
        x=[50.0, 50.0, 150.0, 250.0, 250.0],
        y=[50.0] * 5,
        t=[0.0, 6 * DAY_S, 8 * DAY_S, 9 * DAY_S, 13.9 * DAY_S],
    )
    model = make_model("last_period", tie_break=False).fit(ev, grid)
    # default window = the horizon (7 days): [7, 14) days holds events 3, 4, 5
    assert model.predict(ev, 14 * DAY_S, WEEK_S).tolist() == [[0.0, 1.0, 2.0]]
    # a 2-day horizon counts [12, 14): only the last event
    assert model.predict(ev, 14 * DAY_S, 2 * DAY_S).tolist() == [[0.0, 0.0, 1.0]]


def test_it_counts_the_long_run_over_a_window_or_all_history():
    grid = Grid(0.0, 0.0, 100.0, nx=2, ny=1)
    ev = Events.from_arrays([50.0, 50.0, 150.0], [50.0] * 3, [0.0, 400 * DAY_S, 401 * DAY_S])
    start = 402 * DAY_S
    year = make_model("long_run", tie_break=False).fit(ev, grid).predict(ev, start, WEEK_S)
    every = make_model("long_run", window_days=None, tie_break=False).fit(ev, grid)
    assert year.tolist() == [[1.0, 1.0]]
    assert every.predict(ev, start, WEEK_S).tolist() == [[2.0, 1.0]]


def test_it_breaks_count_ties_by_the_long_run_without_reordering_counts():
    ev = clustered_events()
    start = 190 * DAY_S
    plain = make_model("last_period", tie_break=False).fit(ev, GRID).predict(ev, start, WEEK_S)
    broken = make_model("last_period").fit(ev, GRID).predict(ev, start, WEEK_S)
    extra = broken - plain
    assert extra.min() >= 0.0 and extra.max() < TIE_WEIGHT
    # cells with more recent events still rank strictly higher
    hi, lo = plain.ravel()[:, None], plain.ravel()[None, :]
    assert np.all((broken.ravel()[:, None] > broken.ravel()[None, :])[hi > lo])
    # among cells with equal counts the order is that of the long-run density
    tie = tie_term(ev.before(start), GRID)
    zeros = plain == 0
    order_broken = np.argsort(-broken[zeros], kind="stable")
    order_tie = np.argsort(-tie[zeros], kind="stable")
    assert order_broken.tolist() == order_tie.tolist()


def test_it_rejects_a_bad_window():
    with pytest.raises(ValueError, match="window_days"):
        make_model("long_run", window_days=-3)


# -- kernel models --------------------------------------------------------------------------


def test_it_smooths_the_recent_window_as_expected_counts():
    ev = clustered_events()
    start = 150 * DAY_S
    model = make_model("retrospective_kde", window_days=30, bandwidth_m=200.0, tie_break=False)
    got = model.fit(ev, GRID).predict(ev, start, WEEK_S)
    recent = ev.between(start - 30 * DAY_S, start)
    want = kernel_density(recent.x, recent.y, GRID, bandwidth_m=200.0) * 7 / 30
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def prospective_reference(ev: Events, grid: Grid, start: float, window_days: float, radius_m):
    """Bowers, Johnson & Pease by brute force: every event, every cell."""
    out = np.zeros(grid.shape)
    for x, y, t in zip(ev.x, ev.y, ev.t, strict=True):
        if not (start - window_days * DAY_S <= t < start):
            continue
        i, j = grid.cell_index([x], [y])
        if i[0] < 0:
            continue
        weeks = math.floor((start - t) / WEEK_S)
        for a in range(grid.ny):
            for b in range(grid.nx):
                d = math.hypot(a - i[0], b - j[0])
                if d * grid.cell_m <= radius_m:
                    out[a, b] += 1.0 / (1.0 + d) / (1.0 + weeks)
    return out


def test_it_matches_prospective_hotspotting_by_brute_force():
    ev = clustered_events(n=400, days=80.0, seed=3)
    grid = Grid(0.0, 0.0, 150.0, nx=20, ny=14)
    start = 70 * DAY_S
    model = make_model("prospective", window_days=28, radius_m=400.0, tie_break=False)
    got = model.fit(ev, grid).predict(ev, start, WEEK_S)
    want = prospective_reference(ev, grid, start, 28, 400.0)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["retrospective_kde", "prospective"])
def test_it_breaks_continuous_ties_without_reordering_distinct_scores(name):
    ev = clustered_events()
    start = 120 * DAY_S
    plain = make_model(name, tie_break=False).fit(ev, GRID).predict(ev, start, WEEK_S)
    broken = make_model(name).fit(ev, GRID).predict(ev, start, WEEK_S)
    positive = plain[plain > 0]
    assert np.all(broken - plain <= 1e-6 * positive.min() + 1e-18)
    far_apart = plain.ravel()[:, None] > plain.ravel()[None, :] * (1 + 1e-5) + 1e-300
    assert np.all((broken.ravel()[:, None] > broken.ravel()[None, :])[far_apart])


# -- properties of every model --------------------------------------------------------------


@pytest.mark.parametrize("name", MY_MODELS)
def test_it_never_uses_events_at_or_after_the_start(name):
    ev = clustered_events()
    start = 120 * DAY_S
    future = Events.from_arrays(
        np.full(50, 650.0), np.full(50, 650.0), np.linspace(start, start + 5 * DAY_S, 50)
    )
    both = Events.from_arrays(
        np.concatenate([ev.x, future.x]),
        np.concatenate([ev.y, future.y]),
        np.concatenate([ev.t, future.t]),
    )
    a = make_model(name).fit(ev.before(start), GRID).predict(ev, start, WEEK_S)
    b = make_model(name).fit(both.before(start), GRID).predict(both, start, WEEK_S)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", MY_MODELS)
def test_it_is_invariant_to_a_shift_of_space_and_time(name):
    ev = clustered_events()
    start = 120 * DAY_S
    dx, dy, dt = 5000.0, -2000.0, 1000 * WEEK_S
    moved = Events.from_arrays(ev.x + dx, ev.y + dy, ev.t + dt)
    grid = Grid(GRID.x0_m + dx, GRID.y0_m + dy, GRID.cell_m, GRID.nx, GRID.ny)
    a = make_model(name).fit(ev, GRID).predict(ev, start, WEEK_S)
    b = make_model(name).fit(moved, grid).predict(moved, start + dt, WEEK_S)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", MY_MODELS)
def test_it_returns_finite_non_negative_scores_for_an_empty_history(name):
    empty = Events.from_arrays([], [], [])
    scores = make_model(name).fit(empty, GRID).predict(empty, 10 * DAY_S, WEEK_S)
    assert scores.shape == GRID.shape and np.all(scores == 0)


# -- auto -----------------------------------------------------------------------------------


class Spy(Forecaster):
    """Records the latest event time it was ever given, and scores a fixed hot cell."""

    name = "spy"
    seen: list[tuple[str, float, float]] = []

    def fit(self, history: Events, grid: Grid) -> Self:
        self.grid = grid
        self.cutoff = float(history.t.max()) if len(history) else -np.inf
        Spy.seen.append(("fit", self.cutoff, self.cutoff))
        return self

    def predict(self, history: Events, start: float, horizon_s: float) -> np.ndarray:
        grid = self._fitted_grid()
        latest = float(history.t.max()) if len(history) else -np.inf
        Spy.seen.append(("predict", latest, start))
        return np.asarray(self._params.get("scores", np.zeros(grid.shape)), dtype=float)


class Broken(Forecaster):
    name = "broken"

    def __init__(self, **params: Any) -> None:
        raise NotImplementedError("not built yet")

    def fit(self, history: Events, grid: Grid) -> Self:  # pragma: no cover - never built
        return self

    def predict(self, history, start, horizon_s):  # pragma: no cover
        raise AssertionError


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setitem(REGISTRY, "spy", f"{__name__}:Spy")
    monkeypatch.setitem(REGISTRY, "broken", f"{__name__}:Broken")
    monkeypatch.setitem(REGISTRY, "missing", "kamtibmas_analytics.forecast.nowhere:Model")
    monkeypatch.setattr("kamtibmas_analytics.forecast.MODEL_NAMES", tuple(REGISTRY))
    Spy.seen = []
    return REGISTRY


def test_auto_validates_only_inside_the_history_it_is_given(registry):
    ev = clustered_events()
    cutoff = 150 * DAY_S
    history = ev.before(cutoff)
    auto = make_model("auto", candidates=["spy", "long_run"], validation_periods=4)
    auto.fit(history, GRID)
    last = float(history.t.max())
    fits = [s for s in Spy.seen if s[0] == "fit"]
    predicts = [s for s in Spy.seen if s[0] == "predict"]
    assert len(fits) == 1 and fits[0][1] < last - 3 * WEEK_S
    assert len(predicts) == 4
    assert all(latest < start <= last + 1.0 for _kind, latest, start in predicts)


def test_auto_picks_the_better_model_and_skips_unavailable_ones(registry):
    ev = clustered_events()
    history = ev.before(150 * DAY_S)
    auto = make_model("auto", candidates=["spy", "long_run", "broken", "missing"])
    auto.fit(history, GRID)
    assert set(auto.skipped_) == {"broken", "missing"}
    assert "NotImplementedError" in auto.skipped_["broken"]
    assert "ImportError" in auto.skipped_["missing"] or "Module" in auto.skipped_["missing"]
    # the spy scores nothing, so long_run (or a blend with it) wins on validation
    assert auto.validation_["long_run"] > auto.validation_["spy"]
    assert auto.choice_["members"][0] == "long_run"
    described = auto.describe()
    assert described["choice"] == auto.choice_ and described["model"] == "auto"


def test_auto_blends_on_the_same_scale_as_the_recent_rate():
    ev = clustered_events()
    start = 150 * DAY_S
    history = ev.before(start)
    auto = make_model("auto", candidates=list(MY_MODELS)).fit(history, GRID)
    scores = auto.predict(history, start, WEEK_S)
    assert scores.shape == GRID.shape and np.all(np.isfinite(scores)) and scores.min() >= 0
    if len(auto.members_) > 1:
        recent = len(history.between(start - 12 * WEEK_S, start)) / 12
        assert scores.sum() == pytest.approx(recent, rel=0.05)


def test_auto_rejects_unknown_candidates():
    with pytest.raises(ValueError, match="unknown"):
        make_model("auto", candidates=["nope"]).fit(clustered_events(), GRID)
