"""A learned forecaster: gradient boosting (Poisson loss) on grid-cell features.

How it learns (all inside the history given to :meth:`Learned.fit`):

1. training windows of the forecast's length are laid out over the last ``span_days`` before
   the end of the history (the newest ends at the last event): ``n_periods`` of them, by
   default every window of the span but at least 52 and at most 364 (so a week uses 52
   weeks and an 8-hour shift 364 shifts, staggered so that every shift of the day and day of
   the week is represented);
2. for each window, the features of every cell (see
   :mod:`kamtibmas_analytics.forecast.features`: lagged counts at three scales and five time
   windows, near-repeat surfaces, same-hour-of-week counts, rank, city level, distances to
   places) are computed from the events *before* the window's start, and the target is the
   cell's count inside the window;
3. rows are every cell with an event in its 3 x 3 neighbourhood in the history, plus a seeded
   sample (``empty_fraction``) of the other cells; of these, every cell-window with an event
   is kept and those without one are sampled so that about ``max_rows`` remain (a seeded
   uniform subsample beyond). Each sampled row is weighted by one over its sampling
   probability, so the Poisson mean stays right;
4. a ``HistGradientBoostingRegressor(loss="poisson")`` is fitted, monotone increasing in every
   count feature (more past crime never lowers a forecast, which keeps the ranking stable).

:meth:`Learned.predict` computes the same features from the events before ``start`` and
returns the model's expected counts for ``[start, start + horizon_s)``. The model is trained
for ``horizon_s`` at fit time; a prediction for another horizon trains (once) a second model
on the same fit history.

Fallback: with fewer than ``min_events`` events in the fit history, no usable training window
(none starting at least 28 days after the first event) or no event in any training target,
there is nothing to learn from; the model then scores each cell by its long-run rate (events
of the last three years, scaled to the window, averaged with its 3 x 3 neighbourhood), which
is all zeros for an empty history. ``fallback_`` says whether that happened.

>>> import numpy as np
>>> from kamtibmas_analytics.grid import Grid
>>> rng = np.random.default_rng(0)
>>> t = np.sort(rng.uniform(0.0, 200 * DAY_S, 3000))
>>> x = np.where(rng.random(3000) < 0.5, 250.0, rng.uniform(0.0, 1000.0, 3000))
>>> ev = Events.from_arrays(x=x, y=np.full(3000, 250.0), t=t)
>>> grid = Grid(0.0, 0.0, 100.0, nx=10, ny=5)
>>> model = Learned(n_periods=8, max_iter=20).fit(ev, grid)
>>> scores = model.predict(ev, 200 * DAY_S, WEEK_S)
>>> scores.shape, bool(scores[2, 2] == scores.max()), model.fallback_
((5, 10), True, False)
"""

from __future__ import annotations

import math
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from kamtibmas_analytics.forecast.base import (
    DAY_S,
    WEEK_S,
    Events,
    FloatArray,
    Forecaster,
    check_scores,
)
from kamtibmas_analytics.forecast.features import CellFeatures, EventIndex
from kamtibmas_analytics.grid import Grid

__all__ = ["Learned", "training_starts"]

#: Most training windows chosen by default (``n_periods=None``).
MAX_AUTO_PERIODS = 364
#: Training windows start at least this long after the first event (features need a past).
MIN_LOOKBACK_S = 28 * DAY_S


