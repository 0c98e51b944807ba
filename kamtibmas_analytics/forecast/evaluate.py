"""Rolling-origin backtest: forecast each period of a test span from what came before.

For each model and each period ``[start, start + horizon)`` of the test span, in order:

1. at a refit point (every ``model.refit_periods`` periods, the first period included) the
   model is fitted with ``events.before(start)``: only events strictly before the cut-off;
2. it predicts the period from ``events.before(start)``: it never receives an event at or
   after the start of the period it forecasts;
3. the forecast is scored against the events of the period (:mod:`.metrics`).

The study area is a mask of cells: a polygon (cells whose centre is inside), or by default
:func:`default_study_mask`: the cells within ``distance_m`` (default 500 m, centre to centre)
of a cell that held a training event. Events outside the study area count nowhere.

>>> from kamtibmas_analytics.forecast.base import DAY_S, WEEK_S
>>> [round(s / DAY_S) for s in period_starts(0.0, 30 * DAY_S, WEEK_S)]   # whole weeks only
[0, 7, 14, 21]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from kamtibmas_analytics.forecast.base import Events, Forecaster, check_scores
from kamtibmas_analytics.forecast.metrics import (
    DEFAULT_COVERAGES,
    PeriodScore,
    period_scores,
    summarise,
)
from kamtibmas_analytics.grid import Grid

__all__ = [
    "Backtest",
    "ModelRun",
    "Progress",
    "backtest",
    "default_study_mask",
    "period_starts",
    "result_rows",
]

BoolArray = NDArray[np.bool_]
#: ``progress(done, total, message)``: called after each forecast (and each skipped model).
Progress = Callable[[int, int, str], None]
ModelFactory = Callable[[], Forecaster]

DEFAULT_MASK_DISTANCE_M = 500.0

# Errors that mean "this model is not available here", not "this model is broken".
UNAVAILABLE = (ImportError, NotImplementedError)


def period_starts(test_from: float, test_until: float, horizon_s: float) -> list[float]:
    """Starts of the whole periods of ``horizon_s`` from ``test_from`` that end by
    ``test_until`` (a last, shorter period is dropped)."""
    if not horizon_s > 0:
        raise ValueError(f"the horizon must be > 0 s, got {horizon_s!r}")
    n = int(np.floor((test_until - test_from) / horizon_s + 1e-9))
    return [test_from + k * horizon_s for k in range(max(0, n))]


def default_study_mask(
    events: Events, grid: Grid, distance_m: float = DEFAULT_MASK_DISTANCE_M
) -> BoolArray:
    """Cells whose centre is within ``distance_m`` of the centre of a cell holding one of
    ``events`` (use the training events): the area where crime is recorded at all."""
    occupied = events.counts(grid) > 0
    r = int(np.floor(distance_m / grid.cell_m))
    off = np.arange(-r, r + 1)
    disk = np.hypot(off[:, None], off[None, :]) * grid.cell_m <= distance_m
    return np.asarray(ndimage.binary_dilation(occupied, structure=disk), dtype=bool)


@dataclass
class ModelRun:
    """One model's backtest: a score per period, timings (CPU seconds) and what it was."""

    name: str
    scores: list[PeriodScore] = field(default_factory=list)
    fit_cpu_s: float = 0.0
    predict_cpu_s: float = 0.0
    refits: int = 0
    description: dict[str, Any] = field(default_factory=dict)


@dataclass
class Backtest:
    """All models' runs over the same periods, coverages and study area."""

    starts: list[float]
    horizon_s: float
    coverages: tuple[float, ...]
    study_cells: int
    runs: dict[str, ModelRun]
    skipped: dict[str, str]
    events_in_area: list[float]
    events_outside: int


def _as_factories(models: Sequence[str] | Mapping[str, ModelFactory]) -> dict[str, ModelFactory]:
    if isinstance(models, Mapping):
        return dict(models)
    return {name: _registered(name) for name in models}


def _registered(name: str) -> ModelFactory:
    from kamtibmas_analytics.forecast import make_model

    def build() -> Forecaster:
        return make_model(name)

    return build


