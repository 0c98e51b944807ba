"""Point -> kelurahan -> responsible Polsek, with an in-memory STRtree built from the database.

The index is cached per process and rebuilt when the geography changes (``invalidate()`` is
called by imports; a version stamp in the cache tells other processes).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.core.cache import cache
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

VERSION_KEY = "geo:index-version"
_lock = threading.Lock()
_index: _Index | None = None


@dataclass(frozen=True)
class Area:
    kelurahan_id: int
    kelurahan_code: str
    kelurahan_name: str
    kecamatan_id: int
    unit_id: int | None


@dataclass(frozen=True)
class _Index:
    version: str
    tree: STRtree
    geoms: list[BaseGeometry]
    areas: list[Area]
    sectors: list[tuple[BaseGeometry, int]]
    outline: BaseGeometry | None


def invalidate() -> None:
    """Drop the cached index here and in every other process (via the shared cache)."""
    global _index
    import uuid

    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    with _lock:
        _index = None


def _build(version: str) -> _Index:
    from shapely.ops import unary_union

    from kamtibmas.geo.models import Kelurahan, Unit

    polsek_by_kecamatan: dict[int, int] = {}
    sectors: list[tuple[BaseGeometry, int]] = []
    for unit in Unit.objects.filter(is_active=True).prefetch_related("kecamatan"):
        if unit.sector_geometry:
            sectors.append((shape(unit.sector_geometry), unit.pk))
        if unit.kind == Unit.Kind.POLSEK:
            for kec in unit.kecamatan.all():
                polsek_by_kecamatan.setdefault(kec.pk, unit.pk)
    geoms: list[BaseGeometry] = []
    areas: list[Area] = []
    for kel in Kelurahan.objects.exclude(geometry=None).order_by("code"):
        geoms.append(shape(kel.geometry).buffer(0))
        areas.append(Area(kel.pk, kel.code, kel.name, kel.kecamatan_id,
                          polsek_by_kecamatan.get(kel.kecamatan_id)))
    outline = unary_union(geoms) if geoms else None
    return _Index(version, STRtree(geoms), geoms, areas, sectors, outline)


def _current() -> _Index:
    global _index
    version = cache.get(VERSION_KEY) or "initial"
    with _lock:
        if _index is None or _index.version != version:
            _index = _build(version)
        return _index


def find_area(lat: float, lon: float) -> Area | None:
    """The kelurahan containing the point, or None when it lies outside the area.

    A point on a shared border belongs to the kelurahan with the lowest code, so the answer
    is the same every time; the slivers where simplified polygons overlap resolve the same way.
    """
    index = _current()
    point = Point(lon, lat)
    hits = index.tree.query(point, predicate="intersects")
    if len(hits) == 0:
        return None
    return index.areas[int(min(hits))]


def responsible_unit_id(lat: float, lon: float) -> int | None:
    """The unit whose jurisdiction holds the point: a sector (port, airport) first, then the
    Polsek of the kecamatan. None outside the area."""
    index = _current()
    point = Point(lon, lat)
    for geom, unit_id in index.sectors:
        if geom.intersects(point):
            return unit_id
    area = find_area(lat, lon)
    return area.unit_id if area else None


def is_inside(lat: float, lon: float) -> bool:
    return find_area(lat, lon) is not None
