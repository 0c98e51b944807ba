"""`kamtibmas forecast evaluate FILE.csv --train-until DATE --test-from DATE --test-until DATE
--out results.json`: rolling-origin backtest of forecasting models on an incident CSV.

The work is done by :mod:`kamtibmas_analytics.forecast.runner` (no Django); this command reads
the options, reports progress on stderr and writes the result rows as JSON.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from pyproj.exceptions import CRSError

from kamtibmas.incidents.csvformats import (
    _LAYOUT_SETTINGS,
    LAYOUTS,
    detect_layout,
    layout_options,
    read_head,
)
from kamtibmas.incidents.importer import ImportFailed, ImportOptionsError, open_parser
from kamtibmas_analytics.forecast import MODEL_NAMES
from kamtibmas_analytics.forecast.base import Events
from kamtibmas_analytics.forecast.plot import hit_rate_svg
from kamtibmas_analytics.forecast.runner import (
    Evaluation,
    EvaluationSpec,
    day_start,
    evaluate_events,
    next_day,
    read_events_csv,
    read_study_area,
)
from kamtibmas_analytics.io import CanonicalFormatError
from kamtibmas_analytics.projection import to_metres

DEFAULT_MODELS = (
    "last_period",
    "long_run",
    "retrospective_kde",
    "prospective",
    "sepp",
    "learned",
    "auto",
)


def _split(values: list[str]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _groups(values: list[str]) -> dict[str, list[str]] | None:
    groups: dict[str, list[str]] = {}
    for item in values:
        name, sep, cats = item.partition("=")
        categories = _split([cats])
        if not sep or not name.strip() or not categories:
            raise CommandError(f"--group expects NAME=cat1,cat2, got {item!r}.")
        groups[name.strip()] = categories
    return groups or None


def layout_zone(layout: str) -> str | None:
    """The time zone a named layout reads local times in (None: none or auto)."""
    zone: str | None = _LAYOUT_SETTINGS.get(layout, {}).get("time_zone")
    return zone


def read_with_layout(path: Path, opts: dict[str, Any], tz: ZoneInfo) -> tuple[Events, str, int]:
    """Events from any importable layout, parsed by the importer's row parser (nothing is
    written; a category scheme's built-in mappings are loaded as an import would)."""
    try:
        header, _rows, _delimiter = read_head(path, 0)
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from None
    layout = detect_layout(header) if opts["layout"] == "auto" else opts["layout"]
    options = layout_options(layout, header, dataset="evaluate", time_zone=tz.key)
    if opts["source_crs"]:
        options.crs = opts["source_crs"]
    for item in opts["column"]:
        field, sep, source = item.partition("=")
        if not sep or not field.strip():
            raise CommandError(f"--column expects FIELD=SOURCE, got {item!r}.")
        options.columns[field.strip()] = source.strip()
    by_source = opts["category_column"] == "source_category"
    # Keep every row: a category without a mapping becomes "other". Groups of the file's own
    # labels need no mapping at all (and so no database).
    options.category_map.setdefault("*", "other")
    if by_source:
        options.category_scheme = None
    try:
        source, parser = open_parser(path, options, store_mappings=False)
    except (ImportOptionsError, ImportFailed) as exc:
        raise CommandError(str(exc)) from None
    except DatabaseError:
        raise CommandError(
            "The category mappings need the database: run 'kamtibmas migrate', or group on the "
            "file's own labels with --category-column source_category."
        ) from None
    parts: dict[str, list[Any]] = {"lat": [], "lon": [], "from": [], "to": [], "cat": []}
    try:
        lines: list[int] = []
        raw: list[list[str]] = []
        for line, values in source.rows():
            lines.append(line)
            raw.append(values)
            if len(lines) >= 20_000:
                _collect(parser, lines, raw, parts, by_source)
                lines, raw = [], []
        _collect(parser, lines, raw, parts, by_source)
    except ImportFailed as exc:
        raise CommandError(str(exc)) from None
    finally:
        source.close()
    return _events_from_parts(parts, opts["crs"])


def _collect(
    parser: Any,
    lines: list[int],
    raw: list[list[str]],
    parts: dict[str, list[Any]],
    by_source: bool,
) -> None:
    if not lines:
        return
    block, rejected = parser.parse_chunk(lines, raw)
    bad = parser.project(block)
    if bad:
        keep = np.ones(len(block), dtype=bool)
        keep[[block.lines.index(line) for line, _err in bad]] = False
        block = block.take(keep)
    if rejected or bad:
        first_line, first_error = (rejected + bad)[0]
        raise CommandError(f"line {first_line}: {first_error.reason}")
    parts["lat"].append(block.lat)
    parts["lon"].append(block.lon)
    parts["from"].append(block.occurred_from.astype("datetime64[us]").astype(np.float64) / 1e6)
    parts["to"].append(block.occurred_to.astype("datetime64[us]").astype(np.float64) / 1e6)
    parts["cat"].extend(block.source_category if by_source else block.category)


