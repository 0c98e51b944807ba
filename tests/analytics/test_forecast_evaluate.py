"""Metrics by hand, the rolling-origin backtest's honesty, the runner and the SVG plot."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Self

import numpy as np
import pytest

from kamtibmas_analytics.forecast import DAY_S, WEEK_S, Events, Forecaster
from kamtibmas_analytics.forecast.evaluate import (
    backtest,
    default_study_mask,
    period_starts,
    result_rows,
)
from kamtibmas_analytics.forecast.metrics import (
    flagged_counts,
    period_scores,
    summarise,
    top_cells,
)
from kamtibmas_analytics.forecast.plot import hit_rate_svg
from kamtibmas_analytics.forecast.runner import EvaluationSpec, evaluate_events
from kamtibmas_analytics.grid import Grid

REQUIRED_KEYS = {"model", "coverage", "hit_rate", "pai", "pei", "ci_low", "ci_high"}

# -- metrics by hand ------------------------------------------------------------------------


def test_it_computes_hit_rate_pai_and_pei_by_hand():
    # 10 cells in the study area (the 11th, masked out, holds 5 events that count nowhere)
    scores = np.array([[9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 100]], dtype=float)
    truth = np.array([[0, 2, 1, 0, 0, 0, 0, 0, 4, 3, 5]], dtype=float)
    mask = np.ones_like(scores, dtype=bool)
    mask[0, 10] = False
    s = period_scores(scores, truth, mask, [0.1, 0.2, 0.3])
    # k = 1, 2, 3 cells: hits 0, 2, 3 of 10 events; best possible 4, 7, 9
    assert s.events == 10.0
    assert s.hits.tolist() == [0.0, 2.0, 3.0]
    assert s.best.tolist() == [4.0, 7.0, 9.0]
    (c10, c20, c30) = summarise([s], [0.1, 0.2, 0.3], n_boot=10)
    assert (c20.hit_rate, c20.pai, c20.pei) == pytest.approx((0.2, 1.0, 2 / 7))
    assert (c30.hit_rate, c30.pai, c30.pei) == pytest.approx((0.3, 1.0, 3 / 9))
    assert (c10.hit_rate, c10.pai, c10.pei) == (0.0, 0.0, 0.0)


def test_it_flags_whole_cells_and_divides_by_the_area_actually_flagged():
    assert flagged_counts([0.01, 0.02, 0.05], 30).tolist() == [1, 1, 2]
    scores = np.zeros((1, 30))
    scores[0, 7] = 1.0
    truth = np.zeros((1, 30))
    truth[0, 7] = 1.0
    truth[0, 20] = 1.0
    (one,) = summarise([period_scores(scores, truth, np.ones((1, 30), bool), [0.01])], [0.01])
    assert one.area_fraction == pytest.approx(1 / 30)
    assert one.hit_rate == 0.5 and one.pai == pytest.approx(15.0)


def test_it_breaks_score_ties_by_cell_index():
    scores = np.array([[1.0, 2.0, 2.0], [2.0, 0.0, 0.0]])
    got = top_cells(scores, np.ones((2, 3), bool), 2 / 6)
    assert got.tolist() == [[False, True, True], [False, False, False]]


def test_it_pools_periods_and_bootstraps_reproducibly():
    mask = np.ones((1, 4), bool)
    scores = np.array([[4.0, 3.0, 2.0, 1.0]])
    periods = [
        period_scores(scores, np.array([[1.0, 0.0, 0.0, 0.0]]), mask, [0.25]),  # 1 of 1
        period_scores(scores, np.array([[0.0, 0.0, 0.0, 3.0]]), mask, [0.25]),  # 0 of 3
    ]
    (pooled,) = summarise(periods, [0.25], n_boot=500, seed=3)
    assert pooled.hit_rate == pytest.approx(0.25)  # 1 of 4, not the mean of 1 and 0
    assert pooled.pei == pytest.approx(1 / 4)
    assert pooled.ci_low <= pooled.hit_rate <= pooled.ci_high
    assert pooled.ci_low >= 0.0 and pooled.ci_high <= 1.0
    (again,) = summarise(periods, [0.25], n_boot=500, seed=3)
    assert (again.ci_low, again.ci_high) == (pooled.ci_low, pooled.ci_high)


def test_it_rejects_coverages_outside_zero_to_one():
    with pytest.raises(ValueError, match="coverages"):
        flagged_counts([0.0], 10)
    with pytest.raises(ValueError, match="coverages"):
        flagged_counts([1.5], 10)


# -- study area -----------------------------------------------------------------------------


def test_the_default_study_area_is_cells_near_a_training_event():
    grid = Grid(0.0, 0.0, 100.0, nx=12, ny=9)
    ev = Events.from_arrays([150.0, 950.0], [150.0, 750.0], [0.0, 1.0])
    got = default_study_mask(ev, grid, distance_m=250.0)
    cy, cx = np.meshgrid(grid.y_centers, grid.x_centers, indexing="ij")
    i, j = grid.cell_index(ev.x, ev.y)
    want = np.zeros(grid.shape, bool)
    for a, b in zip(i, j, strict=True):
        want |= np.hypot(cx - grid.x_centers[b], cy - grid.y_centers[a]) <= 250.0
    assert got.tolist() == want.tolist()


# -- backtest -------------------------------------------------------------------------------


class Recorder(Forecaster):
    """Fails the test if it is ever given an event at or after a cut-off or a start."""

    name = "recorder"
    refit_periods = 3
    fits: list[float] = []

    def fit(self, history: Events, grid: Grid) -> Self:
        self.grid = grid
        Recorder.fits.append(float(history.t.max()))
        return self

    def predict(self, history: Events, start: float, horizon_s: float) -> np.ndarray:
        assert len(history) == 0 or history.t.max() < start
        assert Recorder.fits[-1] < start
        return history.counts(self._fitted_grid())


class Unavailable(Forecaster):
    name = "unavailable"

    def fit(self, history: Events, grid: Grid) -> Self:
        raise ImportError("needs a library that is not installed")

    def predict(self, history, start, horizon_s):  # pragma: no cover
        raise AssertionError


def events_each_day(days: int = 120, seed: int = 1) -> Events:
    rng = np.random.default_rng(seed)
    t = np.repeat(np.arange(days) * DAY_S + 3600.0, 5) + rng.uniform(0, 80000, 5 * days)
    x = rng.choice([150.0, 450.0, 750.0], size=t.size, p=[0.6, 0.3, 0.1])
    return Events.from_arrays(x, np.full(t.size, 150.0), t)


def test_the_backtest_fits_and_predicts_only_from_the_past():
    ev = events_each_day()
    grid = Grid(0.0, 0.0, 300.0, nx=3, ny=1)
    starts = period_starts(70 * DAY_S, 120 * DAY_S, WEEK_S)
    Recorder.fits = []
    result = backtest(
        ev,
        grid,
        {"recorder": Recorder, "unavailable": Unavailable},
        starts=starts,
        horizon_s=WEEK_S,
    )
    assert len(starts) == 7
    assert len(Recorder.fits) == 3  # periods 0, 3 and 6 (refit_periods = 3)
    assert result.runs["recorder"].refits == 3
    assert set(result.skipped) == {"unavailable"} and "ImportError" in result.skipped["unavailable"]
    # every event of the test span fell in the study area and was scored once
    assert sum(result.events_in_area) == len(ev.between(starts[0], starts[-1] + WEEK_S))


def test_result_rows_have_the_agreed_keys_and_json_safe_values():
    ev = events_each_day()
    grid = Grid(0.0, 0.0, 300.0, nx=3, ny=1)
    starts = period_starts(70 * DAY_S, 98 * DAY_S, WEEK_S)
    result = backtest(
        ev, grid, ["last_period"], starts=starts, horizon_s=WEEK_S, coverages=[0.34, 0.67]
    )
    rows = result_rows(result, n_boot=50, extra={"group": "g"})
    assert [r["coverage"] for r in rows] == [0.34, 0.67]
    for row in rows:
        assert set(row) >= REQUIRED_KEYS and row["group"] == "g"
        assert row["periods"] == 4
        assert row["pai"] == pytest.approx(row["hit_rate"] / row["area_fraction"], rel=1e-5)
    # the busiest cell (60 % of the events) is flagged first
    assert rows[0]["hit_rate"] == pytest.approx(0.6, abs=0.1)


def test_it_drops_a_last_partial_period():
    assert len(period_starts(0.0, 20 * DAY_S, WEEK_S)) == 2
    assert period_starts(0.0, 6 * DAY_S, WEEK_S) == []


# -- runner and plot ------------------------------------------------------------------------


def test_the_runner_evaluates_groups_on_one_grid():
    rng = np.random.default_rng(5)
    n = 4000
    t = datetime(2024, 1, 1, tzinfo=UTC).timestamp() + rng.uniform(0, 200 * DAY_S, n)
    x = rng.normal(1000.0, 300.0, n)
    y = rng.normal(1000.0, 300.0, n)
    cat = rng.choice(["curat", "curas", "theft"], n)
    events = Events.from_arrays(x, y, t, cat)
    spec = EvaluationSpec(
        train_end=datetime(2024, 5, 1, tzinfo=UTC),
        test_from=datetime(2024, 6, 1, tzinfo=UTC),
        test_end=datetime(2024, 7, 1, tzinfo=UTC),
        models=("last_period", "prospective"),
        groups={"3c": ["curat", "curas"], "theft": ["theft"]},
        n_boot=20,
    )
    seen: list[int] = []
    result = evaluate_events(events, spec, progress=lambda done, total, msg: seen.append(done))
    assert {(r["group"], r["model"]) for r in result.rows} == {
        (g, m) for g in ("3c", "theft") for m in ("last_period", "prospective")
    }
    assert len(result.rows) == 2 * 2 * 5
    assert result.info["periods"] == 4 and seen[-1] == 2 * 2 * 4
    three_c = sum(1 for c in cat if c in ("curat", "curas"))
    assert result.info["groups"]["3c"]["events_test"] < three_c


def test_the_runner_refuses_an_impossible_spec():
    day = datetime(2024, 6, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="unknown model"):
        EvaluationSpec(day, day, day.replace(month=7), models=("nope",)).check()
    with pytest.raises(ValueError, match="before the test span"):
        EvaluationSpec(day.replace(month=8), day, day.replace(month=9), models=("auto",)).check()
    with pytest.raises(ValueError, match="no whole forecast period"):
        EvaluationSpec(day, day, day.replace(day=3), models=("auto",)).check()


def test_the_plot_is_well_formed_svg_with_one_line_per_model_and_group():
    rows = [
        {"group": g, "model": m, "coverage": c, "hit_rate": c * 3, "ci_low": c, "ci_high": c * 4}
        for g in ("a", "b")
        for m in ("x", "y & z")
        for c in (0.01, 0.05, 0.2)
    ]
    root = ET.fromstring(hit_rate_svg(rows, title="Vancouver <2025>"))  # noqa: S314 - ours
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert len(root.findall("s:polyline", ns)) == 4
    assert len(root.findall("s:circle", ns)) == 12
    texts = [t.text for t in root.findall("s:text", ns)]
    assert "y & z" in texts


def test_a_notebook_evaluates_a_canonical_csv_in_one_call(tmp_path):
    from kamtibmas_analytics.forecast.runner import evaluate_csv
    from kamtibmas_analytics.io import IncidentArrays, write_incidents_csv

    rng = np.random.default_rng(8)
    n = 1500
    t0 = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    arrays = IncidentArrays(
        external_id=np.array([f"e{i}" for i in range(n)], dtype=object),
        category=np.array(["curat"] * n, dtype=object),
        t_from=np.sort(t0 + rng.uniform(0, 90 * DAY_S, n)),
        t_to=np.full(n, np.nan),
        lat=np.where(rng.random(n) < 0.02, np.nan, -1.24 + rng.normal(0, 0.004, n)),
        lon=116.83 + rng.normal(0, 0.004, n),
    )
    arrays.lon[np.isnan(arrays.lat)] = np.nan
    path = tmp_path / "incidents.csv"
    write_incidents_csv(path, arrays)
    spec = EvaluationSpec(
        train_end=datetime(2025, 2, 1, tzinfo=UTC),
        test_from=datetime(2025, 3, 1, tzinfo=UTC),
        test_end=datetime(2025, 3, 29, tzinfo=UTC),
        models=("long_run",),
        n_boot=20,
    )
    result = evaluate_csv(path, spec)
    assert result.info["crs"] == "EPSG:32750"
    assert result.info["events_without_location"] == int(np.isnan(arrays.lat).sum())
    assert [r["coverage"] for r in result.rows] == [0.01, 0.02, 0.05, 0.1, 0.2]


def test_the_docstring_examples_run():
    import doctest

    from kamtibmas_analytics.forecast import auto, baselines, evaluate, kdemodels, metrics, plot

    for module in (auto, baselines, evaluate, kdemodels, metrics, plot):
        assert doctest.testmod(module).failed == 0, module.__name__
