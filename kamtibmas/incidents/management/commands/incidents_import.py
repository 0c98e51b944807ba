"""`kamtibmas incidents import FILE [FILE ...] --dataset NAME ...`: CSV files -> incidents."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _

from kamtibmas.incidents.csvformats import LAYOUTS, detect_layout, layout_options, read_head
from kamtibmas.incidents.importer import (
    ImportFailed,
    ImportOptions,
    ImportOptionsError,
    run_import,
)
from kamtibmas.incidents.models import ImportBatch

DATASET = re.compile(r"^[-a-z0-9_]{1,40}$")


def _pairs(values: list[str], what: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CommandError(
                _("%(option)s expects NAME=VALUE, got %(value)r.") % {"option": what, "value": item}
            )
        result[key.strip()] = value.strip()
    return result


class Command(BaseCommand):
    help = (
        "Import incidents from CSV files, one batch (one transaction) per file. Re-importing a "
        "file updates changed rows and adds nothing twice. Rows without a place are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--dataset",
            required=True,
            help="dataset name, e.g. balikpapan or vancouver (lowercase slug)",
        )
        parser.add_argument(
            "--layout",
            default="auto",
            choices=("auto", *LAYOUTS, "custom"),
            help="column layout; auto guesses it from the header",
        )
        parser.add_argument("--crs", help="coordinate system of the file, e.g. EPSG:26910")
        parser.add_argument("--tz", help="time zone of local times, e.g. America/Vancouver")
        parser.add_argument(
            "--column",
            action="append",
            default=[],
            metavar="FIELD=SOURCE",
            help="canonical field = column of the file (repeatable)",
        )
        parser.add_argument("--category-scheme", help="mapping scheme: vancouver, chicago, nyc")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="SOURCE=CODE",
            help="category mapping, '*=CODE' for every other value (repeatable)",
        )
        parser.add_argument("--date-format", help="strptime format, e.g. '%%d/%%m/%%Y %%H:%%M'")
        parser.add_argument("--id-prefix", default="", help="prefix for every external id")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="validate and count, write nothing but the report",
        )
        parser.add_argument(
            "--report",
            metavar="FILE",
            help="write the rejected rows (line, code, reason, row) to this CSV",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not DATASET.match(opts["dataset"]):
            raise CommandError(_("--dataset must be a lowercase name (a-z, 0-9, - and _)."))
        files = [Path(f) for f in opts["files"]]
        for path in files:
            if not path.is_file():
                raise CommandError(_("File not found: %(file)s") % {"file": path})
        if opts["report"] and len(files) > 1:
            raise CommandError(_("--report takes one file; import the files one by one."))
        failed = 0
        for path in files:
            options = self._options(path, opts)
            failed += not self._import_one(path, options, opts)
        if failed:
            raise CommandError(_("%(count)d file(s) failed; see above.") % {"count": failed})

    def _options(self, path: Path, opts: dict[str, Any]) -> ImportOptions:
        try:
            header, _rows, _delimiter = read_head(path, 0)
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc}
            ) from None
        layout = detect_layout(header) if opts["layout"] == "auto" else opts["layout"]
        options = layout_options(layout, header, dataset=opts["dataset"])
        if opts["crs"]:
            options.crs = opts["crs"]
        if opts["tz"]:
            options.time_zone = opts["tz"]
        if opts["category_scheme"]:
            options.category_scheme = opts["category_scheme"]
        options.columns.update(_pairs(opts["column"], "--column"))
        options.category_map.update(_pairs(opts["map"], "--map"))
        options.date_format = opts["date_format"] or options.date_format
        options.id_prefix = opts["id_prefix"]
        options.dry_run = opts["dry_run"]
        if int(opts["verbosity"]) >= 1:
            self.stdout.write(
                _("%(file)s: layout %(layout)s, %(crs)s, %(tz)s, categories %(scheme)s")
                % {
                    "file": path.name,
                    "layout": layout,
                    "crs": options.crs,
                    "tz": options.time_zone,
                    "scheme": options.category_scheme or "-",
                }
            )
        return options

    def _import_one(self, path: Path, options: ImportOptions, opts: dict[str, Any]) -> bool:
        verbose = int(opts["verbosity"]) >= 1
        last = [-1]

        def progress(fraction: float) -> None:
            step = int(fraction * 20)  # a line per 5 %
            if verbose and step > last[0]:
                last[0] = step
                self.stdout.write(f"  {path.name}: {fraction:5.0%}")

        try:
            batch = run_import(path, options, progress=progress, report_path=opts["report"])
        except ImportOptionsError as exc:
            raise CommandError(exc.message) from None
        except ImportFailed as exc:
            self.stderr.write(f"{path}: {exc.message}")
            return False
        except DatabaseError as exc:
            self.stderr.write(
                _("%(file)s: database error, nothing imported: %(error)s")
                % {"file": path, "error": exc}
            )
            return False
        except KeyboardInterrupt:
            raise CommandError(
                _("Interrupted; nothing of %(file)s was imported.") % {"file": path}
            ) from None
        self._summary(batch)
        return True

    def _summary(self, batch: ImportBatch) -> None:
        self.stdout.write(
            _(
                "%(file)s: %(rows)d rows, %(created)d created, %(updated)d updated, "
                "%(unchanged)d unchanged, %(rejected)d rejected, %(noloc)d without location."
            )
            % {
                "file": batch.file_name,
                "rows": batch.rows_total,
                "created": batch.rows_created,
                "updated": batch.rows_updated,
                "unchanged": batch.rows_total
                - batch.rows_created
                - batch.rows_updated
                - batch.rows_rejected,
                "rejected": batch.rows_rejected,
                "noloc": batch.rows_without_location,
            }
        )
        for item in batch.rejected[:10]:
            self.stdout.write(f"  line {item['line']}: {item['reason']}")
        if batch.rows_rejected:
            self.stdout.write(
                _("Rejected rows: %(path)s") % {"path": batch.options.get("report_path", "")}
            )
        if batch.state == ImportBatch.State.DRY_RUN:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was imported.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Batch %(id)d imported.") % {"id": batch.pk}))
