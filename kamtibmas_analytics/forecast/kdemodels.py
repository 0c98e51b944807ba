"""Kernel forecasts: retrospective kernel density and prospective hotspotting.

* :class:`RetrospectiveKDE` smooths the events of a recent window (the "hot spot map" most
  analysts make): a Gaussian kernel density of the last ``window_days``, scaled to expected
  events in the forecast window.
* :class:`Prospective` is prospective hotspotting after Bowers, Johnson & Pease (2004): each
  past event within ``window_days`` adds ``1 / (1 + d) * 1 / (1 + w)`` to every cell within
  ``radius_m`` of it, ``d`` the distance between the two cells' centres in cells and ``w`` the
  whole weeks between the event and the start of the forecast. Events are binned per week
  (the time slab), the slabs summed with their weights, and the sum convolved once with the
  spatial kernel: the kernel is the same for every slab, so that is exact and fast.

Both add the tiny long-run tie term of :func:`~kamtibmas_analytics.forecast.baselines.
with_tie_break` (it orders only cells with equal or nearly equal scores).

>>> from kamtibmas_analytics.grid import Grid
>>> grid = Grid(0.0, 0.0, 100.0, nx=3, ny=1)
>>> ev = Events.from_arrays([50.0], [50.0], [0.0])
>>> model = Prospective(radius_m=250.0, window_days=28, tie_break=False).fit(ev, grid)
>>> model.predict(ev, 8 * DAY_S, 7 * DAY_S).round(4).tolist()   # one week ago: w = 1
[[0.5, 0.25, 0.1667]]
"""

from __future__ import annotations

import math
from typing import Any, Self

import numpy as np
from scipy import ndimage

from kamtibmas_analytics.forecast.base import DAY_S, WEEK_S, Events, FloatArray, Forecaster
from kamtibmas_analytics.forecast.baselines import with_tie_break
from kamtibmas_analytics.grid import Grid
from kamtibmas_analytics.kde import kernel_density

__all__ = ["Prospective", "RetrospectiveKDE", "prospective_kernel"]


def _positive(params: dict[str, Any], name: str, default: float) -> float:
    value = float(params.get(name, default))
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be > 0, got {params.get(name)!r}")
    return value


class RetrospectiveKDE(Forecaster):
    """Gaussian kernel density of the events in the last ``window_days`` (default 90) with
    ``bandwidth_m`` (default 300 m), as expected events per cell in the forecast window
    (the window's density times horizon / window). ``tie_break`` (default True)."""

    name = "retrospective_kde"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.window_s = _positive(params, "window_days", 90.0) * DAY_S
        self.bandwidth_m = _positive(params, "bandwidth_m", 300.0)
        self.tie_break = bool(params.get("tie_break", True))

    def fit(self, history: Events, grid: Grid) -> Self:
        self.grid = grid
        return self

    def predict(self, history: Events, start: float, horizon_s: float) -> FloatArray:
        grid = self._fitted_grid()
        past = history.before(start)
        recent = past.between(start - self.window_s, start)
        if len(recent):
            surface = kernel_density(recent.x, recent.y, grid, bandwidth_m=self.bandwidth_m)
            surface *= horizon_s / self.window_s
        else:
            surface = np.zeros(grid.shape)
        if not self.tie_break:
            return surface
        return with_tie_break(surface, past, grid, integer=False)


def prospective_kernel(radius_m: float, cell_m: float) -> FloatArray:
    """``1 / (1 + d)`` for cell offsets whose centre distance ``d`` (cells) is within
    ``radius_m``, else 0; a square array of odd side centred on offset (0, 0).

    >>> prospective_kernel(120.0, 100.0).round(3).tolist()
    [[0.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 0.0]]
    """
    r = int(math.floor(radius_m / cell_m))
    off = np.arange(-r, r + 1, dtype=np.float64)
    d = np.hypot(off[:, None], off[None, :])
    return np.where(d * cell_m <= radius_m, 1.0 / (1.0 + d), 0.0)


class Prospective(Forecaster):
    """Prospective hotspotting (Bowers, Johnson & Pease 2004).

    Parameters: ``window_days`` (default 56: eight weeks), ``radius_m`` (default 400 m, the
    published bandwidth), ``tie_break`` (default True). Scores are the summed weights, not
    expected counts.
    """

    name = "prospective"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.window_s = _positive(params, "window_days", 56.0) * DAY_S
        self.radius_m = _positive(params, "radius_m", 400.0)
        self.tie_break = bool(params.get("tie_break", True))

    def fit(self, history: Events, grid: Grid) -> Self:
        self.grid = grid
        return self

    def weighted_counts(self, history: Events, start: float) -> FloatArray:
        """Per cell the sum of ``1 / (1 + weeks ago)`` over the window's events."""
        grid = self._fitted_grid()
        recent = history.before(start).between(start - self.window_s, start)
        weeks = np.floor((start - recent.t) / WEEK_S)
        return grid.counts(recent.x, recent.y, weights=1.0 / (1.0 + weeks))

    def predict(self, history: Events, start: float, horizon_s: float) -> FloatArray:
        grid = self._fitted_grid()
        slabs = self.weighted_counts(history, start)
        kernel = prospective_kernel(self.radius_m, grid.cell_m)
        scores = ndimage.convolve(slabs, kernel, mode="constant", cval=0.0)
        np.maximum(scores, 0.0, out=scores)
        if not self.tie_break:
            return scores
        return with_tie_break(scores, history.before(start), grid, integer=False)
