"""Demo forecasts: current and past (scored) ones from the synthetic incidents, made once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kamtibmas import demo_incidents
from kamtibmas.forecasts import data
from kamtibmas.forecasts.demo import load_demo_forecasts
from kamtibmas.forecasts.models import ForecastRun, ForecastScore
from kamtibmas.forecasts.shifts import WITA
from kamtibmas.geo.models import Unit

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=WITA)


def test_demo_forecasts_fill_the_pages_once_with_scored_past_ones(
    db: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(
        data, "forecast_units", lambda: [Unit.objects.get(code="polsek-balikpapan-kota")]
    )
    assert load_demo_forecasts(now=NOW, weeks=2).made == 0  # no incidents: nothing to show
    demo_incidents.load_demo_incidents(seed=5, count=1500, end=NOW.date() - timedelta(days=1))
    first = load_demo_forecasts(now=NOW, weeks=2)
    # Three batches (two weeks ago, last week, now) x five groups x (three shifts + 7 days).
    assert first.made == 3 * 5 * 4 and first.existing == 0
    assert {r.trigger for r in ForecastRun.objects.all()} == {"demo"}
    # The past shifts and the 7 days of two weeks ago are over and scored.
    assert first.scored == ForecastRun.objects.filter(end__lte=NOW - timedelta(days=1)).count()
    assert first.scored >= 5 * 4 + 5 * 3
    assert ForecastScore.objects.filter(events__gt=0).exists()
    current = ForecastRun.objects.filter(start__gte=NOW)
    assert current.count() == 5 * 4 and all(r.incident_count > 0 for r in current)
    again = load_demo_forecasts(now=NOW, weeks=2)
    assert (again.made, again.existing, again.scored) == (0, 60, 0)
