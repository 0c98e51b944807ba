"""A self-exciting point process (SEPP, "ETAS for crime") fitted by EM on sparse pairs.

Model (Mohler et al. 2011; the grid version of Mohler et al. 2015)::

    lambda(x, y, t) = mu(x, y) + sum over t_i < t of theta * w(t - t_i) * s(|(x, y) - (x_i, y_i)|)

* ``mu`` is a time-constant background rate, piecewise constant on background cells
  (``background_cell_m``, aligned with the forecast grid; Mohler et al. 2015 use 150 m);
* ``theta`` is the branching ratio: expected offspring per event;
* ``w(dt) = omega exp(-omega dt)`` truncated to ``0 < dt <= window_days`` and ``s`` the
  isotropic Gaussian density of ``sigma_m`` truncated to ``r <= radius_m``, each renormalised
  over its truncated support (the "truncated neighbourhoods": only pairs inside both are
  candidate parent-child pairs, see :mod:`~kamtibmas_analytics.forecast.sepp_pairs`).

Fit: expectation-maximisation on the branching structure (Veen and Schoenberg 2008; Mohler et
al. 2011). The E-step gives each event its probability of being background (``p_jj``) or the
child of each candidate parent (``p_ij``); the M-step then maximises the expected complete-data
log-likelihood: per cell ``mu_k = sum of p_jj in k / T``; ``sigma`` and ``omega`` are maximum
likelihood rates of truncated exponentials (solved by a root finder, since the truncation
leaves no closed form) and ``theta = sum p_ij / sum_i F(T - t_i)``, where ``F`` is the share of
event ``i``'s offspring due before the end of the data (the temporal edge correction;
``theta`` and ``omega`` are maximised jointly with a bounded 1-D search). Each step can only
raise the log-likelihood::

    log L = sum_j log lambda(x_j, y_j, t_j) - T sum_k mu_k - theta sum_i F(T - t_i)

over ``[t_first, t_last]``, the background cells as the spatial domain (offspring that would
land beyond it are counted as if inside: the spatial edge effect is left out). The fit stops
when ``log L`` changes by less than ``tol`` relative, or after ``max_iter`` iterations. Nothing
in it is random.

Prediction for ``[start, start + h)``: the expected number of events per cell given the
events before ``start``: the background's (``h mu``, optionally smoothed by a Gaussian of
``background_bandwidth_m``), the offspring still due from the events of the last
``window_days``, and the offspring the window's own events will have within it (a closed
form of the renewal equation, :mod:`~kamtibmas_analytics.forecast.sepp_forecast`), spread over
the cells by :func:`~kamtibmas_analytics.kde.kernel_density`, so the whole grid takes a few
FFTs. Only events before ``start`` are read.

Left out: a daily or weekly periodic modulation of the background, marks (offence types
share one model), and parents before the first event.

Few events: with fewer than ``min_events`` events (default 30) there is too little to
separate triggering from background: the model is background only (``theta_ = 0``, ``mu_``
the per-cell rate). No events: all scores 0. Events all at one point, or all at one time, are
fine (``sigma_m_`` stops at ``min_sigma_m``; with no later event nothing triggers). Events more
than ``margin_m`` outside the forecast grid are not used by the fit. Outputs are finite and
non-negative.

References: G. O. Mohler, M. B. Short, P. J. Brantingham, F. P. Schoenberg, G. E. Tita (2011),
"Self-exciting point process modeling of crime", JASA 106(493), 100-108. G. O. Mohler et al.
(2015), "Randomized controlled field trials of predictive policing", JASA 110(512),
1399-1411. A. Veen, F. P. Schoenberg (2008), "Estimation of space-time branching process
models in seismology using an EM-type algorithm", JASA 103(482), 614-624. A. Reinhart (2018),
"A review of self-exciting spatio-temporal point processes and their applications",
Statistical Science 33(3), 299-318.

>>> import numpy as np
>>> from kamtibmas_analytics.grid import Grid
>>> rng = np.random.default_rng(0)
>>> ev = Events.from_arrays(rng.uniform(0, 2000, 300), rng.uniform(0, 2000, 300),
...                         rng.uniform(0, 300 * DAY_S, 300))
>>> grid = Grid(0.0, 0.0, 100.0, nx=20, ny=20)
>>> model = SEPP().fit(ev, grid)
>>> scores = model.predict(ev, 300 * DAY_S, 7 * DAY_S)
>>> scores.shape, bool(abs(scores.sum() - 7.0) < 1.0)   # about 1 event a day
((20, 20), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Self

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar

from kamtibmas_analytics.forecast.base import (
    DAY_S,
    HOUR_S,
    Events,
    FloatArray,
    Forecaster,
    check_scores,
)
from kamtibmas_analytics.forecast.sepp_em import e_step, truncated_exponential_rate
from kamtibmas_analytics.forecast.sepp_forecast import expected_counts
from kamtibmas_analytics.forecast.sepp_pairs import Pairs, candidate_pairs
from kamtibmas_analytics.grid import Grid
from kamtibmas_analytics.kde import kernel_density

__all__ = ["SEPP"]

#: Background grids are coarsened until they have at most this many cells.
MAX_BACKGROUND_CELLS = 4_000_000
_INITIAL_THETA = 0.2
_INITIAL_DELAY_S = 7 * DAY_S
_INITIAL_SIGMA_M = 100.0


@dataclass(frozen=True)
class _BackgroundLayout:
    """Background cells: ``factor`` forecast cells a side, ``pad`` cells around the grid."""

    grid: Grid
    factor: int
    pad_x: int
    pad_y: int


@dataclass
class _State:
    """Parameters during the fit (SI units: seconds, metres)."""

    rate: FloatArray  # background events per second per background cell (flat)
    theta: float
    omega: float  # per second
    sigma_m: float


class SEPP(Forecaster):
    """Self-exciting point process forecaster (see the module docstring for the model).

    Parameters
    ----------
    radius_m : float
        Spatial truncation of the triggering kernel, metres (500).
    window_days : float
        Temporal truncation of the triggering kernel, days (90).
    background_cell_m : float
        Side of the background cells, rounded to a whole number of forecast cells (150).
    background_bandwidth_m : float
        Gaussian smoothing of the background in predictions, metres; 0 = none (the default,
        as Mohler et al. 2015).
    margin_m : float
        Events up to this far outside the forecast grid take part in the fit (1000).
    min_sigma_m, min_delay_hours : float
        Lower bounds of ``sigma_m_`` (75 m) and of the mean delay ``1 / omega_`` (1 hour).
        Geocoding to a block and duplicate records would otherwise shrink them towards 0: on
        Vancouver property crime (hundred-block locations) a 25 m floor lets the triggering
        model months-long repeats at one address (``theta_`` 0.7, delay 60 days) and forecasts
        2024 worse than 75 m does (benchmarks/RESULTS.md, section SEPP).
    max_iter : int
        EM iterations at most (200).
    tol : float
        Stop when the log-likelihood changes by less than ``tol`` relative (1e-6).
    min_events : int
        Fewer events than this fit the background only (30).

    Attributes
    ----------
    mu_ : ndarray, shape ``grid.shape``
        Fitted background: expected events per forecast cell per day.
    theta_ : float
        Branching ratio (expected offspring per event).
    omega_ : float
        Rate of the triggering delay per day (``1 / omega_`` days: mean delay, untruncated).
    sigma_m_ : float
        Spatial scale of triggering, metres.
    n_iter_ : int
        EM iterations run (E-steps, each measuring the log-likelihood).
    converged_ : bool
        Whether ``tol`` was met within ``max_iter`` (True for the background-only fallback).
    log_likelihood_ : float
        Log-likelihood at the fitted parameters (``log_likelihoods_``: one per iteration,
        non-decreasing).
    n_events_, n_pairs_ : int
        Events used by the fit; candidate parent-child pairs.
    background_grid_ : Grid
        The background cells.
    """

    name = "sepp"
    version = "1"
    refit_periods = 4

    def __init__(
        self,
        *,
        radius_m: float = 500.0,
        window_days: float = 90.0,
        background_cell_m: float = 150.0,
        background_bandwidth_m: float = 0.0,
        margin_m: float = 1000.0,
        min_sigma_m: float = 75.0,
        min_delay_hours: float = 1.0,
        max_iter: int = 200,
        tol: float = 1e-6,
        min_events: int = 30,
    ) -> None:
        super().__init__(
            radius_m=radius_m,
            window_days=window_days,
            background_cell_m=background_cell_m,
            background_bandwidth_m=background_bandwidth_m,
            margin_m=margin_m,
            min_sigma_m=min_sigma_m,
            min_delay_hours=min_delay_hours,
            max_iter=max_iter,
            tol=tol,
            min_events=min_events,
        )
        self.radius_m = float(radius_m)
        self.window_s = float(window_days) * DAY_S
        self.background_cell_m = float(background_cell_m)
        self.background_bandwidth_m = float(background_bandwidth_m)
        self.margin_m = float(margin_m)
        self.min_sigma_m = float(min_sigma_m)
        self.min_delay_s = float(min_delay_hours) * HOUR_S
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        self.min_events = int(min_events)

    # -- fit --------------------------------------------------------------------------------

    def _check_params(self) -> None:
        positive = {
            "radius_m": self.radius_m,
            "window_days": self.window_s,
            "background_cell_m": self.background_cell_m,
            "min_sigma_m": self.min_sigma_m,
            "min_delay_hours": self.min_delay_s,
        }
        for key, value in positive.items():
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"SEPP {key} must be a positive number, got {self._params[key]!r}")
        for key, value in (
            ("background_bandwidth_m", self.background_bandwidth_m),
            ("margin_m", self.margin_m),
            ("tol", self.tol),
        ):
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"SEPP {key} must be >= 0, got {self._params[key]!r}")
        if self.min_sigma_m >= self.radius_m:
            raise ValueError("SEPP min_sigma_m must be smaller than radius_m")
        if self.min_delay_s >= self.window_s:
            raise ValueError("SEPP min_delay_hours must be shorter than window_days")
        if self.max_iter < 1:
            raise ValueError(f"SEPP max_iter must be >= 1, got {self.max_iter}")

    def fit(self, history: Events, grid: Grid) -> Self:
        """Fit by EM on ``history`` (events before the cut-off) for the cells of ``grid``."""
        self._check_params()
        self.grid = grid
        layout = _background_layout(grid, self.background_cell_m, self.margin_m)
        self.background_grid_ = layout.grid
        bi, bj = layout.grid.cell_index(history.x, history.y)
        inside = bi >= 0
        x, y, t = history.x[inside], history.y[inside], history.t[inside]
        cell = (bi[inside] * layout.grid.nx + bj[inside]).astype(np.intp)
        self.n_events_ = int(t.size)
        span = max(float(t[-1] - t[0]), DAY_S) if t.size else DAY_S
        n_cells = layout.grid.nx * layout.grid.ny
        counts = np.bincount(cell, minlength=n_cells).astype(np.float64)
        if t.size < max(self.min_events, 2):
            state = _State(counts / span, 0.0, 1.0 / _INITIAL_DELAY_S, self.min_sigma_m)
            self._finish(state, layout, [], n_iter=0, converged=True, n_pairs=0)
            return self
        pairs = candidate_pairs(x, y, t, radius_m=self.radius_m, window_s=self.window_s)
        state = _State(
            rate=counts * (1.0 - _INITIAL_THETA) / span,
            theta=_INITIAL_THETA,
            omega=float(np.clip(1.0 / _INITIAL_DELAY_S, *self._omega_bounds())),
            sigma_m=max(self.min_sigma_m, min(_INITIAL_SIGMA_M, self.radius_m / 2)),
        )
        tail = np.minimum(float(t[-1]) - t, self.window_s)
        history_ll, converged = self._em(state, pairs, cell, span, tail, layout)
        self._finish(state, layout, history_ll, len(history_ll), converged, pairs.n_pairs)
        return self

    def _omega_bounds(self) -> tuple[float, float]:
        return 0.01 / self.window_s, 1.0 / self.min_delay_s

    def _sigma_rate_bounds(self) -> tuple[float, float]:
        """Bounds of ``a = 1 / (2 sigma**2)``: sigma from ``min_sigma_m`` to 4 ``radius_m``."""
        return 1.0 / (2.0 * (4.0 * self.radius_m) ** 2), 1.0 / (2.0 * self.min_sigma_m**2)

    def _em(
        self,
        state: _State,
        pairs: Pairs,
        cell: NDArray[np.intp],
        span: float,
        tail: FloatArray,
        layout: _BackgroundLayout,
    ) -> tuple[list[float], bool]:
        """Run EM in place on ``state``; returns the log-likelihood per iteration."""
        area = layout.grid.cell_area_m2
        recent = tail[tail < self.window_s]
        n_old = float(tail.size - recent.size)
        lls: list[float] = []
        for iteration in range(self.max_iter):
            est = e_step(
                pairs,
                state.rate[cell] / area,
                theta=state.theta,
                omega=state.omega,
                sigma_m=state.sigma_m,
                window_s=self.window_s,
                radius_m=self.radius_m,
            )
            comp = n_old + _offspring_due(recent, state.omega, self.window_s)
            ll = est.log_lambda_sum - span * float(state.rate.sum()) - state.theta * comp
            if lls and abs(ll - lls[-1]) <= self.tol * max(abs(ll), 1.0):
                lls.append(ll)
                return lls, True
            lls.append(ll)
            if iteration == self.max_iter - 1:
                break  # keep the parameters whose log-likelihood was measured last
            rate = np.bincount(cell, weights=est.p_background, minlength=state.rate.size)
            state.rate = rate.astype(np.float64) / span
            if est.p_sum > 0:
                self._m_step_trigger(state, est.p_sum, est.p_dt_sum, est.p_r2_sum, recent, n_old)
            else:
                state.theta = 0.0
        return lls, False

    def _m_step_trigger(
        self, state: _State, s: float, s_dt: float, s_r2: float, recent: FloatArray, n_old: float
    ) -> None:
        """Maximise the triggering part of the expected complete-data log-likelihood."""
        w = self.window_s

        def neg_q(log_omega: float) -> float:
            om = math.exp(log_omega)
            comp = n_old + _offspring_due(recent, om, w)
            z = -math.expm1(-om * w)
            return -(s * math.log(s / comp) - s + s * log_omega - om * s_dt - s * math.log(z))

        lo, hi = self._omega_bounds()
        found = minimize_scalar(
            neg_q, bounds=(math.log(lo), math.log(hi)), method="bounded", options={"xatol": 1e-6}
        )
        log_omega = float(found.x)
        if neg_q(log_omega) > neg_q(math.log(state.omega)):  # keep the better: a generalised EM
            log_omega = math.log(state.omega)
        state.omega = math.exp(log_omega)
        state.theta = s / (n_old + _offspring_due(recent, state.omega, w))
        a_lo, a_hi = self._sigma_rate_bounds()
        a = truncated_exponential_rate(s_r2 / s, self.radius_m**2, a_lo, a_hi)
        state.sigma_m = 1.0 / math.sqrt(2.0 * a)

    def _finish(
        self,
        state: _State,
        layout: _BackgroundLayout,
        lls: list[float],
        n_iter: int,
        converged: bool,
        n_pairs: int,
    ) -> None:
        grid = self._fitted_grid()
        per_cell_s = _to_forecast_cells(state.rate.reshape(layout.grid.shape), layout, grid.shape)
        self.mu_ = per_cell_s * DAY_S
        self._background_s = per_cell_s
        if self.background_bandwidth_m > 0:
            self._background_s = _smooth(per_cell_s, grid, self.background_bandwidth_m)
        self.theta_ = float(state.theta)
        self.omega_ = float(state.omega * DAY_S)
        self.sigma_m_ = float(state.sigma_m)
        self.n_iter_ = int(n_iter)
        self.converged_ = bool(converged)
        self.log_likelihoods_ = np.asarray(lls, dtype=np.float64)
        self.log_likelihood_ = float(lls[-1]) if lls else float("nan")
        self.n_pairs_ = int(n_pairs)

    # -- predict ----------------------------------------------------------------------------

    def predict(self, history: Events, start: float, horizon_s: float) -> FloatArray:
        """Expected events per cell in ``[start, start + horizon_s)`` from events before
        ``start``: background, offspring still due from recent events, and the offspring of
        the window's own events (see :mod:`~kamtibmas_analytics.forecast.sepp_forecast`)."""
        grid = self._fitted_grid()
        if not (math.isfinite(horizon_s) and horizon_s > 0):
            raise ValueError(f"horizon_s must be a positive number of seconds, got {horizon_s!r}")
        recent = history.before(start).between(start - self.window_s, start)
        scores = expected_counts(
            self._background_s,
            grid,
            recent.x,
            recent.y,
            start - recent.t,
            theta=self.theta_,
            omega=self.omega_ / DAY_S,
            sigma_m=self.sigma_m_,
            window_s=self.window_s,
            h=horizon_s,
        )
        return check_scores(scores, grid)


