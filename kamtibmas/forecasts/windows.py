"""The windows a forecast covers: the next shifts and the next seven days.

The seven-day window starts with the first of the next shifts. The nightly job anchors its
windows at ``KAMTIBMAS_FORECAST_NIGHTLY_HOUR`` (18:00 WITA by default) of the day, so every
hourly run of one evening asks for the same windows and makes them once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings

from kamtibmas.forecasts.models import WEEK_KIND
from kamtibmas.forecasts.shifts import WITA, ShiftSpec, configured_shifts, next_shifts

WEEK = timedelta(days=7)
HORIZONS = ("shifts", WEEK_KIND, "both")


@dataclass(frozen=True)
class Window:
    kind: str  # a shift name or "7d"
    start: datetime
    end: datetime

    @property
    def horizon_s(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def shift(self) -> ShiftSpec | None:
        """The configured shift of this window, None for seven days (or an unknown name)."""
        return next((s for s in configured_shifts() if s.name == self.kind), None)


def shift_count() -> int:
    """How many coming shifts get a forecast (``KAMTIBMAS_FORECAST_SHIFTS``, default 3)."""
    return int(settings.FORECAST_SHIFTS)


def nightly_hour() -> int:
    return int(settings.FORECAST_NIGHTLY_HOUR)


def upcoming(at: datetime, horizon: str = "both", count: int | None = None) -> list[Window]:
    """The next ``count`` shifts starting at or after ``at`` and/or the seven days from the
    first of them."""
    shifts = next_shifts(at, count or shift_count())
    windows = []
    if horizon in ("shifts", "both"):
        windows += [Window(s.name, s.start, s.end) for s in shifts]
    if horizon in (WEEK_KIND, "both"):
        windows.append(Window(WEEK_KIND, shifts[0].start, shifts[0].start + WEEK))
    return windows


def nightly_anchor(at: datetime) -> datetime:
    """The nightly hour (WITA) of today if it has passed, else of yesterday."""
    local = at.astimezone(WITA)
    anchor = datetime.combine(local.date(), time(nightly_hour()), tzinfo=WITA)
    return anchor if local >= anchor else anchor - timedelta(days=1)


def parse_moment(text: str) -> datetime | None:
    """An ISO date or date-time; without a zone it is WITA (a date: its 00:00). None if bad.

    >>> parse_moment("2026-12-01T18:30").isoformat()
    '2026-12-01T18:30:00+08:00'
    >>> parse_moment("1 Dec") is None
    True
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=WITA)
