"""The ONE place where public crime numbers are made (page, GeoJSON, CSV, monthly messages).

The rules, each applied here and nowhere else:

- Only incidents of the Balikpapan dataset count; imported foreign cities are never public.
- Delay: only what occurred before ``now - delay_days()`` (at least 7 days) counts.
- Periods are whole months (a date given stands for its month), clamped to the cutoff, so that
  two requests cannot be subtracted to isolate a single day.
- A count of 1 or 2 is never given as a number: its label is ``"<3"`` and its ``count`` None.
  Zero is not protected: it is shown as 0 (areas with nothing are left out of the open data).
- Sensitive categories (domestic violence, sexual offences) are counted per kelurahan only,
  never in the 500 m cells.
- Differencing: every published number is a sum of ATOMIC cells, an atomic cell being
  (area = kelurahan or 500 m cell) x (calendar month, WITA) x (offence category). An atomic
  count of 1 or 2 is suppressed and adds NOTHING to any total; a total over several months,
  categories or a group is the sum of its shown atomic counts (``complete`` False when some
  atomic cell was left out). A total is therefore 0, or 3 or more (each shown atom is 3+), and
  its label is ``"<3"`` only when nothing is shown but something is hidden. Two published
  numbers of the same geography then differ by a sum of shown atoms only: whatever periods,
  groups or months are subtracted, no suppressed atomic count comes out.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kamtibmas.forecasts.groups import CRIME_GROUPS
from kamtibmas.geo.models import Kelurahan
from kamtibmas.geo.projection import UTM_50S, WGS84, _transformer
from kamtibmas.incidents.mapping import OTHER
from kamtibmas.incidents.models import BALIKPAPAN, Incident
from kamtibmas.reports.reference import OFFENCES

PUBLIC_DELAY_DAYS = 7  # the minimum; settings.PUBLIC_STATS_DELAY_DAYS may only raise it
MIN_SHOWN = 3
HIDDEN_LABEL = "<3"
CELL_SIZE_M = 500
# Cells are squares of UTM 50S (EPSG:32750) whose corners are multiples of 500 m: anchored at
# the projection's own origin, so a cell never moves between requests or releases.
SENSITIVE_CATEGORIES = frozenset({"domestic_violence", "sexual_offence"})
ALL = "all"
DEFAULT_MONTHS = 12
MAX_MONTHS = 60

CATEGORY_NAMES: dict[str, tuple[str, str]] = {
    **{code: (name_id, name_en) for code, name_id, name_en, _urgent in OFFENCES},
    OTHER: ("Kejahatan lainnya", "Other crime"),
}
CATEGORY_CODES: tuple[str, ...] = tuple(CATEGORY_NAMES)


class StatsError(ValueError):
    """A query the public statistics cannot answer; ``field`` names the bad parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- rules ----------------------------------------------------------------------------------


def delay_days() -> int:
    """The publication delay in days; a configured value under 7 is refused, never used."""
    days = int(getattr(settings, "PUBLIC_STATS_DELAY_DAYS", PUBLIC_DELAY_DAYS))
    if days < PUBLIC_DELAY_DAYS:
        raise ImproperlyConfigured(
            f"PUBLIC_STATS_DELAY_DAYS must be at least {PUBLIC_DELAY_DAYS} (got {days})"
        )
    return days


