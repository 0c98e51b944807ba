"""Point -> kelurahan and responsible unit for many points at once (an import chunk).

The same rules as ``kamtibmas.geo.lookup.find_area`` and ``responsible_unit_id``, one
vectorised STRtree query per chunk instead of one query per point (a million rows need it);
``tests/test_incident_import.py`` checks it point by point against those functions.
TODO(lead): this belongs in ``kamtibmas.geo.lookup`` as a public ``locate_many``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from kamtibmas.geo import lookup


@dataclass(frozen=True)
class Located:
    kelurahan_id: list[int | None]
    kelurahan_code: list[str]
    unit_id: list[int | None]


def locate_many(lat: np.ndarray, lon: np.ndarray) -> Located:
    """Kelurahan id/code (lowest code at borders, gap tolerance) and unit (a sector first,
    then the kecamatan's Polsek) for each point; None/'' outside and for NaN points."""
    n = len(lat)
    kel_ids: list[int | None] = [None] * n
    kel_codes: list[str] = [""] * n
    units: list[int | None] = [None] * n
    valid = ~(np.isnan(lat) | np.isnan(lon))
    if not valid.any():
        return Located(kel_ids, kel_codes, units)
    index = lookup._current()
    where = np.flatnonzero(valid)
    points = shapely.points(lon[where], lat[where])
    position = np.full(len(where), -1, dtype=np.int64)
    hits = index.tree.query(points, predicate="intersects")
    if hits.shape[1]:
        # lowest area position (= lowest code) per point
        order = np.lexsort((hits[1], hits[0]))
        first = np.unique(hits[0][order], return_index=True)
        position[first[0]] = hits[1][order][first[1]]
    missing = np.flatnonzero(position < 0)
    if len(missing):
        tolerance = lookup.GAP_TOLERANCE_M / lookup._METRES_PER_DEGREE
        near = index.tree.query_nearest(points[missing], max_distance=tolerance, all_matches=True)
        if near.shape[1]:
            order = np.lexsort((near[1], near[0]))
            first = np.unique(near[0][order], return_index=True)
            position[missing[first[0]]] = near[1][order][first[1]]
    sector_unit = np.full(len(where), -1, dtype=np.int64)
    for sector in reversed(index.sectors):  # the first matching sector wins
        inside = shapely.intersects(sector.geometry, points)
        sector_unit[inside] = sector.unit_id
    for k, i in enumerate(where.tolist()):
        p = int(position[k])
        if p >= 0:
            area = index.areas[p]
            kel_ids[i] = area.kelurahan_id
            kel_codes[i] = area.kelurahan_code
            units[i] = area.unit_id
        if sector_unit[k] >= 0:
            units[i] = int(sector_unit[k])
    return Located(kel_ids, kel_codes, units)