# -- helpers ----------------------------------------------------------------------------------


def _offspring_cdf(u: FloatArray, omega: float, window_s: float) -> FloatArray:
    """Share of an event's offspring due within ``u`` seconds (truncated exponential CDF)."""
    uu = np.clip(u, 0.0, window_s)
    out: FloatArray = -np.expm1(-omega * uu) / -math.expm1(-omega * window_s)
    return out


def _offspring_due(tail: FloatArray, omega: float, window_s: float) -> float:
    """Sum over events of the share of their offspring due before the end of the data."""
    return float(_offspring_cdf(tail, omega, window_s).sum()) if tail.size else 0.0


def _background_layout(grid: Grid, cell_m: float, margin_m: float) -> _BackgroundLayout:
    """Background cells of a whole number of forecast cells, aligned with ``grid`` and
    covering it with ``margin_m`` to spare (coarser when that would be too many cells)."""
    factor = max(1, round(cell_m / grid.cell_m))
    while True:
        side = grid.cell_m * factor
        pad = math.ceil(margin_m / side)
        nx = 2 * pad + math.ceil(grid.nx / factor)
        ny = 2 * pad + math.ceil(grid.ny / factor)
        if nx * ny <= MAX_BACKGROUND_CELLS:
            break
        factor *= 2
    bg = Grid(grid.x0_m - pad * side, grid.y0_m - pad * side, side, nx=nx, ny=ny)
    return _BackgroundLayout(bg, factor, pad, pad)


