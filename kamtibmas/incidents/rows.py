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
from datetime import UTC, datetime
from itertools import compress
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
        self.p_domestic = pos["domestic"]

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
        if self.p_domestic >= 0:
            category = domestic_code(category, values[self.p_domestic])
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
    def parse_chunk(
        self, lines: list[int], rows: list[list[str]]
    ) -> tuple[RowBlock, list[tuple[int, RowError]]]:
        """The rows as columns, and the rejected ones (line, error), with the same rules and
        reasons as ``parse``. Column by column where it can (no per-row objects); a chunk with a
        time or coordinate it cannot read that way is parsed row by row."""
        width = self.width
        if any(len(values) < width for values in rows):
            rows = [v + [""] * (width - len(v)) if len(v) < width else v for v in rows]
        try:
            return self._parse_columns(lines, rows)
        except _RowByRow:
            return self._parse_rows(lines, rows)

    def _parse_rows(
        self, lines: list[int], rows: list[list[str]]
    ) -> tuple[RowBlock, list[tuple[int, RowError]]]:
        parsed: list[ParsedRow] = []
        rejected: list[tuple[int, RowError]] = []
        for line, values in zip(lines, rows, strict=True):
            try:
                parsed.append(self.parse(line, values))
            except RowError as exc:
                rejected.append((line, exc))
        return RowBlock.from_rows(parsed), rejected

    def _parse_columns(
        self, lines: list[int], rows: list[list[str]]
    ) -> tuple[RowBlock, list[tuple[int, RowError]]]:
        n = len(rows)
        columns = list(zip(*rows, strict=False)) if rows else []

        def texts(p: int) -> list[str]:
            return [v.strip() for v in columns[p]] if p >= 0 else [""] * n

        errors: dict[int, RowError] = {}  # row position -> first error, in parse's order
        raw_ids = texts(self.p_id)
        if self.p_id >= 0:
            prefix = self.options.id_prefix
            ids = [prefix + v for v in raw_ids]
            for i, (raw, value) in enumerate(zip(raw_ids, ids, strict=True)):
                if not raw:
                    errors[i] = RowError("missing_id", _("The external id is empty."))
                elif len(value) > MAX_ID:
                    errors[i] = RowError(
                        "bad_id", _("The external id is longer than 80 characters.")
                    )
        else:
            ids = []  # derived at the end: the counter must not run twice for a chunk
        sources = texts(self.p_cat)
        codes = self._codes(sources)
        if self.p_domestic >= 0:
            flags = texts(self.p_domestic)
            codes = [c and domestic_code(c, f) for c, f in zip(codes, flags, strict=True)]
        for i, code in enumerate(codes):
            if code is None and i not in errors:
                errors[i] = RowError(
                    "unknown_category",
                    _("Unknown category %(value)r.") % {"value": sources[i][:60]},
                )
        start = self._column_times(texts(self.p_from), "from", errors, required=True)
        end = self._column_times(texts(self.p_to), "to", errors)
        reported = self._column_times(texts(self.p_rep), "rep", errors)
        for i in np.flatnonzero(end < start).tolist():  # NaT compares False
            errors.setdefault(i, RowError("bad_window", _("occurred_to is before occurred_from.")))
        x, y = self._column_coordinates(texts(self.p_x), texts(self.p_y), errors)
        if self.p_id < 0:
            ids = [self._external_id(values) for values in rows]
        block = RowBlock(
            lines,
            ids,
            [c or "" for c in codes],
            [v[:120] for v in sources],
            start,
            end,
            reported,
            x,
            y,
            [v[:60] for v in texts(self.p_lp)],
            [v[:80] for v in texts(self.p_premises)],
            [v[:300] for v in texts(self.p_modus)],
        )
        if not errors:
            return block, []
        keep = np.ones(n, dtype=bool)
        keep[list(errors)] = False
        rejected = [(lines[i], errors[i]) for i in sorted(errors)]
        return block.take(keep), rejected

    def _codes(self, sources: list[str]) -> list[str | None]:
        table: dict[str, str | None] = {}
        for value in set(sources):
            try:
                table[value] = self.resolver(value)
            except UnknownCategory:
                table[value] = None
        return [table[v] for v in sources]

    def _column_times(
        self, texts: list[str], key: str, errors: dict[int, RowError], *, required: bool = False
    ) -> np.ndarray:
        """UTC datetime64[us] of a time column ('' -> NaT). A value that does not read, or a
        time column that is not a plain one (``occurred_from`` falling back to date columns),
        sends the chunk row by row."""
        n = len(texts)
        if required and (self.p_from < 0 or not all(texts)):
            raise _RowByRow
        if not any(texts):
            return np.full(n, np.datetime64("NaT", "us"))
        parser = self._ts[key]
        if parser.iso is None:  # lock the column's format on its first row that is parsed
            first = next((t for i, t in enumerate(texts) if t and i not in errors), None)
            if first is None:
                raise _RowByRow
            try:
                parser(first)
            except ValueError:
                raise _RowByRow from None
        read = datetime.fromisoformat if parser.iso else parser
        tz = self.tz
        try:
            stamps = [
                math.nan
                if not t
                else (
                    d.timestamp()
                    if (d := read(t)).tzinfo is not None
                    else to_utc(d, tz).timestamp()
                )
                for t in texts
            ]
        except (ValueError, TypeError, OverflowError):
            raise _RowByRow from None
        seconds = np.array(stamps, dtype=np.float64)
        if np.any(np.abs(seconds) >= EXACT_SECONDS):  # float microseconds are exact below
            raise _RowByRow
        micros = np.rint(seconds * 1e6)
        result = np.full(n, np.datetime64("NaT", "us"))
        given = ~np.isnan(micros)
        result[given] = micros[given].astype(np.int64).astype("datetime64[us]")
        return result

    def _column_coordinates(
        self, tx: list[str], ty: list[str], errors: dict[int, RowError]
    ) -> tuple[np.ndarray, np.ndarray]:
        n = len(tx)
        if self.p_x < 0:
            return np.full(n, math.nan), np.full(n, math.nan)
        nan = math.nan
        present = [bool(a or b) for a, b in zip(tx, ty, strict=True)]
        try:
            x = np.array([float(a) if p else nan for a, p in zip(tx, present, strict=True)])
            y = np.array([float(b) if p else nan for b, p in zip(ty, present, strict=True)])
        except ValueError:
            raise _RowByRow from None
        given = np.array(present, dtype=bool)
        if not (np.isfinite(x[given]).all() and np.isfinite(y[given]).all()):
            raise _RowByRow  # "nan", "inf": the row-by-row rules give the reason
        withheld = (x == 0.0) & (y == 0.0)
        x[withheld] = nan
        y[withheld] = nan
        return x, y

    def project(self, block: RowBlock) -> list[tuple[int, RowError]]:
        """Fill the block's lat/lon (vectorised); returns (line, error) of the rows whose place
        is invalid (the caller drops them with ``block.take``)."""
        cx, cy = block.x, block.y
        if self.transformer is not None and len(cx):
            lon, lat = self.transformer.transform(cx, cy)
            lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        else:
            lon, lat = cx.copy(), cy.copy()
        given = ~(np.isnan(cx) | np.isnan(cy))
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
        lat[~given], lon[~given] = np.nan, np.nan
        block.lat, block.lon = lat, lon
        bad = np.flatnonzero(given & ~ok)
        if not len(bad):
            return []
        error = RowError(
            "bad_coordinates",
            _("Coordinates outside -90..90 / -180..180 after conversion from %(crs)s.")
            % {"crs": self.options.crs},
        )
        return [(block.lines[i], error) for i in bad.tolist()]


