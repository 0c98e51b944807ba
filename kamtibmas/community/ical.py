"""The public calendar as iCalendar (RFC 5545) for ``/events.ics``, written by hand: the format
is small and a dependency is not worth it.

Window: public events that end no earlier than ``WINDOW_DAYS`` (30) days ago, soonest first.
Cancelled public events stay in the feed with ``STATUS:CANCELLED`` (and "DIBATALKAN" before
the title, since some clients do not show the status): a calendar that already subscribed then
drops or marks them, which silently leaving them out would not do. Private events never appear.

Times are UTC (``...Z``); text is escaped (backslash, semicolon, comma, newline); lines are
folded at 75 octets without splitting a UTF-8 character; lines end with CRLF.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation

from kamtibmas.community import events as event_rules
from kamtibmas.community.models import Event, ProgrammeKind

WINDOW_DAYS = 30
MAX_OCTETS = 75
CRLF = "\r\n"
PRODID = "-//Polres Balikpapan//Kamtibmas//ID"


def feed_events(now: datetime | None = None) -> QuerySet[Event]:
    since = (now or timezone.now()) - timedelta(days=WINDOW_DAYS)
    return (
        Event.objects.filter(is_public=True, ends_at__gte=since)
        .select_related("programme", "kelurahan")
        .order_by("starts_at", "pk")
    )


def escape_text(value: str) -> str:
    """TEXT value escaping of RFC 5545 section 3.3.11."""
    text = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets; each continuation begins with a
    space (which counts in its 75). A UTF-8 character is never cut in half."""
    pieces: list[str] = []
    current, size, limit = "", 0, MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, MAX_OCTETS - 1
        current += char
        size += width
    pieces.append(current)
    return (CRLF + " ").join(pieces)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def host() -> str:
    return urlsplit(settings.PUBLIC_BASE_URL).hostname or "kamtibmas.invalid"


def _location(event: Event) -> str:
    parts = [event.place_name]
    if event.kelurahan is not None:
        parts.append(f"Kel. {event.kelurahan.name}")
    return ", ".join(p for p in parts if p) + ", Balikpapan"


def _description(event: Event, url: str) -> str:
    lines = [event.description.strip()] if event.description.strip() else []
    if event.audience:
        lines.append(f"Peserta: {event.audience}")
    lines.append(url)
    return "\n\n".join(lines)


def vevent(event: Event, stamp: datetime) -> list[str]:
    url = event_rules.public_url(event)
    cancelled = event.status == Event.Status.CANCELLED
    summary = f"DIBATALKAN: {event.title}" if cancelled else event.title
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}@{host()}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"LAST-MODIFIED:{utc_stamp(event.updated_at)}",
        f"SUMMARY:{escape_text(summary)}",
        f"LOCATION:{escape_text(_location(event))}",
        f"DESCRIPTION:{escape_text(_description(event, url))}",
        f"CATEGORIES:{escape_text(str(ProgrammeKind(event.programme.kind).label))}",
        f"URL:{url}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
    ]
    if event.lat is not None and event.lon is not None:
        lines.append(f"GEO:{event.lat:.6f};{event.lon:.6f}")
    lines.append("END:VEVENT")
    return lines


def calendar(rows: Iterable[Event], now: datetime | None = None) -> str:
    """The whole VCALENDAR text, CRLF line ends, folded (in Indonesian: the category names)."""
    stamp = now or timezone.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Kegiatan Polres Balikpapan",
        "X-WR-TIMEZONE:Asia/Makassar",
    ]
    with translation.override(settings.LANGUAGE_CODE):
        for event in rows:
            lines += vevent(event, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
