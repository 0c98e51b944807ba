"""Where to put the next cameras: a Polsek's risk forecast for the next 7 days, the cameras
already there and a budget of new ones give proposed sites (maximal covering, see
``kamtibmas_analytics.placement``), shown on a map and exported as GeoJSON or CSV.

Read-only: nothing is stored; each download writes an audit row (unit, k, format, method;
no personal data). Cameras are read through :func:`existing_cameras` only."""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kamtibmas.analytics.layers import cell_polygons
from kamtibmas.cctv import scoping
from kamtibmas.forecasts import access
from kamtibmas.forecasts.groups import CRIME_GROUPS, GROUP_LABELS
from kamtibmas.forecasts.surface import METRIC_CRS, RiskSurface
from kamtibmas.reports.views_staff import officer_required
from kamtibmas_analytics import placement
from kamtibmas_analytics.projection import to_lonlat, to_metres

log = logging.getLogger(__name__)

DEFAULT_GROUP = "3c"
DEFAULT_K, MAX_K, MAX_EXACT_K = 10, 50, 10
DEFAULT_RANGE_M, MAX_RANGE_M = 100.0, 1000.0
FOVS = (360, 120, 90, 60)
CANDIDATES = ("cells", "junctions")
METHODS = ("greedy", "exact")
EXACT_TIME_LIMIT_S = 10.0
GEOJSON = "application/geo+json"


@dataclass(frozen=True)
class Params:
    unit: Any
    group: str
    k: int
    range_m: float
    fov: int
    candidates: str
    method: str

    def query(self) -> str:
        return (
            f"unit={self.unit.pk}&group={self.group}&k={self.k}&range={self.range_m:g}"
            f"&fov={self.fov}&candidates={self.candidates}&method={self.method}"
        )


@dataclass(frozen=True)
class Proposal:
    params: Params
    surface: RiskSurface
    result: placement.PlacementResult
    existing_count: int
    lonlat: list[tuple[float, float]]  # of each new camera, in rank order


# ---- reading the request ----------------------------------------------------------------


def _number(raw: str, default: float, low: float, high: float) -> float | None:
    """``raw`` as a number in [low, high], ``default`` when empty, None when bad."""
    if not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if low <= value <= high else None


def read_params(request: HttpRequest) -> tuple[Params | None, list[str]]:
    """The placement asked for, or None (with the reasons, translated) when it cannot run."""
    get, errors = request.GET, []
    raw_unit = get.get("unit", "").strip()
    unit = None
    if raw_unit.isdigit() and len(raw_unit) <= 9:
        unit = access.units_for(request.user).filter(pk=int(raw_unit)).first()
    if unit is None:
        if raw_unit:
            errors.append(_("Unknown unit: choose a Polsek from the list."))
        return None, errors
    group = get.get("group", DEFAULT_GROUP).strip() or DEFAULT_GROUP
    if group not in CRIME_GROUPS:
        errors.append(_("Unknown crime group."))
    k = _number(get.get("k", ""), DEFAULT_K, 1, MAX_K)
    if k is None or k != int(k):
        errors.append(_("The number of new cameras must be a whole number from 1 to %(max)s.")
                      % {"max": MAX_K})  # fmt: skip
    range_m = _number(get.get("range", ""), DEFAULT_RANGE_M, 10, MAX_RANGE_M)
    if range_m is None:
        errors.append(_("The range must be from 10 to %(max)s metres.") % {"max": int(MAX_RANGE_M)})
    fov = get.get("fov", "360").strip() or "360"
    if not fov.isdigit() or int(fov) not in FOVS:
        errors.append(_("Unknown field of view."))
    candidates = get.get("candidates", "cells").strip() or "cells"
    method = get.get("method", "greedy").strip() or "greedy"
    if candidates not in CANDIDATES or method not in METHODS:
        errors.append(_("Unknown candidate sites or method."))
    if method == "exact" and k is not None and k > MAX_EXACT_K:
        errors.append(_("The exact method takes at most %(max)s cameras.") % {"max": MAX_EXACT_K})
    if errors:
        return None, errors
    assert k is not None and range_m is not None  # noqa: S101 - checked above, for mypy
    return Params(unit, group, int(k), range_m, int(fov), candidates, method), []


# ---- data -------------------------------------------------------------------------------


