"""The `kamtibmas` console script: operator verbs on top of Django management commands."""

from __future__ import annotations

import os
import sys

VERBS: list[tuple[str, str, str]] = [
    # (verb as typed, management command, help)
    ("serve", "serve", "run the web server, task worker and scheduler (PORT, HOST honoured)"),
    ("migrate", "migrate", "create or upgrade the database schema"),
    ("demo", "demo", "load Balikpapan reference data and synthetic demo data (idempotent)"),
    ("geo import", "geo_import", "replace kecamatan/kelurahan boundaries from a GeoJSON file"),
    ("geo load", "geo_load", "load the built-in Balikpapan reference (units, areas, categories)"),
    (
        "incidents import",
        "incidents_import",
        "import incidents from CSV files (any layout, CRS, zone)",
    ),
    ("incidents export", "incidents_export", "export incidents as canonical CSV or GeoJSON"),
    (
        "forecast evaluate",
        "forecast_evaluate",
        "rolling-origin backtest of forecasting models on an incident CSV",
    ),
    ("forecast run", "forecast_run", "make and store forecasts for the next shifts and 7 days"),
    ("forecast score", "forecast_score", "score stored forecasts against what happened"),
    ("patrol plan", "patrol_plan", "draft patrol plans per Polsek for a shift"),
    ("patrol roads", "patrol_roads", "import or list the road network for patrol routes"),
    (
        "patrol stations",
        "patrol_stations",
        "set each Polsek's station (route start) from a GeoJSON of police sites",
    ),
    ("user create", "user_create", "create a staff or resident account"),
    ("check-config", "check_config", "validate the environment and the deployment settings"),
    ("worker", "db_worker", "run the background task worker"),
    ("scheduler", "scheduler", "enqueue periodic jobs (SLA checks, notifications)"),
    ("manage", "", "any Django management command, e.g. `kamtibmas manage createsuperuser`"),
]


def usage() -> str:
    lines = ["usage: kamtibmas VERB [options]", "", "Operator verbs:"]
    for verb, _command, text in VERBS:
        lines.append(f"  {verb:<18} {text}")
    lines += ["", "Run `kamtibmas VERB --help` for the options of one verb."]
    return "\n".join(lines)


def resolve(argv: list[str]) -> list[str] | None:
    """Translate `kamtibmas geo import x` into Django's argv `geo_import x`."""
    if not argv:
        return None
    if argv[0] == "manage":
        return argv[1:] or ["help"]
    for verb, command, _text in VERBS:
        words = verb.split()
        if argv[: len(words)] == words and command:
            return [command, *argv[len(words) :]]
    return None


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    if args[0] == "--version":
        from kamtibmas import __version__

        print(__version__)
        return 0
    command = resolve(args)
    if command is None:
        print(f"kamtibmas: unknown verb {' '.join(args[:2])!r}\n", file=sys.stderr)
        print(usage(), file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kamtibmas.settings")
    from kamtibmas.env import ConfigError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["kamtibmas", *command])
    except ConfigError as exc:
        print(f"kamtibmas: configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
