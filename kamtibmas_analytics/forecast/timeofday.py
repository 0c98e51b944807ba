"""Time of day for shift forecasts: where crime of the window's hours concentrates.

A spatial model scores a cell for "the next 8 hours" the same whether the 8 hours are a
morning or a night, yet a market is busy by day and a row of empty shops by night. For a
window of at most a day, :func:`time_of_day_factor` gives each cell the share of its
(smoothed) past incidents that happened at the window's hours of the day, shrunk towards the
share over the whole grid (an empirical-Bayes prior worth ``prior_events`` incidents; that
share is itself shrunk towards an even spread over the day), divided
by the window's share of the day. A factor of 2 means "twice as much of this place's crime at
these hours as an even spread would give". Multiplying a model's scores by it shifts the
ranking towards places whose crime happens in the shift; the total over the grid stays about
the same. Windows longer than a day get factor 1 everywhere.

>>> import numpy as np
>>> from kamtibmas_analytics.grid import Grid
>>> from kamtibmas_analytics.forecast.base import Events
>>> grid = Grid(0.0, 0.0, 1000.0, nx=2, ny=1)
>>> hours = np.array([2.0] * 20 + [14.0] * 20)  # west: all at 02:00; east: all at 14:00
>>> ev = Events.from_arrays(np.r_[[500.0] * 20, [1500.0] * 20], [500.0] * 40, hours * 3600)
>>> night = time_of_day_factor(ev, grid, 86400.0, 8 * 3600, bandwidth_m=100.0)  # 00-08
>>> bool(night[0, 0] > 2.0 > 1.0 > night[0, 1])
True
"""

from __future__ import annotations

import numpy as np

from kamtibmas_analytics.forecast.base import DAY_S, HOUR_S, Events, FloatArray
from kamtibmas_analytics.grid import Grid
from kamtibmas_analytics.kde import kernel_density

__all__ = ["time_of_day_factor", "window_hours"]


def window_hours(start: float, horizon_s: float, utc_offset_s: float = 0.0) -> np.ndarray:
    """Boolean (24,) of the local hours of the day that ``[start, start + horizon_s)`` touches.

    >>> np.flatnonzero(window_hours(22 * 3600.0, 8 * 3600.0)).tolist()
    [0, 1, 2, 3, 4, 5, 22, 23]
    """
    first = int(np.floor((start + utc_offset_s) / HOUR_S))
    count = max(1, int(np.ceil(horizon_s / HOUR_S)))
    hours = np.zeros(24, dtype=bool)
    hours[[(first + k) % 24 for k in range(min(count, 24))]] = True
    return hours


def time_of_day_factor(
    history: Events,
    grid: Grid,
    start: float,
    horizon_s: float,
    *,
    utc_offset_s: float = 0.0,
    bandwidth_m: float = 400.0,
    prior_events: float = 10.0,
) -> FloatArray:
    """Per cell, the relative intensity of the window's hours (see the module docstring).

    ``utc_offset_s`` is the offset of local time (WITA: 8 hours); ``bandwidth_m`` the spatial
    smoothing of each cell's hour profile; ``prior_events`` how many incidents' worth of the
    grid-wide profile every cell starts from.
    """
    if horizon_s >= DAY_S or len(history) == 0:
        return np.ones(grid.shape)
    hours = window_hours(start, horizon_s, utc_offset_s)
    local_hour = (np.floor((history.t + utc_offset_s) / HOUR_S) % 24).astype(np.intp)
    in_window = hours[local_hour]
    everywhere = kernel_density(history.x, history.y, grid, bandwidth_m=bandwidth_m)
    at_hours = kernel_density(
        history.x, history.y, grid, bandwidth_m=bandwidth_m, weights=in_window.astype(float)
    )
    fraction = hours.sum() / 24.0
    # The grid-wide share, itself shrunk towards an even spread over the day, so that a group
    # with no incident at these hours yet still gets a factor near 1, never 0.
    prior_share = (in_window.sum() + prior_events * fraction) / (len(history) + prior_events)
    share = (at_hours + prior_events * prior_share) / (everywhere + prior_events)
    return np.asarray(share / fraction, dtype=np.float64)
