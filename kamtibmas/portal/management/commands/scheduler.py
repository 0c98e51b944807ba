"""`kamtibmas scheduler`: enqueue periodic background jobs.

Every minute the outbox delivery, every five minutes the SLA check, every hour the monthly
report check (it builds last month's report once, on the 1st). Several schedulers may run
(one per `kamtibmas serve`): a shared-cache key per job and time slot lets only the first one
enqueue, and the jobs themselves are idempotent anyway.
"""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass
from datetime import datetime
from types import FrameType
from typing import Any

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task_path: str
    every_minutes: int


JOBS = (
    Job("deliver_outbox", "kamtibmas.notifications.tasks.deliver_outbox", 1),
    Job("check_sla", "kamtibmas.reports.tasks.check_sla", 5),
    # Hourly and idempotent: stores last month's PDF report once, early on the 1st.
    Job("monthly_report", "kamtibmas.analytics.tasks.build_monthly_report", 60),
    # Hourly and idempotent: the evening's forecasts once (after 18:00 WITA), then scoring.
    Job("forecasts", "kamtibmas.forecasts.tasks.forecast_hourly", 60),
    # Hourly and idempotent: from 19:00 WITA the coming night's and next day's draft patrol
    # plans for every Polsek (existing plans, issued or not, are kept).
    Job("patrol_drafts", "kamtibmas.patrols.tasks.draft_nightly_plans", 60),
    # Daily: uploads and validation reports past IMPORT_FILE_RETENTION_DAYS.
    Job("purge_import_files", "kamtibmas.incidents.tasks.purge_import_files_task", 1440),
    # Hourly: CCTV snapshots past their camera's retention or beyond CCTV_SNAPSHOT_BUDGET_MB.
    Job("purge_cctv_snapshots", "kamtibmas.cctv.tasks.purge_snapshots_task", 60),
    # Hourly and idempotent: this and next week's Siskamling nights from each post's template,
    # and the coordinators' reminders a few hours before each night (once per night).
    Job("siskamling_roster", "kamtibmas.siskamling.tasks.roster_hourly", 60),
    # Hourly and idempotent: last month's public statistics to subscribers, once per month,
    # from the day the public delay has passed over the whole month.
    Job("alert_subscriptions_monthly", "kamtibmas.portal.tasks.send_monthly_statistics_task", 60),
    # Daily: unconfirmed subscriptions after 7 days, unsubscribed ones after 30.
    Job("purge_subscriptions", "kamtibmas.portal.tasks.purge_subscriptions_task", 1440),
)


def minute_slot(now: datetime) -> int:
    """Minutes since the epoch: the scheduler's clock tick."""
    return int(now.timestamp() // 60)


def due_jobs(now: datetime) -> list[Job]:
    slot = minute_slot(now)
    return [job for job in JOBS if slot % job.every_minutes == 0]


def enqueue(job: Job, slot: int) -> bool:
    """Enqueue ``job`` once for ``slot`` across all schedulers sharing the cache."""
    if not cache.add(f"scheduler:{job.name}:{slot}", "1", timeout=job.every_minutes * 120):
        return False
    import_string(job.task_path).enqueue()
    logger.info("enqueued %s", job.name)
    return True


def run_tick(now: datetime, jobs: list[Job]) -> list[str]:
    """Enqueue ``jobs`` for the minute of ``now``; a database outage skips the tick."""
    if not connection.in_atomic_block:  # never drop the connection of an open transaction
        close_old_connections()
    done: list[str] = []
    for job in jobs:
        try:
            if enqueue(job, minute_slot(now)):
                done.append(job.name)
        except DatabaseError as exc:
            logger.error("could not enqueue %s: %s", job.name, type(exc).__name__)
    return done


class Command(BaseCommand):
    help = "Enqueue periodic jobs: outbox delivery every minute, SLA check every 5 minutes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="enqueue every job once now and exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            done = run_tick(timezone.now(), list(JOBS))
            self.stdout.write("enqueued: " + (", ".join(done) or "nothing"))
            return
        self._stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        logger.info("scheduler started")
        while not self._stopping:
            run_tick(timezone.now(), due_jobs(timezone.now()))
            self._sleep_to_next_minute()
        logger.info("scheduler stopped")

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _sleep_to_next_minute(self) -> None:
        target = (minute_slot(timezone.now()) + 1) * 60
        while not self._stopping and time.time() < target:
            time.sleep(min(1.0, max(0.0, target - time.time())))
