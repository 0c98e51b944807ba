"""Point -> kelurahan -> responsible Polsek, with an in-memory STRtree built from the database.

The index is cached per process and rebuilt when the geography changes: ``invalidate()`` (called
by imports, the reference loader and admin edits) stores a new version stamp in the shared cache
(database or Redis), and every process compares its index's stamp with it on each lookup.

Rules, in order:

1. A sector unit (port, airport) whose polygon holds the point is responsible for it, whatever
   the kelurahan.
2. A point inside (or exactly on the border of) one or more kelurahan belongs to the one with the
   lowest official code, so a point on a shared border, or in the slivers where simplified
   neighbours overlap, gets the same answer every time.
3. A point in none of them but within ``GAP_TOLERANCE_M`` of one (simplified real boundaries
   leave gaps of a few metres between neighbours) belongs to the nearest, lowest code first.
4. Anything else is outside the area: ``None``.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any

import shapely
from django.core.cache import cache
from django.db import connection, transaction
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

VERSION_KEY = "geo:index-version"
# Gaps between simplified neighbouring boundaries are a few metres wide; 1 degree ~ 111 km.
GAP_TOLERANCE_M = 30.0
_METRES_PER_DEGREE = 111_320.0

_lock = threading.Lock()
_index: _Index | None = None


@dataclass(frozen=True)
class Area:
    kelurahan_id: int
    kelurahan_code: str
    kelurahan_name: str
    kecamatan_id: int
    unit_id: int | None
    kecamatan_name: str = ""
    unit_name: str = ""
    is_approximate: bool = True


@dataclass(frozen=True)
class _Sector:
    geometry: BaseGeometry
    unit_id: int
    unit_name: str


@dataclass(frozen=True)
class _Index:
    version: str
    tree: STRtree
    geoms: list[BaseGeometry]
    areas: list[Area]
    sectors: list[_Sector]


def _bump() -> None:
    global _index
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    with _lock:
        _index = None


def invalidate() -> None:
    """Drop the cached index here and in every other process (via the shared cache).

    Bumped at once and again when the surrounding transaction commits, so that no process
    keeps an index built from data that was not yet committed.
    """
    _bump()
    if connection.in_atomic_block:
        transaction.on_commit(_bump)


def current_version() -> str:
    """The geography's version stamp, shared by all processes (creates one when missing)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY) or "unversioned"
    return str(version)


def _polygon(geojson: Any) -> BaseGeometry:
    geom = shape(geojson)
    return geom if geom.is_valid else shapely.make_valid(geom)


def polsek_by_kecamatan() -> dict[int, tuple[int, str]]:
    """Kecamatan id -> (unit id, name) of its active Polsek (the oldest one if several)."""
    from kamtibmas.geo.models import Unit

    result: dict[int, tuple[int, str]] = {}
    units = Unit.objects.filter(is_active=True, kind=Unit.Kind.POLSEK).order_by("pk")
    for unit in units.prefetch_related("kecamatan"):
        for kec in unit.kecamatan.all():
            result.setdefault(kec.pk, (unit.pk, unit.name))
    return result


def _sectors() -> list[_Sector]:
    from kamtibmas.geo.models import Unit

    units = Unit.objects.filter(is_active=True).exclude(sector_geometry=None).order_by("pk")
    sectors = [_Sector(_polygon(u.sector_geometry), u.pk, u.name) for u in units]
    for sector in sectors:
        shapely.prepare(sector.geometry)
    return sectors


def _build(version: str) -> _Index:
    from kamtibmas.geo.models import Kelurahan

    polsek = polsek_by_kecamatan()
    geoms: list[BaseGeometry] = []
    areas: list[Area] = []
    rows = Kelurahan.objects.exclude(geometry=None).select_related("kecamatan").order_by("code")
    for kel in rows:
        unit_id, unit_name = polsek.get(kel.kecamatan_id, (None, ""))
        geoms.append(_polygon(kel.geometry))
        areas.append(
            Area(
                kel.pk,
                kel.code,
                kel.name,
                kel.kecamatan_id,
                unit_id,
                kel.kecamatan.name,
                unit_name,
                kel.is_approximate,
            )
        )
    return _Index(version, STRtree(geoms), geoms, areas, _sectors())


def _current() -> _Index:
    global _index
    version = current_version()
    with _lock:
        if _index is None or _index.version != version:
            _index = _build(version)
        return _index


def _nearest_within_gap(index: _Index, point: Point) -> int | None:
    tolerance = GAP_TOLERANCE_M / _METRES_PER_DEGREE
    hits = index.tree.query_nearest(point, max_distance=tolerance, all_matches=True)
    return int(min(hits)) if len(hits) else None


def _area_index(index: _Index, point: Point) -> int | None:
    hits = index.tree.query(point, predicate="intersects")
    if len(hits):
        return int(min(hits))  # areas are sorted by code: the lowest code wins at borders
    return _nearest_within_gap(index, point)


def find_area(lat: float, lon: float) -> Area | None:
    """The kelurahan containing the point, or None when it lies outside the area.

    A point on a shared border belongs to the kelurahan with the lowest code, so the answer
    is the same every time; the slivers where simplified polygons overlap resolve the same way.
    """
    index = _current()
    position = _area_index(index, Point(lon, lat))
    return None if position is None else index.areas[position]


def _sector_at(index: _Index, point: Point) -> _Sector | None:
    return next((s for s in index.sectors if s.geometry.intersects(point)), None)


def locate(lat: float, lon: float) -> Area | None:
    """Like ``find_area``, with ``unit_id``/``unit_name`` of the responsible unit (a sector
    first). None outside the area, even inside a sector polygon that reaches into the sea."""
    index = _current()
    point = Point(lon, lat)
    position = _area_index(index, point)
    if position is None:
        return None
    area = index.areas[position]
    sector = _sector_at(index, point)
    if sector is None:
        return area
    return Area(
        area.kelurahan_id,
        area.kelurahan_code,
        area.kelurahan_name,
        area.kecamatan_id,
        sector.unit_id,
        area.kecamatan_name,
        sector.unit_name,
        area.is_approximate,
    )


def responsible_unit_id(lat: float, lon: float) -> int | None:
    """The unit whose jurisdiction holds the point: a sector (port, airport) first, then the
    Polsek of the kecamatan. None outside the area."""
    index = _current()
    point = Point(lon, lat)
    sector = _sector_at(index, point)
    if sector is not None:
        return sector.unit_id
    area = find_area(lat, lon)
    return area.unit_id if area else None


def is_inside(lat: float, lon: float) -> bool:
    return find_area(lat, lon) is not None
