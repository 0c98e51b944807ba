"""Inputs of a forecast: the units forecast for, their areas and grids, and the incidents.

A Polsek's area is the union of the kelurahan of its kecamatan; a sector unit (port,
airport) has its own polygon; a Polres covers all kelurahan. Grids are UTM 50S (EPSG:32750),
``KAMTIBMAS_FORECAST_CELL_M`` metres (150 by default), covering the area; cells whose centre
lies outside it are masked out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from django.conf import settings
from django.db.models import QuerySet
from numpy.typing import NDArray
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from kamtibmas.forecasts.groups import categories_of
from kamtibmas.forecasts.surface import METRIC_CRS
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.geo.projection import to_metres
from kamtibmas.incidents.models import BALIKPAPAN, Incident
from kamtibmas_analytics import projection
from kamtibmas_analytics.forecast import Events
from kamtibmas_analytics.grid import Grid

FORECAST_KINDS = (Unit.Kind.POLSEK, Unit.Kind.KSKP)
POLRES_KINDS = (Unit.Kind.POLDA, Unit.Kind.POLRES)


def cell_m() -> float:
    """The forecast grid's cell side in metres (``KAMTIBMAS_FORECAST_CELL_M``, default 150)."""
    return float(settings.FORECAST_CELL_M)


def forecast_units() -> list[Unit]:
    """Active Polsek and KSKP units, by name: the units that get nightly forecasts."""
    return list(Unit.objects.filter(is_active=True, kind__in=FORECAST_KINDS).order_by("name"))


def _valid(geojson: object) -> BaseGeometry:
    geom = shape(geojson)
    return geom if geom.is_valid else shapely.make_valid(geom)


def unit_area_lonlat(unit: Unit) -> BaseGeometry | None:
    """The unit's area (lon/lat): its sector polygon, else its kelurahan less the sectors'
    polygons; all kelurahan for a Polres; None if it has none."""
    if unit.sector_geometry:
        return _valid(unit.sector_geometry)
    rows = Kelurahan.objects.exclude(geometry=None)
    if unit.kind not in POLRES_KINDS:
        rows = rows.filter(kecamatan__in=unit.kecamatan.all())
    geoms = [_valid(g) for g in rows.values_list("geometry", flat=True)]
    if not geoms:
        return None
    area = shapely.union_all(geoms)
    if unit.kind in POLRES_KINDS:
        return area
    # A sector (port, airport) answers for its own polygon, as in kamtibmas.geo.lookup.
    sectors = Unit.objects.filter(is_active=True).exclude(sector_geometry=None)
    for geometry in sectors.values_list("sector_geometry", flat=True):
        area = area.difference(_valid(geometry))
    return area


@dataclass(frozen=True)
class UnitArea:
    unit: Unit
    area_m: BaseGeometry
    grid: Grid
    mask: NDArray[np.bool_]


def unit_area(unit: Unit, cell: float | None = None) -> UnitArea | None:
    """The unit's area in metres with its grid and mask; None for a unit without an area."""
    lonlat = unit_area_lonlat(unit)
    if lonlat is None or lonlat.is_empty:
        return None
    area_m = to_metres(lonlat, METRIC_CRS)
    grid = Grid.covering_polygon(area_m, cell_m=cell or cell_m())
    mask = grid.mask_polygon(area_m)
    if not mask.any():  # a sliver smaller than a cell: keep the cell holding its centre
        i, j = grid.cell_index([area_m.centroid.x], [area_m.centroid.y])
        mask[int(i[0]), int(j[0])] = True
    return UnitArea(unit, area_m, grid, mask)


def group_incidents(group: str, up_to: datetime) -> QuerySet[Incident]:
    """Located Balikpapan incidents of ``group`` that started before ``up_to``."""
    return Incident.objects.filter(
        dataset=BALIKPAPAN,
        category__in=categories_of(group),
        lat__isnull=False,
        lon__isnull=False,
        occurred_from__isnull=False,
        occurred_from__lt=up_to,
    )


def _seconds(values: list[datetime | None]) -> NDArray[np.float64]:
    return np.array([v.timestamp() if v else np.nan for v in values], dtype=np.float64)


def load_events(qs: QuerySet[Incident]) -> Events:
    """The incidents as :class:`Events` in UTM 50S metres (time: the window's midpoint when it
    is at most a day long, else its start)."""
    rows = list(qs.order_by().values_list("lon", "lat", "occurred_from", "occurred_to"))
    if not rows:
        return Events.from_arrays([], [], [])
    lon = np.array([r[0] for r in rows], dtype=np.float64)
    lat = np.array([r[1] for r in rows], dtype=np.float64)
    x, y, _crs = projection.to_metres(lon, lat, METRIC_CRS)
    start = _seconds([r[2] for r in rows])
    end = _seconds([r[3] for r in rows])
    return Events.from_windows(x, y, start, end)


def events_in(events: Events, grid: Grid, margin_m: float = 0.0) -> Events:
    """The events inside the grid's bounds widened by ``margin_m``."""
    x0, y0, x1, y1 = grid.bounds
    keep = (
        (events.x >= x0 - margin_m)
        & (events.x < x1 + margin_m)
        & (events.y >= y0 - margin_m)
        & (events.y < y1 + margin_m)
    )
    return events.select(keep)