def existing_cameras(user: Any, range_cap_m: float = MAX_RANGE_M) -> list[placement.CameraSpec]:
    """The active cameras the user can see, in metres (the one place cameras are read)."""
    rows = list(
        scoping.cameras_for(user)
        .filter(is_active=True)
        .values_list("lon", "lat", "bearing", "fov_angle", "fov_range_m")
    )
    if not rows:
        return []
    arr = np.asarray(rows, dtype=np.float64)
    x, y, _crs = to_metres(arr[:, 0], arr[:, 1], METRIC_CRS)
    return [
        placement.CameraSpec(float(a), float(b), min(float(r), range_cap_m), float(br), float(fv))
        for a, b, br, fv, r in zip(x, y, arr[:, 2], arr[:, 3], arr[:, 4], strict=True)
    ]


def _surface(params: Params) -> RiskSurface:
    from kamtibmas.forecasts import surface as surface_module
    from kamtibmas.forecasts.models import WEEK_KIND
    from kamtibmas.forecasts.windows import upcoming

    window = upcoming(timezone.now(), WEEK_KIND)[0]
    return surface_module.risk_surface(params.unit, params.group, window.start, window.end)


def _sites(params: Params, surface: RiskSurface) -> np.ndarray:
    grid = surface.grid
    if params.candidates == "cells":
        return placement.cell_centre_sites(grid, surface.mask)
    from kamtibmas.patrols.network import active_network

    network = active_network()
    if network is None:
        raise ValueError(_("No road network has been imported: use every cell instead."))
    xy = placement.graph_junctions(network.graph)
    i, j = grid.cell_index(xy[:, 0], xy[:, 1])
    inside = (i >= 0) & (j >= 0)
    inside[inside] = surface.mask[i[inside], j[inside]]
    if not inside.any():
        raise ValueError(_("No road junction lies inside this unit's area."))
    return np.asarray(xy[inside], dtype=np.float64)


def propose(user: Any, params: Params) -> Proposal:
    """Run the placement. Raises ValueError with a translated message when it cannot."""
    try:
        surface = _surface(params)
    except Exception as exc:  # noqa: BLE001 - any forecast failure becomes a message
        log.warning("placement: no forecast for unit %s: %s", params.unit.pk, type(exc).__name__)
        message = _("No forecast could be made for %(unit)s.") % {"unit": params.unit}
        raise ValueError(message) from None
    risk = np.where(surface.mask, np.nan_to_num(surface.scores, nan=0.0), 0.0).clip(min=0)
    cameras = existing_cameras(user)
    existing = placement.coverage_mask(surface.grid, cameras)
    options = placement.build_options(surface.grid, _sites(params, surface), params.range_m,
                                      float(params.fov))  # fmt: skip
    if params.method == "exact":
        result = placement.exact_placement(risk, existing, options, params.k, EXACT_TIME_LIMIT_S)
    else:
        result = placement.greedy_placement(risk, existing, options, params.k)
    xs = [c.x_m for c in result.cameras]
    ys = [c.y_m for c in result.cameras]
    lon, lat = to_lonlat(xs, ys, METRIC_CRS) if xs else (np.zeros(0), np.zeros(0))
    points = [(round(float(a), 6), round(float(b), 6)) for a, b in zip(lon, lat, strict=True)]
    return Proposal(params, surface, result, len(cameras), points)


def _run(request: HttpRequest) -> tuple[Params | None, Proposal | None]:
    params, errors = read_params(request)
    for error in errors:
        messages.error(request, error)
    if params is None:
        return None, None
    try:
        return params, propose(request.user, params)
    except ValueError as exc:
        messages.error(request, str(exc))
        return params, None


# ---- rows, GeoJSON, CSV -----------------------------------------------------------------


def rows(proposal: Proposal) -> list[dict[str, Any]]:
    """One row per new camera, in the order chosen, with its cumulative covered share."""
    res, out = proposal.result, []
    covered = res.covered_before
    for rank, (cam, (lon, lat)) in enumerate(zip(res.cameras, proposal.lonlat, strict=True), 1):
        covered += cam.gain
        share = covered / res.total_risk if res.total_risk > 0 else 0.0
        out.append({"rank": rank, "lat": lat, "lon": lon, "bearing": cam.bearing_deg,
                    "gain": cam.gain, "share": share, "pct": 100 * share})  # fmt: skip
    return out


