"""Baseline forecasts: where crime was counted lately, and where it was counted over the years.

Both baselines score a cell by a count of past events in it, so at 1 % coverage many cells
tie (at 1 or 0 events). Ties are broken **deterministically** by a tiny tie term: the long-run
smoothed density of all the history given (a Gaussian kernel density of ``TIE_BANDWIDTH_M``,
scaled into [0, 1) and multiplied by ``TIE_WEIGHT`` = 0.5). Counts are integers, so a term
below 1 never reorders two cells with different counts; among equal counts it prefers the cell
in the busier neighbourhood over the years. Ties that remain (cells far from every event)
are broken by cell index in :mod:`~kamtibmas_analytics.forecast.metrics`.

>>> from kamtibmas_analytics.grid import Grid
>>> grid = Grid(0.0, 0.0, 100.0, nx=3, ny=1)
>>> ev = Events.from_arrays([50.0, 150.0, 160.0, 250.0], [50.0] * 4, [0.0, 0.0, DAY_S, DAY_S])
>>> plain = LastPeriod(window_days=1, tie_break=False).fit(ev, grid)
>>> plain.predict(ev, 2 * DAY_S, DAY_S).tolist()      # the last day: cells 1 and 2
[[0.0, 1.0, 1.0]]
>>> LastPeriod(window_days=1).fit(ev, grid).predict(ev, 2 * DAY_S, DAY_S).round(2).tolist()
[[0.47, 1.5, 1.47]]
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from kamtibmas_analytics.forecast.base import DAY_S, Events, FloatArray, Forecaster
from kamtibmas_analytics.grid import Grid
from kamtibmas_analytics.kde import kernel_density

__all__ = ["LastPeriod", "LongRun", "tie_term", "with_tie_break"]

#: Bandwidth of the long-run density that breaks ties, metres.
TIE_BANDWIDTH_M = 300.0
#: The tie term lies in [0, TIE_WEIGHT) for integer-valued scores.
TIE_WEIGHT = 0.5


def tie_term(history: Events, grid: Grid) -> FloatArray:
    """The long-run smoothed density of ``history`` scaled to [0, 1) (zeros if empty)."""
    if len(history) == 0:
        return np.zeros(grid.shape)
    smooth = kernel_density(history.x, history.y, grid, bandwidth_m=TIE_BANDWIDTH_M)
    top = float(smooth.max())
    if top <= 0:
        return np.zeros(grid.shape)
    return np.asarray(smooth / (top * (1.0 + 1e-9)), dtype=np.float64)


def with_tie_break(scores: FloatArray, history: Events, grid: Grid, *, integer: bool) -> FloatArray:
    """``scores`` plus a tie term that keeps their order.

    For integer-valued scores the term is below ``TIE_WEIGHT`` (< 1, the smallest step). For
    continuous scores it is below one millionth of the smallest positive score, so it only
    orders cells whose scores are equal (or closer than that, e.g. the zeros far from crime).
    """
    tie = tie_term(history, grid)
    if integer:
        return scores + TIE_WEIGHT * tie
    positive = scores[scores > 0]
    step = 1e-6 * float(positive.min()) if positive.size else 1.0
    return scores + step * tie


def _check_days(days: Any) -> float | None:
    if days is None:
        return None
    value = float(days)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"window_days must be > 0 (or None), got {days!r}")
    return value


class _CountModel(Forecaster):
    """Counts of the events of a recent window per cell, optionally tie-broken."""

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        _check_days(params.get("window_days"))
        self._tie_break = bool(params.get("tie_break", True))

    def _default_days(self, horizon_s: float) -> float | None:
        raise NotImplementedError

    def window_s(self, horizon_s: float) -> float | None:
        """The counting window in seconds for a forecast of ``horizon_s`` (None: all)."""
        if "window_days" in self._params:
            days = _check_days(self._params["window_days"])
        else:
            days = self._default_days(horizon_s)
        return None if days is None else days * DAY_S

    def fit(self, history: Events, grid: Grid) -> Self:
        self.grid = grid
        return self

    def predict(self, history: Events, start: float, horizon_s: float) -> FloatArray:
        grid = self._fitted_grid()
        past = history.before(start)
        window = self.window_s(horizon_s)
        recent = past if window is None else past.between(start - window, start)
        counts = recent.counts(grid)
        if not self._tie_break:
            return counts
        return with_tie_break(counts, past, grid, integer=True)


class LastPeriod(_CountModel):
    """Events per cell in the last ``window_days`` before the start (default: one horizon).

    Parameters: ``window_days`` (float, default the forecast horizon), ``tie_break`` (bool,
    default True: add the long-run tie term, see the module docstring).
    """

    name = "last_period"

    def _default_days(self, horizon_s: float) -> float | None:
        return horizon_s / DAY_S


class LongRun(_CountModel):
    """Events per cell over the last ``window_days`` (default 365; ``None``: all history).

    Parameters: ``window_days`` (float or None), ``tie_break`` (bool, default True).
    """

    name = "long_run"

    def _default_days(self, horizon_s: float) -> float | None:
        return 365.0
