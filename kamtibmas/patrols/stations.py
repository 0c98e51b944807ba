"""Police stations: where a Polsek's patrol teams start and end their routes.

``load_stations(path)`` reads a GeoJSON file of police sites (points with a ``nama`` or
``name`` property, e.g. ``police_sites_osm.geojson`` from OpenStreetMap) and stores the point
whose name starts with a unit's name as that unit's station. Units without a known station
keep open routes (the first leg is not counted).
"""

from __future__ import annotations

import json
from pathlib import Path

from kamtibmas.forecasts.surface import METRIC_CRS
from kamtibmas.geo.models import Unit
from kamtibmas_analytics.projection import to_metres


def _points(path: Path) -> list[tuple[str, float, float]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for feature in data.get("features", []):
        props, geom = feature.get("properties") or {}, feature.get("geometry") or {}
        name = str(props.get("nama") or props.get("name") or "").strip().lower()
        if name and geom.get("type") == "Point":
            lon, lat = geom["coordinates"][:2]
            found.append((name, float(lat), float(lon)))
    return found


def load_stations(path: str | Path) -> int:
    """Set the station of each Polsek/KSKP named in the file; returns how many were set.

    Raises ``OSError`` or ``ValueError`` (bad JSON) with a plain message."""
    points = _points(Path(path))
    units = Unit.objects.filter(kind__in=(Unit.Kind.POLSEK, Unit.Kind.KSKP))
    updated = 0
    for unit in units:
        match = next((p for p in points if p[0].startswith(unit.name.lower())), None)
        if match is None:
            continue
        if (unit.station_lat, unit.station_lon) != match[1:]:
            unit.station_lat, unit.station_lon = match[1], match[2]
            unit.save(update_fields=["station_lat", "station_lon"])
        updated += 1
    return updated


def station_xy(unit: Unit) -> tuple[float, float] | None:
    """The unit's station in metres (EPSG:32750), None when unknown."""
    if unit.station_lat is None or unit.station_lon is None:
        return None
    x, y, _crs = to_metres([unit.station_lon], [unit.station_lat], METRIC_CRS)
    return float(x[0]), float(y[0])
