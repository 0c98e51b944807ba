"""`kamtibmas patrol plan --unit CODE|--all [--shift tonight|YYYY-MM-DD/name] [--group 3c]
[--teams N] [--dosage M] [--rebuild]`: draft patrol plans (existing plans are kept)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kamtibmas.forecasts.groups import CRIME_GROUPS, DEFAULT_GROUP
from kamtibmas.geo.models import Unit
from kamtibmas.patrols.forms import resolve_shift
from kamtibmas.patrols.services import PlanError, draft_plan


class Command(BaseCommand):
    help = (
        "Draft the patrol plan of a Polsek (or of every Polsek) for a shift from the forecast: "
        "the riskiest places, 10-15 minutes each, routed for each team. Teams 'Tim 1..N' are "
        "made for a Polsek that has none."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--unit", metavar="CODE", help="e.g. polsek-balikpapan-kota")
        which.add_argument("--all", action="store_true", help="every active Polsek and KSKP")
        parser.add_argument("--shift", default="tonight", help="tonight, now or YYYY-MM-DD/name")
        parser.add_argument("--group", default=DEFAULT_GROUP, choices=sorted(CRIME_GROUPS))
        parser.add_argument("--teams", type=int, default=None, help="teams (default: the unit's)")
        parser.add_argument("--dosage", type=int, default=15, help="minutes per visit, 10-15")
        parser.add_argument("--rebuild", action="store_true", help="make a draft again")

    def handle(self, *args: Any, **opts: Any) -> None:
        shift = resolve_shift(opts["shift"])
        if shift is None:
            raise CommandError(
                f"unknown shift {opts['shift']!r}: use tonight, now or YYYY-MM-DD/name"
            )
        units = Unit.objects.filter(is_active=True, kind__in=(Unit.Kind.POLSEK, Unit.Kind.KSKP))
        if opts["unit"]:
            units = units.filter(code=opts["unit"])
            if not units:
                raise CommandError(f"no active Polsek or KSKP with code {opts['unit']!r}")
        failed = 0
        for unit in units.order_by("name"):
            try:
                result = draft_plan(
                    unit, shift, opts["group"], teams=opts["teams"], dosage_min=opts["dosage"],
                    rebuild=opts["rebuild"],
                )  # fmt: skip
            except PlanError as exc:
                failed += 1
                self.stdout.write(f"skipped {unit.code}: {exc}")
                continue
            plan = result.plan
            on_route = plan.stops.filter(team__isnull=False)
            state = "made" if result.created else "rebuilt" if result.rebuilt else "exists"
            self.stdout.write(
                f"{state} #{plan.pk} {unit.code} {shift.key} {plan.group} {plan.status}: "
                f"{on_route.count()} places, {on_route.values('team').distinct().count()} teams"
            )
        if failed and failed == len(units):
            raise CommandError("no plan could be made")
