"""Forecasts in the JSON API (/api/v1/forecasts): read only, for staff, never public.

The same scoping as the pages (``access.forecasts_for``): a forecast outside the caller's units
is a 404, a resident gets 403. The "why" of each cell comes from ``explain``, accuracy from
``scoring``, the GeoJSON from the page's own builder, so the API and the pages agree."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from kamtibmas import api_staff
from kamtibmas.accounts.api_auth import STAFF_AUTH
from kamtibmas.analytics.layers import cell_polygons
from kamtibmas.api_errors import invalid, not_found
from kamtibmas.forecasts import access, scoring
from kamtibmas.forecasts.api_schemas import ForecastDetailOut, ForecastFilters, ForecastPageOut
from kamtibmas.forecasts.explain import explanation_lines
from kamtibmas.forecasts.groups import CRIME_GROUPS, GROUP_LABELS
from kamtibmas.forecasts.models import WEEK_KIND, ForecastEvent, ForecastRun, ForecastScore
from kamtibmas.forecasts.services import log
from kamtibmas.forecasts.shifts import configured_shifts
from kamtibmas.forecasts.windows import parse_moment
from kamtibmas.reports.schemas import wita

MAX_ID = 2**63  # ids beyond a bigint never exist (and would overflow the query)
router = Router(tags=["forecasts"])

ERRORS = api_staff.STAFF_ERRORS
GEOJSON = "application/geo+json"


def staff_user(request: HttpRequest) -> Any:
    return api_staff.staff_user(request, _("Forecasts are for police staff only."))


# ---- filters -------------------------------------------------------------------------------


def _unit_filter(user: Any, code: str) -> set[int]:
    return api_staff.unit_and_below(code, access.visible_unit_ids(user))


def _moment(name: str, raw: str) -> datetime:
    value = parse_moment(raw)
    if value is None:
        raise invalid(
            {
                name: [
                    _("Enter an ISO date or date-time, e.g. 2026-12-01 or 2026-12-01T22:00+08:00.")
                ]
            }
        )
    return value


def _kind_lookup(kind: str) -> dict[str, Any]:
    if kind == "shift":
        return {"window_kind__in": [s.name for s in configured_shifts()]}
    if kind == "week":
        return {"window_kind": WEEK_KIND}
    if kind in {s.name for s in configured_shifts()}:
        return {"window_kind": kind}
    raise invalid({"kind": [_("Use shift, week or the name of a shift.")]})


def filtered(user: Any, f: ForecastFilters) -> QuerySet[ForecastRun]:
    """The user's forecasts narrowed by the query; 400 naming each bad parameter."""
    qs = access.forecasts_for(user)
    if f.unit:
        qs = qs.filter(unit_id__in=_unit_filter(user, f.unit))
    if f.group:
        if f.group not in CRIME_GROUPS:
            raise invalid({"group": [_("Unknown crime group.")]})
        qs = qs.filter(group=f.group)
    if f.kind:
        qs = qs.filter(**_kind_lookup(f.kind))
    start = _moment("from", f.from_) if f.from_ else None
    end = _moment("to", f.to) if f.to else None
    if start is not None and end is not None and end <= start:
        raise invalid({"to": [_("The end must come after the start.")]})
    if start is not None:
        qs = qs.filter(end__gt=start)
    if end is not None:
        qs = qs.filter(start__lt=end)
    return qs


# ---- shapes --------------------------------------------------------------------------------


def _score(score: ForecastScore) -> dict[str, Any]:
    return {
        "coverage_pct": score.coverage_pct,
        "cells": score.cells,
        "events": score.events,
        "hits": score.hits,
        "hit_rate": score.hit_rate,
        "pai": score.pai,
        "scored_at": wita(score.scored_at),
    }


def _accuracy(found: scoring.Accuracy | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "coverage_pct": scoring.ACCURACY_COVERAGE,
        "days": scoring.ACCURACY_DAYS,
        "hit_rate": found.hit_rate,
        "pai": found.pai,
        "n": found.n,
        "scored": found.scored,
    }


