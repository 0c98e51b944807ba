"""`kamtibmas forecast run [--at WHEN] [--unit CODE] [--group G] [--model M] [--horizon H]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kamtibmas.forecasts import data
from kamtibmas.forecasts.groups import CRIME_GROUPS
from kamtibmas.forecasts.services import ForecastError, make_forecasts
from kamtibmas.forecasts.shifts import WITA
from kamtibmas.forecasts.windows import HORIZONS, parse_moment, upcoming
from kamtibmas.geo.models import Unit
from kamtibmas_analytics.forecast import MODEL_NAMES


class Command(BaseCommand):
    help = (
        "Make and store forecasts per Polsek and crime group for the next shifts and the next "
        "7 days (existing forecasts are kept)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at", help="as of this time (ISO date or date-time, WITA unless a zone is given)"
        )
        parser.add_argument("--unit", metavar="CODE", help="one unit, e.g. polsek-balikpapan-kota")
        parser.add_argument("--group", choices=sorted(CRIME_GROUPS), help="one crime group")
        parser.add_argument("--model", choices=MODEL_NAMES, help="model (default: the setting)")
        parser.add_argument("--horizon", choices=HORIZONS, default="both")
        parser.add_argument("--shifts", type=int, default=None, help="how many coming shifts")

    def handle(self, *args: Any, **opts: Any) -> None:
        at = timezone.now()
        if opts["at"]:
            parsed = parse_moment(opts["at"])
            if parsed is None:
                raise CommandError(f"--at expects a date or date-time, got {opts['at']!r}")
            at = parsed
        units = data.forecast_units()
        if opts["unit"]:
            units = list(Unit.objects.filter(code=opts["unit"]))
            if not units:
                raise CommandError(f"no unit with code {opts['unit']!r}")
        if opts["shifts"] is not None and opts["shifts"] < 1:
            raise CommandError("--shifts must be 1 or more")
        windows = upcoming(at, opts["horizon"], opts["shifts"])
        groups = [opts["group"]] if opts["group"] else list(CRIME_GROUPS)
        try:
            summary = make_forecasts(units, groups, windows, at=at, model_name=opts["model"])
        except ForecastError as exc:
            raise CommandError(str(exc)) from None
        for run in summary.made:
            start = run.start.astimezone(WITA)
            self.stdout.write(
                f"made #{run.pk} {run.unit.code} {run.group} {run.window_kind} "
                f"{start:%Y-%m-%d %H:%M} WITA ({run.model_name} {run.model_version}, "
                f"{run.incident_count} incidents)"
            )
        for reason in summary.skipped:
            self.stdout.write(f"skipped {reason}")
        self.stdout.write(f"{len(summary.made)} made, {len(summary.existing)} already there")