def _events_from_parts(parts: dict[str, list[Any]], crs: str | None) -> tuple[Events, str, int]:
    if not parts["lat"]:
        raise CommandError("The file holds no incident.")
    lat, lon = np.concatenate(parts["lat"]), np.concatenate(parts["lon"])
    t_from, t_to = np.concatenate(parts["from"]), np.concatenate(parts["to"])
    t_to[np.isnan(t_from) | (t_to < -1e15)] = np.nan  # NaT (no end) reads as a huge negative
    located = np.isfinite(lat) & np.isfinite(lon)
    if not located.any():
        raise CommandError("No incident in the file has a location.")
    try:
        x, y, used = to_metres(lon[located], lat[located], crs)
    except CRSError as exc:
        raise CommandError(f"Unknown coordinate system {crs!r}: {exc}") from None
    category = np.asarray(parts["cat"], dtype=object)[located]
    events = Events.from_windows(x, y, t_from[located], t_to[located], category)
    return events, used, int((~located).sum())


class Command(BaseCommand):
    help = (
        "Rolling-origin backtest of forecasting models on an incident CSV (canonical layout: "
        "external_id, category, occurred_from, occurred_to, lat, lon; any layout the importer "
        "reads with --layout). For each period of "
        "--horizon-days from --test-from, every model is fitted and predicts from the events "
        "before the period only. Writes rows {model, coverage, hit_rate, pai, pei, ci_low, "
        "ci_high} to --out. DATE options are days YYYY-MM-DD in the time zone --tz (default "
        "UTC); --train-until and --test-until include their day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE.csv")
        parser.add_argument("--cell-m", type=float, default=150.0, help="cell side, metres")
        parser.add_argument("--horizon-days", type=float, default=7.0, help="forecast period")
        parser.add_argument(
            "--train-until",
            required=True,
            metavar="DATE",
            help="last day of the training span (inclusive)",
        )
        parser.add_argument(
            "--test-from", required=True, metavar="DATE", help="first day of the test span"
        )
        parser.add_argument(
            "--test-until",
            required=True,
            metavar="DATE",
            help="last day of the test span (inclusive; whole periods only)",
        )
        parser.add_argument(
            "--models",
            nargs="+",
            default=list(DEFAULT_MODELS),
            help=f"models to evaluate (space or comma separated): {', '.join(MODEL_NAMES)}",
        )
        parser.add_argument(
            "--crs",
            help="projected CRS for the analysis, e.g. EPSG:32750 "
            "(default: the UTM zone of the data)",
        )
        parser.add_argument(
            "--tz",
            default=None,
            help="time zone of the DATE options and of times without an offset in the file, "
            "e.g. Asia/Makassar (default UTC; with --layout, the layout's own zone)",
        )
        parser.add_argument(
            "--group",
            action="append",
            default=[],
            metavar="NAME=CAT1,CAT2",
            help="evaluate this crime group separately (repeatable)",
        )
        parser.add_argument(
            "--category-column",
            default="category",
            help="column the --group categories are matched on, e.g. source_category",
        )
        parser.add_argument(
            "--auto-candidates",
            nargs="+",
            default=None,
            help="models auto may choose from (default: all but auto)",
        )
        parser.add_argument(
            "--layout",
            choices=("canonical", "auto", *LAYOUTS[1:], "custom"),
            default="canonical",
            help="column layout of FILE as for 'incidents import' (auto guesses it from the "
            "header); times and places are then read by the importer's row parser",
        )
        parser.add_argument(
            "--column",
            action="append",
            default=[],
            metavar="FIELD=SOURCE",
            help="with --layout: canonical field = column of the file (repeatable)",
        )
        parser.add_argument(
            "--source-crs", help="with --layout: coordinate system of the file, e.g. EPSG:26910"
        )
        parser.add_argument(
            "--study-area",
            metavar="FILE.geojson",
            help="polygon(s) in lon/lat of the area to score (default: the cells within "
            "--mask-distance-m of a training incident)",
        )
        parser.add_argument("--mask-distance-m", type=float, default=500.0)
        parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
        parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples")
        parser.add_argument("--plot", metavar="FILE.svg", help="also draw hit rate vs coverage")
        parser.add_argument("--out", required=True, metavar="FILE.json")

    def handle(self, *args: Any, **opts: Any) -> None:
        spec, tz = self._spec(opts)
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"File not found: {path}")
        out = Path(opts["out"])
        for target in (out, Path(opts["plot"]) if opts["plot"] else None):
            if target is not None and not target.parent.is_dir():
                raise CommandError(f"Folder not found: {target.parent}")
        events, crs, without = self._read(path, opts, tz)
        if opts["study_area"]:
            try:
                area = read_study_area(opts["study_area"], crs)
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise CommandError(f"Cannot read the study area: {exc}") from None
            spec = replace(spec, study_area=area)
        self.stderr.write(
            f"{len(events)} located incidents ({without} without a location), CRS {crs}; "
            f"{len(spec.starts())} test periods of {spec.horizon_days:g} days."
        )
        try:
            result = evaluate_events(events, spec, crs=crs, progress=self._progress())
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        result.info["events_without_location"] = without
        self._write(result, out, opts)

    def _spec(self, opts: dict[str, Any]) -> tuple[EvaluationSpec, ZoneInfo]:
        name = opts["tz"] or layout_zone(opts["layout"]) or "UTC"
        try:
            tz = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"Unknown time zone {name!r}, e.g. Asia/Makassar.") from None
        days = {}
        for key in ("train_until", "test_from", "test_until"):
            try:
                days[key] = day_start(opts[key], tz)
            except ValueError:
                option = "--" + key.replace("_", "-")
                raise CommandError(
                    f"{option} expects a date like 2025-01-31, got {opts[key]!r}."
                ) from None
        auto = _split(opts["auto_candidates"]) if opts["auto_candidates"] else None
        spec = EvaluationSpec(
            train_end=next_day(days["train_until"]),
            test_from=days["test_from"],
            test_end=next_day(days["test_until"]),
            models=tuple(dict.fromkeys(_split(opts["models"]))),
            cell_m=opts["cell_m"],
            horizon_days=opts["horizon_days"],
            groups=_groups(opts["group"]),
            seed=opts["seed"],
            n_boot=max(1, opts["bootstrap"]),
            auto_candidates=tuple(auto) if auto else None,
            mask_distance_m=opts["mask_distance_m"],
        )
        numbers = (spec.cell_m, spec.horizon_days, spec.mask_distance_m)
        if not all(math.isfinite(v) and v > 0 for v in numbers):
            raise CommandError("--cell-m, --horizon-days and --mask-distance-m must be > 0.")
        try:
            spec.check()
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return spec, tz

    def _read(self, path: Path, opts: dict[str, Any], tz: ZoneInfo) -> tuple[Events, str, int]:
        if opts["layout"] != "canonical":
            return read_with_layout(path, opts, tz)
        try:
            return read_events_csv(
                path, crs=opts["crs"], category_column=opts["category_column"], default_tz=tz
            )
        except CanonicalFormatError as exc:
            raise CommandError(f"{path}: {exc}") from None
        except CRSError as exc:
            raise CommandError(f"Unknown coordinate system {opts['crs']!r}: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from None
        except ValueError as exc:  # no location at all, a missing column, a bad CRS
            raise CommandError(f"{path}: {exc}") from None

    def _progress(self) -> Any:
        last = [0.0]
        stream = self.stderr

        def report(done: int, total: int, message: str) -> None:
            now = time.monotonic()
            if done == total or now - last[0] >= 2.0 or message.endswith(("done", "skipped")):
                last[0] = now
                stream.write(f"{100 * done / max(total, 1):5.1f}% {message}")

        return report

    def _write(self, result: Evaluation, out: Path, opts: dict[str, Any]) -> None:
        out.write_text(json.dumps(result.rows, indent=1) + "\n", encoding="utf-8")
        for group, skipped in result.skipped.items():
            for model, reason in skipped.items():
                self.stderr.write(f"[{group}] {model} skipped: {reason}")
        if opts["plot"]:
            Path(opts["plot"]).write_text(
                hit_rate_svg(result.rows, title="Hit rate"), encoding="utf-8"
            )
        self.stderr.write(
            f"{len(result.rows)} rows written to {out} (CPU {result.info.get('cpu_s', 0):.1f} s)."
        )
        if int(opts.get("verbosity", 1)) >= 2:
            json.dump(result.info, sys.stderr, indent=1, default=str)
