"""Public geography endpoints: the kelurahan base layer and point lookup for the report form."""

from __future__ import annotations

import hashlib
import json
import math
import threading
from typing import Any

import shapely
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_safe
from shapely.geometry import mapping, shape

from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kelurahan

GEOJSON_MAX_AGE_S = 300
COORDINATE_DECIMALS = 6  # about 0.1 m: plenty for a base layer, a third of the bytes

_layer_lock = threading.Lock()
_layers: dict[str, tuple[bytes, str]] = {}  # version -> (body, etag), one entry per process


def _rounded(geojson: Any) -> dict[str, Any]:
    geom = shapely.set_precision(shape(geojson), 10**-COORDINATE_DECIMALS, mode="pointwise")
    return dict(mapping(geom))


def _feature(kel: Kelurahan, units: dict[int, tuple[int, str]]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": _rounded(kel.geometry),
        "properties": {
            "code": kel.code,
            "name": kel.name,
            "kecamatan": kel.kecamatan.name,
            "is_approximate": kel.is_approximate,
            "unit": units.get(kel.kecamatan_id, (None, ""))[1] or None,
        },
    }


def _build_layer() -> bytes:
    units = lookup.polsek_by_kecamatan()
    rows = Kelurahan.objects.exclude(geometry=None).select_related("kecamatan").order_by("code")
    collection = {"type": "FeatureCollection", "features": [_feature(kel, units) for kel in rows]}
    return json.dumps(collection, separators=(",", ":")).encode()


def _layer() -> tuple[bytes, str]:
    """(body, etag) for the current geography, built once per process and version."""
    version = lookup.current_version()
    with _layer_lock:
        if version not in _layers:
            body = _build_layer()
            _layers.clear()
            _layers[version] = (body, hashlib.sha256(body).hexdigest()[:32])
        return _layers[version]


def _layer_etag(request: HttpRequest) -> str:
    return _layer()[1]


@require_safe
@condition(etag_func=_layer_etag)
def kelurahan_geojson(request: HttpRequest) -> HttpResponse:
    """The kelurahan boundaries as a FeatureCollection (offline base layer of the maps);
    answers 304 to a matching If-None-Match."""
    response = HttpResponse(_layer()[0], content_type="application/geo+json")
    response["Cache-Control"] = f"public, max-age={GEOJSON_MAX_AGE_S}"
    return response


def _number(request: HttpRequest, name: str, limit: float) -> float | str:
    """The parameter as a finite float within ±limit, or an error message."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return _("The parameter %(name)s is missing.") % {"name": name}
    try:
        value = float(raw)
    except ValueError:
        return _("The parameter %(name)s must be a number.") % {"name": name}
    if not math.isfinite(value) or abs(value) > limit:
        return _("The parameter %(name)s must be between -%(limit)d and %(limit)d.") % {
            "name": name,
            "limit": limit,
        }
    return value


def _error(message: str) -> JsonResponse:
    return JsonResponse({"code": "invalid", "message": message}, status=400)


@require_safe
def point_lookup(request: HttpRequest) -> JsonResponse:
    """?lat=..&lon=.. -> the kelurahan, kecamatan and responsible unit of the point."""
    lat, lon = _number(request, "lat", 90), _number(request, "lon", 180)
    if isinstance(lat, str):
        return _error(lat)
    if isinstance(lon, str):
        return _error(lon)
    area = lookup.locate(lat, lon)
    if area is None:
        return JsonResponse(
            {"inside": False, "message": _("This place is outside the area of Polres Balikpapan.")}
        )
    return JsonResponse(
        {
            "inside": True,
            "kelurahan_code": area.kelurahan_code,
            "kelurahan_name": area.kelurahan_name,
            "kecamatan_name": area.kecamatan_name,
            "unit_name": area.unit_name or None,
            "is_approximate": area.is_approximate,
        }
    )