class _RowByRow(Exception):
    """The column-wise parse cannot decide a value of this chunk: parse it row by row."""


EXACT_SECONDS = 4e9  # |timestamp| below this (1843..2096): float seconds keep exact microseconds
NAT = np.datetime64("NaT", "us")


TRUE_FLAGS = frozenset({"true", "t", "yes", "y", "1"})
# Offences that a source's "domestic" flag turns into KDRT (domestic violence).
DOMESTIC_CODES = frozenset({"assault"})


def domestic_code(code: str, flag: str) -> str:
    """``domestic_violence`` for an assault flagged domestic (Chicago's ``domestic`` column),
    else ``code`` unchanged.

    >>> domestic_code("assault", "True"), domestic_code("assault", "False")
    ('domestic_violence', 'assault')
    >>> domestic_code("theft", "true")
    'theft'
    """
    if code in DOMESTIC_CODES and flag.strip().lower() in TRUE_FLAGS:
        return "domestic_violence"
    return code


def _utc64(value: datetime | None) -> np.datetime64:
    if value is None:
        return NAT
    return np.datetime64(value.astimezone(UTC).replace(tzinfo=None), "us")


@dataclass(slots=True)
class RowBlock:
    """Accepted rows of a chunk, column by column. Times are UTC ``datetime64[us]`` (NaT: none);
    ``x``/``y`` are in the source CRS (NaN: no location); ``lat``/``lon`` are set by
    ``RowParser.project``."""

    lines: list[int]
    external_id: list[str]
    category: list[str]
    source_category: list[str]
    occurred_from: np.ndarray
    occurred_to: np.ndarray
    reported_at: np.ndarray
    x: np.ndarray
    y: np.ndarray
    lp_number: list[str]
    premises_type: list[str]
    modus_operandi: list[str]
    lat: np.ndarray | None = None
    lon: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.lines)

    @classmethod
    def from_rows(cls, rows: list[ParsedRow]) -> RowBlock:
        def times(name: str) -> np.ndarray:
            return np.array([_utc64(getattr(r, name)) for r in rows], dtype="datetime64[us]")

        return cls(
            [r.line for r in rows],
            [r.external_id for r in rows],
            [r.category for r in rows],
            [r.source_category for r in rows],
            times("occurred_from"),
            times("occurred_to"),
            times("reported_at"),
            np.array([r.cx for r in rows], dtype=np.float64),
            np.array([r.cy for r in rows], dtype=np.float64),
            [r.lp_number for r in rows],
            [r.premises_type for r in rows],
            [r.modus_operandi for r in rows],
        )

    def take(self, keep: np.ndarray) -> RowBlock:
        """The rows where ``keep`` (a boolean array) is true."""
        flags = keep.tolist()

        def pick(values: list[Any]) -> list[Any]:
            return list(compress(values, flags))

        def arr(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[keep]

        return RowBlock(
            pick(self.lines),
            pick(self.external_id),
            pick(self.category),
            pick(self.source_category),
            self.occurred_from[keep],
            self.occurred_to[keep],
            self.reported_at[keep],
            self.x[keep],
            self.y[keep],
            pick(self.lp_number),
            pick(self.premises_type),
            pick(self.modus_operandi),
            arr(self.lat),
            arr(self.lon),
        )
