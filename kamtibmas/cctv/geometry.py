"""A camera's field of view as a sector: a point is seen when it is within range and within
half the angle of the bearing. Distances in a local tangent plane (metres), fine for the few
hundred metres a camera sees."""

from __future__ import annotations

import math

METRES_PER_DEGREE = 111_320.0
ARC_STEPS = 24


def offset_m(lat0: float, lon0: float, lat: float, lon: float) -> tuple[float, float]:
    """(east, north) metres from (lat0, lon0) to (lat, lon)."""
    east = (lon - lon0) * METRES_PER_DEGREE * math.cos(math.radians(lat0))
    north = (lat - lat0) * METRES_PER_DEGREE
    return east, north


def _angle_diff(a: float, b: float) -> float:
    """Smallest absolute difference of two compass bearings, 0..180."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def sector_contains(
    lat0: float, lon0: float, bearing: float, angle: float, range_m: float, lat: float, lon: float
) -> bool:
    """Whether (lat, lon) lies in the sector of a camera at (lat0, lon0).

    >>> sector_contains(-1.25, 116.85, 90, 60, 100, -1.25, 116.8505)  # ~56 m east
    True
    >>> sector_contains(-1.25, 116.85, 270, 60, 100, -1.25, 116.8505)  # behind it
    False
    """
    east, north = offset_m(lat0, lon0, lat, lon)
    distance = math.hypot(east, north)
    if distance > range_m:
        return False
    if distance < 1e-6 or angle >= 360.0:
        return True
    point_bearing = math.degrees(math.atan2(east, north)) % 360.0
    return _angle_diff(point_bearing, bearing) <= angle / 2.0


def sector_polygon(
    lat0: float, lon0: float, bearing: float, angle: float, range_m: float
) -> list[list[float]]:
    """The sector as a closed GeoJSON ring of [lon, lat]."""
    cos_lat = math.cos(math.radians(lat0)) or 1e-9
    ring: list[list[float]] = [] if angle >= 360.0 else [[lon0, lat0]]
    start = bearing - angle / 2.0
    for step in range(ARC_STEPS + 1):
        theta = math.radians(start + angle * step / ARC_STEPS)
        east, north = range_m * math.sin(theta), range_m * math.cos(theta)
        ring.append([lon0 + east / (METRES_PER_DEGREE * cos_lat), lat0 + north / METRES_PER_DEGREE])
    ring.append(ring[0])
    return ring
