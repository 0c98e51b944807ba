"""Posts over the risk surface: which high-risk cells of a Polsek have no active post nearby.

The computation is pure numpy over the forecast grid (UTM 50S metres, EPSG:32750):

* high risk = the top ``HIGH_RISK_SHARE`` of the cells inside the unit's area, by forecast risk
  (cells with no risk at all are never high risk);
* covered = an *active* post lies within ``WALK_RADIUS_M`` of the cell's centre (a night round
  on foot reaches about that far from the post);
* a gap = a high-risk cell that is not covered.

:func:`build_post_map` reads the posts and the forecast for the Django pages; everything below
it is testable without a database.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from kamtibmas_analytics.grid import Grid

log = logging.getLogger(__name__)

WALK_RADIUS_M = 500.0
HIGH_RISK_SHARE = 0.05
ALL_GROUPS = "all"
MAX_DRAWN_CELLS = 600
MAX_LISTED_GAPS = 30

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


# ---- pure computation ----------------------------------------------------------------------


def high_risk_mask(
    scores: FloatArray, mask: BoolArray, share: float = HIGH_RISK_SHARE
) -> BoolArray:
    """The top ``share`` of the cells inside ``mask`` by score (at least one cell when any has
    risk); ties at the threshold are all included, cells without risk never are.

    >>> s = np.array([[0.0, 1.0], [2.0, 3.0]])
    >>> high_risk_mask(s, np.ones((2, 2), bool), 0.25).tolist()
    [[False, False], [False, True]]
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share!r}")
    clean = np.where(np.isfinite(scores), scores, 0.0)
    candidates = mask & (clean > 0)
    if not candidates.any():
        return np.zeros(scores.shape, dtype=bool)
    count = max(1, math.ceil(share * int(mask.sum())))
    values = np.sort(clean[candidates])[::-1]
    threshold = values[min(count, values.size) - 1]
    return np.asarray(candidates & (clean >= threshold), dtype=bool)


def nearest_distance_m(x_m: FloatArray, y_m: FloatArray, posts_xy: FloatArray) -> FloatArray:
    """For each point, the distance in metres to the nearest post (``inf`` with no posts)."""
    x = np.asarray(x_m, dtype=np.float64).ravel()
    y = np.asarray(y_m, dtype=np.float64).ravel()
    posts = np.asarray(posts_xy, dtype=np.float64).reshape(-1, 2)
    if posts.shape[0] == 0:
        return np.full(x.shape, np.inf)
    distances, _index = cKDTree(posts).query(np.column_stack([x, y]), k=1)
    return np.asarray(distances, dtype=np.float64)


@dataclass(frozen=True)
class Gap:
    """A high-risk cell with no active post within the walking radius."""

    i: int
    j: int
    x_m: float
    y_m: float
    risk: float
    distance_m: float  # to the nearest active post; inf when the area has none


def coverage_gaps(
    grid: Grid,
    scores: FloatArray,
    mask: BoolArray,
    active_posts_xy: FloatArray,
    *,
    radius_m: float = WALK_RADIUS_M,
    share: float = HIGH_RISK_SHARE,
) -> list[Gap]:
    """High-risk cells whose centre is farther than ``radius_m`` from every active post,
    riskiest first (ties by row, then column)."""
    high = high_risk_mask(scores, mask, share)
    i, j = np.nonzero(high)
    if i.size == 0:
        return []
    x = grid.x_centers[j]
    y = grid.y_centers[i]
    distance = nearest_distance_m(x, y, active_posts_xy)
    gaps = [
        Gap(int(a), int(b), float(cx), float(cy), float(scores[a, b]), float(d))
        for a, b, cx, cy, d in zip(i, j, x, y, distance, strict=True)
        if d > radius_m
    ]
    return sorted(gaps, key=lambda g: (-g.risk, g.i, g.j))


