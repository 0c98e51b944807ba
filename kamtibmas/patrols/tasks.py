"""Background jobs of the patrols app."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from kamtibmas.patrols.nightly import run_nightly


@task()
def draft_nightly_plans() -> str:
    """Hourly and idempotent: from the draft hour (19:00 WITA by default) the coming night's
    and next day's draft plans for every Polsek (default crime group); existing plans, issued
    or not, are kept as they are."""
    return run_nightly(timezone.now()).summary()
