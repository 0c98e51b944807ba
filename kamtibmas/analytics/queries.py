"""URL filters -> the user's scoped incidents -> numpy arrays in metres.

Filters live in the query string so a view is shareable: ``dataset``, ``from`` and ``to``
(dates, inclusive, in the dataset's local time), ``category`` (repeatable), ``unit`` (a Polsek
id), ``kelurahan`` (official code), ``hours`` (``22-4`` = 22:00 to 04:00, wrapping midnight) and
``weekday`` (repeatable, ISO 1 = Monday .. 7 = Sunday). A bad value is dropped with a notice,
never a server error.

The heavy work is done by the database: points are snapped to a fine lat/lon grid
(``SNAP_M``) and counted with GROUP BY, so the payload is bounded by the occupied cells rather
than by the number of incidents (1,000,000 rows stay fast on PostgreSQL).
"""

from __future__ import annotations

import math
import re
import time as time_module
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import numpy as np
from django.db.models import Avg, Count, F, Max, Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, Floor
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from kamtibmas.analytics.labels import CATEGORY_LABELS
from kamtibmas.incidents.models import BALIKPAPAN, Incident
from kamtibmas.incidents.scoping import incidents_for as scoped_incidents

BALIKPAPAN_CRS = "EPSG:32750"  # UTM 50S
DEFAULT_TZ = "Asia/Makassar"  # WITA, UTC+8
DEFAULT_PERIOD_DAYS = 90
MAX_PERIOD_DAYS = 3660
SNAP_M = 25.0  # database-side binning of points before analysis
METRES_PER_DEGREE = 111_320.0
_HOURS = re.compile(r"^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$")


# ---- scope -------------------------------------------------------------------------------


def incidents_for(user: Any) -> QuerySet[Incident]:
    """The incidents the user may analyse: the same scoping as the incident pages."""
    return scoped_incidents(user)


# ---- datasets: time zone and projection -----------------------------------------------------


def dataset_tz(dataset: str) -> ZoneInfo:
    """Local time of a dataset: WITA for Balikpapan, else the import's ``source_tz`` option."""
    if dataset == BALIKPAPAN:
        return ZoneInfo(DEFAULT_TZ)
    return ZoneInfo(_import_tz(dataset))


@lru_cache(maxsize=64)
def _import_tz(dataset: str) -> str:
    from kamtibmas.incidents.models import ImportBatch

    for options in ImportBatch.objects.filter(dataset=dataset).values_list("options", flat=True):
        for key in ("source_tz", "tz", "timezone"):
            name = (options or {}).get(key) if isinstance(options, dict) else None
            if isinstance(name, str):
                try:
                    ZoneInfo(name)
                except (KeyError, ValueError):
                    continue
                return name
    return DEFAULT_TZ


def utc_offset_hours(dataset: str, at: datetime | None = None) -> float:
    offset = (at or timezone.now()).astimezone(dataset_tz(dataset)).utcoffset()
    return offset.total_seconds() / 3600 if offset else 0.0


@lru_cache(maxsize=64)
def _centre(dataset: str) -> tuple[float, float]:
    row = Incident.objects.filter(dataset=dataset, lat__isnull=False, lon__isnull=False).aggregate(
        lat=Avg("lat"), lon=Avg("lon")
    )
    if row["lat"] is None:
        return (-1.2379, 116.8529)
    return (float(row["lat"]), float(row["lon"]))


def dataset_centre(dataset: str) -> tuple[float, float]:
    """(lat, lon) near the middle of the dataset's points."""
    if dataset == BALIKPAPAN:
        return (-1.2379, 116.8529)
    return _centre(dataset)


def dataset_crs(dataset: str) -> str:
    """UTM 50S for Balikpapan, otherwise the UTM zone of the data."""
    if dataset == BALIKPAPAN:
        return BALIKPAPAN_CRS
    from kamtibmas_analytics import projection

    lat, lon = dataset_centre(dataset)
    return str(projection.utm_crs_for(lon, lat))


def forget_dataset_caches() -> None:
    _datasets_cache.clear()
    _centre.cache_clear()
    _import_tz.cache_clear()


