"""Forecast pages for staff: the list with accuracy so far, a forecast's map and "why",
downloads, making forecasts now, and the accuracy over time.

Every view reads forecasts through ``access.forecasts_for`` (a forecast outside the user's
units is a 404); residents get 403 and anonymous visitors the login page. Views stay thin:
forecasts are made by ``services``, scored by ``scoring``, explained by ``explain``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kamtibmas.analytics.layers import cell_polygons
from kamtibmas.forecasts import access, scoring
from kamtibmas.forecasts.explain import explanation_lines
from kamtibmas.forecasts.groups import CRIME_GROUPS, GROUP_LABELS
from kamtibmas.forecasts.models import WEEK_KIND, ForecastEvent, ForecastRun
from kamtibmas.forecasts.services import ForecastError, log, make_forecasts
from kamtibmas.forecasts.shifts import WITA, configured_shifts
from kamtibmas.forecasts.windows import HORIZONS, upcoming
from kamtibmas.geo.models import Unit
from kamtibmas.reports.views_staff import officer_required

GEOJSON = "application/geo+json"
HISTORY_LIMIT = 300


# ---- filters -------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> dict[str, Any]:
    """``unit`` (id), ``group``, ``window`` and ``day`` from the query string; bad values are
    dropped with a notice."""
    found: dict[str, Any] = {"unit": None, "group": "", "window": ""}
    raw_unit = request.GET.get("unit", "").strip()
    if raw_unit:
        found["unit"] = _unit(request, raw_unit)
        if found["unit"] is None:
            messages.warning(request, _("Unknown unit ignored."))
    group = request.GET.get("group", "").strip()
    if group and group not in CRIME_GROUPS:
        messages.warning(request, _("Unknown crime group ignored."))
        group = ""
    found["group"] = group
    window = request.GET.get("window", "").strip()
    if window and window not in _window_kinds():
        messages.warning(request, _("Unknown window ignored."))
        window = ""
    found["window"] = window
    found["day"] = _day(request)
    return found


def _unit(request: HttpRequest, raw: str) -> Unit | None:
    """The unit with id ``raw`` among the user's units, else None (any text)."""
    if not (raw.isdigit() and len(raw) <= 9):
        return None
    return access.units_for(request.user).filter(pk=int(raw)).first()


def _day(request: HttpRequest) -> date | None:
    """``day`` (YYYY-MM-DD, WITA): the forecasts of that day instead of the current ones."""
    raw = request.GET.get("day", "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        messages.warning(request, _("The day must be a date like 2026-12-01; ignored."))
        return None


def _window_kinds() -> list[str]:
    return [s.name for s in configured_shifts()] + [WEEK_KIND]


def _filtered(qs: QuerySet[ForecastRun], f: dict[str, Any]) -> QuerySet[ForecastRun]:
    if f["unit"] is not None:
        qs = qs.filter(unit=f["unit"])
    if f["group"]:
        qs = qs.filter(group=f["group"])
    if f["window"]:
        qs = qs.filter(window_kind=f["window"])
    return qs


def window_label(kind: str) -> str:
    return _("7 days") if kind == WEEK_KIND else _("shift %(name)s") % {"name": kind}


def _choices(request: HttpRequest) -> dict[str, Any]:
    return {
        "unit_choices": list(access.units_for(request.user).values_list("pk", "name")),
        "group_choices": [(g, str(GROUP_LABELS[g])) for g in CRIME_GROUPS],
        "window_choices": [(k, window_label(k)) for k in _window_kinds()],
        "can_make": access.can_make(request.user),
    }


def _rows(runs: list[ForecastRun]) -> list[dict[str, Any]]:
    table = scoring.accuracy_table()
    return [
        {
            "run": run,
            "group_label": GROUP_LABELS.get(run.group, run.group),
            "window": window_label(run.window_kind),
            "accuracy": table.get(scoring.key_of(run)),
        }
        for run in runs
    ]


# ---- pages ---------------------------------------------------------------------------------


@officer_required
@require_GET
def forecast_list(request: HttpRequest) -> HttpResponse:
    """Current and upcoming forecasts per Polsek x group x window, with accuracy so far."""
    f = _filters(request)
    qs = _filtered(access.forecasts_for(request.user), f)
    if f["day"] is None:
        qs = qs.filter(end__gt=timezone.now())
    else:
        start = datetime.combine(f["day"], time.min, tzinfo=WITA)
        qs = qs.filter(start__lt=start + timedelta(days=1), end__gt=start)
    runs = list(qs.order_by("unit__name", "group", "start", "window_kind"))
    context = {
        "rows": _rows(runs),
        "filters": f,
        "horizons": HORIZONS,
        "accuracy_days": scoring.ACCURACY_DAYS,
        "next_windows": upcoming(timezone.now()),
        **_choices(request),
    }
    return render(request, "forecasts/list.html", context)


def _run(request: HttpRequest, pk: int) -> ForecastRun:
    """The forecast if it is in the user's scope; 404 otherwise (never leak existence)."""
    return get_object_or_404(access.forecasts_for(request.user), pk=pk)


def _cells(run: ForecastRun) -> list[dict[str, Any]]:
    return [
        {
            "rank": c.rank,
            "i": c.i,
            "j": c.j,
            "lat": c.lat,
            "lon": c.lon,
            "score": c.score,
            "why": explanation_lines(c.explanation),
        }
        for c in run.cells.all()
    ]


@officer_required
@require_GET
def forecast_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    log(run, ForecastEvent.Action.VIEWED, request.user)
    table = scoring.accuracy_table()
    context = {
        "run": run,
        "group_label": GROUP_LABELS.get(run.group, run.group),
        "window": window_label(run.window_kind),
        "cells": _cells(run),
        "scores": list(run.scores.all()),
        "accuracy": table.get(scoring.key_of(run)),
        "accuracy_days": scoring.ACCURACY_DAYS,
        "params": json.dumps(run.model_params, sort_keys=True),
        "map_i18n": {"rank": _("Rank"), "score": _("Score"), "why": _("Why")},
    }
    return render(request, "forecasts/detail.html", context)


def cells_geojson_data(run: ForecastRun) -> dict[str, Any]:
    """The top cells as GeoJSON squares (lon/lat) with rank, score and the "why"."""
    cells = _cells(run)
    rows = np.array([c["i"] for c in cells], dtype=np.intp)
    cols = np.array([c["j"] for c in cells], dtype=np.intp)
    rings = cell_polygons(run.grid, run.crs, rows, cols) if cells else []
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {
                "rank": c["rank"],
                "score": round(c["score"], 6),
                "lat": c["lat"],
                "lon": c["lon"],
                "why": c["why"],
            },
        }
        for c, ring in zip(cells, rings, strict=True)
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "forecast": {
            "id": run.pk,
            "unit": run.unit.code,
            "group": run.group,
            "window": run.window_kind,
            "start": run.start.isoformat(),
            "end": run.end.isoformat(),
            "model": run.model_name,
            "model_version": run.model_version,
            "cell_m": run.cell_m,
            "note": _("Forecasts are advice for staff only; do not publish."),
        },
    }


