"""The hourly forecast job: make the coming night's and next day's forecasts once, score the
forecasts whose window is over. Idempotent, so the scheduler may enqueue it every hour."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django_tasks import task

from kamtibmas.forecasts import data, scoring
from kamtibmas.forecasts.groups import CRIME_GROUPS
from kamtibmas.forecasts.models import ForecastRun
from kamtibmas.forecasts.services import Summary, make_forecasts
from kamtibmas.forecasts.windows import nightly_anchor, upcoming


def run_nightly(at: datetime) -> Summary:
    """Forecasts for the windows of this evening's batch (anchored at the nightly hour) that
    have not started yet, for every Polsek and crime group; existing ones are kept."""
    windows = [w for w in upcoming(nightly_anchor(at)) if w.start >= at]
    if not windows:
        return Summary()
    return make_forecasts(
        data.forecast_units(), CRIME_GROUPS, windows, at=at, trigger=ForecastRun.Trigger.NIGHTLY
    )


@task()
def forecast_hourly() -> str:
    """Make the nightly forecasts (once) and score the ended ones; returns a short summary."""
    now = timezone.now()
    summary = run_nightly(now)
    scored = scoring.score_due(now)
    return f"forecasts made {len(summary.made)}, kept {len(summary.existing)}, scored {scored}"
