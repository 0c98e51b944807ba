"""Map layers of one filtered selection: density surface, Gi* cells, kelurahan choropleth, clusters.

A selection is computed once and kept for ``TTL_S`` seconds in this process (the overlay image,
its metadata, the Gi* cells and the click popups of one page view all read the same result).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.db.models import Avg, Count, F, QuerySet
from django.db.models.functions import Floor
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from kamtibmas.analytics import queries
from kamtibmas.analytics.labels import GI_COLOURS, GI_LABELS
from kamtibmas.analytics.queries import Filters
from kamtibmas.incidents.models import BALIKPAPAN, Incident

DEFAULT_BANDWIDTH_M = 300.0
MIN_BANDWIDTH_M, MAX_BANDWIDTH_M = 50.0, 5000.0
DENSITY_CELL_M = 100.0
GI_CELL_M = 250.0
GI_DISTANCE_CELLS = 1.5  # the cell and its 8 neighbours
MAX_CELLS = 400_000
CITY_MARGIN_M = 1000.0
TTL_S = 120.0
_CACHE_SIZE = 32

_lock = threading.Lock()
_cache: OrderedDict[str, tuple[float, Any]] = OrderedDict()


def cached(key: str, build: Any) -> Any:
    """``build()`` once per key and ``TTL_S`` in this process."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < TTL_S:
            _cache.move_to_end(key)
            return hit[1]
    value = build()
    with _lock:
        _cache[key] = (now, value)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def parse_bandwidth(raw: str | None) -> tuple[float, str | None]:
    """Bandwidth in metres from the URL; (default, notice) when bad."""
    from django.utils.translation import gettext as _

    if not raw:
        return DEFAULT_BANDWIDTH_M, None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or not MIN_BANDWIDTH_M <= value <= MAX_BANDWIDTH_M:
        return DEFAULT_BANDWIDTH_M, _("The bandwidth must be 50 to 5000 metres; 300 m is used.")
    return value, None


# ---- the city outline ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outlines:
    """Kelurahan polygons in metres (``crs``) and their union."""

    codes: list[str]
    names: list[str]
    polygons_m: list[BaseGeometry]
    polygons_lonlat: list[BaseGeometry]
    city_m: BaseGeometry | None


def outlines(crs: str = queries.BALIKPAPAN_CRS) -> Outlines:
    from kamtibmas.geo import lookup

    return cached(f"outlines:{lookup.current_version()}:{crs}", lambda: _build_outlines(crs))


def _build_outlines(crs: str) -> Outlines:
    from kamtibmas.geo.models import Kelurahan
    from kamtibmas.geo.projection import to_metres

    codes, names, m, ll = [], [], [], []
    for code, name, geometry in Kelurahan.objects.exclude(geometry=None).values_list(
        "code", "name", "geometry"
    ):
        geom = shape(geometry)
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        codes.append(code)
        names.append(name)
        ll.append(geom)
        m.append(to_metres(geom, crs))
    city = shapely.union_all(m) if m else None
    return Outlines(codes, names, m, ll, city)


# ---- grids ---------------------------------------------------------------------------------


def _cell_for(extent_w: float, extent_h: float, cell_m: float) -> float:
    while (extent_w / cell_m + 1) * (extent_h / cell_m + 1) > MAX_CELLS:
        cell_m *= 2
    return cell_m


def grid_for(
    filters: Filters,
    binned: queries.Binned,
    cell_m: float,
    margin_m: float,
    city_m: BaseGeometry | None = None,
) -> Any:
    """A grid covering the city (Balikpapan: the same grid whatever the filters) or the points.
    ``city_m``: the city outline when the caller has it already."""
    from kamtibmas_analytics.grid import Grid

    if filters.dataset == BALIKPAPAN:
        city = city_m if city_m is not None else outlines().city_m
        if city is not None:
            x0, y0, x1, y1 = city.bounds
            cell = _cell_for(x1 - x0 + 2 * CITY_MARGIN_M, y1 - y0 + 2 * CITY_MARGIN_M, cell_m)
            return Grid.covering_polygon(city, cell_m=cell, margin_m=CITY_MARGIN_M)
    if binned.total == 0:
        return None
    w = float(binned.x_m.max() - binned.x_m.min()) + 2 * margin_m
    h = float(binned.y_m.max() - binned.y_m.min()) + 2 * margin_m
    return Grid.covering(binned.x_m, binned.y_m, cell_m=_cell_for(w, h, cell_m), margin_m=margin_m)


