"""Times of imported rows: parse any common layout, read local times in the source's zone.

Local (naive) times become aware UTC datetimes with these deterministic DST rules, which are
Python's ``fold=0`` rules:

* an **ambiguous** time (the repeated hour when clocks go back, e.g. 01:30 on the first Sunday
  of November in Vancouver) is the **first** occurrence, i.e. still daylight time;
* a **nonexistent** time (the skipped hour when clocks go forward, e.g. 02:30 on the second
  Sunday of March) is read with the offset in force **before** the change, so it lands as far
  after the gap's start as it claims: 02:30 PST = 10:30 UTC = 03:30 PDT.

A time that carries an offset (``2025-11-25T00:00-08:00``) keeps it; the zone is not used.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Tried in order when no --date-format is given, after ISO 8601. The first format that reads
# a column's first value is then used for the whole column (a file has one layout), so a
# day-first file is never half read as month-first.
AUTO_FORMATS = (
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%Y%m%d",
)
ISO = "iso"


def zone(name: str) -> tzinfo:
    """The IANA time zone ``name`` (ValueError when unknown)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone: {name!r}") from None


def to_utc(value: datetime, source_tz: tzinfo) -> datetime:
    """An aware UTC datetime; naive values are local times of ``source_tz`` (fold=0 rules)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=source_tz, fold=0)
    return value.astimezone(UTC)


class TimestampParser:
    """Parses one column's values: ISO 8601 first, then ``fmt`` or the first auto format that
    fits the column's first value. Returns naive or aware datetimes (see ``to_utc``)."""

    def __init__(self, fmt: str | None = None) -> None:
        self.fmt = fmt
        self._locked: str | None = fmt

    @property
    def iso(self) -> bool | None:
        """True once the column reads as ISO 8601, False for a ``strptime`` format, None while
        undecided."""
        return None if self._locked is None else self._locked == ISO

    def __call__(self, text: str) -> datetime:
        text = text.strip()
        if self._locked in (None, ISO):
            try:
                value = datetime.fromisoformat(text)
                self._locked = ISO
                return value
            except ValueError:
                if self._locked == ISO:
                    raise ValueError(f"not an ISO 8601 time: {text!r}") from None
        if self._locked is not None:
            try:
                return datetime.strptime(text, self._locked)
            except ValueError:
                raise ValueError(f"{text!r} does not match {self._locked!r}") from None
        for fmt in AUTO_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
            except ValueError:
                continue
            self._locked = fmt
            return value
        raise ValueError(f"unrecognised date or time: {text!r}")


def parse_clock(text: str) -> time:
    """'8', '08:30', '08:30:15', '0830' -> time."""
    text = text.strip()
    if ":" in text:
        parts = [int(p) for p in text.split(":")]
        if len(parts) > 3:
            raise ValueError(f"not a time of day: {text!r}")
        return time(*parts)  # type: ignore[arg-type]
    if len(text) == 4 and text.isdigit():
        return time(int(text[:2]), int(text[2:]))
    return time(int(text))


def from_parts(year: str, month: str, day: str, hour: str = "", minute: str = "") -> datetime:
    """Separate columns -> naive datetime; empty hour/minute read as 0."""
    return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))


def combine(day_value: datetime | date, clock: time | None) -> datetime:
    """A date (or datetime) with an optional time of day replacing its clock."""
    if isinstance(day_value, datetime):
        if clock is None:
            return day_value
        return day_value.replace(
            hour=clock.hour, minute=clock.minute, second=clock.second, microsecond=0
        )
    return datetime.combine(day_value, clock or time(0))
