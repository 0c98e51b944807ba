"""Read-side queries for staff pages: inbox filtering, sorting, counts, map points and
duplicate hints. Every function takes an already scoped queryset (scoping.reports_for)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, F, Q, QuerySet, When
from django.utils import timezone

from kamtibmas.geo.models import Unit
from kamtibmas.reports import codes
from kamtibmas.reports.models import OPEN_STATUSES, Report, Status

DUPLICATE_RADIUS_M = 100.0
DUPLICATE_WINDOW = timedelta(hours=48)
EARTH_RADIUS_M = 6_371_008.8
MAP_LIMIT = 2000
SORTS = ("newest", "oldest", "due")


@dataclass
class InboxFilters:
    """Validated inbox filters; ``None`` or empty means "not filtered"."""

    status: str = ""
    kind: str = ""
    category_id: int | None = None
    unit: Unit | None = None
    kelurahan_code: str = ""
    age_days: int | None = None
    overdue: bool = False
    q: str = ""
    sort: str = "newest"


def overdue_q(now: datetime | None = None) -> Q:
    """Open reports whose next service-level deadline has passed (mirrors Report.is_overdue)."""
    now = now or timezone.now()
    ack_late = Q(acknowledged_at__isnull=True, ack_due_at__lt=now)
    progress_late = Q(acknowledged_at__isnull=False, progress_due_at__lt=now)
    return Q(status__in=OPEN_STATUSES) & (ack_late | progress_late)


def search_q(text: str) -> Q:
    text = text.strip()
    query = Q(description__icontains=text) | Q(address_text__icontains=text)
    query |= Q(tracking_code__icontains=text)
    code = codes.normalize(text)
    if code:
        query |= Q(tracking_code=code)
    return query


def apply_filters(qs: QuerySet[Report], f: InboxFilters) -> QuerySet[Report]:
    if f.status:
        qs = qs.filter(status=f.status)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.category_id is not None:
        qs = qs.filter(category_id=f.category_id)
    if f.unit is not None:
        qs = qs.filter(assigned_unit_id__in=f.unit.descendant_ids())
    if f.kelurahan_code:
        qs = qs.filter(kelurahan_code=f.kelurahan_code)
    if f.age_days is not None:
        qs = qs.filter(created_at__gte=timezone.now() - timedelta(days=f.age_days))
    if f.overdue:
        qs = qs.filter(overdue_q())
    if f.q:
        qs = qs.filter(search_q(f.q))
    return sort(qs, f.sort)


def sort(qs: QuerySet[Report], how: str) -> QuerySet[Report]:
    if how == "oldest":
        return qs.order_by("created_at", "pk")
    if how == "due":
        due = Case(
            When(status__in=OPEN_STATUSES, acknowledged_at__isnull=True, then=F("ack_due_at")),
            When(status__in=OPEN_STATUSES, then=F("progress_due_at")),
            default=None,
        )
        return qs.annotate(next_due=due).order_by(F("next_due").asc(nulls_last=True), "pk")
    return qs.order_by("-created_at", "-pk")


def status_counts(qs: QuerySet[Report]) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, in workflow order."""
    rows = dict(
        qs.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return [(value, str(label), rows.get(value, 0)) for value, label in Status.choices]


def overdue_count(qs: QuerySet[Report]) -> int:
    return qs.filter(overdue_q()).count()


def map_features(qs: QuerySet[Report], url_for: Any) -> dict[str, Any]:
    """GeoJSON of the filtered set for the inbox map; never personal data."""
    now = timezone.now()
    rows = qs.filter(lat__isnull=False, lon__isnull=False).select_related("category")
    features = [_feature(r, url_for(r), now) for r in rows[:MAP_LIMIT]]
    return {
        "type": "FeatureCollection",
        "features": features,
        "truncated": len(features) >= MAP_LIMIT,
    }


def _feature(report: Report, url: str, now: datetime) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [report.lon, report.lat]},
        "properties": {
            "code": report.tracking_code,
            "status": report.status,
            "status_label": str(Status(report.status).label),
            "category": report.category.label,
            "overdue": report.is_overdue(now),
            "url": url,
        },
    }


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


@dataclass(frozen=True)
class DuplicateHint:
    report: Report
    distance_m: float
    hours_apart: float


def reference_time(report: Report) -> datetime:
    """When it happened if known, else when it was received."""
    return report.occurred_from or report.created_at


def duplicate_hints(
    report: Report,
    visible: QuerySet[Report],
    *,
    radius_m: float = DUPLICATE_RADIUS_M,
    window: timedelta = DUPLICATE_WINDOW,
) -> list[DuplicateHint]:
    """Reports in ``visible`` of the same category within ``radius_m`` metres and ``window``
    of this one (occurrence, else receipt), nearest first. Reports already marked duplicate
    are left out."""
    if report.lat is None or report.lon is None:
        return []
    candidates = _near_candidates(report, visible, radius_m, window)
    hints = [_hint(report, other) for other in candidates]
    close = [h for h in hints if h.distance_m <= radius_m and h.hours_apart <= _hours(window)]
    return sorted(close, key=lambda h: (h.distance_m, h.hours_apart))


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _near_candidates(
    report: Report, visible: QuerySet[Report], radius_m: float, window: timedelta
) -> QuerySet[Report]:
    assert report.lat is not None and report.lon is not None
    dlat = math.degrees(radius_m / EARTH_RADIUS_M) * 1.1
    dlon = dlat / max(0.01, math.cos(math.radians(report.lat)))
    t = reference_time(report)
    # A generous time bound: either time of the other report may be its reference time.
    span = Q(created_at__range=(t - window, t + window + window))
    span |= Q(occurred_from__range=(t - window, t + window))
    return (
        visible.filter(
            category_id=report.category_id,
            lat__range=(report.lat - dlat, report.lat + dlat),
            lon__range=(report.lon - dlon, report.lon + dlon),
        )
        .filter(span)
        .exclude(pk=report.pk)
        .exclude(status=Status.DUPLICATE)
        .select_related("category", "kelurahan")
    )


def _hint(report: Report, other: Report) -> DuplicateHint:
    assert report.lat is not None and report.lon is not None
    assert other.lat is not None and other.lon is not None
    dist = distance_m(report.lat, report.lon, other.lat, other.lon)
    hours = abs((reference_time(report) - reference_time(other)).total_seconds()) / 3600
    return DuplicateHint(other, dist, hours)