def _city_mask(
    filters: Filters, grid: Any, city_m: BaseGeometry | None = None
) -> np.ndarray | None:
    if filters.dataset != BALIKPAPAN:
        return None
    city = city_m if city_m is not None else outlines().city_m
    return None if city is None else np.asarray(grid.mask_polygon(city), bool)


# ---- the selection's layers ------------------------------------------------------------------


@dataclass(frozen=True)
class Layers:
    filters: Filters
    bandwidth_m: float
    crs: str
    total: int  # located incidents in the selection
    grid: Any  # density grid (None: nothing to show)
    density_km2: np.ndarray | None  # (ny, nx) expected incidents per km² in the period
    counts: np.ndarray | None  # (ny, nx) incidents per density cell
    gi_grid: Any
    gi_counts: np.ndarray | None
    gi: Any  # GiStarResult or None
    gi_mask: np.ndarray | None


def compute(scope: QuerySet[Incident], filters: Filters, bandwidth_m: float) -> Layers:
    from kamtibmas_analytics.hotspots import gi_star_grid
    from kamtibmas_analytics.kde import kernel_density

    points = selection_binned(scope, filters)
    crs = points.crs
    # the outline once (each look-up asks the shared cache for the geography's version)
    city = outlines().city_m if filters.dataset == BALIKPAPAN else None
    grid = grid_for(filters, points, DENSITY_CELL_M, 3 * bandwidth_m, city)
    if grid is None or points.total == 0:
        return Layers(filters, bandwidth_m, crs, 0, grid, None, None, None, None, None, None)
    cell_km2 = grid.cell_m**2 / 1e6
    density = (
        kernel_density(points.x_m, points.y_m, grid, bandwidth_m=bandwidth_m, weights=points.n)
        / cell_km2
    )
    counts = grid.counts(points.x_m, points.y_m, weights=points.n)
    gi_grid = grid_for(filters, points, GI_CELL_M, GI_CELL_M, city)
    gi_counts = gi_grid.counts(points.x_m, points.y_m, weights=points.n)
    mask = _city_mask(filters, gi_grid, city)
    if mask is None:
        mask = _occupied_hull_mask(gi_grid, gi_counts)
    gi = gi_star_grid(gi_counts, distance_cells=GI_DISTANCE_CELLS, mask=mask)
    return Layers(
        filters,
        bandwidth_m,
        crs,
        points.total,
        grid,
        np.asarray(density, float),
        np.asarray(counts, float),
        gi_grid,
        np.asarray(gi_counts, float),
        gi,
        mask,
    )


def selection_binned(scope: QuerySet[Incident], filters: Filters) -> queries.Binned:
    """The selection's located incidents per snapped cell: from the scope's snapshot when
    it has one (``facts``), else binned by the database."""
    from kamtibmas.analytics import facts

    snapshot = facts.for_scope(scope, filters.dataset)
    if snapshot is not None:
        return snapshot.binned(snapshot.mask(filters))
    return queries.binned(queries.filtered(scope, filters), filters.dataset)


def _occupied_hull_mask(grid: Any, counts: np.ndarray) -> np.ndarray:
    """Outside Balikpapan there is no city outline: study area = convex hull of occupied cells."""
    i, j = np.nonzero(counts)
    if len(i) < 3:
        return np.ones(counts.shape, bool)
    xc, yc = grid.x_centers[j], grid.y_centers[i]
    hull = shapely.MultiPoint(np.column_stack([xc, yc])).convex_hull.buffer(grid.cell_m)
    return np.asarray(grid.mask_polygon(hull), bool)