def covered_share(
    grid: Grid, scores: FloatArray, mask: BoolArray, active_posts_xy: FloatArray,
    *, radius_m: float = WALK_RADIUS_M, share: float = HIGH_RISK_SHARE,
) -> float | None:  # fmt: skip
    """The share of high-risk cells with an active post within reach (None: no high risk)."""
    high = high_risk_mask(scores, mask, share)
    total = int(high.sum())
    if total == 0:
        return None
    gaps = coverage_gaps(grid, scores, mask, active_posts_xy, radius_m=radius_m, share=share)
    return 1.0 - len(gaps) / total


# ---- the page's data (database and forecast) -----------------------------------------------


@dataclass
class PostMap:
    unit: Any
    group: str
    start: datetime
    end: datetime
    model: str
    high_risk_count: int
    gaps: list[dict[str, Any]]
    covered_share: float | None
    has_risk: bool
    geojson: dict[str, Any] = field(default_factory=dict)

    @property
    def listed_gaps(self) -> list[dict[str, Any]]:
        """The riskiest gaps, for the table (the map shows all of them)."""
        return self.gaps[:MAX_LISTED_GAPS]

    @property
    def unlisted_gap_count(self) -> int:
        return max(0, len(self.gaps) - MAX_LISTED_GAPS)

    @property
    def gaps_by_kelurahan(self) -> list[dict[str, Any]]:
        """Per kelurahan: how many gap cells and their highest risk, most gaps first."""
        summary: dict[str, dict[str, Any]] = {}
        for gap in self.gaps:
            row = summary.setdefault(gap["kelurahan"], {"kelurahan": gap["kelurahan"],
                                                         "cells": 0, "max_risk": 0.0})  # fmt: skip
            row["cells"] += 1
            row["max_risk"] = max(row["max_risk"], gap["risk"])
        return sorted(summary.values(), key=lambda r: (-r["cells"], -r["max_risk"]))


def _posts_xy(posts: list[Any]) -> FloatArray:
    from kamtibmas.forecasts.surface import METRIC_CRS
    from kamtibmas_analytics.projection import to_metres

    if not posts:
        return np.zeros((0, 2))
    x, y, _crs = to_metres([p.lon for p in posts], [p.lat for p in posts], METRIC_CRS)
    return np.column_stack([np.asarray(x), np.asarray(y)])


def combined_surface(unit: Any, group: str, start: datetime, end: datetime) -> Any:
    """The forecast of ``group``; for ``"all"`` the sum of every crime group's forecast
    (they share the unit's grid), so the map weighs all crime a night watch can deter."""
    from dataclasses import replace

    from kamtibmas.forecasts.groups import CRIME_GROUPS
    from kamtibmas.forecasts.surface import risk_surface

    if group != ALL_GROUPS:
        return risk_surface(unit, group, start, end)
    surfaces = [risk_surface(unit, g, start, end) for g in CRIME_GROUPS]
    first = surfaces[0]
    total = np.zeros(first.scores.shape)
    for surface in surfaces:
        if surface.grid != first.grid:
            raise ValueError("forecast grids differ between groups")
        total += np.where(np.isfinite(surface.scores), surface.scores, 0.0)
    return replace(first, scores=total, group=ALL_GROUPS, explanations={})


def _lonlat(x: list[float], y: list[float]) -> tuple[list[float], list[float]]:
    from kamtibmas.forecasts.surface import METRIC_CRS
    from kamtibmas_analytics.projection import to_lonlat

    if not x:
        return [], []
    lon, lat = to_lonlat(x, y, METRIC_CRS)
    return [float(v) for v in np.atleast_1d(lon)], [float(v) for v in np.atleast_1d(lat)]


def _gap_rows(gaps: list[Gap]) -> list[dict[str, Any]]:
    from kamtibmas.geo import lookup

    lon, lat = _lonlat([g.x_m for g in gaps], [g.y_m for g in gaps])
    rows = []
    for gap, a, b in zip(gaps, lon, lat, strict=True):
        area = lookup.find_area(b, a)
        rows.append({
            "i": gap.i, "j": gap.j, "lat": round(b, 6), "lon": round(a, 6), "risk": gap.risk,
            "kelurahan": area.kelurahan_name if area else "",
            "distance_m": None if math.isinf(gap.distance_m) else round(gap.distance_m),
        })  # fmt: skip
    return rows


