"""Filtering, sorting and counting a scoped incident queryset (``scoping.incidents_for``).

Used by the staff list and its CSV/GeoJSON export, so an export holds exactly the rows the
list shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from kamtibmas.geo.models import Unit
from kamtibmas.incidents.models import Incident

SORTS: dict[str, tuple[Any, ...]] = {
    "newest": (F("occurred_from").desc(nulls_last=True), "-pk"),
    "oldest": (F("occurred_from").asc(nulls_last=True), "pk"),
    "recorded": ("-created_at", "-pk"),
    "category": ("category", F("occurred_from").desc(nulls_last=True), "-pk"),
}


@dataclass
class IncidentFilters:
    """Validated list filters; empty or None means "not filtered"."""

    dataset: str = ""
    category: str = ""
    status: str = ""
    unit: Unit | None = None
    kelurahan_code: str = ""
    date_from: date | None = None
    date_to: date | None = None
    location: str = ""  # "with", "without" or ""
    q: str = ""
    sort: str = "newest"


def _start_of(day: date) -> datetime:
    """Midnight WITA (the current time zone) at the start of ``day``."""
    return timezone.make_aware(datetime.combine(day, time.min))


def search_q(text: str) -> Q:
    return (
        Q(lp_number__icontains=text)
        | Q(external_id__icontains=text)
        | Q(modus_operandi__icontains=text)
    )


def apply_filters(qs: QuerySet[Incident], f: IncidentFilters) -> QuerySet[Incident]:
    exact = {"dataset": f.dataset, "category": f.category, "status": f.status}
    qs = qs.filter(**{k: v for k, v in exact.items() if v})
    if f.unit is not None:
        qs = qs.filter(unit_id__in=f.unit.descendant_ids())
    if f.kelurahan_code:
        qs = qs.filter(kelurahan_code=f.kelurahan_code)
    if f.date_from is not None:
        qs = qs.filter(occurred_from__gte=_start_of(f.date_from))
    if f.date_to is not None:
        qs = qs.filter(occurred_from__lt=_start_of(f.date_to + timedelta(days=1)))
    if f.location == "with":
        qs = qs.filter(lat__isnull=False, lon__isnull=False)
    elif f.location == "without":
        qs = qs.filter(Q(lat__isnull=True) | Q(lon__isnull=True))
    if f.q:
        qs = qs.filter(search_q(f.q))
    return qs.order_by(*SORTS.get(f.sort, SORTS["newest"]))


def status_counts(qs: QuerySet[Incident]) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status."""
    rows = dict(qs.order_by().values_list("status").annotate(n=Count("pk")))
    return [(value, str(label), rows.get(value, 0)) for value, label in Incident.Status.choices]


def location_counts(qs: QuerySet[Incident]) -> tuple[int, int]:
    """(with a map position, without one) in ``qs``."""
    with_point = qs.filter(lat__isnull=False, lon__isnull=False).count()
    return with_point, qs.count() - with_point
