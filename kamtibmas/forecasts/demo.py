"""Demo forecasts, so that a newcomer sees the forecast pages filled.

``load_demo_forecasts()`` makes the coming shifts' and seven days' forecasts for every Polsek
and crime group from the incidents in the database (the synthetic demo incidents), and the
same "as of" each of the last ``weeks`` weeks (at the nightly hour), which are then scored
against the incidents that followed. Everything goes through the product's own services, so
nothing is made up; running it again adds only what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from kamtibmas.forecasts import data, scoring
from kamtibmas.forecasts.groups import CRIME_GROUPS
from kamtibmas.forecasts.models import ForecastRun
from kamtibmas.forecasts.services import make_forecasts
from kamtibmas.forecasts.windows import nightly_anchor, upcoming
from kamtibmas.incidents.models import BALIKPAPAN, Incident

DEMO_WEEKS = 4


@dataclass(frozen=True)
class DemoForecasts:
    made: int
    existing: int
    scored: int


def load_demo_forecasts(
    *, now: datetime | None = None, weeks: int = DEMO_WEEKS, model_name: str | None = None
) -> DemoForecasts:
    """Current forecasts plus ``weeks`` weekly past batches (scored); idempotent. Does
    nothing without located incidents (a forecast of nothing would show nothing)."""
    now = now or timezone.now()
    if not Incident.objects.filter(dataset=BALIKPAPAN, lat__isnull=False).exists():
        return DemoForecasts(0, 0, 0)
    units = data.forecast_units()
    made = existing = 0
    moments = [nightly_anchor(now) - timedelta(weeks=k) for k in range(weeks, 0, -1)] + [now]
    for at in moments:
        summary = make_forecasts(
            units,
            list(CRIME_GROUPS),
            upcoming(at),
            at=at,
            model_name=model_name,
            trigger=ForecastRun.Trigger.DEMO,
        )
        made += len(summary.made)
        existing += len(summary.existing)
    scored = scoring.score_due(now)
    return DemoForecasts(made, existing, scored)