def _cell_features(surface: Any, high: BoolArray, gap_cells: set[tuple[int, int]]) -> list[Any]:
    """The riskiest cells (at most ``MAX_DRAWN_CELLS``) as squares with their class."""
    from kamtibmas.analytics.layers import cell_polygons
    from kamtibmas.forecasts.surface import METRIC_CRS

    scores = np.where(surface.mask & np.isfinite(surface.scores), surface.scores, 0.0)
    flat = np.argsort(-scores, axis=None, kind="stable")[:MAX_DRAWN_CELLS]
    flat = flat[scores.ravel()[flat] > 0]
    rows, cols = np.divmod(flat.astype(np.intp), surface.grid.nx)
    top = float(scores.max()) if scores.size else 0.0
    features = []
    for a, b, ring in zip(rows, cols, cell_polygons(surface.grid, METRIC_CRS, rows, cols),
                          strict=True):  # fmt: skip
        kind = "gap" if (int(a), int(b)) in gap_cells else "high" if high[a, b] else "risk"
        props = {"kind": kind, "risk": round(float(scores[a, b]), 6),
                 "level": round(float(scores[a, b]) / top, 3) if top > 0 else 0.0}  # fmt: skip
        geom = {"type": "Polygon", "coordinates": [ring]}
        features.append({"type": "Feature", "geometry": geom, "properties": props})
    return features


def _post_features(posts: list[Any]) -> list[dict[str, Any]]:
    from django.urls import reverse

    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
            "properties": {
                "kind": "post",
                "name": p.name,
                "active": p.is_active,
                "url": reverse("siskamling:post_detail", args=[p.pk]),
            },  # fmt: skip
        }
        for p in posts
    ]


def build_post_map(unit: Any, group: str, now: datetime, shown_posts: list[Any]) -> PostMap:
    """The forecast of the next 7 days for ``unit``, its high-risk cells and their gaps.

    Coverage counts every active post (of any unit: a post across the border still walks its
    round), markers are the ``shown_posts`` the viewer may see. Raises ValueError with a
    translated message when no forecast can be made."""
    from django.utils.translation import gettext as _

    from kamtibmas.forecasts.models import WEEK_KIND
    from kamtibmas.forecasts.windows import upcoming
    from kamtibmas.siskamling.models import Post

    window = upcoming(now, WEEK_KIND)[0]
    try:
        surface = combined_surface(unit, group, window.start, window.end)
    except Exception as exc:  # noqa: BLE001 - any forecast failure becomes a message
        log.warning("post map: no forecast for unit %s: %s", unit.pk, type(exc).__name__)
        raise ValueError(_("No forecast could be made for %(unit)s.") % {"unit": unit}) from None
    active = list(Post.objects.filter(is_active=True).only("lat", "lon"))
    posts_xy = _posts_xy(active)
    scores = np.where(np.isfinite(surface.scores), surface.scores, 0.0)
    high = high_risk_mask(scores, surface.mask)
    gaps = coverage_gaps(surface.grid, scores, surface.mask, posts_xy)
    gap_cells = {(g.i, g.j) for g in gaps}
    features = _cell_features(surface, high, gap_cells) + _post_features(shown_posts)
    count = int(high.sum())
    return PostMap(
        unit=unit, group=group, start=surface.start, end=surface.end, model=surface.model,
        high_risk_count=count, gaps=_gap_rows(gaps),
        covered_share=(1.0 - len(gaps) / count) if count else None,
        has_risk=bool((scores[surface.mask] > 0).any()),
        geojson={"type": "FeatureCollection", "features": features},
    )  # fmt: skip