def geojson_data(proposal: Proposal) -> dict[str, Any]:
    """New cameras as points and the cells they newly cover as squares (lon/lat)."""
    features: list[dict[str, Any]] = []
    p = proposal.params
    for row in rows(proposal):
        props = {"kind": "new", **row, "range_m": p.range_m, "fov": p.fov}
        props["gain"], props["share"] = round(row["gain"], 6), round(row["share"], 6)
        del props["pct"]
        point = {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
        features.append({"type": "Feature", "geometry": point, "properties": props})
    grid = proposal.surface.grid
    res = proposal.result
    new_cells = np.unique(np.concatenate([c.cells for c in res.cameras] or [np.zeros(0, int)]))
    i, j = np.divmod(new_cells.astype(np.intp), grid.nx)
    for ring in cell_polygons(grid, METRIC_CRS, i, j):
        geom = {"type": "Polygon", "coordinates": [ring]}
        features.append({"type": "Feature", "geometry": geom, "properties": {"kind": "covered"}})
    return {
        "type": "FeatureCollection",
        "features": features,
        "placement": {
            "unit": p.unit.code,
            "group": p.group,
            "window_start": proposal.surface.start.isoformat(),
            "window_end": proposal.surface.end.isoformat(),
            "model": proposal.surface.model,
            "method": res.method,
            "optimal": res.optimal,
            "k": p.k,
            "existing_cameras": proposal.existing_count,
            "covered_before": round(res.share_before, 6),
            "covered_after": round(res.share_after, 6),
            "note": _("Forecasts are advice for staff only; do not publish."),
        },
    }


# ---- pages ------------------------------------------------------------------------------


def _context(
    request: HttpRequest, params: Params | None, proposal: Proposal | None
) -> dict[str, Any]:
    return {
        "params": params,
        "proposal": proposal,
        "rows": rows(proposal) if proposal else [],
        "map_data": geojson_data(proposal) if proposal else None,
        "before_pct": 100 * proposal.result.share_before if proposal else 0.0,
        "after_pct": 100 * proposal.result.share_after if proposal else 0.0,
        "unit_choices": list(access.units_for(request.user).values_list("pk", "name")),
        "group_choices": [(g, str(GROUP_LABELS[g])) for g in CRIME_GROUPS],
        "fov_choices": FOVS,
        "form": _form_values(request),
        "max_k": MAX_K,
        "query": params.query() if params else "",
    }


def _form_values(request: HttpRequest) -> dict[str, str]:
    """What the form shows: the values asked for, else the defaults."""
    defaults = {"unit": "", "group": DEFAULT_GROUP, "k": str(DEFAULT_K),
                "range": f"{DEFAULT_RANGE_M:g}", "fov": "360", "candidates": "cells",
                "method": "greedy"}  # fmt: skip
    return {key: request.GET.get(key, "").strip()[:20] or value for key, value in defaults.items()}


@officer_required
@require_GET
def placement_page(request: HttpRequest) -> HttpResponse:
    params, proposal = _run(request)
    return render(request, "cctv/placement.html", _context(request, params, proposal))


def _logged_export(request: HttpRequest, params: Params, fmt: str) -> None:
    """An audit row per download (proposed camera sites are sensitive), no personal data."""
    from kamtibmas.accounts import audit

    audit.record(request.user, "cctv_placement_export", params.unit, format=fmt, k=params.k,
                 group=params.group, method=params.method)  # fmt: skip


@officer_required
@require_GET
def placement_geojson(request: HttpRequest) -> HttpResponse:
    params, proposal = _run(request)
    if proposal is None or params is None:
        return _error(request)
    body = json.dumps(geojson_data(proposal), separators=(",", ":"))
    response = HttpResponse(body, content_type=GEOJSON)
    if request.GET.get("download"):
        _logged_export(request, params, "geojson")
        name = f"penempatan-cctv-{params.unit.code}.geojson"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@officer_required
@require_GET
def placement_csv(request: HttpRequest) -> HttpResponse:
    params, proposal = _run(request)
    if proposal is None or params is None:
        return _error(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["rank", "lat", "lon", "bearing_deg", "range_m", "gain", "covered_share"])
    for r in rows(proposal):
        bearing = "" if r["bearing"] is None else f"{r['bearing']:g}"
        writer.writerow([r["rank"], r["lat"], r["lon"], bearing, f"{params.range_m:g}",
                         f"{r['gain']:.6g}", f"{r['share']:.4f}"])  # fmt: skip
    _logged_export(request, params, "csv")
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"penempatan-cctv-{params.unit.code}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _error(request: HttpRequest) -> HttpResponse:
    """A plain 400 with the messages (translated), never a traceback."""
    text = " ".join(str(m) for m in messages.get_messages(request)) or _("Choose a unit.")
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