def training_starts(
    t_end: float, horizon_s: float, n_periods: int, span_s: float
) -> NDArray[np.float64]:
    """Starts of up to ``n_periods`` windows of ``horizon_s`` ending at or before ``t_end``,
    spread evenly (in whole windows) over the last ``span_s`` seconds, newest first. Windows
    shorter than a day are staggered so that they take every phase of the day in turn.

    >>> (training_starts(10 * WEEK_S, WEEK_S, 3, 3 * WEEK_S) / WEEK_S).tolist()
    [9.0, 8.0, 7.0]
    >>> starts = training_starts(0.0, 8 * 3600.0, 6, 364 * DAY_S)
    >>> ((-starts / 3600.0) % 24).tolist()   # the three shifts of the day in turn
    [0.0, 8.0, 16.0, 0.0, 8.0, 16.0]
    """
    n_fit = max(1, int(span_s // horizon_s))
    n = min(max(n_periods, 1), n_fit)
    phases = max(1, round(DAY_S / horizon_s)) if horizon_s < DAY_S else 1
    i = np.arange(n)
    base = 1 + (i * n_fit) // n
    k = base + (i - base) % phases  # window i takes phase i of the day
    k = np.unique(np.where(k > n_fit, k - phases, k).clip(1))
    return np.asarray(t_end - k * horizon_s, dtype=np.float64)


class Learned(Forecaster):
    """Gradient boosting on grid-cell features (see the module doc).

    Parameters
    ----------
    horizon_s : float
        Window length the model is trained for at fit time (default a week).
    n_periods : int or None
        Number of training windows; default every window of the span, at least 52 and at
        most 364.
    span_days : float
        Days before the end of the history that the training windows are spread over.
    max_rows : int
        Upper bound on training rows (cells x windows).
    empty_fraction : float
        Share of never-active cells sampled into each training window.
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization
        Passed to ``HistGradientBoostingRegressor``.
    near_repeat_m : float
        Gaussian standard deviation (metres) of the near-repeat surfaces.
    utc_offset_hours : float
        Local time for the hour-of-week features (8: WITA). Training and forecasts use the
        same offset, so it names the hours rather than changing what is learned.
    places : dict of str to list of [x, y], optional
        Named point sets in grid metres; each adds a ``dist_<name>`` feature.
    min_events : int
        Fewer events in the fit history use the fallback.
    n_threads : int
        OpenMP threads for the booster (1 by default: a backtest runs many models side by
        side, and spinning threads on a busy machine cost more CPU than they save).
    random_state : int
        Seed of the row sampling and the booster.

    Attributes
    ----------
    feature_names_ : list of str
    fallback_ : bool
        True when the fit history was too small to learn from (see the module doc).
    n_rows_ : int
        Training rows used for ``horizon_s``.
    """

    name = "learned"
    version = "1"
    # Refit every 8 periods (two months of weeks): the fit is the costly part (about 2-3 s),
    # the ranking changes little between refits, and every prediction still uses the newest
    # events. This keeps the all-model one-year weekly backtest inside its 15-minute budget.
    refit_periods = 8

    def __init__(
        self,
        *,
        horizon_s: float = WEEK_S,
        n_periods: int | None = None,
        span_days: float = 364.0,
        max_rows: int = 150_000,
        empty_fraction: float = 0.1,
        max_iter: int = 100,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 100,
        l2_regularization: float = 1.0,
        near_repeat_m: float = 250.0,
        utc_offset_hours: float = 8.0,
        places: dict[str, list[list[float]]] | None = None,
        min_events: int = 100,
        n_threads: int = 1,
        random_state: int = 0,
    ) -> None:
        params = dict(locals())
        del params["self"], params["__class__"]
        super().__init__(**params)
        if not (math.isfinite(horizon_s) and horizon_s > 0):
            raise ValueError(f"horizon_s must be > 0 seconds, got {horizon_s!r}")
        if not 0.0 < empty_fraction <= 1.0:
            raise ValueError(f"empty_fraction must be in (0, 1], got {empty_fraction!r}")
        self.horizon_s = float(horizon_s)
        self.n_periods = None if n_periods is None else int(n_periods)
        self.span_days = float(span_days)
        self.max_rows = int(max_rows)
        self.empty_fraction = float(empty_fraction)
        self.booster_params: dict[str, Any] = {
            "max_iter": int(max_iter),
            "learning_rate": float(learning_rate),
            "max_leaf_nodes": int(max_leaf_nodes),
            "min_samples_leaf": int(min_samples_leaf),
            "l2_regularization": float(l2_regularization),
        }
        self.near_repeat_m = float(near_repeat_m)
        self.utc_offset_hours = float(utc_offset_hours)
        self.places = {k: np.asarray(v, dtype=np.float64) for k, v in (places or {}).items()}
        self.min_events = int(min_events)
        self.n_threads = max(1, int(n_threads))
        self.random_state = int(random_state)
        self.last_features_: FloatArray | None = None
        self.last_horizon_ = self.horizon_s

    # -- fit ----------------------------------------------------------------------------------

    def fit(self, history: Events, grid: Grid) -> Self:
        """Prepare ``history`` on ``grid`` and train the model for ``horizon_s``."""
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be a Grid, got {type(grid).__name__}")
        self.grid = grid
        self.features_ = CellFeatures(grid, near_repeat_m=self.near_repeat_m, places=self.places)
        self.feature_names_ = self.features_.names
        self.index_ = EventIndex(history, grid, self.utc_offset_hours)
        t = self.index_.t
        self.t_first_ = float(t[0]) if t.size else math.inf
        self.t_end_ = float(np.nextafter(t[-1], math.inf)) if t.size else -math.inf
        footprint = self.index_.counts(slice(None)).reshape(grid.shape) > 0
        self.active_ = ndimage.binary_dilation(footprint, structure=np.ones((3, 3), bool))
        self.models_: dict[float, QuantileBooster | None] = {}
        self.n_rows_ = 0
        self._model_for(self.horizon_s)
        self.fallback_ = self.models_[self.horizon_s] is None
        return self

    def _model_for(self, horizon_s: float) -> QuantileBooster | None:
        if horizon_s not in self.models_:
            self.models_[horizon_s] = self._train(horizon_s)
        return self.models_[horizon_s]

    def _train(self, horizon_s: float) -> QuantileBooster | None:
        if len(self.index_) < self.min_events:
            return None
        span_s = self.span_days * DAY_S
        starts = training_starts(self.t_end_, horizon_s, self._periods(horizon_s, span_s), span_s)
        starts = starts[starts >= self.t_first_ + MIN_LOOKBACK_S]
        if starts.size == 0:
            return None
        x, y, w = self._training_rows(starts, horizon_s)
        if not y.sum() > 0:
            return None
        self.n_rows_ = int(y.size)
        booster = QuantileBooster(
            self.booster_params,
            self._monotonic(),
            n_threads=self.n_threads,
            random_state=self.random_state,
        )
        return booster.fit(x, y, w)

    def _periods(self, horizon_s: float, span_s: float) -> int:
        """``n_periods``, or by default every window in the span, at least 52 and at most
        364 (for windows shorter than a day, one in every few: sparse targets need many)."""
        if self.n_periods is not None:
            return self.n_periods
        return int(min(max(52, span_s // horizon_s), MAX_AUTO_PERIODS))

    def _training_rows(
        self, starts: FloatArray, horizon_s: float
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Features, targets and weights of the sampled cells of every training window."""
        rng = np.random.default_rng(self.random_state)
        active = self.active_.ravel()
        n_feat = len(self.feature_names_)
        zero_rate = self._zero_rate(starts, horizon_s)
        xs, ys, ws = [], [], []
        for start in starts:
            feats = self.features_.compute(self.index_, float(start), horizon_s)
            target = self.index_.counts(self.index_.span(start, start + horizon_s))
            weight = np.where(active, 1.0, 0.0)
            weight[~active & (rng.random(active.size) < self.empty_fraction)] = (
                1.0 / self.empty_fraction
            )
            zeros = (target == 0) & (weight > 0)
            weight[zeros] = np.where(
                rng.random(int(zeros.sum())) < zero_rate, weight[zeros] / zero_rate, 0.0
            )
            keep = weight > 0
            xs.append(feats.reshape(n_feat, -1)[:, keep].T)
            ys.append(target[keep])
            ws.append(weight[keep])
        x, y, w = np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)
        if y.size > self.max_rows:
            pick = np.sort(rng.choice(y.size, size=self.max_rows, replace=False))
            x, y, w = x[pick], y[pick], w[pick]
        return x, y, w

    def _zero_rate(self, starts: FloatArray, horizon_s: float) -> float:
        """Share of the cell-windows without an event to keep so that about ``max_rows`` rows
        remain (all cell-windows with an event are kept)."""
        active = int(self.active_.sum())
        cells = active + self.empty_fraction * (self.active_.size - active)
        positive = sum(
            np.unique(self.index_.flat[self.index_.span(s, s + horizon_s)]).size for s in starts
        )
        zeros = starts.size * cells - positive
        return float(min(1.0, max(self.max_rows - positive, 0.1 * self.max_rows) / max(zeros, 1.0)))

    def _monotonic(self) -> list[int]:
        """+1 (increasing) for every count-like feature, 0 for distances."""
        return [0 if n.startswith("dist_") else 1 for n in self.feature_names_]

    # -- predict ------------------------------------------------------------------------------

    def predict(self, history: Events, start: float, horizon_s: float) -> FloatArray:
        """Expected events per cell in ``[start, start + horizon_s)`` from events before
        ``start`` (later events in ``history`` are ignored)."""
        grid = self._fitted_grid()
        if not (math.isfinite(horizon_s) and horizon_s > 0):
            raise ValueError(f"horizon_s must be > 0 seconds, got {horizon_s!r}")
        index = EventIndex(history.before(start), grid, self.utc_offset_hours)
        feats = self.features_.compute(index, float(start), float(horizon_s))
        self.last_features_, self.last_horizon_ = feats, float(horizon_s)
        model = self._model_for(float(horizon_s))
        if model is None:
            scores = self._fallback_scores(feats)
        else:
            flat = model.predict(feats.reshape(len(self.feature_names_), -1).T)
            scores = flat.reshape(grid.shape)
        return check_scores(scores, grid)

    def _fallback_scores(self, feats: FloatArray) -> FloatArray:
        names = self.feature_names_
        cell = feats[names.index("cnt_long_c")]
        n3 = feats[names.index("cnt_long_n3")]
        return np.asarray(0.5 * (cell + n3), dtype=np.float64)

    # -- explain ------------------------------------------------------------------------------

    def explain(self, i: int, j: int, top: int = 5) -> list[dict[str, Any]]:
        """Why cell ``(i, j)`` scored as it did in the latest :meth:`predict`: the ``top``
        features whose change to a typical value (their median over active cells) moves the
        cell's forecast most. Each item has ``feature``, ``value`` (this cell), ``typical``
        and ``effect`` (forecast minus the forecast with the typical value; positive means
        the feature raised this cell's forecast), plus ``label``, a plain English description."""
        grid = self._fitted_grid()
        if self.last_features_ is None:
            raise RuntimeError("learned: call predict() before explain()")
        if not (0 <= i < grid.ny and 0 <= j < grid.nx):
            raise IndexError(f"cell ({i}, {j}) is outside a grid of shape {grid.shape}")
        n_feat = len(self.feature_names_)
        table = self.last_features_.reshape(n_feat, -1)
        active = self.active_.ravel()
        typical = np.median(table[:, active] if active.any() else table, axis=1)
        value = self.last_features_[:, i, j]
        rows = np.tile(value, (n_feat + 1, 1))
        rows[np.arange(n_feat), np.arange(n_feat)] = typical
        preds = self._score_rows(rows)
        effect = preds[-1] - preds[:-1]
        order = np.argsort(-np.abs(effect), kind="stable")[: max(top, 0)]
        return [
            {
                "feature": self.feature_names_[k],
                "label": self.features_.describe(self.feature_names_[k]),
                "value": float(value[k]),
                "typical": float(typical[k]),
                "effect": float(effect[k]),
            }
            for k in order
        ]

    def _score_rows(self, rows: FloatArray) -> FloatArray:
        """Scores of feature rows ``(n, n_features)`` with the model of the latest horizon."""
        model = self.models_.get(self.last_horizon_)
        if model is None:
            names = self.feature_names_
            cols = [names.index("cnt_long_c"), names.index("cnt_long_n3")]
            return np.asarray(0.5 * rows[:, cols].sum(axis=1), dtype=np.float64)
        return model.predict(rows)


class QuantileBooster:
    """A Poisson ``HistGradientBoostingRegressor`` fitted on features cut at their quantiles.

    The booster bins every feature into at most 255 bins itself, but with sample weights and
    at most 200,000 rows scikit-learn finds the bin edges by one weighted-percentile sort per
    bin and feature, which costs several times the whole fit. Cutting each feature at its
    (unweighted) quantiles first leaves at most 255 distinct values, which the booster takes
    as they are; trees only see the order of values, so the model is the same up to slightly
    different bin edges.

    >>> x = np.arange(1000.0)[:, None]
    >>> b = QuantileBooster({"max_iter": 5}, [1], n_threads=1, random_state=0)
    >>> b.fit(x, x[:, 0] % 7, np.ones(1000)).edges_[0].size
    254
    """

    N_BINS = 255

    def __init__(
        self, params: dict[str, Any], monotonic: list[int], *, n_threads: int, random_state: int
    ) -> None:
        self.model = HistGradientBoostingRegressor(
            loss="poisson",
            early_stopping=False,
            monotonic_cst=monotonic,
            random_state=random_state,
            **params,
        )
        self.n_threads = n_threads
        self.edges_: list[FloatArray] = []

    def fit(self, x: FloatArray, y: FloatArray, weights: FloatArray) -> Self:
        """Find the cut points of each column of ``x`` and fit the booster."""
        q = np.linspace(0.0, 1.0, self.N_BINS + 1)[1:-1]
        self.edges_ = [np.unique(np.quantile(col, q)) for col in x.T]
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            self.model.fit(self._cut(x), y, sample_weight=weights)
        return self

    def predict(self, x: FloatArray) -> FloatArray:
        """Expected counts for rows ``x`` (raw feature values), >= 0."""
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            out = self.model.predict(self._cut(x))
        return np.asarray(np.maximum(out, 0.0), dtype=np.float64)

    def _cut(self, x: FloatArray) -> FloatArray:
        cols = [
            np.searchsorted(e, col, side="right") for e, col in zip(self.edges_, x.T, strict=True)
        ]
        return np.asarray(np.column_stack(cols), dtype=np.float64)