@officer_required
@require_GET
def cells_geojson(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    body = json.dumps(cells_geojson_data(run), separators=(",", ":"))
    response = HttpResponse(body, content_type=GEOJSON)
    if request.GET.get("download"):
        log(run, ForecastEvent.Action.EXPORTED, request.user, format="geojson")
        name = f"prakiraan-{run.pk}.geojson"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@officer_required
@require_GET
def cells_csv(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["rank", "row", "col", "lat", "lon", "cell_m", "score", "why"])
    for c in _cells(run):
        row = [c["rank"], c["i"], c["j"], c["lat"], c["lon"], run.cell_m, f"{c['score']:.6g}"]
        writer.writerow([*row, " ".join(c["why"])])
    log(run, ForecastEvent.Action.EXPORTED, request.user, format="csv")
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="prakiraan-{run.pk}.csv"'
    return response


# ---- make now ------------------------------------------------------------------------------


def _make_request(request: HttpRequest) -> tuple[Any, list[str], str] | str:
    """(unit, groups, horizon) from the POST, or the message saying what is wrong."""
    unit = _unit(request, request.POST.get("unit", "").strip())
    if unit is None:
        return _("Choose one of your units.")
    group = request.POST.get("group", "").strip()
    if group and group not in CRIME_GROUPS:
        return _("Unknown crime group.")
    horizon = request.POST.get("horizon", "both").strip() or "both"
    if horizon not in HORIZONS:
        return _("Unknown forecast horizon.")
    return unit, [group] if group else list(CRIME_GROUPS), horizon


@officer_required
@require_POST
def make_now(request: HttpRequest) -> HttpResponseBase:
    if not access.can_make(request.user):
        raise PermissionDenied
    parsed = _make_request(request)
    if isinstance(parsed, str):
        messages.error(request, parsed)
        return redirect("forecasts:list")
    unit, groups, horizon = parsed
    try:
        summary = make_forecasts(
            [unit],
            groups,
            upcoming(timezone.now(), horizon),
            trigger=ForecastRun.Trigger.ON_DEMAND,
            user=request.user,
        )
    except ForecastError:
        messages.error(request, _("No forecast could be made: no forecasting model is ready."))
        return redirect("forecasts:list")
    messages.success(
        request,
        _("%(made)d forecasts made, %(kept)d were already there.")
        % {"made": len(summary.made), "kept": len(summary.existing)},
    )
    return redirect(reverse("forecasts:list") + f"?unit={unit.pk}")


# ---- accuracy ------------------------------------------------------------------------------


@officer_required
@require_GET
def accuracy(request: HttpRequest) -> HttpResponse:
    """Scored forecasts over time with their hit rate and PAI at 5 %, and the means."""
    f = _filters(request)
    runs = _filtered(access.forecasts_for(request.user), f)
    context = {
        "filters": f,
        "summary": _summary(request, f),
        "history": scoring.history(runs)[:HISTORY_LIMIT],
        "accuracy_days": scoring.ACCURACY_DAYS,
        **_choices(request),
    }
    return render(request, "forecasts/accuracy.html", context)


def _wanted(f: dict[str, Any], key: scoring.AccuracyKey) -> bool:
    unit_id, group, kind, _model = key
    return (
        (f["unit"] is None or f["unit"].pk == unit_id)
        and (not f["group"] or f["group"] == group)
        and (not f["window"] or f["window"] == kind)
    )


def _summary(request: HttpRequest, f: dict[str, Any]) -> list[dict[str, Any]]:
    """Mean accuracy per visible unit x group x window x model over the last days."""
    names = dict(access.units_for(request.user).values_list("pk", "name"))
    groups, kinds = list(CRIME_GROUPS), _window_kinds()
    table = scoring.accuracy_table()
    keys = [k for k in table if k[0] in names and k[1] in groups and k[2] in kinds]
    keys.sort(key=lambda k: (names[k[0]], groups.index(k[1]), kinds.index(k[2]), k[3]))
    return [
        {
            "unit": names[key[0]],
            "group_label": GROUP_LABELS.get(key[1], key[1]),
            "window": window_label(key[2]),
            "model": key[3],
            "accuracy": table[key],
        }
        for key in keys
        if _wanted(f, key)
    ]