# ---- filters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    dataset: str
    date_from: date
    date_to: date  # inclusive
    categories: tuple[str, ...] = ()
    unit_id: int | None = None
    kelurahan_code: str = ""
    hours: tuple[int, int] | None = None  # [from, to) in local hours, may wrap midnight
    weekdays: tuple[int, ...] = ()  # ISO: 1 = Monday
    notices: tuple[str, ...] = field(default=(), compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return dataset_tz(self.dataset)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time.min, tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        """Exclusive end: midnight after ``date_to``."""
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=self.tz)

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def shifted(self, date_from: date, date_to: date) -> Filters:
        return replace(self, date_from=date_from, date_to=date_to)

    def previous_period(self) -> Filters:
        return self.shifted(
            self.date_from - timedelta(days=self.days), self.date_from - timedelta(days=1)
        )

    def last_year(self) -> Filters:
        return self.shifted(_minus_year(self.date_from), _minus_year(self.date_to))

    def params(self) -> list[tuple[str, str]]:
        pairs = [
            ("dataset", self.dataset),
            ("from", self.date_from.isoformat()),
            ("to", self.date_to.isoformat()),
        ]
        pairs += [("category", c) for c in self.categories]
        if self.unit_id:
            pairs.append(("unit", str(self.unit_id)))
        if self.kelurahan_code:
            pairs.append(("kelurahan", self.kelurahan_code))
        if self.hours:
            pairs.append(("hours", f"{self.hours[0]}-{self.hours[1]}"))
        pairs += [("weekday", str(d)) for d in self.weekdays]
        return pairs

    def query(self) -> str:
        return urlencode(self.params())

    def cache_key(self) -> str:
        return self.query()


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


_DATASETS_TTL_S = 60.0
_datasets_cache: dict[str, tuple[float, list[str]]] = {}


def datasets_for(scope: QuerySet[Incident]) -> list[str]:
    """Datasets in the scope (a full scan on a big table: kept a minute per scope)."""
    key = str(scope.query)
    now = time_module.monotonic()
    hit = _datasets_cache.get(key)
    if hit and now - hit[0] < _DATASETS_TTL_S:
        return hit[1]
    found = sorted(set(scope.order_by().values_list("dataset", flat=True).distinct()))
    if len(_datasets_cache) > 256:
        _datasets_cache.clear()
    _datasets_cache[key] = (now, found)
    return found


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def parse_hours(raw: str) -> tuple[int, int] | None:
    """``"22-4"`` -> (22, 4); ``None`` for a malformed or empty range."""
    match = _HOURS.match(raw or "")
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    if not (0 <= start <= 23 and 0 <= end <= 24) or start == end % 24:
        return None
    return (start, end % 24)


def hour_mask(hours: tuple[int, int] | None) -> np.ndarray:
    """24 booleans: which local hours a range keeps."""
    keep = np.ones(24, bool)
    if hours:
        start, end = hours
        h = np.arange(24)
        keep = (h >= start) & (h < end) if start < end else (h >= start) | (h < end)
    return keep


def _latest_day(scope: QuerySet[Incident], dataset: str) -> date:
    latest = scope.filter(dataset=dataset).aggregate(m=Max("occurred_from"))["m"]
    now = timezone.now()
    if latest is None or latest > now:
        latest = now
    return latest.astimezone(dataset_tz(dataset)).date()


def _in_scope(scope: QuerySet[Incident], dataset: str) -> bool:
    """Does the scope hold incidents of ``dataset``: from this process's current analytics
    snapshot when it has one (each of the six requests of a filter change asks), else asked
    of the database."""
    from kamtibmas.analytics import facts

    return facts.has_rows(scope, dataset) or scope.filter(dataset=dataset).exists()


