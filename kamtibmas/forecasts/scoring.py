"""Scoring stored forecasts against what happened, and the "accuracy so far" beside each one.

Once a window is over (plus ``KAMTIBMAS_FORECAST_SCORE_DELAY_H`` hours, default 24, for late
records), the incidents of the group whose time falls in the window are counted per cell of
the forecast's own grid, inside the unit's area; per coverage (1, 2, 5, 10, 20 % of the cells)
the hits in the forecast's best cells give the hit rate and the PAI (hit rate / area share),
as :mod:`kamtibmas_analytics.forecast.metrics` defines them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Max, QuerySet
from django.utils import timezone

from kamtibmas.forecasts import data
from kamtibmas.forecasts.models import COVERAGES, ForecastEvent, ForecastRun, ForecastScore
from kamtibmas.forecasts.services import log
from kamtibmas_analytics.forecast import Events
from kamtibmas_analytics.forecast.metrics import period_scores

logger = logging.getLogger(__name__)

ACCURACY_DAYS = 90
ACCURACY_COVERAGE = 5


def score_delay() -> timedelta:
    return timedelta(hours=settings.FORECAST_SCORE_DELAY_H)


def score_rows(run: ForecastRun, events: Events) -> list[ForecastScore]:
    """Unsaved score rows of ``run`` from ``events`` (metres, any time: the window's are used)."""
    scores, mask = run.arrays()
    happened = events.between(run.start.timestamp(), run.end.timestamp())
    truth = happened.counts(run.grid)
    result = period_scores(scores, truth, mask, [c / 100 for c in COVERAGES])
    rows = []
    for k, coverage in enumerate(COVERAGES):
        hits, area = float(result.hits[k]), float(result.area_fraction[k])
        rate = hits / result.events if result.events > 0 else None
        rows.append(
            ForecastScore(
                run=run,
                coverage_pct=coverage,
                cells=round(area * int(mask.sum())),
                events=int(result.events),
                hits=int(hits),
                hit_rate=rate,
                pai=None if rate is None else rate / area,
            )
        )
    return rows


def due(at: datetime) -> QuerySet[ForecastRun]:
    """Runs whose window ended at least the scoring delay before ``at`` and are not scored."""
    return ForecastRun.objects.filter(end__lte=at - score_delay(), scores__isnull=True)


def score_due(at: datetime | None = None, runs: QuerySet[ForecastRun] | None = None) -> int:
    """Score every due run (or ``runs``); returns how many were scored."""
    at = at or timezone.now()
    todo = list((runs if runs is not None else due(at)).order_by("group", "end"))
    if not todo:
        return 0
    latest = max(r.end for r in todo)
    events: dict[str, Events] = {}
    done = 0
    for run in todo:
        if run.group not in events:
            events[run.group] = data.load_events(data.group_incidents(run.group, latest))
        done += _save(run, events[run.group])
    return done


def _save(run: ForecastRun, events: Events) -> int:
    rows = score_rows(run, events)
    try:
        with transaction.atomic():
            ForecastScore.objects.bulk_create(rows)
            five = next(r for r in rows if r.coverage_pct == ACCURACY_COVERAGE)
            log(run, ForecastEvent.Action.SCORED, events=five.events, hits_5pct=five.hits)
    except IntegrityError:  # scored meanwhile by another worker
        return 0
    return 1


@dataclass(frozen=True)
class Accuracy:
    hit_rate: float | None
    pai: float | None
    n: int  # scored forecasts with at least one incident
    scored: int  # all scored forecasts

    @property
    def hit_pct(self) -> str:
        return "" if self.hit_rate is None else f"{100 * self.hit_rate:.0f}%"

    @property
    def pai_text(self) -> str:
        return "" if self.pai is None else f"{self.pai:.1f}"


AccuracyKey = tuple[int, str, str, str]


def key_of(run: ForecastRun) -> AccuracyKey:
    """The accuracy table's key of a forecast: its unit, group, window kind and model."""
    return (run.unit_id, run.group, run.window_kind, run.model_name)


def accuracy_table(
    at: datetime | None = None, days: int = ACCURACY_DAYS
) -> dict[AccuracyKey, Accuracy]:
    """(unit id, group, window kind, model) -> mean hit rate and PAI at 5 % over the
    forecasts of the last ``days`` days that were scored."""
    at = at or timezone.now()
    rows = (
        ForecastScore.objects.filter(
            coverage_pct=ACCURACY_COVERAGE, run__end__gte=at - timedelta(days=days)
        )
        .values("run__unit_id", "run__group", "run__window_kind", "run__model_name")
        .annotate(
            mean_hit_rate=Avg("hit_rate"),
            mean_pai=Avg("pai"),
            n=Count("hit_rate"),
            scored=Count("pk"),
        )
        .order_by()
    )
    return {
        (r["run__unit_id"], r["run__group"], r["run__window_kind"], r["run__model_name"]): Accuracy(
            r["mean_hit_rate"], r["mean_pai"], r["n"], r["scored"]
        )
        for r in rows
    }


def history(runs: QuerySet[ForecastRun], coverage: int = ACCURACY_COVERAGE) -> list[dict[str, Any]]:
    """Scored forecasts of ``runs``, newest first, with their score at ``coverage``."""
    rows = (
        ForecastScore.objects.filter(run__in=runs, coverage_pct=coverage)
        .select_related("run", "run__unit")
        .order_by("-run__start", "run__unit__name", "run__group")
    )
    return [{"run": s.run, "score": s} for s in rows]


def last_scored(runs: QuerySet[ForecastRun]) -> datetime | None:
    found = ForecastScore.objects.filter(run__in=runs).aggregate(last=Max("scored_at"))
    value: datetime | None = found["last"]
    return value
