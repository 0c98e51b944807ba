"""The one interface every forecasting model follows, and the events it reads.

A model is fitted on events before a cut-off time and then scores every cell of a
:class:`~kamtibmas_analytics.grid.Grid` for a window ``[start, start + horizon_s)``; higher
scores mean more expected crime. Scores are comparable between cells of one forecast (they
rank the cells), not necessarily between models; models that can, return expected counts.

Honesty is built into the calls: ``fit`` receives only events before the cut-off and
``predict`` only events before ``start`` (see :meth:`Events.before`), so a backtest cannot
leak the future into a forecast.

>>> import numpy as np
>>> from kamtibmas_analytics.grid import Grid
>>> ev = Events.from_arrays(x=[10.0, 15.0, 120.0], y=[10.0, 12.0, 5.0], t=[0.0, 3600.0, 7200.0])
>>> len(ev.before(3600.0)), len(ev.between(3600.0, 7201.0))
(1, 2)
>>> grid = Grid(0.0, 0.0, 100.0, nx=2, ny=1)
>>> ev.counts(grid).tolist()
[[2.0, 1.0]]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kamtibmas_analytics.grid import Grid

FloatArray = NDArray[np.float64]

HOUR_S = 3600.0
DAY_S = 86400.0
WEEK_S = 7 * DAY_S


@dataclass(frozen=True)
class Events:
    """Located events sorted by time: ``x``/``y`` projected metres, ``t`` seconds since
    1970-01-01 UTC (the representative time of each event, see :meth:`from_windows`).

    ``category`` is an optional parallel array of labels (object dtype) for models or
    callers that split by offence; models may ignore it.
    """

    x: FloatArray
    y: FloatArray
    t: FloatArray
    category: NDArray[Any] | None = field(default=None)

    @classmethod
    def from_arrays(
        cls,
        x: ArrayLike,
        y: ArrayLike,
        t: ArrayLike,
        category: ArrayLike | None = None,
    ) -> Events:
        """Events from parallel arrays; rows with a non-finite x, y or t are dropped and the
        rest sorted by time (stable)."""
        xa = np.asarray(x, dtype=np.float64).ravel()
        ya = np.asarray(y, dtype=np.float64).ravel()
        ta = np.asarray(t, dtype=np.float64).ravel()
        if not (xa.shape == ya.shape == ta.shape):
            raise ValueError(f"x, y and t differ in length: {xa.size}, {ya.size}, {ta.size}")
        ca = None if category is None else np.asarray(category, dtype=object).ravel()
        if ca is not None and ca.shape != xa.shape:
            raise ValueError(f"category has {ca.size} values for {xa.size} events")
        keep = np.isfinite(xa) & np.isfinite(ya) & np.isfinite(ta)
        order = np.argsort(ta[keep], kind="stable")
        return cls(
            x=xa[keep][order],
            y=ya[keep][order],
            t=ta[keep][order],
            category=None if ca is None else ca[keep][order],
        )

    @classmethod
    def from_windows(
        cls,
        x: ArrayLike,
        y: ArrayLike,
        t_from: ArrayLike,
        t_to: ArrayLike | None = None,
        category: ArrayLike | None = None,
        *,
        max_window_s: float = DAY_S,
    ) -> Events:
        """Events from occurrence windows: the midpoint of a window up to ``max_window_s``
        long, else its start (a long window says little about the hour); an empty end
        (NaN) means the start is exact.

        >>> Events.from_windows([0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [7200.0, 10 * 86400.0]).t
        array([   0., 3600.])
        """
        start = np.asarray(t_from, dtype=np.float64).ravel()
        end = start if t_to is None else np.asarray(t_to, dtype=np.float64).ravel()
        if end.shape != start.shape:
            raise ValueError(f"t_to has {end.size} values for {start.size} events")
        span = end - start
        usable = np.isfinite(span) & (span > 0) & (span <= max_window_s)
        t = np.where(usable, start + np.where(usable, span, 0.0) / 2.0, start)
        return cls.from_arrays(x, y, t, category)

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def _slice(self, lo: int, hi: int) -> Events:
        return Events(
            self.x[lo:hi],
            self.y[lo:hi],
            self.t[lo:hi],
            None if self.category is None else self.category[lo:hi],
        )

    def before(self, t: float) -> Events:
        """Events with time strictly before ``t``."""
        return self._slice(0, int(np.searchsorted(self.t, t, side="left")))

    def between(self, t0: float, t1: float) -> Events:
        """Events with ``t0 <= time < t1``."""
        lo = int(np.searchsorted(self.t, t0, side="left"))
        hi = int(np.searchsorted(self.t, t1, side="left"))
        return self._slice(lo, hi)

    def select(self, mask: ArrayLike) -> Events:
        """The events where boolean ``mask`` is True (order kept)."""
        m = np.asarray(mask, dtype=bool)
        return Events(
            self.x[m], self.y[m], self.t[m], None if self.category is None else self.category[m]
        )

    def counts(self, grid: Grid) -> FloatArray:
        """Events per cell of ``grid``, shape ``(ny, nx)`` (events outside are ignored)."""
        return grid.counts(self.x, self.y)


class Forecaster(ABC):
    """A forecasting model. Subclasses set :attr:`name` and implement :meth:`fit` and
    :meth:`predict`; constructor keyword arguments are the model's parameters and must be
    JSON-serialisable so a stored forecast records exactly how it was made.

    Calling convention (the backtest and the product both follow it):

    1. ``model.fit(history.before(cutoff), grid)`` learns parameters from the past only;
    2. ``model.predict(history.before(start), start, horizon_s)`` with ``start >= cutoff``
       returns a ``(ny, nx)`` array of finite, non-negative scores for ``[start, start +
       horizon_s)``. It may use every event it is given (newer than the fit) but no other.

    ``refit_periods`` tells a rolling backtest how often a refit is worth its cost (1: every
    period; 4: every fourth); predictions always use the newest events either way.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    refit_periods: ClassVar[int] = 1

    def __init__(self, **params: Any) -> None:
        self._params = dict(params)
        self.grid: Grid | None = None

    @property
    def params(self) -> dict[str, Any]:
        """The parameters the model was built with (JSON-serialisable)."""
        return dict(self._params)

    def describe(self) -> dict[str, Any]:
        """Name, version and parameters: what a stored forecast keeps about its model."""
        return {"model": self.name, "version": self.version, "params": self.params}

    @abstractmethod
    def fit(self, history: Events, grid: Grid) -> Self:
        """Learn from ``history`` (all before the cut-off) for cells of ``grid``."""

    @abstractmethod
    def predict(self, history: Events, start: float, horizon_s: float) -> FloatArray:
        """Scores per cell for ``[start, start + horizon_s)`` from events before ``start``."""

    def _fitted_grid(self) -> Grid:
        if self.grid is None:
            raise RuntimeError(f"{self.name or type(self).__name__}: call fit() before predict()")
        return self.grid


def check_scores(scores: ArrayLike, grid: Grid) -> FloatArray:
    """``scores`` as a float array of the grid's shape, finite and >= 0, else ValueError."""
    out = np.asarray(scores, dtype=np.float64)
    if out.shape != grid.shape:
        raise ValueError(f"scores have shape {out.shape}, the grid {grid.shape}")
    if not np.all(np.isfinite(out)) or np.any(out < 0):
        raise ValueError("scores must be finite and non-negative")
    return out
