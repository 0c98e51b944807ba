"""`kamtibmas geo import FILE.geojson`: replace approximate boundaries with real ones."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kamtibmas.geo.importer import LEVELS, Change, ImportRefused, ImportSummary, import_file


class Command(BaseCommand):
    help = (
        "Replace kecamatan or kelurahan boundaries with those of a GeoJSON file (WGS84), "
        "matched by official code. Nothing changes unless every feature is valid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="GeoJSON FeatureCollection of (Multi)Polygons")
        parser.add_argument(
            "--level",
            choices=LEVELS,
            default="auto",
            help="kelurahan, kecamatan, or auto (from the codes' length)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="validate and show what would change, write nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = import_file(options["file"], options["level"], options["dry_run"])
        except ImportRefused as exc:
            raise CommandError(exc.message()) from None
        self._report(summary, int(options["verbosity"]))

    def _report(self, summary: ImportSummary, verbosity: int) -> None:
        if verbosity >= 2:
            for change in summary.changes:
                self.stdout.write(self._change_line(change))
        for line in summary_lines(summary):
            self.stdout.write(line)
        if summary.dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was changed.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Boundaries imported.")))

    @staticmethod
    def _change_line(change: Change) -> str:
        old = "-" if change.old_area_km2 is None else f"{change.old_area_km2:.2f}"
        return f"  {change.code} {change.name}: {old} -> {change.new_area_km2:.2f} km²"


def summary_lines(summary: ImportSummary) -> list[str]:
    values = {
        "level": summary.level,
        "matched": summary.matched,
        "replaced": summary.replaced_approximate,
        "again": summary.matched - summary.replaced_approximate,
        "old": summary.old_total_km2,
        "new": summary.new_total_km2,
        "change": summary.new_total_km2 - summary.old_total_km2,
    }
    lines = [
        _("%(level)s matched by code: %(matched)d") % values,
        _("approximate boundaries replaced: %(replaced)d; real boundaries re-imported: %(again)d")
        % values,
        _("total area: %(old).2f km² -> %(new).2f km² (%(change)+.2f km²)") % values,
    ]
    if summary.not_in_file:
        lines.append(
            _("not in the file, kept as they were: %(codes)s")
            % {"codes": ", ".join(summary.not_in_file)}
        )
    if summary.recomputed_kecamatan:
        lines.append(
            _("approximate kecamatan redrawn from their kelurahan: %(codes)s")
            % {"codes": ", ".join(summary.recomputed_kecamatan)}
        )
    return lines
