"""The forecast risk of the next 7 days under the camera map: the top cells of one Polsek's
risk surface as GeoJSON squares, loaded only when the operator switches the layer on.

Kept light on purpose: at most ``TOP_CELLS`` cells (the hot spots that matter for where cameras
look), scores rounded, and the stored forecast is used whenever there is one (the same surface
the placement page reads through ``kamtibmas.forecasts.surface.risk_surface``)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kamtibmas.analytics.layers import cell_polygons
from kamtibmas.forecasts import access
from kamtibmas.forecasts.groups import CRIME_GROUPS
from kamtibmas.forecasts.surface import METRIC_CRS, RiskSurface
from kamtibmas.reports.views_staff import officer_required

log = logging.getLogger(__name__)

TOP_CELLS = 300
DEFAULT_GROUP = "3c"  # all crime, as on the placement page


def week_surface(unit: Any, group: str) -> RiskSurface:
    """The risk of ``unit`` for ``group`` over the coming 7-day window."""
    from kamtibmas.forecasts.models import WEEK_KIND
    from kamtibmas.forecasts.surface import risk_surface
    from kamtibmas.forecasts.windows import upcoming

    window = upcoming(timezone.now(), WEEK_KIND)[0]
    return risk_surface(unit, group, window.start, window.end)


def risk_cells(surface: RiskSurface, top: int | None = None) -> dict[str, Any]:
    """The ``top`` (default ``TOP_CELLS``) riskiest cells, score above zero, as squares with
    ``score`` and ``level`` (score over the highest, 0 to 1, for the colour)."""
    cells = [(i, j, s) for i, j, s in surface.top_cells(top or TOP_CELLS) if s > 0]
    peak = cells[0][2] if cells else 1.0
    rows = np.asarray([c[0] for c in cells], dtype=np.intp)
    cols = np.asarray([c[1] for c in cells], dtype=np.intp)
    rings = cell_polygons(surface.grid, METRIC_CRS, rows, cols) if cells else []
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"score": round(s, 4), "level": round(s / peak, 3)},
        }
        for ring, (_i, _j, s) in zip(rings, cells, strict=True)
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "risk": {
            "unit_id": surface.unit_id,
            "group": surface.group,
            "window_start": timezone.localtime(surface.start).isoformat(),
            "window_end": timezone.localtime(surface.end).isoformat(),
            "model": surface.model,
            "note": _("Forecasts are advice for staff only; do not publish."),
        },
    }


def _bad(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


@officer_required
@require_GET
def risk_geojson(request: HttpRequest) -> HttpResponse:
    """``?unit=<pk>[&group=...]``: the risk cells of a Polsek the user may see forecasts of."""
    raw = request.GET.get("unit", "").strip()
    unit = None
    if raw.isdigit() and len(raw) <= 9:
        unit = access.units_for(request.user).filter(pk=int(raw)).first()
    if unit is None:
        return _bad(_("Choose a unit."))
    group = request.GET.get("group", "").strip() or DEFAULT_GROUP
    if group not in CRIME_GROUPS:
        return _bad(_("Unknown crime group."))
    try:
        surface = week_surface(unit, group)
    except Exception as exc:  # noqa: BLE001 - any forecast failure becomes a message
        log.warning("camera map: no forecast for unit %s: %s", unit.pk, type(exc).__name__)
        return _bad(_("No forecast could be made for %(unit)s.") % {"unit": unit})
    return JsonResponse(risk_cells(surface))