def for_request(
    user: Any, scope: QuerySet[Incident], filters: Filters, bandwidth_m: float
) -> Layers:
    key = f"layers:{getattr(user, 'pk', 0)}:{filters.cache_key()}:{bandwidth_m}"
    return cached(key, lambda: compute(scope, filters, bandwidth_m))


# ---- geometry of grid cells ------------------------------------------------------------------


def lonlat_bounds(grid: Any, crs: str) -> list[list[float]]:
    """[[south, west], [north, east]] of a grid (Leaflet's order)."""
    from kamtibmas_analytics import projection

    x0, y0, x1, y1 = grid.bounds
    lon, lat = projection.to_lonlat(np.array([x0, x1, x0, x1]), np.array([y0, y0, y1, y1]), crs)
    return [[float(np.min(lat)), float(np.min(lon))], [float(np.max(lat)), float(np.max(lon))]]


def cell_polygons(
    grid: Any, crs: str, rows: np.ndarray, cols: np.ndarray
) -> list[list[list[float]]]:
    """Rings [lon, lat] of the given cells."""
    from kamtibmas_analytics import projection

    c = grid.cell_m
    x0 = grid.x0_m + cols * c
    y0 = grid.y0_m + rows * c
    xs = np.stack([x0, x0 + c, x0 + c, x0, x0], axis=1)
    ys = np.stack([y0, y0, y0 + c, y0 + c, y0], axis=1)
    lon, lat = projection.to_lonlat(xs.ravel(), ys.ravel(), crs)
    lon = np.asarray(lon).reshape(xs.shape)
    lat = np.asarray(lat).reshape(ys.shape)
    return [
        [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon[k], lat[k], strict=True)]
        for k in range(len(rows))
    ]


def hotspot_cells(layers: Layers, *, significant_only: bool = True) -> list[dict[str, Any]]:
    """Gi* cells as dicts: row, col, count, z, p, q, category, centre lon/lat."""
    from kamtibmas_analytics import projection

    if layers.gi is None:
        return []
    category = np.asarray(layers.gi.category)
    keep = category != 0 if significant_only else np.ones(category.shape, bool)
    if layers.gi_mask is not None:
        keep &= layers.gi_mask
    rows, cols = np.nonzero(keep)
    grid = layers.gi_grid
    gi_counts = np.asarray(layers.gi_counts)
    lon, lat = projection.to_lonlat(grid.x_centers[cols], grid.y_centers[rows], layers.crs)
    z, p, q = (np.asarray(a) for a in (layers.gi.z, layers.gi.p, layers.gi.q))
    return [
        {
            "row": int(r),
            "col": int(c),
            "count": int(gi_counts[r, c]),
            "z": round(float(z[r, c]), 3),
            "p": float(p[r, c]),
            "q": float(q[r, c]),
            "category": int(category[r, c]),
            "lon": round(float(lon[k]), 6),
            "lat": round(float(lat[k]), 6),
        }
        for k, (r, c) in enumerate(zip(rows, cols, strict=True))
    ]


def hotspot_geojson(layers: Layers) -> dict[str, Any]:
    cells = hotspot_cells(layers)
    rings = (
        cell_polygons(
            layers.gi_grid,
            layers.crs,
            np.array([c["row"] for c in cells], int),
            np.array([c["col"] for c in cells], int),
        )
        if cells
        else []
    )
    features = []
    for cell, ring in zip(cells, rings, strict=True):
        props = dict(cell)
        props["label"] = str(GI_LABELS[cell["category"]])
        props["colour"] = GI_COLOURS[cell["category"]]
        props["cell_m"] = layers.gi_grid.cell_m
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def cell_at(layers: Layers, lat: float, lon: float) -> dict[str, Any] | None:
    """Numbers of the density cell and Gi* cell holding a point."""
    from kamtibmas_analytics import projection

    if layers.grid is None or layers.density_km2 is None:
        return None
    x, y, _crs = projection.to_metres(np.array([lon]), np.array([lat]), layers.crs)
    i, j = (int(np.asarray(v).ravel()[0]) for v in layers.grid.cell_index(x, y))
    if not (0 <= i < layers.grid.ny and 0 <= j < layers.grid.nx):
        return None
    result: dict[str, Any] = {
        "cell_m": layers.grid.cell_m,
        "count": int(layers.counts[i, j]) if layers.counts is not None else 0,
        "density_km2": round(float(layers.density_km2[i, j]), 3),
    }
    gi, gj = (int(np.asarray(v).ravel()[0]) for v in layers.gi_grid.cell_index(x, y))
    if layers.gi is not None and 0 <= gi < layers.gi_grid.ny and 0 <= gj < layers.gi_grid.nx:
        category = int(np.asarray(layers.gi.category)[gi, gj])
        result["gi"] = {
            "cell_m": layers.gi_grid.cell_m,
            "count": int(np.asarray(layers.gi_counts)[gi, gj]),
            "z": _finite(np.asarray(layers.gi.z)[gi, gj], 3),
            "p": _finite(np.asarray(layers.gi.p)[gi, gj], 5),
            "category": category,
            "label": str(GI_LABELS[category]),
        }
    return result


