"""Export incidents as the canonical CSV (plus extra columns) or GeoJSON, streaming.

The CSV starts with the canonical columns ``external_id,category,occurred_from,occurred_to,lat,
lon`` (times ISO 8601 with the offset of ``TIME_ZONE``, WITA +08:00; empty for none), so an
export imports again unchanged and every analysis command reads it. GeoJSON is a
FeatureCollection of Points [lon, lat]; a row without a location has ``"geometry": null``.

    export_rows(Incident.objects.filter(...), "csv", stream)   # stream: anything with write(str)
    StreamingHttpResponse(iter_export(queryset, "geojson"))    # in a view
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

from django.db.models import QuerySet
from django.utils import timezone

from kamtibmas_analytics.io import CANONICAL_COLUMNS

FORMATS = ("csv", "geojson")
EXTRA_COLUMNS = (
    "dataset",
    "source_category",
    "reported_at",
    "location_accuracy_m",
    "kelurahan_code",
    "unit",
    "lp_number",
    "premises_type",
    "modus_operandi",
    "status",
    "is_synthetic",
)
_FIELDS = (
    "external_id",
    "category",
    "occurred_from",
    "occurred_to",
    "lat",
    "lon",
    "dataset",
    "source_category",
    "reported_at",
    "location_accuracy_m",
    "kelurahan_code",
    "unit__code",
    "lp_number",
    "premises_type",
    "modus_operandi",
    "status",
    "is_synthetic",
    "pk",
)
CHUNK = 2000


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _rows(queryset: QuerySet[Any]) -> Iterator[tuple[Any, ...]]:
    yield from (
        queryset.order_by("occurred_from", "pk").values_list(*_FIELDS).iterator(chunk_size=CHUNK)
    )


def _external_id(row: tuple[Any, ...]) -> str:
    return str(row[0]) if row[0] else f"kamtibmas-{row[-1]}"


def iter_csv(queryset: QuerySet[Any]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CANONICAL_COLUMNS, *EXTRA_COLUMNS])
    for n, row in enumerate(_rows(queryset), start=1):
        writer.writerow([_external_id(row), *(_cell(v) for v in row[1:-1])])
        if n % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _feature(row: tuple[Any, ...]) -> dict[str, Any]:
    lat, lon = row[4], row[5]
    geometry = None if lat is None or lon is None else {"type": "Point", "coordinates": [lon, lat]}
    names = ("external_id", "category", "occurred_from", "occurred_to", *EXTRA_COLUMNS)
    values = (_external_id(row), row[1], row[2], row[3], *row[6:-1])
    properties = {
        name: (timezone.localtime(v).isoformat() if isinstance(v, datetime) else v)
        for name, v in zip(names, values, strict=True)
    }
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def iter_geojson(queryset: QuerySet[Any]) -> Iterator[str]:
    yield '{"type": "FeatureCollection", "features": [\n'
    parts: list[str] = []
    first = True
    for row in _rows(queryset):
        parts.append(("" if first else ",\n") + json.dumps(_feature(row), ensure_ascii=False))
        first = False
        if len(parts) >= CHUNK:
            yield "".join(parts)
            parts = []
    yield "".join(parts) + "\n]}\n"


def iter_export(queryset: QuerySet[Any], fmt: str) -> Iterator[str]:
    if fmt == "csv":
        return iter_csv(queryset)
    if fmt == "geojson":
        return iter_geojson(queryset)
    raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")


def export_rows(queryset: QuerySet[Any], fmt: str, stream: Writable) -> int:
    """Write ``queryset`` to ``stream`` as ``fmt`` ("csv" or "geojson"); returns the row count."""
    count = queryset.count()
    for text in iter_export(queryset, fmt):
        stream.write(text)
    return count