def backtest(
    events: Events,
    grid: Grid,
    models: Sequence[str] | Mapping[str, ModelFactory],
    *,
    starts: Sequence[float],
    horizon_s: float,
    mask: BoolArray | None = None,
    coverages: Sequence[float] = DEFAULT_COVERAGES,
    progress: Progress | None = None,
) -> Backtest:
    """Run the rolling-origin backtest of ``models`` (registered names, or name -> factory).

    A model whose construction or fit raises ImportError or NotImplementedError is skipped
    and listed in ``skipped`` with the reason; other errors propagate.
    """
    if not starts:
        raise ValueError("the test span holds no whole forecast period")
    if mask is None:
        mask = default_study_mask(events.before(starts[0]), grid)
    if mask.shape != grid.shape or not mask.any():
        raise ValueError("the study area mask is empty or does not match the grid")
    factories = _as_factories(models)
    truths = [events.between(s, s + horizon_s).counts(grid) for s in starts]
    total = len(factories) * len(starts)
    done = 0
    runs: dict[str, ModelRun] = {}
    skipped: dict[str, str] = {}
    for name, factory in factories.items():
        try:
            runs[name] = _run_model(
                name,
                factory,
                events,
                grid,
                starts,
                horizon_s,
                truths,
                mask,
                coverages,
                _reporter(progress, name, done, total),
            )
        except UNAVAILABLE as exc:
            skipped[name] = f"{type(exc).__name__}: {exc}"
        done += len(starts)
        if progress is not None:
            progress(done, total, f"{name}: {'skipped' if name in skipped else 'done'}")
    window = events.between(starts[0], starts[-1] + horizon_s)
    in_area = [float((t * mask).sum()) for t in truths]
    return Backtest(
        starts=list(starts),
        horizon_s=horizon_s,
        coverages=tuple(float(c) for c in coverages),
        study_cells=int(mask.sum()),
        runs=runs,
        skipped=skipped,
        events_in_area=in_area,
        events_outside=int(len(window) - sum(in_area)),
    )


def _reporter(progress: Progress | None, name: str, base: int, total: int) -> Callable[[int], None]:
    def report(k: int) -> None:
        if progress is not None:
            progress(base + k, total, f"{name}: period {k}")

    return report


def _run_model(
    name: str,
    factory: ModelFactory,
    events: Events,
    grid: Grid,
    starts: Sequence[float],
    horizon_s: float,
    truths: list[NDArray[np.float64]],
    mask: BoolArray,
    coverages: Sequence[float],
    report: Callable[[int], None],
) -> ModelRun:
    model = factory()
    run = ModelRun(name=name)
    every = max(1, int(model.refit_periods))
    for k, start in enumerate(starts):
        past = events.before(start)
        if k % every == 0:
            t0 = time.process_time()
            model.fit(past, grid)
            run.fit_cpu_s += time.process_time() - t0
            run.refits += 1
        t0 = time.process_time()
        scores = check_scores(model.predict(past, start, horizon_s), grid)
        run.predict_cpu_s += time.process_time() - t0
        run.scores.append(period_scores(scores, truths[k], mask, coverages))
        report(k + 1)
    run.description = model.describe()
    return run


def result_rows(
    result: Backtest, *, n_boot: int = 1000, seed: int = 0, extra: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Rows ``{"model", "coverage", "hit_rate", "pai", "pei", "ci_low", "ci_high", ...}`` per
    model and coverage over the whole test span. ``ci_*`` is the bootstrap interval of the
    hit rate; also ``pai_ci_low/high``, ``pei_ci_low/high``, ``area_fraction``, ``periods``,
    ``events`` (in the study area) and the keys of ``extra`` (e.g. the group)."""
    rows: list[dict[str, Any]] = []
    for name, run in result.runs.items():
        for s in summarise(run.scores, result.coverages, n_boot=n_boot, seed=seed):
            pai_lo, pai_hi = s.pai_ci
            row: dict[str, Any] = dict(extra or {})
            row.update(
                model=name,
                coverage=s.coverage,
                hit_rate=_num(s.hit_rate),
                pai=_num(s.pai),
                pei=_num(s.pei),
                ci_low=_num(s.ci_low),
                ci_high=_num(s.ci_high),
                pai_ci_low=_num(pai_lo),
                pai_ci_high=_num(pai_hi),
                pei_ci_low=_num(s.pei_ci_low),
                pei_ci_high=_num(s.pei_ci_high),
                area_fraction=s.area_fraction,
                periods=s.periods,
                events=int(s.events),
            )
            rows.append(row)
    return rows


def _num(value: float) -> float | None:
    """A JSON-safe number: None for NaN (no event in the study area)."""
    return None if not np.isfinite(value) else round(float(value), 6)
