"""Import options and the known CSV layouts (canonical, Vancouver, Chicago, NYC), and sniffing.

A layout is a set of column names, a coordinate system, a time zone and a category scheme. The
names are matched against a file's header ignoring case, spaces and underscores, so the Chicago
portal's own export (``Primary Type``) and its snake_case copy (``primary_type``) both match.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from os import PathLike
from typing import Any

from kamtibmas.incidents.timeparse import AUTO_FORMATS

CANONICAL_FIELDS = (
    "external_id",
    "category",
    "occurred_from",
    "occurred_to",
    "lat",
    "lon",
    "x",
    "y",
    "date",
    "time",
    "hour",
    "year",
    "month",
    "day",
    "minute",
    "lp_number",
    "premises_type",
    "modus_operandi",
    "reported_at",
    "domestic",
)
LAYOUTS = ("canonical", "vancouver", "chicago", "nyc")
DELIMITERS = ",;\t|"
ENCODING = "utf-8-sig"


@dataclass
class ImportOptions:
    """What an import needs to know about a file. ``columns`` maps a canonical field to the
    file's column name; fields the layout does not name are looked up by their own name."""

    dataset: str = "balikpapan"
    crs: str = "EPSG:4326"
    columns: dict[str, str] = field(default_factory=dict)
    time_zone: str = "Asia/Makassar"
    date_format: str | None = None
    category_scheme: str | None = None
    category_map: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    id_prefix: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportOptions:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class SniffResult:
    header: list[str]
    sample: list[dict[str, str]]
    delimiter: str
    guessed: ImportOptions
    layout: str = "custom"  # one of LAYOUTS, or "custom"


def norm(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


# canonical field -> candidate source names (normalised), per layout
_LAYOUT_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "canonical": {f: (f,) for f in CANONICAL_FIELDS if f not in ("x", "y")},
    "vancouver": {
        "category": ("type",),
        "year": ("year",),
        "month": ("month",),
        "day": ("day",),
        "hour": ("hour",),
        "minute": ("minute",),
        "x": ("x",),
        "y": ("y",),
    },
    "chicago": {
        "external_id": ("id",),
        "category": ("primarytype",),
        "date": ("date",),
        "lat": ("latitude",),
        "lon": ("longitude",),
        "lp_number": ("casenumber",),
        "premises_type": ("locationdescription",),
        "modus_operandi": ("description",),
        "domestic": ("domestic",),
    },
    "nyc": {
        "external_id": ("uid",),
        "category": ("offensetype",),
        "occurred_from": ("datestart",),
        "occurred_to": ("dateend",),
        "date": ("datesingle",),
        "lat": ("latitude",),
        "lon": ("longitude",),
        "premises_type": ("locationtype",),
    },
    # anything else: common names
    "custom": {
        "external_id": ("externalid", "id", "uid", "incidentid", "caseid"),
        "category": ("category", "type", "offense", "offence", "crimetype", "kategori"),
        "occurred_from": ("occurredfrom", "datestart", "startdate"),
        "occurred_to": ("occurredto", "dateend", "enddate"),
        "date": ("date", "datetime", "timestamp", "tanggal", "occurredat"),
        "time": ("time", "waktu", "jam"),
        "hour": ("hour",),
        "year": ("year", "tahun"),
        "month": ("month", "bulan"),
        "day": ("day", "hari"),
        "minute": ("minute", "menit"),
        "lat": ("lat", "latitude", "lintang"),
        "lon": ("lon", "lng", "long", "longitude", "bujur"),
        "x": ("x", "xcoordinate", "easting"),
        "y": ("y", "ycoordinate", "northing"),
        "lp_number": ("lpnumber", "nomorlp", "lp"),
        "premises_type": ("premisestype", "premises"),
        "modus_operandi": ("modusoperandi", "modus"),
        "reported_at": ("reportedat", "reported"),
    },
}
_LAYOUT_SETTINGS: dict[str, dict[str, Any]] = {
    "canonical": {"crs": "EPSG:4326"},
    "vancouver": {
        "crs": "EPSG:26910",
        "time_zone": "America/Vancouver",
        "category_scheme": "vancouver",
    },
    "chicago": {"crs": "EPSG:4326", "time_zone": "America/Chicago", "category_scheme": "chicago"},
    "nyc": {"crs": "EPSG:4326", "time_zone": "America/New_York", "category_scheme": "nyc"},
    "custom": {},
}


def detect_layout(header: list[str]) -> str:
    names = {norm(h) for h in header}
    if {"externalid", "category", "occurredfrom", "lat", "lon"} <= names:
        return "canonical"
    if {"type", "year", "month", "day", "x", "y"} <= names:
        return "vancouver"
    if {"primarytype", "date"} <= names:
        return "chicago"
    if "datesingle" in names or {"uid", "datestart"} <= names:
        return "nyc"
    return "custom"


def layout_columns(layout: str, header: list[str]) -> dict[str, str]:
    """Canonical field -> the header's own spelling, for the fields the file has."""
    if layout not in _LAYOUT_COLUMNS:
        raise ValueError(f"unknown layout {layout!r} (known: auto, {', '.join(LAYOUTS)})")
    by_norm: dict[str, str] = {}
    for name in header:
        by_norm.setdefault(norm(name), name)
    columns: dict[str, str] = {}
    for canonical, candidates in _LAYOUT_COLUMNS[layout].items():
        for candidate in candidates:
            if candidate in by_norm:
                columns[canonical] = by_norm[candidate]
                break
    if layout == "custom" and ("lat" in columns or "lon" in columns):
        columns.pop("x", None)
        columns.pop("y", None)
    return columns


def layout_options(layout: str, header: list[str], **overrides: Any) -> ImportOptions:
    options = ImportOptions(**_LAYOUT_SETTINGS.get(layout, {}))
    options.columns = layout_columns(layout, header)
    for key, value in overrides.items():
        setattr(options, key, value)
    return options


def detect_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def guess_date_format(values: list[str]) -> str | None:
    """None for ISO 8601 (or nothing to judge), else the first format that reads every value."""
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return None
    try:
        for value in values:
            datetime.fromisoformat(value)
        return None
    except ValueError:
        pass
    for fmt in AUTO_FORMATS:
        try:
            for value in values:
                datetime.strptime(value, fmt)
        except ValueError:
            continue
        return fmt
    return None


def read_head(path: str | PathLike[str], rows: int) -> tuple[list[str], list[list[str]], str]:
    """Header, the first ``rows`` data rows and the delimiter, reading only the file's start."""
    with open(path, encoding=ENCODING, newline="") as fh:
        first = fh.readline()
        delimiter = detect_delimiter(first)
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delimiter)
        header = [h.strip() for h in next(reader, [])]
        data: list[list[str]] = []
        for values in reader:
            if len(data) >= rows:
                break
            if values:
                data.append(values)
    return header, data, delimiter


def sniff(path: str | PathLike[str], *, sample_rows: int = 20) -> SniffResult:
    """Guess a file's layout from its header and first rows (reads only those)."""
    header, data, delimiter = read_head(path, sample_rows)
    layout = detect_layout(header)
    guessed = layout_options(layout, header)
    sample = [dict(zip(header, values, strict=False)) for values in data]
    for key in ("date", "occurred_from"):
        column = guessed.columns.get(key)
        if column and not guessed.date_format:
            guessed.date_format = guess_date_format([row.get(column, "") for row in sample])
    return SniffResult(header, sample, delimiter, guessed, layout)


def text_stream(binary: io.BufferedReader) -> io.TextIOWrapper:
    return io.TextIOWrapper(binary, encoding=ENCODING, newline="")