def summary(run: ForecastRun, table: dict[scoring.AccuracyKey, scoring.Accuracy]) -> dict[str, Any]:
    """A forecast without its cells; ``run.scores`` should be prefetched."""
    scores = list(run.scores.all())
    own = next((s for s in scores if s.coverage_pct == scoring.ACCURACY_COVERAGE), None)
    return {
        "id": run.pk,
        "unit": {"code": run.unit.code, "name": run.unit.name},
        "group": run.group,
        "group_label": str(GROUP_LABELS.get(run.group, run.group)),
        "window_kind": run.window_kind,
        "start": wita(run.start),
        "end": wita(run.end),
        "model": {"name": run.model_name, "version": run.model_version},
        "inputs": {
            "incident_count": run.incident_count,
            "data_up_to": wita(run.data_up_to),
            "crs": run.crs,
            "cell_m": run.cell_m,
            "nx": run.nx,
            "ny": run.ny,
        },
        "trigger": run.trigger,
        "created_at": wita(run.created_at),
        "scored": bool(scores),
        "score": _score(own) if own is not None else None,
        "accuracy_so_far": _accuracy(table.get(scoring.key_of(run))),
    }


def cells(run: ForecastRun) -> list[dict[str, Any]]:
    """The stored best cells with their square (lon/lat) and their "why"."""
    rows = list(run.cells.all())
    rings = cell_polygons(
        run.grid,
        run.crs,
        np.array([c.i for c in rows], dtype=np.intp),
        np.array([c.j for c in rows], dtype=np.intp),
    )
    return [
        {
            "rank": c.rank,
            "i": c.i,
            "j": c.j,
            "score": c.score,
            "lat": c.lat,
            "lon": c.lon,
            "size_m": run.cell_m,
            "polygon": {"type": "Polygon", "coordinates": [ring]},
            "explanation": {**(c.explanation or {}), "lines": explanation_lines(c.explanation)},
        }
        for c, ring in zip(rows, rings, strict=True)
    ]


def _with_scores(qs: QuerySet[ForecastRun]) -> QuerySet[ForecastRun]:
    return qs.prefetch_related(Prefetch("scores", queryset=ForecastScore.objects.all()))


def _visible_run(user: Any, pk: int) -> ForecastRun:
    if not 0 < pk < MAX_ID:
        raise not_found()
    run = _with_scores(access.forecasts_for(user)).filter(pk=pk).first()
    if run is None:
        raise not_found()
    return run


# ---- endpoints -----------------------------------------------------------------------------


@router.get(
    "",
    auth=STAFF_AUTH,
    response={200: ForecastPageOut, **ERRORS},
    summary="List forecasts in your scope",
    url_name="forecast_list",
)
def list_forecasts(request: HttpRequest, filters: Query[ForecastFilters]) -> dict[str, Any]:
    """Forecasts of your units, newest window first, with this forecast's score once its
    window is over and the accuracy so far (mean hit rate and PAI at 5 % over 90 days)."""
    user = staff_user(request)
    qs = _with_scores(filtered(user, filters)).order_by("-start", "-pk")
    page = list(qs[filters.offset : filters.offset + filters.limit])
    table = scoring.accuracy_table() if page else {}
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [summary(run, table) for run in page],
    }


@router.get(
    "/{forecast_id}",
    auth=STAFF_AUTH,
    response={200: ForecastDetailOut, **ERRORS},
    summary="One forecast with its best cells and why",
    url_name="forecast_detail",
)
def get_forecast(request: HttpRequest, forecast_id: int) -> dict[str, Any]:
    """The forecast, its best cells (rank, score, centre, square, the reasons) and, once
    scored, its hit rate and PAI at each coverage. 404 outside your units. Logged as viewed."""
    user = staff_user(request)
    run = _visible_run(user, forecast_id)
    log(run, ForecastEvent.Action.VIEWED, user, via="api")
    data = summary(run, scoring.accuracy_table())
    data["model"]["params"] = run.model_params
    data["cells"] = cells(run)
    data["scores"] = [_score(s) for s in run.scores.all()]
    data["note"] = _("Forecasts are advice for staff only; do not publish.")
    return data


@router.get(
    "/{forecast_id}/cells.geojson",
    auth=STAFF_AUTH,
    response={200: dict[str, Any], **ERRORS},
    summary="The best cells as GeoJSON",
    url_name="forecast_cells_geojson",
    openapi_extra={"responses": {"200": {"content": {GEOJSON: {"schema": {"type": "object"}}}}}},
)
def forecast_cells_geojson(request: HttpRequest, forecast_id: int) -> HttpResponse:
    """A FeatureCollection of the best cells (squares, lon/lat) with rank, score and why: the
    same document as the forecast page's map layer."""
    from kamtibmas.forecasts.views import cells_geojson_data

    user = staff_user(request)
    run = _visible_run(user, forecast_id)
    body = json.dumps(cells_geojson_data(run), separators=(",", ":"))
    return HttpResponse(body, content_type=GEOJSON)
