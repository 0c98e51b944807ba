"""The self-exciting point process forecaster: EM fit on sparse pairs, and its forecasts."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from kamtibmas_analytics.forecast import DAY_S, Events, make_model, sepp_em, sepp_pairs
from kamtibmas_analytics.forecast.sepp import SEPP
from kamtibmas_analytics.forecast.sepp_em import (
    e_step,
    pair_probabilities,
    trigger_constant,
    truncated_exponential_rate,
)
from kamtibmas_analytics.forecast.sepp_pairs import candidate_pairs
from kamtibmas_analytics.grid import Grid

RADIUS_M = 500.0
WINDOW_S = 90 * DAY_S

# -- a seeded Hawkes simulator (background Poisson + offspring branching) -----------------------


def simulate_hawkes(
    rng: np.random.Generator,
    *,
    n_background: int,
    size_m: float,
    days: float,
    theta: float,
    delay_days: float,
    sigma_m: float,
) -> Events:
    """Uniform background on a ``size_m`` square over ``days``; every event has Poisson(theta)
    children, delayed by an exponential truncated at 90 days and displaced by a Gaussian
    truncated at 500 m (the model's defaults), generation after generation."""
    end = days * DAY_S
    omega = 1.0 / (delay_days * DAY_S)
    x = rng.uniform(0.0, size_m, n_background)
    y = rng.uniform(0.0, size_m, n_background)
    t = rng.uniform(0.0, end, n_background)
    xs, ys, ts = [x], [y], [t]
    while x.size:
        k = rng.poisson(theta, x.size)
        x, y, t = np.repeat(x, k), np.repeat(y, k), np.repeat(t, k)
        u = rng.uniform(size=t.size)
        t = t - np.log1p(u * np.expm1(-omega * WINDOW_S)) / omega
        d = rng.normal(0.0, sigma_m, (t.size, 2))
        far = np.hypot(d[:, 0], d[:, 1]) > RADIUS_M
        while far.any():
            d[far] = rng.normal(0.0, sigma_m, (int(far.sum()), 2))
            far = np.hypot(d[:, 0], d[:, 1]) > RADIUS_M
        x, y = x + d[:, 0], y + d[:, 1]
        keep = t < end
        x, y, t = x[keep], y[keep], t[keep]
        xs.append(x)
        ys.append(y)
        ts.append(t)
    return Events.from_arrays(np.concatenate(xs), np.concatenate(ys), np.concatenate(ts))


@pytest.fixture(scope="module")
def hawkes() -> Events:
    rng = np.random.default_rng(20261129)
    return simulate_hawkes(
        rng, n_background=6000, size_m=10_000.0, days=730, theta=0.5, delay_days=5.0, sigma_m=100.0
    )


@pytest.fixture(scope="module")
def city_grid() -> Grid:
    return Grid(0.0, 0.0, 200.0, nx=50, ny=50)


@pytest.fixture(scope="module")
def fitted(hawkes: Events, city_grid: Grid) -> SEPP:
    # The true background is uniform: 2 km background cells describe it with few parameters.
    return SEPP(background_cell_m=2000.0, margin_m=2000.0, tol=1e-9).fit(hawkes, city_grid)


@pytest.fixture
def small() -> Events:
    """A few hundred events with clusters, for the oracles."""
    rng = np.random.default_rng(7)
    return simulate_hawkes(
        rng, n_background=150, size_m=1500.0, days=200, theta=0.5, delay_days=3.0, sigma_m=80.0
    )


# -- oracles ------------------------------------------------------------------------------------


def dense_e_step(
    ev: Events,
    mu_at: np.ndarray,
    theta: float,
    omega: float,
    sigma_m: float,
    *,
    single: bool = False,
):
    """The E-step as in Mohler et al. (2011), on the full n x n matrix: ``P[j, i]`` the
    probability that j was triggered by i, ``P[j, j]`` that it is background. ``single``
    rounds the gaps and squared distances to single precision, as the sparse pairs store them."""
    dt = ev.t[:, None] - ev.t[None, :]
    r2 = (ev.x[:, None] - ev.x[None, :]) ** 2 + (ev.y[:, None] - ev.y[None, :]) ** 2
    if single:
        dt = dt.astype(np.float32).astype(np.float64)
        r2 = r2.astype(np.float32).astype(np.float64)
    inside = (dt > 0) & (dt <= WINDOW_S) & (r2 <= RADIUS_M**2)
    a = 1.0 / (2 * sigma_m**2)
    w = omega * np.exp(-omega * dt) / (1 - np.exp(-omega * WINDOW_S))
    s = np.exp(-a * r2) / (2 * math.pi * sigma_m**2) / (1 - np.exp(-a * RADIUS_M**2))
    g = np.where(inside, theta * w * s, 0.0)
    lam = mu_at + g.sum(axis=1)
    p = g / lam[:, None]
    p[np.diag_indices_from(p)] = mu_at / lam
    return p, lam, dt, r2


# -- candidate pairs and the E-step ------------------------------------------------------------


@pytest.mark.parametrize(
    ("compiled", "block_days"), [(True, 0.0), (False, 0.0), (False, 0.5), (False, 7.0)]
)
def test_it_finds_exactly_the_pairs_inside_the_truncation(
    small: Events, compiled: bool, block_days: float
):
    pairs = candidate_pairs(
        small.x,
        small.y,
        small.t,
        radius_m=RADIUS_M,
        window_s=WINDOW_S,
        block_s=block_days * DAY_S,
        compiled=compiled,
    )
    _, _, dt, r2 = dense_e_step(small, np.ones(len(small)), 0.1, 1e-5, 100.0)
    want = sorted(zip(*np.nonzero((dt > 0) & (dt <= WINDOW_S) & (r2 <= RADIUS_M**2)), strict=True))
    got = sorted(zip(pairs.child().tolist(), pairs.parent.tolist(), strict=True))
    assert got == [(int(j), int(i)) for j, i in want]
    assert np.allclose(pairs.dt, small.t[pairs.child()] - small.t[pairs.parent], rtol=1e-7)
    assert np.all(np.diff(pairs.child()) >= 0)


def test_both_pair_searches_agree_on_ties_and_repeated_places():
    """Geocoded to blocks and dated to the day: many equal places and equal times."""
    rng = np.random.default_rng(11)
    n = 3000
    x = np.round(rng.uniform(0, 5000, n), -2)
    y = np.round(rng.uniform(0, 5000, n), -2)
    t = np.round(rng.uniform(0, 400, n)) * DAY_S
    ev = Events.from_arrays(x, y, t)
    found = {}
    for compiled in (True, False):
        pairs = candidate_pairs(
            ev.x, ev.y, ev.t, radius_m=RADIUS_M, window_s=WINDOW_S, compiled=compiled
        )
        found[compiled] = sorted(zip(pairs.child().tolist(), pairs.parent.tolist(), strict=True))
        assert np.all(pairs.dt > 0) and np.all(pairs.dt <= WINDOW_S)
    assert found[True] == found[False] and len(found[True]) > 10_000


@pytest.mark.parametrize("compiled", [True, False])
def test_the_sparse_e_step_equals_a_dense_matrix_oracle(small: Events, compiled: bool):
    n = len(small)
    assert 200 <= n <= 1000
    rng = np.random.default_rng(3)
    mu_at = rng.uniform(0.5, 2.0, n) * 1e-12
    theta, omega, sigma = 0.4, 1 / (3 * DAY_S), 90.0
    p, lam, dt, r2 = dense_e_step(small, mu_at, theta, omega, sigma, single=True)
    pairs = candidate_pairs(small.x, small.y, small.t, radius_m=RADIUS_M, window_s=WINDOW_S)
    c = trigger_constant(theta, omega, sigma, WINDOW_S, RADIUS_M)
    p_bg, p_pairs, lam_sparse = pair_probabilities(pairs, mu_at, c, omega, 1 / (2 * sigma**2))
    assert np.allclose(lam_sparse, lam, rtol=1e-12)
    assert np.allclose(p_bg, np.diag(p), rtol=1e-12)
    assert np.allclose(p_pairs, p[pairs.child(), pairs.parent], rtol=1e-12)
    off = p - np.diag(np.diag(p))
    assert off.sum() > 0.05 * n  # the oracle case does have triggering to find
    est = e_step(
        pairs,
        mu_at,
        theta=theta,
        omega=omega,
        sigma_m=sigma,
        window_s=WINDOW_S,
        radius_m=RADIUS_M,
        compiled=compiled,
    )
    assert np.allclose(est.p_background, np.diag(p), rtol=1e-12)
    assert est.p_sum == pytest.approx(off.sum(), rel=1e-10)
    assert est.p_dt_sum == pytest.approx((off * dt).sum(), rel=1e-10)
    assert est.p_r2_sum == pytest.approx((off * r2).sum(), rel=1e-10)
    assert est.log_lambda_sum == pytest.approx(np.log(lam).sum(), rel=1e-12)


def test_the_truncated_exponential_rate_maximises_the_likelihood():
    rng = np.random.default_rng(5)
    width = 10.0
    sample = rng.exponential(4.0, 5000)
    sample = sample[sample <= width]
    rate = truncated_exponential_rate(float(sample.mean()), width, 1e-6, 1e3)
    grid = np.linspace(0.01, 1.0, 20_000)
    loglik = sample.size * (np.log(grid) - np.log(-np.expm1(-grid * width))) - grid * sample.sum()
    assert rate == pytest.approx(grid[np.argmax(loglik)], abs=1e-4)
    # A mean of half the width or more is uniform: the lower bound; a tiny mean: the upper.
    assert truncated_exponential_rate(6.0, width, 1e-6, 1e3) == 1e-6
    assert truncated_exponential_rate(1e-9, width, 1e-6, 1e3) == 1e3


# -- the fit ------------------------------------------------------------------------------------


def test_it_recovers_the_parameters_of_a_simulated_hawkes_process(fitted: SEPP, hawkes: Events):
    assert fitted.converged_
    assert fitted.theta_ == pytest.approx(0.5, abs=0.05)
    assert 1 / fitted.omega_ == pytest.approx(5.0, rel=0.15)  # days
    assert fitted.sigma_m_ == pytest.approx(100.0, rel=0.1)
    # The background carries the rest: about (1 - theta) of the events, per day.
    days = (hawkes.t[-1] - hawkes.t[0]) / DAY_S
    assert fitted.mu_.sum() * days == pytest.approx(6000, rel=0.1)


def test_the_em_log_likelihood_never_decreases(fitted: SEPP):
    lls = fitted.log_likelihoods_
    assert lls.size == fitted.n_iter_ >= 5
    assert np.all(np.diff(lls) >= -1e-9 * np.abs(lls[1:]))
    assert lls[-1] > lls[0]


def log_likelihood_by_hand(
    model: SEPP, ev: Events, *, single: bool = False, **change: float
) -> float:
    """log L (dense) at the model's parameters, with any of theta, omega, sigma_m changed;
    the background is read per background cell (here the forecast cells)."""
    theta = change.get("theta", model.theta_)
    omega = change.get("omega", model.omega_ / DAY_S)
    sigma_m = change.get("sigma_m", model.sigma_m_)
    bi, bj = model.background_grid_.cell_index(ev.x, ev.y)
    rate_s = model.mu_ / DAY_S
    mu_at = rate_s[bi, bj] / model.background_grid_.cell_area_m2
    _, lam, _, _ = dense_e_step(ev, mu_at, theta, omega, sigma_m, single=single)
    span = ev.t[-1] - ev.t[0]
    tail = np.minimum(ev.t[-1] - ev.t, WINDOW_S)
    due = (1 - np.exp(-omega * tail)) / (1 - np.exp(-omega * WINDOW_S))
    return float(np.log(lam).sum() - span * rate_s.sum() - theta * due.sum())


@pytest.fixture
def small_fit(small: Events) -> SEPP:
    grid = Grid(-1000.0, -1000.0, 500.0, nx=7, ny=7)
    return SEPP(background_cell_m=500.0, margin_m=0.0, min_sigma_m=10.0, tol=1e-13).fit(small, grid)


def test_the_log_likelihood_is_the_one_of_the_fitted_parameters(small: Events, small_fit: SEPP):
    assert small_fit.mu_.shape == small_fit.background_grid_.shape  # one cell = one cell
    assert small_fit.log_likelihood_ == pytest.approx(
        log_likelihood_by_hand(small_fit, small, single=True), rel=1e-10
    )


@pytest.mark.parametrize("name", ["theta", "omega", "sigma_m"])
def test_the_fit_is_a_maximum_of_the_log_likelihood(small: Events, small_fit: SEPP, name: str):
    """EM converges to a stationary point: moving any triggering parameter by 2 % either way
    lowers log L (with the temporal edge correction that the M-step must respect)."""
    assert small_fit.converged_ and 0 < small_fit.theta_ < 1
    value = {
        "theta": small_fit.theta_,
        "omega": small_fit.omega_ / DAY_S,
        "sigma_m": small_fit.sigma_m_,
    }[name]
    best = log_likelihood_by_hand(small_fit, small)
    for factor in (0.98, 1.02):
        assert log_likelihood_by_hand(small_fit, small, **{name: value * factor}) < best


def test_the_numpy_fallback_fits_the_same_model(small: Events, monkeypatch):
    grid = Grid(0.0, 0.0, 100.0, nx=15, ny=15)
    compiled = SEPP().fit(small, grid)
    monkeypatch.setattr(sepp_em, "NUMBA", False)
    monkeypatch.setattr(sepp_pairs, "NUMBA", False)
    plain = SEPP().fit(small, grid)
    # Same pairs, found and summed in another order: equal up to rounding.
    assert plain.n_iter_ == compiled.n_iter_ and plain.n_pairs_ == compiled.n_pairs_
    for name in ("theta_", "omega_", "sigma_m_", "log_likelihood_"):
        assert getattr(plain, name) == pytest.approx(getattr(compiled, name), rel=1e-6)
    assert np.allclose(plain.mu_, compiled.mu_, rtol=1e-6, atol=1e-9 * compiled.mu_.max())


# -- predictions --------------------------------------------------------------------------------


def expected_count_by_hand(model: SEPP, ev: Events, start: float, h: float) -> float:
    """The expected count in the window by solving the renewal equation numerically:
    ``m(t) = mu + theta sum_past w(t - t_i) + theta integral_start^t w(t - u) m(u) du`` on a
    fine time grid (left Riemann sum), then integrating ``m`` over the window."""
    omega = model.omega_ / DAY_S
    steps = 2000
    dt = h / steps
    t = start + (np.arange(steps) + 0.5) * dt
    z = 1 - np.exp(-omega * WINDOW_S)

    def w(lag: np.ndarray) -> np.ndarray:
        return np.where((lag > 0) & (lag <= WINDOW_S), omega * np.exp(-omega * lag) / z, 0.0)

    past = ev.t[(ev.t < start) & (ev.t >= start - WINDOW_S)]
    forcing = model.mu_.sum() / DAY_S + model.theta_ * w(t[:, None] - past[None, :]).sum(axis=1)
    kernel = model.theta_ * w(t[:, None] - t[None, :]) * dt
    m = np.zeros(steps)
    for k in range(steps):
        m[k] = forcing[k] + kernel[k, :k] @ m[:k]
    return float(m.sum() * dt)


def test_predict_sums_to_the_expected_count(fitted: SEPP, hawkes: Events, city_grid: Grid):
    start, h = 400 * DAY_S, 7 * DAY_S
    scores = fitted.predict(hawkes, start, h)
    assert scores.shape == city_grid.shape
    # The grid keeps nearly all the offspring mass (events near its edge lose a little).
    assert scores.sum() == pytest.approx(expected_count_by_hand(fitted, hawkes, start, h), rel=0.02)


def test_predictions_match_what_happens_over_many_weeks(fitted: SEPP, hawkes: Events):
    starts = np.arange(100, 720, 7) * DAY_S
    predicted = [fitted.predict(hawkes, s, 7 * DAY_S).sum() for s in starts]
    observed = [len(hawkes.between(s, s + 7 * DAY_S)) for s in starts]
    assert sum(predicted) == pytest.approx(sum(observed), rel=0.05)


def test_the_triggering_part_forecasts_better_than_the_background_alone(
    fitted: SEPP, hawkes: Events, city_grid: Grid
):
    """Poisson log-likelihood of the observed counts per cell over 30 weeks: the SEPP beats
    the same background without triggering (a fit that falls back to background only)."""
    alone = SEPP(background_cell_m=2000.0, margin_m=2000.0, min_events=10**9).fit(hawkes, city_grid)
    scores = {"sepp": 0.0, "alone": 0.0}
    for start in np.arange(400, 610, 7) * DAY_S:
        counts = hawkes.between(start, start + 7 * DAY_S).counts(city_grid)
        for name, model in (("sepp", fitted), ("alone", alone)):
            rate = model.predict(hawkes, start, 7 * DAY_S) + 1e-9
            scores[name] += float((counts * np.log(rate) - rate).sum())
    assert scores["sepp"] > scores["alone"] + 100


def test_it_never_uses_events_at_or_after_start(fitted: SEPP, hawkes: Events):
    start, h = 300 * DAY_S, 7 * DAY_S
    want = fitted.predict(hawkes.before(start), start, h)
    assert np.array_equal(fitted.predict(hawkes, start, h), want)
    at_start = Events.from_arrays(
        np.r_[hawkes.x, 5000.0], np.r_[hawkes.y, 5000.0], np.r_[hawkes.t, start]
    )
    assert np.array_equal(fitted.predict(at_start, start, h), want)


def test_recent_events_raise_the_forecast_around_them(fitted: SEPP, city_grid: Grid):
    quiet = Events.from_arrays([], [], [])
    start = 800 * DAY_S
    base = fitted.predict(quiet, start, DAY_S)
    burst = Events.from_arrays([5010.0] * 3, [5010.0] * 3, [start - 3600.0] * 3)
    lifted = fitted.predict(burst, start, DAY_S)
    assert np.unravel_index(np.argmax(lifted - base), base.shape) == (25, 25)
    added = expected_count_by_hand(fitted, burst, start, DAY_S)
    added -= expected_count_by_hand(fitted, quiet, start, DAY_S)
    assert (lifted - base).sum() == pytest.approx(added, rel=0.01)


def test_a_smoothed_background_keeps_its_total(hawkes: Events, city_grid: Grid):
    plain = SEPP(min_events=10**9).fit(hawkes, city_grid)  # background only
    smooth = SEPP(min_events=10**9, background_bandwidth_m=300.0).fit(hawkes, city_grid)
    quiet = Events.from_arrays([], [], [])
    a = plain.predict(quiet, 800 * DAY_S, DAY_S)
    b = smooth.predict(quiet, 800 * DAY_S, DAY_S)
    assert b.sum() == pytest.approx(a.sum(), rel=1e-6)
    assert b.max() < a.max()


# -- robustness and the model contract ----------------------------------------------------------


def test_few_events_fall_back_to_the_background_only():
    grid = Grid(0.0, 0.0, 100.0, nx=10, ny=10)
    ev = Events.from_arrays([150.0] * 10, [250.0] * 10, np.arange(10) * DAY_S)
    model = SEPP(background_cell_m=100.0).fit(ev, grid)
    assert model.theta_ == 0 and model.n_iter_ == 0 and model.converged_
    scores = model.predict(ev, 20 * DAY_S, 9 * DAY_S)
    assert scores[2, 1] == pytest.approx(10.0)  # ten events in nine days: one per 0.9 days
    assert scores.sum() == pytest.approx(10.0)


def test_no_events_forecast_zero_everywhere():
    grid = Grid(0.0, 0.0, 100.0, nx=4, ny=3)
    model = SEPP().fit(Events.from_arrays([], [], []), grid)
    assert np.array_equal(
        model.predict(Events.from_arrays([], [], []), 0.0, DAY_S), np.zeros((3, 4))
    )


@pytest.mark.parametrize("same_time", [False, True])
def test_events_all_at_one_point_give_finite_forecasts(same_time: bool):
    grid = Grid(0.0, 0.0, 100.0, nx=10, ny=10)
    t = (
        np.zeros(200)
        if same_time
        else np.sort(np.random.default_rng(1).uniform(0, 99 * DAY_S, 200))
    )
    ev = Events.from_arrays(np.full(200, 505.0), np.full(200, 505.0), t)
    model = SEPP(background_cell_m=100.0).fit(ev, grid)
    scores = model.predict(ev, 100 * DAY_S, 7 * DAY_S)
    assert np.all(np.isfinite(scores)) and scores.min() >= 0
    assert np.argmax(scores) == 5 * 10 + 5
    assert math.isfinite(model.log_likelihood_)
    assert model.sigma_m_ >= 25.0 and math.isfinite(model.theta_)
    if same_time:
        assert model.theta_ == 0  # no event is later than another: nothing to trigger


def test_events_far_outside_the_grid_are_left_out_of_the_fit(small: Events):
    grid = Grid(0.0, 0.0, 100.0, nx=15, ny=15)
    far = Events.from_arrays(
        np.r_[small.x, 1e6, 1e6], np.r_[small.y, 1e6, -1e6], np.r_[small.t, 0.0, DAY_S]
    )
    a = SEPP().fit(small, grid)
    b = SEPP().fit(far, grid)
    assert b.n_events_ == a.n_events_ == len(small)
    assert b.theta_ == pytest.approx(a.theta_, rel=1e-12)


@pytest.mark.parametrize(
    "params",
    [
        {"radius_m": 0.0},
        {"window_days": -1.0},
        {"min_sigma_m": 600.0},
        {"max_iter": 0},
        {"tol": float("nan")},
        {"background_cell_m": float("inf")},
    ],
)
def test_bad_parameters_are_refused_with_a_clear_message(params):
    with pytest.raises(ValueError, match="SEPP"):
        SEPP(**params).fit(Events.from_arrays([], [], []), Grid(0.0, 0.0, 100.0, nx=2, ny=2))


def test_predict_refuses_a_bad_horizon_and_an_unfitted_model(small: Events):
    with pytest.raises(RuntimeError, match="fit"):
        SEPP().predict(small, 0.0, DAY_S)
    model = SEPP().fit(small, Grid(0.0, 0.0, 100.0, nx=15, ny=15))
    with pytest.raises(ValueError, match="horizon"):
        model.predict(small, 0.0, 0.0)


def test_it_is_registered_and_describes_itself_as_json():
    model = make_model("sepp", radius_m=400.0)
    assert isinstance(model, SEPP)
    described = json.loads(json.dumps(model.describe()))
    assert described["model"] == "sepp" and described["params"]["radius_m"] == 400.0
    assert SEPP.refit_periods > 1
