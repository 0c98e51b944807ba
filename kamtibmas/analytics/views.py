"""Analysis pages for officers: crime map and its layers, dashboard, downloads, monthly report.

Every view reads the same URL filters (``queries.parse_filters``) on the user's scoped
incidents; a bad value is dropped with a notice. Views stay thin: numbers come from
``aggregates`` and ``layers``, pictures from ``overlays`` and ``charts``."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kamtibmas.analytics import aggregates, charts, layers, monthly, overlays, queries
from kamtibmas.analytics.labels import (
    CATEGORY_LABELS,
    GI_COLOURS,
    GI_LABELS,
    WEEKDAY_LABELS,
)
from kamtibmas.analytics.queries import Filters
from kamtibmas.incidents.models import BALIKPAPAN, Incident
from kamtibmas.reports.views_staff import officer_required

GEOJSON = "application/geo+json"


@dataclass(frozen=True)
class Selection:
    scope: QuerySet[Incident]
    filters: Filters

    @property
    def qs(self) -> QuerySet[Incident]:
        return queries.filtered(self.scope, self.filters)


def _selection(request: HttpRequest) -> Selection:
    scope = queries.incidents_for(request.user)
    return Selection(scope, queries.parse_filters(request.GET, scope))


def _bandwidth(request: HttpRequest) -> tuple[float, str | None]:
    return layers.parse_bandwidth(request.GET.get("bandwidth"))


def _layers(request: HttpRequest, sel: Selection) -> layers.Layers:
    bandwidth, _notice = _bandwidth(request)
    return layers.for_request(request.user, sel.scope, sel.filters, bandwidth)


def _attachment(response: HttpResponse, request: HttpRequest, name: str) -> HttpResponse:
    if request.GET.get("download") or name.endswith(".csv"):
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _json(data: Any, content_type: str = "application/json") -> HttpResponse:
    return HttpResponse(
        json.dumps(data, separators=(",", ":"), default=str), content_type=content_type
    )


def _form_context(sel: Selection) -> dict[str, Any]:
    from kamtibmas.geo.models import Kelurahan, Unit

    f = sel.filters
    return {
        "filters": f,
        "query": f.query(),
        "datasets": queries.datasets_for(sel.scope) or [BALIKPAPAN],
        "category_choices": [(c, str(label)) for c, label in CATEGORY_LABELS.items()],
        "unit_choices": list(
            Unit.objects.filter(kind__in=[Unit.Kind.POLSEK, Unit.Kind.KSKP], is_active=True)
            .order_by("name")
            .values_list("pk", "name")
        ),
        "kelurahan_choices": list(Kelurahan.objects.order_by("name").values_list("code", "name")),
        "weekday_choices": [(k + 1, str(label)) for k, label in enumerate(WEEKDAY_LABELS)],
        "hours_value": f"{f.hours[0]}-{f.hours[1]}" if f.hours else "",
    }


def _notify(request: HttpRequest, sel: Selection, extra: list[str | None] | None = None) -> None:
    for notice in [*sel.filters.notices, *(extra or [])]:
        if notice:
            messages.warning(request, notice)


# ---- crime map -------------------------------------------------------------------------------


@officer_required
@require_GET
def crime_map(request: HttpRequest) -> HttpResponse:
    sel = _selection(request)
    bandwidth, notice = _bandwidth(request)
    _notify(request, sel, [notice])
    lat, lon = queries.dataset_centre(sel.filters.dataset)
    context = _form_context(sel)
    context.update(
        {
            "bandwidth": int(bandwidth),
            "layer_query": sel.filters.query() + f"&bandwidth={bandwidth:g}",
            "centre": [lat, lon],
            "has_choropleth": sel.filters.dataset == BALIKPAPAN,
            "gi_legend": [(GI_COLOURS[k], str(GI_LABELS[k])) for k in (3, 2, 1, -1, -2, -3)],
            "map_i18n": _map_texts(),
        }
    )
    return render(request, "analytics/crime_map.html", context)


def _map_texts() -> dict[str, str]:
    return {
        "points": _("Incidents (clustered)"),
        "density": _("Density surface"),
        "hotspots": _("Gi* hot and cold cells"),
        "choropleth": _("Kelurahan: incidents per km²"),
        "outlines": _("Kelurahan outlines"),
        "incidents": _("incidents"),
        "per_km2": _("per km²"),
        "count": _("Incidents in the cell"),
        "density_value": _("Density"),
        "gi": _("Gi* z-score"),
        "empty": _("No incident with a position matches these filters."),
        "area": _("Area"),
    }


@officer_required
@require_GET
def density_meta(request: HttpRequest) -> HttpResponse:
    """Bounds and legend of the density overlay (expected incidents per km² in the period)."""
    sel = _selection(request)
    result = _layers(request, sel)
    if result.grid is None or result.density_km2 is None:
        return _json({"empty": True, "total": 0, "notices": list(sel.filters.notices)})
    scale = overlays.Scale.for_values(result.density_km2)
    return _json(
        {
            "empty": False,
            "total": result.total,
            "bounds": layers.lonlat_bounds(result.grid, result.crs),
            "legend": scale.legend(),
            "unit": _("expected incidents per km² in %(days)d days") % {"days": sel.filters.days},
            "cell_m": result.grid.cell_m,
            "bandwidth_m": result.bandwidth_m,
            "crs": result.crs,
            "notices": list(sel.filters.notices),
        }
    )


@officer_required
@require_GET
def density_png(request: HttpRequest) -> HttpResponse:
    sel = _selection(request)
    result = _layers(request, sel)
    values = result.density_km2
    body = overlays.empty_png() if values is None else overlays.png(values)
    return _attachment(HttpResponse(body, content_type="image/png"), request, "kepadatan.png")


@officer_required
@require_GET
def hotspots_geojson(request: HttpRequest) -> HttpResponse:
    sel = _selection(request)
    data = layers.hotspot_geojson(_layers(request, sel))
    return _attachment(_json(data, GEOJSON), request, "titik-rawan-gi.geojson")


@officer_required
@require_GET
def choropleth_geojson(request: HttpRequest) -> HttpResponse:
    sel = _selection(request)
    data = layers.choropleth(sel.scope, sel.filters)
    if not data["available"]:
        data["note"] = _("No kelurahan areas for this dataset: the choropleth is for Balikpapan.")
    return _attachment(_json(data, GEOJSON), request, "kelurahan.geojson")


def _bbox(raw: str) -> tuple[float, float, float, float] | None:
    try:
        west, south, east, north = (float(v) for v in raw.split(","))
    except ValueError:
        return None
    values = (west, south, east, north)
    if not all(math.isfinite(v) for v in values) or west > east or south > north:
        return None
    return values


@officer_required
@require_GET
def points_json(request: HttpRequest) -> HttpResponse:
    """Clustered points for the map view: ``z`` (zoom) and ``bbox`` (west,south,east,north)."""
    sel = _selection(request)
    raw_zoom = request.GET.get("z", "12")
    zoom = int(raw_zoom) if raw_zoom.isdigit() else 12
    return _json(layers.clusters(sel.qs, min(zoom, 22), _bbox(request.GET.get("bbox", ""))))


POINTS_DOWNLOAD_MAX = 100_000


@officer_required
@require_GET
def points_geojson(request: HttpRequest) -> HttpResponse:
    """The filtered incidents as GeoJSON points (no personal data), newest first."""
    sel = _selection(request)
    rows = (
        queries.located(sel.qs)
        .order_by("-occurred_from")
        .values_list("pk", "lon", "lat", "category", "occurred_from", "kelurahan_code", "status")[
            :POINTS_DOWNLOAD_MAX
        ]
    )
    tz = sel.filters.tz
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r[1], r[2]]},
            "properties": {
                "id": r[0],
                "category": r[3],
                "occurred_from": r[4].astimezone(tz).isoformat() if r[4] else None,
                "kelurahan_code": r[5],
                "status": r[6],
            },
        }
        for r in rows
    ]
    data = {"type": "FeatureCollection", "features": features}
    return _attachment(_json(data, GEOJSON), request, "kejadian.geojson")


@officer_required
@require_GET
def cell_json(request: HttpRequest) -> HttpResponse:
    """The numbers of the cell under a clicked point (``lat``, ``lon``)."""
    sel = _selection(request)
    try:
        lat, lon = float(request.GET.get("lat", "")), float(request.GET.get("lon", ""))
    except ValueError:
        return JsonResponse(
            {"code": "bad_point", "message": _("lat and lon are required.")}, status=400
        )
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        return JsonResponse(
            {"code": "bad_point", "message": _("lat and lon are required.")}, status=400
        )
    found = layers.cell_at(_layers(request, sel), lat, lon)
    return _json({"cell": found, "days": sel.filters.days})


# ---- dashboard -------------------------------------------------------------------------------


def _heatmap(sel: Selection) -> np.ndarray:
    return aggregates.hour_weekday_of(sel.scope, sel.filters)


@officer_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    sel = _selection(request)
    _notify(request, sel)
    rows, total = aggregates.per_unit(sel.scope, sel.filters)
    categories = aggregates.top_categories(sel.scope, sel.filters)
    matrix = _heatmap(sel)
    series = aggregates.monthly(sel.scope, sel.filters)
    month_labels = aggregates.month_labels(series)
    weekdays = [str(w) for w in WEEKDAY_LABELS]
    context = _form_context(sel)
    context.update(
        {
            "rows": rows,
            "total": total,
            "previous": sel.filters.previous_period(),
            "last_year": sel.filters.last_year(),
            "categories": categories,
            "category_chart": charts.bar_svg(
                [c.label for c in categories],
                [c.count for c in categories],
                title=_("Top categories"),
            ),
            "heatmap": charts.heatmap_svg(matrix, weekdays, title=_("Hour of day × weekday")),
            "trend": charts.line_svg(
                month_labels,
                list(np.asarray(series.counts, float)),
                list(np.asarray(series.trend, float)),
                title=_("Incidents per month"),
            ),
            "series": series,
            "knox_permutations": aggregates.KNOX_PAGE_PERMUTATIONS,
            "knox_export_permutations": aggregates.KNOX_EXPORT_PERMUTATIONS,
        }
    )
    return render(request, "analytics/dashboard.html", context)


@officer_required
@require_GET
def knox_fragment(request: HttpRequest) -> HttpResponse:
    """The near-repeat table, loaded after the page (HTMX) because it takes a moment."""
    sel = _selection(request)
    knox = aggregates.knox(sel.qs, sel.filters, aggregates.KNOX_PAGE_PERMUTATIONS)
    return render(request, "analytics/_knox.html", {"knox": knox, "query": sel.filters.query()})


@officer_required
@require_GET
def emerging_fragment(request: HttpRequest) -> HttpResponse:
    sel = _selection(request)
    found = aggregates.emerging(sel.scope, sel.filters)
    return render(
        request, "analytics/_emerging.html", {"emerging": found, "query": sel.filters.query()}
    )


# ---- downloads -------------------------------------------------------------------------------


def _csv(header: list[str], rows: list[list[Any]], name: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def csv_per_unit(sel: Selection, request: HttpRequest) -> HttpResponse:
    rows, total = aggregates.per_unit(sel.scope, sel.filters)
    header = [
        "unit_id",
        "unit",
        "count",
        "previous",
        "change",
        "pct_change",
        "p_value",
        "significant",
        "last_year",
        "change_last_year",
        "pct_change_last_year",
        "p_value_last_year",
        "significant_last_year",
    ]
    out = []
    for r in [*rows, total]:
        a, b = r.vs_previous, r.vs_last_year
        out.append(
            [
                r.unit_id or "",
                r.name,
                a.current,
                a.previous,
                a.change,
                _pct(a.pct_change),
                f"{a.p_value:.4f}",
                int(a.significant),
                b.previous,
                b.change,
                _pct(b.pct_change),
                f"{b.p_value:.4f}",
                int(b.significant),
            ]
        )
    return _csv(header, out, "polsek.csv")


def csv_categories(sel: Selection, request: HttpRequest) -> HttpResponse:
    cats = aggregates.top_categories(sel.scope, sel.filters, limit=100)
    return _csv(
        ["category", "label", "count", "previous", "share"],
        [[c.code, c.label, c.count, c.previous, f"{c.share:.4f}"] for c in cats],
        "kategori.csv",
    )


def csv_hour_weekday(sel: Selection, request: HttpRequest) -> HttpResponse:
    matrix = _heatmap(sel)
    header = ["weekday", *[f"h{h:02d}" for h in range(24)]]
    rows = [[k + 1, *[f"{v:.3f}" for v in matrix[k]]] for k in range(7)]
    return _csv(header, rows, "jam-hari.csv")


def _seasonal(seasonal: np.ndarray, month: str) -> float:
    index = int(month[5:7]) - 1
    return float(seasonal[index]) if len(seasonal) == 12 else 0.0


def csv_monthly(sel: Selection, request: HttpRequest) -> HttpResponse:
    series = aggregates.monthly(sel.scope, sel.filters)
    labels = aggregates.month_labels(series)
    counts, trend = np.asarray(series.counts, float), np.asarray(series.trend, float)
    seasonal = np.asarray(series.seasonal, float)  # 12 values, January..December
    rows = [
        [m, int(counts[k]), f"{trend[k]:.3f}", f"{_seasonal(seasonal, m):.3f}"]
        for k, m in enumerate(labels)
    ]
    return _csv(["month", "count", "trend", "seasonal"], rows, "bulanan.csv")


def csv_knox(sel: Selection, request: HttpRequest) -> HttpResponse:
    knox = aggregates.knox(sel.qs, sel.filters, aggregates.KNOX_EXPORT_PERMUTATIONS)
    header = ["distance_m", "time_days", "observed", "expected", "ratio", "p_value", "permutations"]
    rows = [
        [
            r["distance"],
            r["time"],
            r["observed"],
            f"{float(r['expected']):.3f}",
            f"{float(r['ratio']):.3f}",
            f"{float(r['p']):.4f}",
            knox["permutations"],
        ]
        for r in knox["rows"]
    ]
    return _csv(header, rows, "knox.csv")


def csv_gi_cells(sel: Selection, request: HttpRequest) -> HttpResponse:
    result = _layers(request, sel)
    cells = layers.hotspot_cells(result)
    header = ["row", "col", "lat", "lon", "cell_m", "count", "z", "p", "q", "category"]
    cell_m = result.gi_grid.cell_m if result.gi_grid is not None else ""
    rows = [
        [
            c["row"],
            c["col"],
            c["lat"],
            c["lon"],
            cell_m,
            c["count"],
            c["z"],
            f"{c['p']:.5f}",
            f"{c['q']:.5f}",
            c["category"],
        ]
        for c in cells
    ]
    return _csv(header, rows, "gi-sel.csv")


def csv_emerging(sel: Selection, request: HttpRequest) -> HttpResponse:
    found = aggregates.emerging(sel.scope, sel.filters)
    rows = [
        [c["category"], c["lat"], c["lon"], c["count"], c["last_month"], c["tau"]]
        for c in found["cells"]
    ]
    return _csv(
        ["category", "lat", "lon", "count", "last_month", "trend_tau"], rows, "hotspot-baru.csv"
    )


def png_hour_weekday(sel: Selection, request: HttpRequest) -> HttpResponse:
    body = charts.heatmap_png(
        _heatmap(sel), [str(w) for w in WEEKDAY_LABELS], title=_("Hour of day × weekday")
    )
    return _attachment(HttpResponse(body, content_type="image/png"), request, "jam-hari.png")


def png_monthly(sel: Selection, request: HttpRequest) -> HttpResponse:
    series = aggregates.monthly(sel.scope, sel.filters)
    body = charts.line_png(
        aggregates.month_labels(series),
        list(np.asarray(series.counts, float)),
        list(np.asarray(series.trend, float)),
        title=_("Incidents per month"),
    )
    return _attachment(HttpResponse(body, content_type="image/png"), request, "bulanan.png")


DOWNLOADS = {
    "polsek.csv": csv_per_unit,
    "kategori.csv": csv_categories,
    "jam-hari.csv": csv_hour_weekday,
    "bulanan.csv": csv_monthly,
    "knox.csv": csv_knox,
    "gi-sel.csv": csv_gi_cells,
    "hotspot-baru.csv": csv_emerging,
    "jam-hari.png": png_hour_weekday,
    "bulanan.png": png_monthly,
}


@officer_required
@require_GET
def download(request: HttpRequest, name: str) -> HttpResponse:
    view = DOWNLOADS.get(name)
    if view is None:
        raise Http404
    return view(_selection(request), request)


# ---- monthly report ----------------------------------------------------------------------------


@officer_required
@require_GET
def monthly_report(request: HttpRequest) -> HttpResponse:
    """``?bulan=YYYY-MM``: the PDF of that month for the user's scope; without it, the list of
    stored (scheduled) reports and a form."""
    raw = request.GET.get("bulan", "").strip()
    if raw:
        month = monthly.parse_month(raw)
        if month is None:
            messages.warning(request, _("The month must look like 2026-10."))
        else:
            scope = queries.incidents_for(request.user)
            pdf = monthly.build_pdf(scope, month, unit_label=monthly.scope_label(request.user))
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{monthly.file_name(month)}"'
            return response
    stored = monthly.stored_reports() if queries_sees_all(request.user) else []
    return render(
        request,
        "analytics/monthly.html",
        {"stored": stored, "default_month": monthly.previous_month().strftime("%Y-%m")},
    )


def queries_sees_all(user: Any) -> bool:
    """Stored reports cover the whole Polres: only Polres-level staff list and download them."""
    from kamtibmas.reports.scoping import sees_all

    return sees_all(user)


@officer_required
@require_GET
def stored_report(request: HttpRequest, name: str) -> HttpResponseBase:
    if not queries_sees_all(request.user):
        raise Http404
    path = monthly.stored_path(name)
    if path is None:
        raise Http404
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )
