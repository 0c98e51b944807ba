"""`kamtibmas incidents export --dataset NAME [--format csv|geojson] ... --out FILE`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kamtibmas.incidents.export import FORMATS, export_rows
from kamtibmas.incidents.models import Incident


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("%(option)s expects a date like 2025-01-31, got %(value)r.")
            % {"option": option, "value": text}
        ) from None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class Command(BaseCommand):
    help = "Export incidents as the canonical CSV or as GeoJSON (streams; any size)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", required=True)
        parser.add_argument(
            "--format",
            default=None,
            choices=FORMATS,
            help="csv or geojson (default: from the --out suffix, else csv)",
        )
        parser.add_argument(
            "--from",
            dest="date_from",
            metavar="DATE",
            help="first day (occurred_from, local time), e.g. 2025-01-01",
        )
        parser.add_argument("--to", dest="date_to", metavar="DATE", help="last day, inclusive")
        parser.add_argument(
            "--category",
            action="append",
            default=[],
            help="offence code (repeatable, or comma-separated)",
        )
        parser.add_argument(
            "--out", required=True, metavar="FILE", help="file to write ('-' = stdout)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        fmt = opts["format"] or (
            "geojson" if opts["out"].endswith((".geojson", ".json")) else "csv"
        )
        queryset = self._queryset(opts)
        if opts["out"] == "-":
            out_stream = self.stdout

            class _Raw:
                def write(self, text: str) -> None:
                    out_stream.write(text, ending="")

            export_rows(queryset, fmt, _Raw())
            return
        out = Path(opts["out"])
        if not out.parent.is_dir():
            raise CommandError(_("Folder not found: %(folder)s") % {"folder": out.parent})
        with out.open("w", encoding="utf-8", newline="") as stream:
            count = export_rows(queryset, fmt, stream)
        self.stderr.write(
            _("%(count)d incidents written to %(file)s.") % {"count": count, "file": out}
        )

    def _queryset(self, opts: dict[str, Any]) -> QuerySet[Incident]:
        queryset = Incident.objects.filter(dataset=opts["dataset"])
        if opts["date_from"]:
            queryset = queryset.filter(
                occurred_from__gte=_start_of(_day(opts["date_from"], "--from"))
            )
        if opts["date_to"]:
            end = _day(opts["date_to"], "--to") + timedelta(days=1)
            queryset = queryset.filter(occurred_from__lt=_start_of(end))
        codes = [c.strip() for item in opts["category"] for c in item.split(",") if c.strip()]
        if codes:
            queryset = queryset.filter(category__in=codes)
        return queryset
