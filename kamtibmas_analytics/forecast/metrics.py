"""How well a forecast picked the cells where crime then happened.

A forecast is judged inside a **study area**: a boolean mask of whole grid cells (events in
cells outside it, or outside the grid, are left out of every count). For a coverage ``c`` (a
fraction of the study area) the forecast *flags* its ``k = max(1, round(c * n))`` best cells,
``n`` being the cells of the study area. Cells are whole: no partial cells, so the area
actually flagged is ``k / n``, and PAI divides by that fraction, not by ``c``. Ties between
equal scores are broken by the cell's flat index (row-major, south-west first), the same rule
as :meth:`numpy.argsort` with ``kind="stable"``; the models add a tiny long-run term to their
scores so that such ties are rare (see :mod:`kamtibmas_analytics.forecast.baselines`).

Per forecast period and coverage:

* **hit rate**: events in flagged cells / events in the study area;
* **PAI** (predictive accuracy index, Chainey et al. 2008): hit rate / flagged area fraction;
* **PEI*** (Hunt 2016): events in flagged cells / the most events any ``k`` cells held (the
  ``k`` busiest cells of that period), 1 for a perfect forecast.

Over many periods the counts are **pooled** (sums of hits over sums of events), so a quiet week
weighs less than a busy one; bootstrap intervals resample periods.

>>> scores = np.array([[3.0, 2.0], [1.0, 0.0]])
>>> truth = np.array([[1.0, 0.0], [2.0, 1.0]])
>>> s = period_scores(scores, truth, np.ones((2, 2), bool), [0.25, 0.5])
>>> s.hits.tolist(), s.events, s.best.tolist(), s.area_fraction.tolist()
([1.0, 1.0], 4.0, [2.0, 3.0], [0.25, 0.5])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

DEFAULT_COVERAGES: tuple[float, ...] = (0.01, 0.02, 0.05, 0.10, 0.20)


def flagged_counts(coverages: Sequence[float], n_cells: int) -> NDArray[np.intp]:
    """Cells flagged at each coverage: ``max(1, round(c * n_cells))``, at most ``n_cells``.

    >>> flagged_counts([0.01, 0.05, 0.5], 120).tolist()
    [1, 6, 60]
    """
    cov = np.asarray(coverages, dtype=np.float64)
    if cov.size == 0 or np.any(~np.isfinite(cov)) or np.any(cov <= 0) or np.any(cov > 1):
        raise ValueError(f"coverages must be fractions in (0, 1], got {list(coverages)}")
    if n_cells < 1:
        raise ValueError("the study area holds no cell")
    k = np.maximum(1, np.rint(cov * n_cells)).astype(np.intp)
    return np.minimum(k, n_cells)


def ranked_cells(scores: ArrayLike, mask: ArrayLike) -> NDArray[np.intp]:
    """Flat indices of the study-area cells, best score first, ties by flat index.

    >>> ranked_cells([[1.0, 5.0], [5.0, 0.0]], [[True, True], [True, False]]).tolist()
    [1, 2, 0]
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    inside = np.flatnonzero(np.asarray(mask, dtype=bool).ravel())
    order = np.argsort(-s[inside], kind="stable")
    return inside[order]


def top_cells(scores: ArrayLike, mask: ArrayLike, coverage: float) -> BoolArray:
    """Boolean array of the cells a forecast flags at ``coverage`` of the study area."""
    s = np.asarray(scores, dtype=np.float64)
    m = np.asarray(mask, dtype=bool)
    if s.shape != m.shape:
        raise ValueError(f"scores have shape {s.shape}, the mask {m.shape}")
    ranked = ranked_cells(s, m)
    k = int(flagged_counts([coverage], ranked.size)[0])
    out = np.zeros(s.size, dtype=bool)
    out[ranked[:k]] = True
    return out.reshape(s.shape)


@dataclass(frozen=True)
class PeriodScore:
    """One forecast period: per coverage the hits, the best possible hits and the flagged
    area fraction; ``events`` in the study area."""

    hits: FloatArray
    best: FloatArray
    area_fraction: FloatArray
    events: float


def period_scores(
    scores: ArrayLike, truth: ArrayLike, mask: ArrayLike, coverages: Sequence[float]
) -> PeriodScore:
    """Score one forecast against the observed counts per cell ``truth`` (same shape)."""
    s = np.asarray(scores, dtype=np.float64)
    t = np.asarray(truth, dtype=np.float64)
    m = np.asarray(mask, dtype=bool)
    if not (s.shape == t.shape == m.shape):
        raise ValueError(f"shapes differ: scores {s.shape}, truth {t.shape}, mask {m.shape}")
    ranked = ranked_cells(s, m)
    k = flagged_counts(coverages, ranked.size)
    observed = t.ravel()[ranked]
    cum_hits = np.concatenate([[0.0], np.cumsum(observed)])
    cum_best = np.concatenate([[0.0], np.cumsum(np.sort(observed)[::-1])])
    return PeriodScore(
        hits=cum_hits[k],
        best=cum_best[k],
        area_fraction=k / ranked.size,
        events=float(cum_hits[-1]),
    )


@dataclass(frozen=True)
class Summary:
    """Pooled metrics over periods at one coverage, with a bootstrap interval."""

    coverage: float
    area_fraction: float
    hit_rate: float
    pai: float
    pei: float
    ci_low: float
    ci_high: float
    pei_ci_low: float
    pei_ci_high: float
    periods: int
    events: float

    @property
    def pai_ci(self) -> tuple[float, float]:
        return (self.ci_low / self.area_fraction, self.ci_high / self.area_fraction)


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def summarise(
    periods: Sequence[PeriodScore],
    coverages: Sequence[float],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> list[Summary]:
    """Pooled hit rate, PAI and PEI* per coverage over ``periods``, with percentile bootstrap
    intervals (``n_boot`` resamples of whole periods, seeded) for the hit rate and PEI*.

    Metrics are NaN when no event fell in the study area in any period.
    """
    if not periods:
        raise ValueError("no forecast period to summarise")
    hits = np.array([p.hits for p in periods])  # (P, C)
    best = np.array([p.best for p in periods])
    events = np.array([p.events for p in periods])  # (P,)
    area = periods[0].area_fraction
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(periods), size=(max(1, n_boot), len(periods)))
    boot_events = events[idx].sum(axis=1)  # (B,)
    lo_q, hi_q = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    out = []
    for c, cov in enumerate(coverages):
        total_hits, total_best = float(hits[:, c].sum()), float(best[:, c].sum())
        boot_rate = _ratio(hits[idx, c].sum(axis=1), boot_events)
        boot_pei = _ratio(hits[idx, c].sum(axis=1), best[idx, c].sum(axis=1))
        rate = total_hits / events.sum() if events.sum() > 0 else np.nan
        pei = total_hits / total_best if total_best > 0 else np.nan
        ci = _percentiles(boot_rate, lo_q, hi_q)
        pei_ci = _percentiles(boot_pei, lo_q, hi_q)
        out.append(
            Summary(
                coverage=float(cov),
                area_fraction=float(area[c]),
                hit_rate=float(rate),
                pai=float(rate / area[c]),
                pei=float(pei),
                ci_low=ci[0],
                ci_high=ci[1],
                pei_ci_low=pei_ci[0],
                pei_ci_high=pei_ci[1],
                periods=len(periods),
                events=float(events.sum()),
            )
        )
    return out


def _percentiles(values: FloatArray, lo_q: float, hi_q: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (float("nan"), float("nan"))
    lo, hi = np.percentile(finite, [lo_q, hi_q])
    return (float(lo), float(hi))