def _to_forecast_cells(
    rate: FloatArray, layout: _BackgroundLayout, shape: tuple[int, int]
) -> FloatArray:
    """Background rate per forecast cell: each background cell shared evenly by the
    ``factor**2`` forecast cells inside it."""
    f = layout.factor
    rows = np.arange(layout.grid.ny * f) // f
    cols = np.arange(layout.grid.nx * f) // f
    fine = rate[np.ix_(rows, cols)] / (f * f)
    i0, j0 = layout.pad_y * f, layout.pad_x * f
    ny, nx = shape
    out: FloatArray = fine[i0 : i0 + ny, j0 : j0 + nx]
    return out


def _smooth(values: FloatArray, grid: Grid, bandwidth_m: float) -> FloatArray:
    """``values`` per cell smoothed by a Gaussian of ``bandwidth_m``, each cell's kernel
    renormalised to the grid so the total is kept (no mass leaks past the edges)."""
    xx, yy = np.meshgrid(grid.x_centers, grid.y_centers)
    px, py = xx.ravel(), yy.ravel()
    kept = kernel_density(px, py, grid, bandwidth_m=bandwidth_m, binning="simple")
    weights = values.ravel() / np.maximum(kept.ravel(), 1e-12)
    return kernel_density(px, py, grid, bandwidth_m=bandwidth_m, weights=weights, binning="simple")
