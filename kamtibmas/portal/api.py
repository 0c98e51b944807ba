"""Open data of the public portal (/api/v1/public/...): aggregated, delayed, protected.

Every number comes from ``kamtibmas.portal.public_stats``, which holds the privacy rules."""

from __future__ import annotations

import json
from typing import Any

import shapely
from django.http import HttpRequest, HttpResponse
from ninja import Router
from shapely.geometry import mapping, shape

from kamtibmas.api_errors import ApiError
from kamtibmas.portal import public_stats
from kamtibmas.portal.public_stats import AreaCount, StatsError, StatsQuery

router = Router(tags=["public"])

CACHE_MAX_AGE_S = 3600  # the data is at least 7 days old: an hour in a cache changes nothing
COORDINATE_DECIMALS = 5  # about 1 m: plenty for a kelurahan outline


def _geometry(area: AreaCount) -> dict[str, Any] | None:
    if area.geometry is None or area.level == "cell":
        return area.geometry
    geom = shapely.set_precision(shape(area.geometry), 10**-COORDINATE_DECIMALS)
    return dict(mapping(geom))


def feature(area: AreaCount, query: StatsQuery) -> dict[str, Any]:
    """One area as a GeoJSON feature: ``count`` only when 3 or more, ``count_label`` always."""
    properties: dict[str, Any] = {"level": area.level}
    if area.level == "cell":
        properties["cell_id"] = area.code
    else:
        properties.update(kelurahan_code=area.code, kelurahan=area.name)
    properties.update(
        period_from=query.period.label_from,
        period_to=query.period.label_to,
        category=query.category,
        count_label=area.total.label,
        complete=area.total.complete,
    )
    if area.total.count is not None and area.total.count >= public_stats.MIN_SHOWN:
        properties["count"] = area.total.count
    return {"type": "Feature", "geometry": _geometry(area), "properties": properties}


def feature_collection(query: StatsQuery) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "metadata": {
            "level": query.level,
            "category": query.category,
            "period_from": query.period.label_from,
            "period_to": query.period.label_to,
            "data_until": query.period.end.isoformat(),
            "delay_days": public_stats.delay_days(),
            "cell_size_m": public_stats.CELL_SIZE_M,
            "cell_crs": public_stats.UTM_50S,
            "sensitive_categories_in_cells": False,
            "sensitive_categories": sorted(public_stats.SENSITIVE_CATEGORIES),
        },
        "features": [feature(area, query) for area in query.areas()],
    }


def parse(request: HttpRequest) -> StatsQuery:
    try:
        return public_stats.parse_query(request.GET)
    except StatsError as exc:
        raise ApiError(400, "invalid", exc.message, {exc.field: [exc.message]}) from None


@router.get(
    "/crime-stats.geojson",
    summary="Crime counts per kelurahan or 500 m cell (delayed, protected)",
    description=(
        "Query: `level` kelurahan (default) or cell; `from`, `to` months `YYYY-MM` (a date "
        "`YYYY-MM-DD` stands for its month; default the 12 months up to the cutoff); "
        "`category` all (default), a group (3c, theft, narcotics, violence, disorder) or an "
        "offence code. Only incidents at least 7 days old. Each feature has `count_label` and "
        "`count` only when 3 or more (`<3` otherwise). Every count is the sum of the shown "
        "atomic counts (one area x one calendar month x one category, shown when 3 or more; "
        "`complete` false when smaller ones were left out), so subtracting periods, months or "
        "categories reveals no hidden count. Domestic violence "
        "and sexual offences are never counted in cells. Areas with no incident are left out."
    ),
    response={200: dict[str, Any]},
    url_name="crime_stats_geojson",
)
def crime_stats_geojson(request: HttpRequest) -> HttpResponse:
    body = feature_collection(parse(request))
    response = HttpResponse(
        json.dumps(body, separators=(",", ":")), content_type="application/geo+json"
    )
    response["Cache-Control"] = f"public, max-age={CACHE_MAX_AGE_S}"
    return response