def parse_filters(data: QueryDict, scope: QuerySet[Incident]) -> Filters:
    """Filters from a query string; a bad value is ignored and named in ``notices``."""
    from kamtibmas.geo.models import Kelurahan, Unit

    notices: list[str] = []
    dataset = data.get("dataset", "").strip()
    if dataset and not _in_scope(scope, dataset):
        notices.append(_("Unknown dataset ignored."))
        dataset = ""
    if not dataset:
        if _in_scope(scope, BALIKPAPAN):
            dataset = BALIKPAPAN
        else:
            dataset = (datasets_for(scope) or [BALIKPAPAN])[0]

    date_to = _parse_date(data.get("to", "")) if data.get("to") else None
    if data.get("to") and date_to is None:
        notices.append(_("The end date is not a date (YYYY-MM-DD) and was ignored."))
    date_from = _parse_date(data.get("from", "")) if data.get("from") else None
    if data.get("from") and date_from is None:
        notices.append(_("The start date is not a date (YYYY-MM-DD) and was ignored."))
    if date_to is None:
        date_to = _latest_day(scope, dataset)
    if date_from is None:
        date_from = date_to - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if date_from > date_to:
        notices.append(_("The start date was after the end date: the dates were swapped."))
        date_from, date_to = date_to, date_from
    if (date_to - date_from).days >= MAX_PERIOD_DAYS:
        notices.append(_("The period was shortened to ten years."))
        date_from = date_to - timedelta(days=MAX_PERIOD_DAYS - 1)

    categories = []
    for code in data.getlist("category"):
        if code in CATEGORY_LABELS and code not in categories:
            categories.append(code)
        elif code:
            notices.append(_("Unknown category ignored."))

    unit_id = None
    raw_unit = data.get("unit", "").strip()
    if raw_unit:
        if raw_unit.isdigit() and Unit.objects.filter(pk=int(raw_unit)).exists():
            unit_id = int(raw_unit)
        else:
            notices.append(_("Unknown Polsek ignored."))

    kelurahan_code = data.get("kelurahan", "").strip()
    if kelurahan_code and not Kelurahan.objects.filter(code=kelurahan_code).exists():
        notices.append(_("Unknown kelurahan ignored."))
        kelurahan_code = ""

    hours = None
    if data.get("hours", "").strip():
        hours = parse_hours(data.get("hours", ""))
        if hours is None:
            notices.append(_("The time of day must look like 22-4 (hours 0-24); it was ignored."))

    weekdays: list[int] = []
    for raw in data.getlist("weekday"):
        if raw.strip().isdigit() and 1 <= int(raw) <= 7:
            if int(raw) not in weekdays:
                weekdays.append(int(raw))
        elif raw:
            notices.append(_("A weekday must be 1 (Monday) to 7 (Sunday); it was ignored."))
    if len(weekdays) == 7:
        weekdays = []

    return Filters(
        dataset=dataset,
        date_from=date_from,
        date_to=date_to,
        categories=tuple(sorted(categories)),
        unit_id=unit_id,
        kelurahan_code=kelurahan_code,
        hours=hours,
        weekdays=tuple(sorted(weekdays)),
        notices=tuple(dict.fromkeys(notices)),
    )


# ---- querysets ---------------------------------------------------------------------------


def filtered(
    scope: QuerySet[Incident], filters: Filters, *, period: bool = True
) -> QuerySet[Incident]:
    """The scoped incidents matching every filter (``period=False``: all dates)."""
    qs = scope.filter(dataset=filters.dataset, occurred_from__isnull=False)
    if period:
        qs = qs.filter(occurred_from__gte=filters.start, occurred_from__lt=filters.end)
    if filters.categories:
        qs = qs.filter(category__in=filters.categories)
    if filters.unit_id:
        qs = qs.filter(unit_id=filters.unit_id)
    if filters.kelurahan_code:
        qs = qs.filter(kelurahan_code=filters.kelurahan_code)
    if filters.hours:
        start, end = filters.hours
        qs = qs.annotate(_hour=ExtractHour("occurred_from", tzinfo=filters.tz))
        if start < end:
            qs = qs.filter(_hour__gte=start, _hour__lt=end)
        else:
            qs = qs.filter(Q(_hour__gte=start) | Q(_hour__lt=end))
    if filters.weekdays:
        qs = qs.annotate(_weekday=ExtractIsoWeekDay("occurred_from", tzinfo=filters.tz))
        qs = qs.filter(_weekday__in=filters.weekdays)
    return qs.order_by()