@checks.register(checks.Tags.security)
def check_delay(**kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse to start with a publication delay under 7 days."""
    try:
        delay_days()
    except (ImproperlyConfigured, TypeError, ValueError) as exc:
        return [checks.Error(str(exc), id="portal.E001")]
    return []


def cutoff(now: datetime | None = None) -> datetime:
    """Incidents that occurred at or after this instant are not public yet."""
    return (now or timezone.now()) - timedelta(days=delay_days())


def label(count: int) -> str:
    return HIDDEN_LABEL if 0 < count < MIN_SHOWN else str(count)


def shown(count: int) -> int | None:
    """The number a reader may see: None for 1 or 2."""
    return None if 0 < count < MIN_SHOWN else count


def shown_total(parts: Iterable[int]) -> tuple[int, bool]:
    """(sum of the parts that are shown, whether no part was hidden): the differencing rule."""
    values = list(parts)
    total = sum(v for v in values if v >= MIN_SHOWN)
    return total, not any(0 < v < MIN_SHOWN for v in values)


@dataclass(frozen=True)
class Protected:
    """A total under the rules: ``count`` None when hidden, ``label`` what a page shows."""

    count: int | None
    label: str
    complete: bool

    @classmethod
    def of(cls, parts: Iterable[int]) -> Protected:
        values = list(parts)
        total, complete = shown_total(values)
        if total == 0 and not complete:
            return cls(None, HIDDEN_LABEL, False)  # only small parts: "<3" each
        return cls(total, str(total), complete)


def category_name(code: str) -> str:
    names = CATEGORY_NAMES.get(code)
    if names is None:
        return code
    return names[1] if (get_language() or "id").startswith("en") else names[0]


def categories_of(selection: str) -> tuple[str, ...]:
    """The category codes of ``all``, a crime group (3c, theft, ...) or one category code."""
    if selection == ALL:
        return CATEGORY_CODES
    if selection in CRIME_GROUPS:
        return CRIME_GROUPS[selection]
    if selection in CATEGORY_NAMES:
        return (selection,)
    raise StatsError("category", _("Unknown category or group."))


# --- periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole months ``first``..``last`` (dates of the 1st); ``end`` is clamped to the cutoff."""

    first: date
    last: date
    start: datetime
    end: datetime

    @property
    def label_from(self) -> str:
        return self.first.strftime("%Y-%m")

    @property
    def label_to(self) -> str:
        return self.last.strftime("%Y-%m")

    def months(self) -> list[date]:
        out, month = [], self.first
        while month <= self.last:
            out.append(month)
            month = add_months(month, 1)
        return out


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _local_start(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def parse_month(value: str, field: str) -> date:
    """``YYYY-MM`` or ``YYYY-MM-DD`` -> the 1st of that month (a date stands for its month)."""
    text = value.strip()
    try:
        if len(text) == 7:
            return datetime.strptime(text, "%Y-%m").date()
        return datetime.strptime(text, "%Y-%m-%d").date().replace(day=1)
    except ValueError:
        raise StatsError(field, _("Give a month as YYYY-MM (or a date as YYYY-MM-DD).")) from None


def make_period(
    first: date | None = None, last: date | None = None, now: datetime | None = None
) -> Period:
    """The months asked for, clamped to the cutoff; by default the 12 months up to it."""
    limit = cutoff(now)
    limit_month = timezone.localtime(limit).date().replace(day=1)
    last = min(last or limit_month, limit_month)
    first = first or add_months(last, 1 - DEFAULT_MONTHS)
    if first > last:
        raise StatsError("from", _("The period starts after it ends (or after the cutoff)."))
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        raise StatsError("from", _("Ask for at most 60 months at a time."))
    return Period(first, last, _local_start(first), min(_local_start(add_months(last, 1)), limit))


# --- counting -------------------------------------------------------------------------------


def public_incidents(period: Period, codes: Iterable[str]) -> Any:
    """The incidents the public numbers are made of (Balikpapan, placed, in the period)."""
    return Incident.objects.filter(
        dataset=BALIKPAPAN,
        occurred_from__gte=period.start,
        occurred_from__lt=period.end,
        category__in=list(codes),
    )


Atom = tuple[date, str]  # (calendar month WITA, offence category) within one area


def _month_of(when: date | datetime) -> date:
    """The 1st of the WITA month of ``when`` (a datetime is made local first)."""
    if isinstance(when, datetime):
        when = timezone.localtime(when).date() if timezone.is_aware(when) else when.date()
    return when.replace(day=1)


def kelurahan_atoms(
    period: Period, codes: Iterable[str], kelurahan_code: str = ""
) -> dict[str, dict[Atom, int]]:
    """{kelurahan code: {(month, category): count}}: the true atomic counts of the kelurahan
    geography, for the rules to protect. Incidents without a kelurahan are the area ``""``
    (they count in the city-wide trend only, never on the map)."""
    query = public_incidents(period, codes)
    if kelurahan_code:
        query = query.filter(kelurahan_code=kelurahan_code)
    month = TruncMonth("occurred_from", tzinfo=timezone.get_current_timezone())
    rows = (
        query.annotate(month=month)
        .values_list("kelurahan_code", "month", "category")
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[str, dict[Atom, int]] = defaultdict(dict)
    for code, when, category, n in rows:
        atom = (_month_of(when), category)
        out[code][atom] = out[code].get(atom, 0) + n
    return out


def kelurahan_counts(period: Period, codes: Iterable[str]) -> dict[str, dict[Atom, int]]:
    """{kelurahan code: {(month, category): count}} of the placed incidents (the map)."""
    atoms = kelurahan_atoms(period, codes)
    atoms.pop("", None)
    return atoms


def cell_of(x: float, y: float) -> tuple[int, int]:
    return math.floor(x / CELL_SIZE_M), math.floor(y / CELL_SIZE_M)


def cell_id(ix: int, iy: int) -> str:
    return f"E{ix * CELL_SIZE_M}N{iy * CELL_SIZE_M}"


def cell_polygon(ix: int, iy: int) -> list[list[float]]:
    """The cell's closed ring in WGS84 [lon, lat] (over 500 m a UTM edge stays straight)."""
    x0, y0, size = ix * CELL_SIZE_M, iy * CELL_SIZE_M, CELL_SIZE_M
    xs = np.array([x0, x0 + size, x0 + size, x0, x0], dtype=float)
    ys = np.array([y0, y0, y0 + size, y0 + size, y0], dtype=float)
    lon, lat = _transformer(UTM_50S, WGS84).transform(xs, ys)
    return [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]


def cell_counts(period: Period, codes: Iterable[str]) -> dict[tuple[int, int], dict[Atom, int]]:
    """{(ix, iy): {(month, category): count}} without the sensitive categories (never below
    kelurahan): the true atomic counts of the cell geography."""
    allowed = [c for c in codes if c not in SENSITIVE_CATEGORIES]
    rows = list(
        public_incidents(period, allowed)
        .exclude(lat=None)
        .exclude(lon=None)
        .values_list("lon", "lat", "occurred_from", "category")
        .order_by()
    )
    out: dict[tuple[int, int], dict[Atom, int]] = defaultdict(lambda: defaultdict(int))
    if not rows:
        return out
    lon, lat, whens, cats = zip(*rows, strict=True)
    xs, ys = _transformer(WGS84, UTM_50S).transform(np.array(lon), np.array(lat))
    for x, y, when, category in zip(xs, ys, whens, cats, strict=True):
        out[cell_of(float(x), float(y))][(_month_of(when), category)] += 1
    return out


def monthly_counts(
    period: Period, codes: Iterable[str], kelurahan_code: str = ""
) -> dict[date, list[int]]:
    """{month (date of the 1st, WITA): atomic counts of that month}, over every kelurahan (and
    the unplaced incidents) or of one kelurahan: one entry per (area, category)."""
    out: dict[date, list[int]] = defaultdict(list)
    for atoms in kelurahan_atoms(period, codes, kelurahan_code).values():
        for (month, _category), n in atoms.items():
            out[month].append(n)
    return out


# --- what the public sees -------------------------------------------------------------------


@dataclass(frozen=True)
class AreaCount:
    """One area (kelurahan or cell) under the rules."""

    level: str
    code: str
    name: str
    total: Protected
    geometry: dict[str, Any] | None


def kelurahan_areas(period: Period, selection: str) -> list[AreaCount]:
    """Kelurahan with at least one incident of ``selection`` in the period, largest first."""
    codes = categories_of(selection)
    counts = kelurahan_counts(period, codes)
    places = Kelurahan.objects.filter(code__in=list(counts)).only("code", "name", "geometry")
    areas = [
        AreaCount("kelurahan", k.code, k.name, Protected.of(counts[k.code].values()), k.geometry)
        for k in places
    ]
    return sorted(areas, key=lambda a: (-(a.total.count or 0), a.name))


def cell_areas(period: Period, selection: str) -> list[AreaCount]:
    """500 m cells with at least one (non-sensitive) incident of ``selection``."""
    codes = categories_of(selection)
    areas = []
    for (ix, iy), parts in sorted(cell_counts(period, codes).items()):
        geometry = {"type": "Polygon", "coordinates": [cell_polygon(ix, iy)]}
        areas.append(AreaCount("cell", cell_id(ix, iy), "", Protected.of(parts.values()), geometry))
    return areas


@dataclass(frozen=True)
class MonthPoint:
    month: date
    total: Protected


def monthly_trend(period: Period, selection: str, kelurahan_code: str = "") -> list[MonthPoint]:
    """Every month of the period (also empty ones) with its protected total."""
    counts = monthly_counts(period, categories_of(selection), kelurahan_code)
    return [MonthPoint(m, Protected.of(counts.get(m, []))) for m in period.months()]


def kelurahan_month_summary(kelurahan_code: str, year: int, month: int) -> dict[str, Any]:
    """One kelurahan's month for subscribers' monthly messages, under the same rules.

    Counts only what occurred before the cutoff: send it at least 7 days after the month ends.
    Raises ``Kelurahan.DoesNotExist`` for an unknown code, ``ValueError`` for a bad month."""
    kelurahan = Kelurahan.objects.get(code=kelurahan_code)
    first = date(year, month, 1)
    period = make_period(first, first)  # StatsError when the month is after the cutoff
    atoms = kelurahan_atoms(period, CATEGORY_CODES, kelurahan_code).get(kelurahan_code, {})
    counts = {category: n for (month, category), n in atoms.items() if month == first}
    total = Protected.of(counts.values())
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "kelurahan": kelurahan.name,
        "month": first.strftime("%Y-%m"),
        "total": total.count,
        "total_label": total.label,
        "by_category": [
            {"code": c, "name": category_name(c), "count": shown(n), "count_label": label(n)}
            for c, n in rows
        ],
        "url": settings.PUBLIC_BASE_URL.rstrip("/")
        + reverse("portal:stats")
        + f"?kelurahan={kelurahan.code}&months=12",
    }


# --- the query of the open data (GeoJSON, CSV, page) ----------------------------------------

LEVELS = ("kelurahan", "cell")


@dataclass(frozen=True)
class StatsQuery:
    level: str
    period: Period
    category: str

    def areas(self) -> list[AreaCount]:
        if self.level == "cell":
            return cell_areas(self.period, self.category)
        return kelurahan_areas(self.period, self.category)


def parse_query(params: Any, now: datetime | None = None) -> StatsQuery:
    """``level``, ``from``, ``to``, ``category`` of a request -> a query; StatsError if bad."""
    level = (params.get("level") or "kelurahan").strip()
    if level not in LEVELS:
        raise StatsError("level", _("Choose kelurahan or cell."))
    category = (params.get("category") or ALL).strip()
    categories_of(category)  # StatsError for an unknown one
    if level == "cell" and set(categories_of(category)) <= SENSITIVE_CATEGORIES:  # validates too
        raise StatsError(
            "category",
            _("This category is sensitive: it is counted per kelurahan only, never in cells."),
        )
    first = parse_month(params["from"], "from") if params.get("from") else None
    last = parse_month(params["to"], "to") if params.get("to") else None
    if first and last and first > last:
        raise StatsError("from", _("The period starts after it ends (or after the cutoff)."))
    return StatsQuery(level, make_period(first, last, now), category)
