"""One source row -> one incident's values, or a rejection with a stable code and a reason.

Rules (for users: ``docs/import.md``):

* **Time.** ``occurred_from`` from its column; where that is absent or empty, from ``date``
  (optionally with ``time`` or ``hour``/``minute``), else from ``year``/``month``/``day``
  (+``hour``/``minute``, empty read as 0). Naive times are local times of ``time_zone``
  (see ``timeparse`` for DST); ``occurred_to`` is optional and never before ``occurred_from``.
* **Place.** ``lat``/``lon`` or ``x``/``y`` in ``crs`` (projected with pyproj, always x/y
  order). Both empty, or both exactly 0 (Vancouver's withheld places), is "no location": the row
  is kept with NULL lat/lon and counted. One of the two, text, or a point outside -90..90 /
  -180..180 after projection is rejected.
* **Identity.** ``id_prefix`` + the ``external_id`` column. A source without one gets a stable id
  derived from the row: ``id_prefix`` + 16 hex digits of BLAKE2b over the row's values (columns
  in header order) + ``-`` + the occurrence number among identical rows so far (1, 2, ...),
  so importing the same file again gives the same ids, and two identical rows stay two rows.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from kamtibmas.incidents.csvformats import CANONICAL_FIELDS, ImportOptions
from kamtibmas.incidents.mapping import CATCH_ALL, CategoryResolver, UnknownCategory
from kamtibmas.incidents.timeparse import (
    TimestampParser,
    combine,
    from_parts,
    parse_clock,
    to_utc,
    zone,
)

MAX_ID = 80


class ImportOptionsError(ValueError):
    """Options that do not fit the file; nothing was imported. ``message`` is translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RowError(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(slots=True)
class ParsedRow:
    line: int
    external_id: str
    category: str
    source_category: str
    occurred_from: datetime
    occurred_to: datetime | None
    reported_at: datetime | None
    cx: float  # lon or x in the source CRS; NaN = no location
    cy: float  # lat or y
    lp_number: str
    premises_type: str
    modus_operandi: str
    lat: float | None = None
    lon: float | None = None


class RowParser:
    """Built once per file from the options and the header; ``parse`` is called per row."""

    def __init__(self, options: ImportOptions, header: list[str]) -> None:
        self.options = options
        self.header = header
        self.index = self._resolve_columns(options, header)
        self._check_time_columns()
        self.tz = self._zone(options.time_zone)
        self.resolver = self._resolver(options)
        self.transformer = self._transformer(options.crs)
        self._ts = {k: TimestampParser(options.date_format) for k in ("from", "to", "date", "rep")}
        self._derived: dict[bytes, int] = {}
        self._positions()
        if "external_id" not in self.index and len(options.id_prefix) > MAX_ID - 19:
            raise ImportOptionsError(_("The id prefix is too long."))

    # -- set-up -------------------------------------------------------------------------
    @staticmethod
    def _resolve_columns(options: ImportOptions, header: list[str]) -> dict[str, int]:
        positions = {name: i for i, name in reversed(list(enumerate(header)))}
        unknown = sorted(set(options.columns) - set(CANONICAL_FIELDS))
        if unknown:
            raise ImportOptionsError(
                _("Unknown field(s) %(fields)s; known fields: %(known)s.")
                % {"fields": ", ".join(unknown), "known": ", ".join(CANONICAL_FIELDS)}
            )
        index: dict[str, int] = {}
        for canonical, source in options.columns.items():
            if source not in positions:
                raise ImportOptionsError(
                    _(
                        "Column %(column)r (for %(field)s) is not in the file; its columns are: "
                        "%(header)s."
                    )
                    % {"column": source, "field": canonical, "header": ", ".join(header)}
                )
            index[canonical] = positions[source]
        for canonical in CANONICAL_FIELDS:  # a column named like the field is used as is
            if canonical not in index and canonical in positions and canonical not in ("x", "y"):
                index[canonical] = positions[canonical]
        has_xy = "x" in index or "y" in index
        has_latlon = "lat" in index or "lon" in index
        if has_xy and has_latlon:
            raise ImportOptionsError(_("Give either lat/lon or x/y columns, not both."))
        for pair in (("x", "y"), ("lat", "lon")):
            if (pair[0] in index) != (pair[1] in index):
                raise ImportOptionsError(
                    _("Column %(a)s needs column %(b)s too.")
                    % {
                        "a": pair[0] if pair[0] in index else pair[1],
                        "b": pair[1] if pair[0] in index else pair[0],
                    }
                )
        return index

    def _check_time_columns(self) -> None:
        have = self.index.keys()
        if not ({"occurred_from", "date"} & have or {"year", "month", "day"} <= have):
            raise ImportOptionsError(
                _(
                    "No time columns: map occurred_from, or date (with time or hour), or "
                    "year, month and day (with hour and minute) with --column."
                )
            )

    @staticmethod
    def _zone(name: str) -> Any:
        try:
            return zone(name)
        except ValueError:
            raise ImportOptionsError(_("Unknown time zone %(zone)r.") % {"zone": name}) from None

    def _resolver(self, options: ImportOptions) -> CategoryResolver:
        if "category" not in self.index and CATCH_ALL not in options.category_map:
            raise ImportOptionsError(
                _(
                    "No category column: map one with --column category=NAME, or give one code "
                    "for every row with --map '*=CODE'."
                )
            )
        try:
            return CategoryResolver(options.category_scheme, options.category_map)
        except ValueError as exc:
            raise ImportOptionsError(str(exc)) from None

    @staticmethod
    def _transformer(crs: str) -> Transformer | None:
        try:
            source = CRS.from_user_input(crs)
        except CRSError:
            raise ImportOptionsError(
                _("Unknown coordinate system %(crs)r (use e.g. EPSG:32750).") % {"crs": crs}
            ) from None
        if source == CRS.from_epsg(4326):
            return None
        return Transformer.from_crs(source, CRS.from_epsg(4326), always_xy=True)

    # -- one row --------------------------------------------------------------------------
    # Hot path (a million calls): column positions are plain attributes, -1 when absent.
    def _positions(self) -> None:
        pos = {name: self.index.get(name, -1) for name in CANONICAL_FIELDS}
        self.width = len(self.header)
        self.p_id, self.p_cat = pos["external_id"], pos["category"]
        self.p_from, self.p_to, self.p_rep = (
            pos["occurred_from"],
            pos["occurred_to"],
            pos["reported_at"],
        )
        self.p_date, self.p_time, self.p_hour, self.p_minute = (
            pos["date"],
            pos["time"],
            pos["hour"],
            pos["minute"],
        )
        self.p_year, self.p_month, self.p_day = pos["year"], pos["month"], pos["day"]
        if pos["lat"] >= 0:
            self.p_x, self.p_y = pos["lon"], pos["lat"]
        else:
            self.p_x, self.p_y = pos["x"], pos["y"]
        self.p_lp, self.p_premises, self.p_modus = (
            pos["lp_number"],
            pos["premises_type"],
            pos["modus_operandi"],
        )

    def parse(self, line: int, values: list[str]) -> ParsedRow:
        if len(values) < self.width:
            values = values + [""] * (self.width - len(values))
        external_id = self._external_id(values)
        source_category = values[self.p_cat].strip() if self.p_cat >= 0 else ""
        try:
            category = self.resolver(source_category)
        except UnknownCategory:
            raise RowError(
                "unknown_category",
                _("Unknown category %(value)r.") % {"value": source_category[:60]},
            ) from None
        start, end, reported = self._times(values)
        cx, cy = self._coordinates(values)
        return ParsedRow(
            line,
            external_id,
            category,
            source_category[:120],
            start,
            end,
            reported,
            cx,
            cy,
            values[self.p_lp].strip()[:60] if self.p_lp >= 0 else "",
            values[self.p_premises].strip()[:80] if self.p_premises >= 0 else "",
            values[self.p_modus].strip()[:300] if self.p_modus >= 0 else "",
        )

    def _external_id(self, values: list[str]) -> str:
        prefix = self.options.id_prefix
        if self.p_id >= 0:
            value = values[self.p_id].strip()
            if not value:
                raise RowError("missing_id", _("The external id is empty."))
            value = prefix + value
            if len(value) > MAX_ID:
                raise RowError("bad_id", _("The external id is longer than 80 characters."))
            return value
        digest = hashlib.blake2b("\x1f".join(values).encode(), digest_size=8).digest()
        count = self._derived.get(digest, 0) + 1
        self._derived[digest] = count
        return f"{prefix}{digest.hex()}-{count}"

    def _times(self, values: list[str]) -> tuple[datetime, datetime | None, datetime | None]:
        try:
            start = self._start(values)
            end_text = values[self.p_to].strip() if self.p_to >= 0 else ""
            end = to_utc(self._ts["to"](end_text), self.tz) if end_text else None
            rep_text = values[self.p_rep].strip() if self.p_rep >= 0 else ""
            reported = to_utc(self._ts["rep"](rep_text), self.tz) if rep_text else None
        except (ValueError, TypeError, OverflowError) as exc:
            raise RowError("bad_date", _("Bad date or time: %(error)s") % {"error": exc}) from None
        if end is not None and end < start:
            raise RowError("bad_window", _("occurred_to is before occurred_from."))
        return start, end, reported

    def _start(self, values: list[str]) -> datetime:
        text = values[self.p_from].strip() if self.p_from >= 0 else ""
        if text:
            return to_utc(self._ts["from"](text), self.tz)
        if self.p_date >= 0:
            text = values[self.p_date].strip()
            if not text:
                raise ValueError("empty date")
            clock = None
            clock_text = values[self.p_time].strip() if self.p_time >= 0 else ""
            hour_text = values[self.p_hour].strip() if self.p_hour >= 0 else ""
            if clock_text:
                clock = parse_clock(clock_text)
            elif hour_text:
                minute = values[self.p_minute].strip() if self.p_minute >= 0 else ""
                clock = parse_clock(hour_text).replace(minute=int(minute or 0))
            return to_utc(combine(self._ts["date"](text), clock), self.tz)
        if self.p_year >= 0:

            def get(i: int) -> str:
                return values[i].strip() if i >= 0 else ""

            return to_utc(
                from_parts(
                    get(self.p_year),
                    get(self.p_month),
                    get(self.p_day),
                    get(self.p_hour),
                    get(self.p_minute),
                ),
                self.tz,
            )
        raise ValueError("empty occurred_from")

    def _coordinates(self, values: list[str]) -> tuple[float, float]:
        if self.p_x < 0:
            return math.nan, math.nan
        tx, ty = values[self.p_x].strip(), values[self.p_y].strip()
        if not tx and not ty:
            return math.nan, math.nan
        try:
            x, y = float(tx), float(ty)
        except ValueError:
            raise RowError(
                "bad_coordinates",
                _("Coordinates are not numbers: %(x)r, %(y)r.") % {"x": tx[:30], "y": ty[:30]},
            ) from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise RowError("bad_coordinates", _("Coordinates are not finite numbers."))
        if x == 0.0 and y == 0.0:
            return math.nan, math.nan  # withheld place: "no location"
        return x, y

    # -- a chunk --------------------------------------------------------------------------
    def project(self, rows: list[ParsedRow]) -> list[tuple[ParsedRow, RowError]]:
        """Fill lat/lon of the rows (vectorised); returns the rows whose place is invalid."""
        if not rows:
            return []
        cx = np.fromiter((r.cx for r in rows), dtype=np.float64, count=len(rows))
        cy = np.fromiter((r.cy for r in rows), dtype=np.float64, count=len(rows))
        if self.transformer is not None:
            lon, lat = self.transformer.transform(cx, cy)
            lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        else:
            lon, lat = cx, cy
        given = ~(np.isnan(cx) | np.isnan(cy))
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
        bad: list[tuple[ParsedRow, RowError]] = []
        lat_list, lon_list, ok_list, given_list = (
            lat.tolist(),
            lon.tolist(),
            ok.tolist(),
            given.tolist(),
        )
        for i, row in enumerate(rows):
            if not given_list[i]:
                continue
            if not ok_list[i]:
                bad.append(
                    (
                        row,
                        RowError(
                            "bad_coordinates",
                            _(
                                "Coordinates outside -90..90 / -180..180 after conversion "
                                "from %(crs)s."
                            )
                            % {"crs": self.options.crs},
                        ),
                    )
                )
                continue
            row.lat, row.lon = lat_list[i], lon_list[i]
        return bad