def _finite(value: Any, digits: int) -> float | None:
    """A rounded float, or None outside the study area (NaN is not JSON)."""
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


# ---- choropleth ----------------------------------------------------------------------------


def choropleth(scope: QuerySet[Incident], filters: Filters) -> dict[str, Any]:
    """Kelurahan with counts and rates per km² (Balikpapan only: other datasets have no areas)."""
    from kamtibmas.geo.models import Kelurahan

    if filters.dataset != BALIKPAPAN:
        return {"type": "FeatureCollection", "features": [], "available": False}
    counts = dict(
        queries.filtered(scope, filters)
        .exclude(kelurahan_code="")
        .values_list("kelurahan_code")
        .annotate(n=Count("pk"))
    )
    features = []
    for kel in Kelurahan.objects.exclude(geometry=None).select_related("kecamatan"):
        n = int(counts.get(kel.code, 0))
        area = kel.area_km2 or 0.0
        features.append(
            {
                "type": "Feature",
                "geometry": kel.geometry,
                "properties": {
                    "code": kel.code,
                    "name": kel.name,
                    "kecamatan": kel.kecamatan.name,
                    "count": n,
                    "area_km2": round(area, 2),
                    "rate_km2": round(n / area, 2) if area else None,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features, "available": True}


# ---- clustered points ------------------------------------------------------------------------

CLUSTER_PX = 60
POINTS_ZOOM = 17
MAX_POINTS = 2000


def clusters(
    qs: QuerySet[Incident], zoom: int, bbox: tuple[float, float, float, float] | None
) -> dict[str, Any]:
    """Incidents grouped on a pixel grid of ``CLUSTER_PX`` at this zoom, in the database.
    From ``POINTS_ZOOM`` on (or when few), single incidents without personal data."""
    from kamtibmas.analytics.labels import category_label

    qs = queries.located(qs)
    if bbox:
        west, south, east, north = bbox
        qs = qs.filter(lon__gte=west, lon__lte=east, lat__gte=south, lat__lte=north)
    total = qs.count()
    if zoom >= POINTS_ZOOM or total <= 200:
        rows = qs.order_by("-occurred_from").values_list(
            "pk", "lat", "lon", "category", "occurred_from"
        )[:MAX_POINTS]
        return {
            "kind": "points",
            "total": total,
            "truncated": total > MAX_POINTS,
            "items": [
                {
                    "lat": r[1],
                    "lon": r[2],
                    "n": 1,
                    "category": category_label(r[3]),
                    "date": r[4].date().isoformat() if r[4] else "",
                }
                for r in rows
            ],
        }
    step = 360.0 / (256 * 2 ** max(0, min(zoom, 22))) * CLUSTER_PX
    groups = (
        qs.annotate(_i=Floor(F("lat") / step), _j=Floor(F("lon") / step))
        .values("_i", "_j")
        .annotate(n=Count("pk"), mean_lat=Avg("lat"), mean_lon=Avg("lon"))
        .order_by()
    )
    return {
        "kind": "clusters",
        "total": total,
        "truncated": False,
        "items": [{"lat": g["mean_lat"], "lon": g["mean_lon"], "n": g["n"]} for g in groups],
    }
