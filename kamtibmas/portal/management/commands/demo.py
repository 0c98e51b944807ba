"""`kamtibmas demo`: Balikpapan reference data, demo accounts and synthetic reports."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kamtibmas.cctv.demo import load_demo_cameras
from kamtibmas.demo import DEFAULT_REPORTS, DEFAULT_SEED, DEMO_PASSWORD, DemoResult, load_demo
from kamtibmas.demo_community import load_demo_community
from kamtibmas.demo_incidents import DEFAULT_INCIDENTS
from kamtibmas.forecasts.demo import load_demo_forecasts
from kamtibmas.patrols.demo import load_demo_patrols

BANNER = "DEMO ONLY / HANYA UNTUK DEMO: never use these accounts on a real service"


def account_table(result: DemoResult) -> list[str]:
    rows = [("username", "role", "unit", "password")]
    rows += [(a.username, a.role, a.unit_code or "-", DEMO_PASSWORD) for a in result.accounts]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    rule = "=" * max(len(BANNER), *(len(line) for line in lines))
    return [rule, BANNER, rule, *lines, rule]


class Command(BaseCommand):
    help = (
        "Load the Balikpapan reference data, demo accounts (DEMO ONLY) and about 300 "
        "synthetic reports. Safe to run again: nothing is duplicated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
        )
        parser.add_argument(
            "--reports",
            type=int,
            default=DEFAULT_REPORTS,
            metavar="N",
            help=f"synthetic reports to create (default {DEFAULT_REPORTS})",
        )
        parser.add_argument(
            "--incidents",
            type=int,
            default=DEFAULT_INCIDENTS,
            metavar="N",
            help=f"synthetic incidents over two years to create (default {DEFAULT_INCIDENTS})",
        )
        parser.add_argument(
            "--force", action="store_true", help="allow demo data although KAMTIBMAS_SECURE=true"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SECURE and not options["force"]:
            raise CommandError(
                "KAMTIBMAS_SECURE=true looks like production: refusing to add "
                "demo accounts with a published password (use --force for a "
                "public demo server)"
            )
        if options["reports"] < 0 or options["incidents"] < 0:
            raise CommandError("--reports and --incidents must be 0 or more")
        result = load_demo(
            seed=options["seed"], reports=options["reports"], incidents=options["incidents"]
        )
        self.stdout.write(
            f"demo accounts: {result.users_created} created, "
            f"{len(result.accounts) - result.users_created} already there"
        )
        if result.reports_existing:
            self.stdout.write(f"demo reports: {result.reports_existing} already there, none added")
        else:
            detail = ", ".join(f"{k} {v}" for k, v in sorted(result.by_status.items()))
            self.stdout.write(f"demo reports: {result.reports_created} created ({detail})")
        if result.incidents_existing:
            self.stdout.write(
                f"demo incidents: {result.incidents_existing} already there, none added"
            )
        else:
            self.stdout.write(f"demo incidents: {result.incidents_created} created (synthetic)")
        forecasts = load_demo_forecasts()
        self.stdout.write(
            f"demo forecasts: {forecasts.made} made, {forecasts.existing} already there, "
            f"{forecasts.scored} scored"
        )
        patrols = load_demo_patrols()
        self.stdout.write(
            f"demo patrols: roads {patrols.roads}, {patrols.stations} stations, "
            f"{patrols.plans_made} past plans made ({patrols.visits_made} visits), "
            f"{patrols.plans_existing} already there; tonight: {patrols.tonight.summary()}"
        )
        self.stdout.write(f"demo cameras: {load_demo_cameras()} created (zones, masks, a still)")
        for line in load_demo_community(options["seed"]):
            self.stdout.write(line)
        self.stdout.write("\n".join(account_table(result)))
