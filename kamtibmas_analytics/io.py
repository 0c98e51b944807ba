"""Read and write the canonical incident CSV with the standard library and numpy only.

The canonical layout, shared by the importer, the exporter and every analysis command::

    external_id,category,occurred_from,occurred_to,lat,lon
    vc-1,curat,2025-11-25T00:00:00-08:00,,49.2812,-123.1277
    vc-2,assault,2025-11-25T00:00:00-08:00,2025-11-25T06:00:00-08:00,,

Times are ISO 8601 with an offset (``Z`` allowed); ``occurred_to``, ``lat`` and ``lon`` may be
empty ("no window", "no location"). Extra columns are allowed and ignored.

>>> import io, tempfile, os
>>> text = "external_id,category,occurred_from,occurred_to,lat,lon\\n"
>>> text += "a,theft,2025-01-01T08:00:00+08:00,,-1.25,116.85\\n"
>>> text += "b,curat,2025-01-01T00:00:00Z,2025-01-01T06:00:00Z,,\\n"
>>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
...     _ = fh.write(text)
>>> arrays = read_incidents_csv(fh.name)
>>> arrays.t_from.tolist()
[1735689600.0, 1735689600.0]
>>> bool(np.isnan(arrays.lat[1])), len(arrays)
(True, 2)
>>> os.unlink(fh.name)
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from os import PathLike
from typing import IO

import numpy as np

CANONICAL_COLUMNS = ("external_id", "category", "occurred_from", "occurred_to", "lat", "lon")


class CanonicalFormatError(ValueError):
    """A canonical file that cannot be read: ``line`` is the 1-based line of the file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class IncidentArrays:
    """Incidents as parallel arrays: times in seconds since 1970-01-01 UTC, NaN for missing."""

    external_id: np.ndarray  # object (str)
    category: np.ndarray  # object (str)
    t_from: np.ndarray  # float64, epoch seconds UTC
    t_to: np.ndarray  # float64, NaN when the source has no end of window
    lat: np.ndarray  # float64, NaN for "no location"
    lon: np.ndarray  # float64, NaN for "no location"

    def __len__(self) -> int:
        return int(self.t_from.shape[0])

    @property
    def has_location(self) -> np.ndarray:
        return ~(np.isnan(self.lat) | np.isnan(self.lon))


def parse_timestamp(text: str, default_tz: tzinfo | None = None) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime.

    A time without an offset is read in ``default_tz``; without one it is an error.

    >>> parse_timestamp("2025-11-25T00:00:00-08:00").isoformat()
    '2025-11-25T08:00:00+00:00'
    """
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        if default_tz is None:
            raise ValueError(f"time without an offset: {text!r}")
        value = value.replace(tzinfo=default_tz)
    return value.astimezone(UTC)


def parse_coordinate(text: str) -> float:
    """A decimal coordinate, NaN for an empty cell; ValueError for text or infinities."""
    text = text.strip()
    if not text:
        return math.nan
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def iter_canonical(fh: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row of an open canonical file; checks the header."""
    reader = csv.reader(fh)
    header = next(reader, None)
    if header is None:
        raise CanonicalFormatError(1, "the file is empty")
    header = [name.strip().lstrip("\ufeff") for name in header]
    missing = [name for name in CANONICAL_COLUMNS if name not in header]
    if missing:
        raise CanonicalFormatError(1, f"missing columns: {', '.join(missing)}")
    for values in reader:
        if not values:
            continue
        yield reader.line_num, dict(zip(header, values, strict=False))


def read_incidents_csv(
    path: str | PathLike[str], *, default_tz: tzinfo | None = None
) -> IncidentArrays:
    """Read a canonical incident CSV into arrays; streams the file row by row.

    Raises ``CanonicalFormatError`` with the line number on the first bad row (a bad time,
    coordinate, or only one of lat/lon). ``lat = lon = 0`` is read as "no location".
    """
    ids: list[str] = []
    categories: list[str] = []
    t_from: list[float] = []
    t_to: list[float] = []
    lat: list[float] = []
    lon: list[float] = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for line, row in iter_canonical(fh):
            try:
                start = parse_timestamp(row["occurred_from"], default_tz).timestamp()
                end_text = (row.get("occurred_to") or "").strip()
                end = parse_timestamp(end_text, default_tz).timestamp() if end_text else math.nan
                y = parse_coordinate(row.get("lat") or "")
                x = parse_coordinate(row.get("lon") or "")
            except (ValueError, TypeError) as exc:
                raise CanonicalFormatError(line, str(exc)) from None
            if math.isnan(x) != math.isnan(y):
                raise CanonicalFormatError(line, "only one of lat/lon is given")
            if x == 0.0 and y == 0.0:
                x = y = math.nan
            ids.append(row["external_id"].strip())
            categories.append(row["category"].strip())
            t_from.append(start)
            t_to.append(end)
            lat.append(y)
            lon.append(x)
    return IncidentArrays(
        external_id=np.array(ids, dtype=object),
        category=np.array(categories, dtype=object),
        t_from=np.array(t_from, dtype=np.float64),
        t_to=np.array(t_to, dtype=np.float64),
        lat=np.array(lat, dtype=np.float64),
        lon=np.array(lon, dtype=np.float64),
    )


def format_timestamp(epoch_s: float, tz: tzinfo = UTC) -> str:
    """Epoch seconds as ISO 8601 with the offset of ``tz`` ('' for NaN)."""
    if math.isnan(epoch_s):
        return ""
    return datetime.fromtimestamp(epoch_s, tz).isoformat()


def write_incidents_csv(
    path: str | PathLike[str], arrays: IncidentArrays, *, tz: tzinfo = UTC
) -> None:
    """Write arrays in the canonical layout (times with the offset of ``tz``)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CANONICAL_COLUMNS)
        for i in range(len(arrays)):
            y, x = float(arrays.lat[i]), float(arrays.lon[i])
            writer.writerow(
                [
                    arrays.external_id[i],
                    arrays.category[i],
                    format_timestamp(float(arrays.t_from[i]), tz),
                    format_timestamp(float(arrays.t_to[i]), tz),
                    "" if math.isnan(y) else repr(y),
                    "" if math.isnan(x) else repr(x),
                ]
            )