def located(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    return qs.filter(lat__isnull=False, lon__isnull=False)


# ---- arrays ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Binned:
    """Incidents counted per snapped location, in metres: ``x_m``, ``y_m``, ``n`` (weights)."""

    x_m: np.ndarray
    y_m: np.ndarray
    n: np.ndarray
    crs: str

    @property
    def total(self) -> int:
        return int(self.n.sum())


def snap_steps(dataset: str, snap_m: float = SNAP_M) -> tuple[float, float]:
    """(degrees of latitude, degrees of longitude) of a ``snap_m`` cell near the dataset."""
    lat, _lon = dataset_centre(dataset)
    dlat = snap_m / METRES_PER_DEGREE
    return dlat, snap_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))


def binned(qs: QuerySet[Incident], dataset: str, snap_m: float = SNAP_M) -> Binned:
    """Located incidents counted per ``snap_m`` lat/lon cell in the database, cell centres
    projected to the dataset's UTM zone. Positions move by at most ``snap_m / √2``."""
    found, _keys = binned_by(qs, dataset, None, snap_m)
    return found


def binned_by(
    qs: QuerySet[Incident], dataset: str, by: Any | None, snap_m: float = SNAP_M
) -> tuple[Binned, list[Any]]:
    """Like ``binned``, also grouped by the expression ``by`` (e.g. the month): returns the
    bins and, per bin, the value of ``by``."""
    from kamtibmas_analytics import projection

    dlat, dlon = snap_steps(dataset, snap_m)
    annotated = located(qs).annotate(_i=Floor(F("lat") / dlat), _j=Floor(F("lon") / dlon))
    fields = ["_i", "_j"]
    if by is not None:
        annotated = annotated.annotate(_by=by)
        fields.append("_by")
    data = list(annotated.values_list(*fields).annotate(_n=Count("pk")).order_by())
    crs = dataset_crs(dataset)
    if not data:
        return Binned(np.zeros(0), np.zeros(0), np.zeros(0), crs), []
    rows = np.array([(r[0], r[1], r[-1]) for r in data], dtype=float)
    keys = [r[2] for r in data] if by is not None else []
    lat = (rows[:, 0] + 0.5) * dlat
    lon = (rows[:, 1] + 0.5) * dlon
    x, y, _crs = projection.to_metres(lon, lat, crs)
    return Binned(np.asarray(x, float), np.asarray(y, float), rows[:, 2], crs), keys


@dataclass(frozen=True)
class Points:
    """Located incidents one by one: metres, and start/end as datetime64[s] UTC."""

    x_m: np.ndarray
    y_m: np.ndarray
    start: np.ndarray
    end: np.ndarray
    crs: str


def _datetime64(values: list[datetime | None]) -> np.ndarray:
    return np.array(
        [np.datetime64(int(v.timestamp()), "s") if v else np.datetime64("NaT") for v in values],
        dtype="datetime64[s]",
    )


def points(qs: QuerySet[Incident], dataset: str, limit: int | None = None) -> Points:
    """The newest ``limit`` located incidents as arrays (for Knox and other point methods)."""
    from kamtibmas_analytics import projection

    rows = (
        located(qs)
        .order_by("-occurred_from")
        .values_list("lon", "lat", "occurred_from", "occurred_to")
    )
    data = list(rows[:limit] if limit else rows)
    crs = dataset_crs(dataset)
    if not data:
        empty = np.zeros(0)
        return Points(empty, empty, np.zeros(0, "datetime64[s]"), np.zeros(0, "datetime64[s]"), crs)
    lon = np.array([r[0] for r in data], float)
    lat = np.array([r[1] for r in data], float)
    x, y, _crs = projection.to_metres(lon, lat, crs)
    start = _datetime64([r[2] for r in data])
    end = _datetime64([r[3] or r[2] for r in data])
    return Points(np.asarray(x, float), np.asarray(y, float), start, end, crs)


def times(qs: QuerySet[Incident]) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) datetime64[s] UTC of every incident (located or not); end = start if open."""
    data = list(qs.values_list("occurred_from", "occurred_to"))
    return _datetime64([r[0] for r in data]), _datetime64([r[1] or r[0] for r in data])
