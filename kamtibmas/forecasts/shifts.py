"""Patrol shifts in WITA: pagi 06-14, siang 14-22, malam 22-06 unless configured otherwise.

``KAMTIBMAS_SHIFTS`` (e.g. ``pagi=06-14,siang=14-22,malam=22-06``) sets names and hours; the
shifts must tile the day without gaps or overlaps. A shift that crosses midnight belongs to
the day it starts on (malam of 1 December runs 22:00 on the 1st to 06:00 on the 2nd).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kamtibmas.env import ConfigError

WITA = ZoneInfo("Asia/Makassar")
DEFAULT_SHIFTS = "pagi=06-14,siang=14-22,malam=22-06"
_ITEM = re.compile(r"^\s*([a-z][a-z0-9_-]*)\s*=\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$")


@dataclass(frozen=True)
class ShiftSpec:
    name: str
    start_hour: int
    end_hour: int  # may be <= start_hour: the shift ends on the next day

    @property
    def hours(self) -> int:
        return (self.end_hour - self.start_hour) % 24 or 24


@dataclass(frozen=True)
class Shift:
    """One shift on one day: ``start``/``end`` are aware datetimes in WITA."""

    name: str
    day: date
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        """Stable text id, e.g. ``2026-12-01/malam``."""
        return f"{self.day.isoformat()}/{self.name}"


def parse_shifts(text: str) -> tuple[ShiftSpec, ...]:
    """Parse ``name=HH-HH,...``; the shifts must cover 24 hours exactly once.

    >>> [s.hours for s in parse_shifts("pagi=06-14,siang=14-22,malam=22-06")]
    [8, 8, 8]
    """
    specs = []
    for item in text.split(","):
        match = _ITEM.match(item)
        if not match:
            raise ConfigError(f"KAMTIBMAS_SHIFTS: cannot read {item.strip()!r} (want name=HH-HH)")
        name, start, end = match.group(1), int(match.group(2)), int(match.group(3))
        if not (0 <= start <= 23 and 0 <= end <= 24):
            raise ConfigError(f"KAMTIBMAS_SHIFTS: hours of {name!r} must be 00-24")
        specs.append(ShiftSpec(name, start, end % 24))
    covered = sorted(h for s in specs for h in ((s.start_hour + k) % 24 for k in range(s.hours)))
    if covered != list(range(24)):
        raise ConfigError("KAMTIBMAS_SHIFTS: the shifts must cover each hour of the day once")
    if len({s.name for s in specs}) != len(specs):
        raise ConfigError("KAMTIBMAS_SHIFTS: shift names must differ")
    return tuple(sorted(specs, key=lambda s: s.start_hour))


def configured_shifts() -> tuple[ShiftSpec, ...]:
    """The shifts of ``settings.PATROL_SHIFTS`` (``KAMTIBMAS_SHIFTS``, checked at start-up)."""
    from django.conf import settings

    return tuple(settings.PATROL_SHIFTS)


def shift_on(day: date, spec: ShiftSpec) -> Shift:
    start = datetime.combine(day, time(spec.start_hour), tzinfo=WITA)
    return Shift(spec.name, day, start, start + timedelta(hours=spec.hours))


def shifts_of_day(day: date, specs: tuple[ShiftSpec, ...] | None = None) -> list[Shift]:
    return [shift_on(day, spec) for spec in (specs or configured_shifts())]


def shift_at(moment: datetime, specs: tuple[ShiftSpec, ...] | None = None) -> Shift:
    """The shift running at ``moment`` (any time zone)."""
    local = moment.astimezone(WITA)
    for day in (local.date(), local.date() - timedelta(days=1)):
        for shift in shifts_of_day(day, specs):
            if shift.start <= local < shift.end:
                return shift
    raise AssertionError("shifts tile the day")  # pragma: no cover


def next_shifts(
    moment: datetime, count: int = 3, specs: tuple[ShiftSpec, ...] | None = None
) -> list[Shift]:
    """The ``count`` shifts starting at or after ``moment``.

    >>> from datetime import datetime
    >>> [s.key for s in next_shifts(datetime(2026, 12, 1, 15, 0, tzinfo=WITA), 3)]
    ['2026-12-01/malam', '2026-12-02/pagi', '2026-12-02/siang']
    """
    local = moment.astimezone(WITA)
    found: list[Shift] = []
    day = local.date() - timedelta(days=1)
    while len(found) < count:
        found += [s for s in shifts_of_day(day, specs) if s.start >= local]
        day += timedelta(days=1)
    return found[:count]


def shift_by_key(key: str, specs: tuple[ShiftSpec, ...] | None = None) -> Shift | None:
    """The shift named by ``YYYY-MM-DD/name``, or None when the key is not valid."""
    day_text, _, name = key.partition("/")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return None
    for spec in specs or configured_shifts():
        if spec.name == name:
            return shift_on(day, spec)
    return None
