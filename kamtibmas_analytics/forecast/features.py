"""Cell features for the learned forecaster, computed on the whole grid at once.

Every feature of a cell describes the events *before* a reference time ``start`` and is scaled
to the forecast window ``[start, start + horizon_s)``: a count over the last ``w`` seconds is
multiplied by ``horizon_s / w``, so it reads as "expected events in the window if the recent
rate held". That keeps features comparable between training periods and forecasts, and a
Poisson model can use them directly as expected counts.

Features (``scale`` is ``c`` for the cell, ``n3`` / ``n7`` for the mean over its 3 x 3 / 7 x 7
neighbourhood):

* ``cnt_<d>d_<scale>``: events in the last ``d`` days (7, 28, 91, 364 by default);
* ``cnt_long_<scale>``: events in the last ``long_days`` (three years by default);
* ``how_<scale>``: events of the last 364 days in the same hours of the week as the window,
  as an expected count per window (for shift forecasts; equals ``cnt_364d`` for a week);
* ``hod_<scale>``: the same for hours of the day;
* ``nr_<d>d``: near repeat, events of the last ``d`` days (3, 7, 14) smoothed by a Gaussian of
  ``near_repeat_m`` metres;
* ``rank_364d``: percentile rank (0..1) of ``cnt_364d_n3`` among the grid's cells;
* ``city_28d``: citywide events of the last 28 days per cell (one value for all cells; it tells
  the model about the season and the overall level);
* ``dist_<name>``: metres from the cell centre to the nearest point of each named place set.

>>> from kamtibmas_analytics.forecast.base import Events
>>> from kamtibmas_analytics.grid import Grid
>>> grid = Grid(0.0, 0.0, 100.0, nx=5, ny=4)
>>> ev = Events.from_arrays(x=[250.0, 250.0], y=[150.0, 150.0], t=[-2 * DAY_S, -10 * DAY_S])
>>> feats = CellFeatures(grid).compute(EventIndex(ev, grid), start=0.0, horizon_s=WEEK_S)
>>> feats.shape == (len(CellFeatures(grid).names), 4, 5)
True
>>> float(feats[CellFeatures(grid).names.index("cnt_7d_c"), 1, 2])
1.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage
from scipy.spatial import cKDTree

from kamtibmas_analytics.forecast.base import DAY_S, HOUR_S, WEEK_S, Events
from kamtibmas_analytics.grid import Grid

__all__ = ["CellFeatures", "EventIndex", "hour_of_week", "window_hour_weights"]

FloatArray = NDArray[np.float64]

HOURS_PER_WEEK = 168
SCOPES = {"c": "in the cell", "n3": "around the cell (3 x 3 cells)", "n7": "nearby (7 x 7 cells)"}
#: Distances to places are capped here (metres): farther means "none near" for the model.
MAX_PLACE_DISTANCE_M = 5000.0


def hour_of_week(t: ArrayLike, utc_offset_hours: float) -> NDArray[np.intp]:
    """Local hour of the week of epoch seconds ``t``, 0 = Monday 00:00-01:00.

    >>> hour_of_week([0.0, 4 * DAY_S + 3600.0], 0.0).tolist()   # Thu 1970-01-01, Mon 01:00
    [72, 1]
    """
    local_h = np.floor((np.asarray(t, dtype=np.float64) + utc_offset_hours * HOUR_S) / HOUR_S)
    # Hour 0 of 1970-01-01 (Thursday) is hour 72 of its week.
    return np.asarray((local_h.astype(np.int64) + 72) % HOURS_PER_WEEK, dtype=np.intp)


def window_hour_weights(start: float, horizon_s: float, utc_offset_hours: float) -> FloatArray:
    """Share (0..1) of each of the 168 local hours of the week covered by the window.

    >>> w = window_hour_weights(0.0, 8 * HOUR_S, 0.0)
    >>> float(w.sum()), np.flatnonzero(w).tolist()
    (8.0, [72, 73, 74, 75, 76, 77, 78, 79])
    """
    weights = np.zeros(HOURS_PER_WEEK)
    if horizon_s >= WEEK_S:
        weights[:] = 1.0
        return weights
    h0 = (start + utc_offset_hours * HOUR_S) / HOUR_S
    h1 = h0 + horizon_s / HOUR_S
    first = math.floor(h0)
    for h in range(first, math.ceil(h1)):
        cover = min(h + 1.0, h1) - max(float(h), h0)
        weights[(h + 72) % HOURS_PER_WEEK] += cover
    return weights


@dataclass
class EventIndex:
    """Events inside a grid, prepared once for many feature computations: flat cell index,
    time (sorted) and local hour of the week of each event."""

    flat: NDArray[np.intp]
    t: FloatArray
    how: NDArray[np.intp]
    n_cells: int
    utc_offset_hours: float

    def __init__(self, events: Events, grid: Grid, utc_offset_hours: float = 8.0) -> None:
        i, j = grid.cell_index(events.x, events.y)
        inside = i >= 0
        self.flat = np.asarray(i[inside] * grid.nx + j[inside], dtype=np.intp)
        self.t = events.t[inside]
        self.how = hour_of_week(self.t, utc_offset_hours)
        self.n_cells = grid.nx * grid.ny
        self.utc_offset_hours = float(utc_offset_hours)

    def __len__(self) -> int:
        return int(self.t.size)

    def span(self, t0: float, t1: float) -> slice:
        """Positions of the events with ``t0 <= t < t1``."""
        lo, hi = np.searchsorted(self.t, [t0, t1], side="left")
        return slice(int(lo), int(hi))

    def counts(self, part: slice, weights: FloatArray | None = None) -> FloatArray:
        """Events (or summed ``weights[how]``) per cell, flat."""
        w = None if weights is None else weights[self.how[part]]
        out = np.bincount(self.flat[part], weights=w, minlength=self.n_cells)
        return np.asarray(out, dtype=np.float64)


@dataclass
class CellFeatures:
    """Computes the feature stack ``(n_features, ny, nx)`` for a grid (see the module doc)."""

    grid: Grid
    windows_days: Sequence[float] = (7.0, 28.0, 91.0, 364.0)
    long_days: float = 1092.0
    near_repeat_days: Sequence[float] = (3.0, 7.0, 14.0)
    near_repeat_m: float = 250.0
    places: Mapping[str, FloatArray] = field(default_factory=dict)
    _static: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._static = self._place_distances()

    @property
    def names(self) -> list[str]:
        """Feature names, in the order of the stack."""
        names = [f"cnt_{d:g}d_{s}" for d in self.windows_days for s in ("c", "n3", "n7")]
        names += ["cnt_long_c", "cnt_long_n3"]
        names += [f"{k}_{s}" for k in ("how", "hod") for s in ("c", "n3", "n7")]
        names += [f"nr_{d:g}d" for d in self.near_repeat_days]
        names += ["rank_364d", "city_28d"]
        names += [f"dist_{name}" for name in self.places]
        return names

    def describe(self, name: str) -> str:
        """A plain English description of feature ``name`` (for "why this cell").

        >>> CellFeatures(Grid(0.0, 0.0, 100.0, nx=1, ny=1)).describe("cnt_28d_n3")
        'events in the last 28 days around the cell (3 x 3 cells), scaled to the forecast window'
        """
        kind, _, rest = name.partition("_")
        scope = rest.rpartition("_")[2]
        where = SCOPES.get(scope, "")
        if kind == "cnt":
            days = self.long_days if rest.startswith("long") else float(rest.split("d_")[0])
            return f"events in the last {days:g} days {where}, scaled to the forecast window"
        if kind in ("how", "hod"):
            unit = "week" if kind == "how" else "day"
            return f"events of the last year in the same hours of the {unit} {where}"
        if kind == "nr":
            return f"events of the last {rest[:-1]} days within about {self.near_repeat_m:g} m"
        if kind == "dist":
            return f"metres to the nearest {rest} (at most {MAX_PLACE_DISTANCE_M:g})"
        return {
            "rank_364d": "rank of the area's events of the last year among all cells (0 to 1)",
            "city_28d": "events in the whole city in the last 28 days, per cell",
        }.get(name, name)

    def compute(self, index: EventIndex, start: float, horizon_s: float) -> FloatArray:
        """The features for window ``[start, start + horizon_s)`` from events before ``start``."""
        shape = self.grid.shape
        maps: list[FloatArray] = []
        for days in self.windows_days:
            raw = index.counts(index.span(start - days * DAY_S, start))
            maps += _scales(raw.reshape(shape) * (horizon_s / (days * DAY_S)))
        long_raw = index.counts(index.span(start - self.long_days * DAY_S, start))
        maps += _scales(long_raw.reshape(shape) * (horizon_s / (self.long_days * DAY_S)))[:2]
        maps += self._same_hours(index, start, horizon_s)
        sigma = self.near_repeat_m / self.grid.cell_m
        for days in self.near_repeat_days:
            raw = index.counts(index.span(start - days * DAY_S, start)).reshape(shape)
            smooth = ndimage.gaussian_filter(raw, sigma, mode="constant", truncate=3.0)
            maps.append(smooth * (horizon_s / (days * DAY_S)))
        year_n3 = maps[self.names.index("cnt_364d_n3")] if 364.0 in self.windows_days else None
        maps.append(_percentile_rank(year_n3 if year_n3 is not None else maps[1]))
        city = index.span(start - 28 * DAY_S, start)
        per_cell = (city.stop - city.start) / index.n_cells * horizon_s / (28 * DAY_S)
        maps.append(np.full(shape, per_cell))
        stack = np.stack(maps)
        if self._static.size:
            stack = np.concatenate([stack, self._static])
        return stack

    def _same_hours(self, index: EventIndex, start: float, horizon_s: float) -> list[FloatArray]:
        """Last year's events in the window's hours of the week and of the day, as expected
        counts per window (a week has 52 such hour sets in a year, a day 364)."""
        shape = self.grid.shape
        part = index.span(start - 364 * DAY_S, start)
        week_w = window_hour_weights(start, horizon_s, index.utc_offset_hours)
        day_w = np.minimum(week_w.reshape(7, 24).sum(axis=0), 1.0)
        out: list[FloatArray] = []
        for w, periods in ((week_w, 52.0), (day_w, 364.0)):
            scale = horizon_s / (periods * float(w.sum()) * HOUR_S)
            weights = w if w.size == HOURS_PER_WEEK else np.tile(w, 7)
            out += _scales(index.counts(part, weights).reshape(shape) * scale)
        return out

    def _place_distances(self) -> FloatArray:
        if not self.places:
            return np.zeros((0, *self.grid.shape))
        xx, yy = np.meshgrid(self.grid.x_centers, self.grid.y_centers)
        centres = np.column_stack([xx.ravel(), yy.ravel()])
        layers = []
        for name, points in self.places.items():
            pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
            pts = pts[np.all(np.isfinite(pts), axis=1)]
            if pts.shape[0] == 0:
                raise ValueError(f"place set {name!r} has no point with finite coordinates")
            dist, _ = cKDTree(pts).query(centres)
            layers.append(np.minimum(dist, MAX_PLACE_DISTANCE_M).reshape(self.grid.shape))
        return np.stack(layers)


def _scales(cell: FloatArray) -> list[FloatArray]:
    """The map itself and its means over 3 x 3 and 7 x 7 neighbourhoods (zero outside)."""
    n3 = ndimage.uniform_filter(cell, size=3, mode="constant")
    n7 = ndimage.uniform_filter(cell, size=7, mode="constant")
    return [cell, n3, n7]


def _percentile_rank(values: FloatArray) -> FloatArray:
    """Share of cells with a strictly smaller value, 0..1 (ties share the lowest rank)."""
    flat = values.ravel()
    ranks = np.searchsorted(np.sort(flat), flat, side="left")
    return np.asarray(ranks / max(flat.size - 1, 1), dtype=np.float64).reshape(values.shape)
