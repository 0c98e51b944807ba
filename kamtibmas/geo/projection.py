"""WGS84 <-> UTM 50S (EPSG:32750) for metric work on Balikpapan geometry."""

from __future__ import annotations

from functools import cache

import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

WGS84 = "EPSG:4326"
UTM_50S = "EPSG:32750"


@cache
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_metres(geom: BaseGeometry, crs: str = UTM_50S) -> BaseGeometry:
    return shapely.transform(geom, _transformer(WGS84, crs).transform, interleaved=False)


def to_lonlat(geom: BaseGeometry, crs: str = UTM_50S) -> BaseGeometry:
    return shapely.transform(geom, _transformer(crs, WGS84).transform, interleaved=False)


def area_km2(geom_lonlat: BaseGeometry) -> float:
    return float(to_metres(geom_lonlat).area) / 1e6
