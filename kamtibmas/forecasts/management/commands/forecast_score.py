"""`kamtibmas forecast score [--at WHEN]`: score the stored forecasts whose window is over."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kamtibmas.forecasts import scoring
from kamtibmas.forecasts.windows import parse_moment


class Command(BaseCommand):
    help = (
        "Score stored forecasts whose window ended (plus KAMTIBMAS_FORECAST_SCORE_DELAY_H hours) "
        "against the incidents recorded for it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="as of this time (ISO, WITA unless a zone is given)")

    def handle(self, *args: Any, **opts: Any) -> None:
        at = timezone.now()
        if opts["at"]:
            parsed = parse_moment(opts["at"])
            if parsed is None:
                raise CommandError(f"--at expects a date or date-time, got {opts['at']!r}")
            at = parsed
        done = scoring.score_due(at)
        self.stdout.write(f"{done} forecasts scored")
