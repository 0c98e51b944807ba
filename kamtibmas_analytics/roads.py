"""A drivable road network as a graph, for patrol travel times.

Built from GeoJSON LineStrings (e.g. the OpenStreetMap drive network exported by osmnx): each
LineString is one road segment from its first to its last point. Segment ends closer than
``snap_m`` metres become one node, so networks whose ends do not share exact coordinates still
connect. A segment is drivable both ways unless its ``oneway`` property is true; its length is
the ``length`` property when given (metres) else its projected length.

Places are snapped to the nearest node of the largest strongly connected part of the network
(so every snapped pair has a path), and distances come from Dijkstra
(``scipy.sparse.csgraph.dijkstra``). The off-road distance between a place and its node is added
as a straight line.

Speed assumption: a patrol car in town averages ``DEFAULT_SPEED_KMH`` = 20 km/h door to door
(junctions, traffic, slow looking-around driving); without a network, straight-line distance
times ``DETOUR_FACTOR`` = 1.4 (typical ratio of road to crow-fly distance in a city grid) at the
same speed.

>>> data = {"type": "FeatureCollection", "features": [
...     {"type": "Feature", "properties": {}, "geometry": {"type": "LineString",
...      "coordinates": [[0, 0], [0, 100]]}},
...     {"type": "Feature", "properties": {}, "geometry": {"type": "LineString",
...      "coordinates": [[0, 100], [100, 100]]}}]}
>>> g = RoadGraph.from_geojson(data, crs=None)
>>> g.node_count, g.edge_count
(3, 4)
>>> g.distance_matrix([0.0, 100.0], [0.0, 100.0]).round(1).tolist()
[[0.0, 200.0], [200.0, 0.0]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

__all__ = [
    "DEFAULT_SPEED_KMH",
    "DETOUR_FACTOR",
    "RoadDataError",
    "RoadGraph",
    "straight_line_metres",
    "travel_minutes",
]

DEFAULT_SPEED_KMH = 20.0
DETOUR_FACTOR = 1.4
FloatArray = NDArray[np.float64]
_TRUE = {"true", "yes", "1", "-1"}


class RoadDataError(ValueError):
    """The road data cannot be read (the message says why, in plain words)."""


def travel_minutes(metres: ArrayLike, speed_kmh: float = DEFAULT_SPEED_KMH) -> FloatArray:
    """Minutes to drive ``metres`` at ``speed_kmh``.

    >>> float(travel_minutes(1000.0, 20.0)[()])
    3.0
    """
    return np.asarray(metres, dtype=np.float64) / (speed_kmh * 1000.0 / 60.0)


def straight_line_metres(
    x: ArrayLike, y: ArrayLike, detour_factor: float = DETOUR_FACTOR
) -> FloatArray:
    """Pairwise crow-fly distance times ``detour_factor``, shape ``(n, n)``.

    >>> straight_line_metres([0.0, 300.0], [0.0, 400.0], 1.0).tolist()
    [[0.0, 500.0], [500.0, 0.0]]
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    return np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :]) * detour_factor


def _is_oneway(props: dict[str, Any]) -> bool:
    value = props.get("oneway", False)
    return str(value).strip().lower() in _TRUE


def _segments(data: Any) -> list[tuple[list[list[float]], dict[str, Any]]]:
    """The LineStrings of a FeatureCollection with their properties; RoadDataError otherwise."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise RoadDataError("expected a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise RoadDataError("the FeatureCollection has no features")
    out = []
    for number, feature in enumerate(features, start=1):
        geom = (feature or {}).get("geometry") or {}
        kind = geom.get("type")
        lines = [geom.get("coordinates")] if kind == "LineString" else None
        if kind == "MultiLineString":
            lines = geom.get("coordinates")
        if lines is None:
            raise RoadDataError(f"feature {number}: expected a LineString, got {kind or 'none'}")
        for coords in lines:
            if not isinstance(coords, list) or len(coords) < 2:
                raise RoadDataError(f"feature {number}: a line needs at least two points")
            try:
                points = [[float(p[0]), float(p[1])] for p in coords]
            except (TypeError, ValueError, IndexError):
                raise RoadDataError(f"feature {number}: coordinates are not numbers") from None
            if not all(math.isfinite(v) for p in points for v in p):
                raise RoadDataError(f"feature {number}: coordinates are not finite")
            out.append((points, feature.get("properties") or {}))
    return out


def _project(points: FloatArray, crs: str | None) -> FloatArray:
    if crs is None:
        return points
    from kamtibmas_analytics.projection import to_metres

    x, y, _ = to_metres(points[:, 0], points[:, 1], crs)
    return np.column_stack([x, y])


def _snap_ends(ends_xy: FloatArray, snap_m: float) -> tuple[NDArray[np.intp], FloatArray]:
    """Node id of each end point (ends within ``snap_m`` merge) and node positions."""
    tree = cKDTree(ends_xy)
    pairs = tree.query_pairs(snap_m, output_type="ndarray")
    n = len(ends_xy)
    if len(pairs):
        link = csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, labels = connected_components(link, directed=False)
    else:
        labels = np.arange(n)
    _, node_of = np.unique(labels, return_inverse=True)
    counts = np.bincount(node_of)
    node_x = np.bincount(node_of, weights=ends_xy[:, 0]) / counts
    node_y = np.bincount(node_of, weights=ends_xy[:, 1]) / counts
    return node_of.astype(np.intp), np.column_stack([node_x, node_y])


@dataclass
class RoadGraph:
    """Nodes in projected metres, directed edges ``u -> v`` with lengths and geometries."""

    node_xy: FloatArray  # (n, 2) metres
    node_lonlat: FloatArray  # (n, 2) as given in the source (degrees for GeoJSON)
    edge_u: NDArray[np.intp]
    edge_v: NDArray[np.intp]
    edge_length_m: FloatArray
    edge_coords: list[list[list[float]]]  # source coordinates of each edge, u to v
    edge_names: list[str] = field(default_factory=list)  # street names ("" when unnamed)
    _matrix: Any = field(default=None, repr=False)
    _main: NDArray[np.intp] | None = field(default=None, repr=False)
    _tree: Any = field(default=None, repr=False)
    _edge_of: dict[tuple[int, int], int] = field(default_factory=dict, repr=False)

    @property
    def node_count(self) -> int:
        return int(len(self.node_xy))

    @property
    def edge_count(self) -> int:
        return int(len(self.edge_u))

    @classmethod
    def from_geojson(cls, data: Any, *, crs: str | None, snap_m: float = 1.0) -> RoadGraph:
        """Build from a GeoJSON FeatureCollection of LineStrings in degrees (projected to
        ``crs``) or already in metres (``crs=None``). Raises RoadDataError on bad data."""
        segments = _segments(data)
        raw_ends = np.array([[c[0], c[-1]] for c, _ in segments], dtype=np.float64)
        ends_xy = _project(raw_ends.reshape(-1, 2), crs)
        node_of, node_xy = _snap_ends(ends_xy, snap_m)
        lonlat = np.zeros_like(node_xy)
        lonlat[node_of] = raw_ends.reshape(-1, 2)
        edges: dict[tuple[int, int], tuple[float, list[list[float]], str]] = {}
        for k, (coords, props) in enumerate(segments):
            u, v = int(node_of[2 * k]), int(node_of[2 * k + 1])
            if u == v:
                continue
            length = _length(coords, props, crs)
            directions = [(u, v, coords)]
            if not _is_oneway(props):
                directions.append((v, u, coords[::-1]))
            for a, b, line in directions:
                if (a, b) not in edges or length < edges[(a, b)][0]:
                    edges[(a, b)] = (length, line, _name(props))
        if not edges:
            raise RoadDataError("no usable road segments (all are loops or empty)")
        keys = sorted(edges)
        return cls(
            node_xy=node_xy,
            node_lonlat=lonlat,
            edge_u=np.array([k[0] for k in keys], dtype=np.intp),
            edge_v=np.array([k[1] for k in keys], dtype=np.intp),
            edge_length_m=np.array([edges[k][0] for k in keys], dtype=np.float64),
            edge_coords=[edges[k][1] for k in keys],
            edge_names=[edges[k][2] for k in keys],
        )

    def to_json(self) -> dict[str, Any]:
        """Nodes and edges as plain lists (source coordinates), for storing."""
        names = self.edge_names or [""] * self.edge_count
        return {
            "nodes": [[round(float(a), 7), round(float(b), 7)] for a, b in self.node_lonlat],
            "edges": [
                [int(u), int(v), round(float(length), 2), coords, name]
                for u, v, length, coords, name in zip(
                    self.edge_u,
                    self.edge_v,
                    self.edge_length_m,
                    self.edge_coords,
                    names,
                    strict=True,
                )
            ],
        }

    @classmethod
    def from_json(cls, nodes: list[list[float]], edges: list[list[Any]], crs: str) -> RoadGraph:
        """The inverse of :meth:`to_json` (node positions projected to ``crs``)."""
        lonlat = np.asarray(nodes, dtype=np.float64).reshape(-1, 2)
        return cls(
            node_xy=_project(lonlat, crs),
            node_lonlat=lonlat,
            edge_u=np.array([e[0] for e in edges], dtype=np.intp),
            edge_v=np.array([e[1] for e in edges], dtype=np.intp),
            edge_length_m=np.array([e[2] for e in edges], dtype=np.float64),
            edge_coords=[e[3] for e in edges],
            edge_names=[e[4] if len(e) > 4 else "" for e in edges],
        )

    def street_near(self, x: float, y: float, max_m: float = 150.0) -> str:
        """The name of a street at one of the nodes nearest to ``(x, y)`` (the closest named
        one within ``max_m``), "" when none is close."""
        if not self.edge_names:
            return ""
        self.snap([x], [y])  # builds the tree over the main nodes
        dist, idx = self._tree.query([x, y], k=min(8, len(self.main_nodes())))
        for d, k in zip(np.atleast_1d(dist), np.atleast_1d(idx), strict=True):
            if not np.isfinite(d) or d > max_m:
                break
            node = int(self.main_nodes()[int(k)])
            for edge in np.flatnonzero((self.edge_u == node) | (self.edge_v == node)):
                if self.edge_names[edge]:
                    return self.edge_names[edge]
        return ""

    # -- structure --------------------------------------------------------------------------

    def matrix(self) -> csr_matrix:
        if self._matrix is None:
            n = self.node_count
            # Zero-length edges would vanish from a sparse matrix: give them a millimetre.
            weights = np.maximum(self.edge_length_m, 1e-3)
            self._matrix = csr_matrix((weights, (self.edge_u, self.edge_v)), shape=(n, n))
        return self._matrix

    def main_nodes(self) -> NDArray[np.intp]:
        """Nodes of the largest strongly connected part (each reaches every other)."""
        if self._main is None:
            _, labels = connected_components(self.matrix(), directed=True, connection="strong")
            biggest = np.bincount(labels).argmax()
            self._main = np.flatnonzero(labels == biggest).astype(np.intp)
        return self._main

    def snap(self, x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.intp], FloatArray]:
        """Nearest main node of each point and the straight distance to it (metres)."""
        if self._tree is None:
            self._tree = cKDTree(self.node_xy[self.main_nodes()])
        pts = np.column_stack([np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)])
        dist, idx = self._tree.query(pts)
        return self.main_nodes()[np.asarray(idx, dtype=np.intp)], np.asarray(dist, np.float64)

    # -- distances and paths ----------------------------------------------------------------

    def distance_matrix(self, x: ArrayLike, y: ArrayLike) -> FloatArray:
        """Road distance in metres between each pair of points, shape ``(n, n)``: off-road
        access to the nearest node, the shortest path, off-road to the place."""
        nodes, access = self.snap(x, y)
        unique, inverse = np.unique(nodes, return_inverse=True)
        dist = dijkstra(self.matrix(), directed=True, indices=unique)[:, unique]
        out = dist[np.ix_(inverse, inverse)] + access[:, None] + access[None, :]
        np.fill_diagonal(out, 0.0)
        return np.asarray(out, dtype=np.float64)

    def path_coords(self, x: ArrayLike, y: ArrayLike) -> list[list[list[float]]]:
        """Source coordinates of the shortest road path from each point to the next one
        (``len(points) - 1`` legs), for drawing routes."""
        nodes, _ = self.snap(x, y)
        if len(nodes) < 2:
            return []
        unique = np.unique(nodes[:-1])
        _, pred = dijkstra(self.matrix(), directed=True, indices=unique, return_predecessors=True)
        row_of = {int(n): k for k, n in enumerate(unique)}
        legs = []
        for a, b in zip(nodes[:-1], nodes[1:], strict=True):
            legs.append(self._leg(pred[row_of[int(a)]], int(a), int(b)))
        return legs

    def _leg(self, pred: NDArray[np.int32], a: int, b: int) -> list[list[float]]:
        if not self._edge_of:
            self._edge_of = {
                (int(u), int(v)): k
                for k, (u, v) in enumerate(zip(self.edge_u, self.edge_v, strict=True))
            }
        chain = [b]
        while chain[-1] != a and pred[chain[-1]] >= 0:
            chain.append(int(pred[chain[-1]]))
        chain.reverse()
        coords: list[list[float]] = [list(map(float, self.node_lonlat[a]))]
        for u, v in zip(chain[:-1], chain[1:], strict=True):
            coords.extend(self.edge_coords[self._edge_of[(u, v)]][1:])
        return coords

    def coverage(self, buffer_m: float = 300.0) -> Any:
        """The area served (shapely geometry in metres): the segments buffered by
        ``buffer_m`` and simplified."""
        import shapely

        lines = shapely.linestrings(
            [self.node_xy[[u, v]] for u, v in zip(self.edge_u, self.edge_v, strict=True)]
        )
        return shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=2)).simplify(25.0)


def _name(props: dict[str, Any]) -> str:
    name = props.get("name") or ""
    if isinstance(name, list):  # osmnx writes merged ways' names as a list
        name = name[0] if name else ""
    text = str(name).strip()
    if text.startswith("["):
        text = text.strip("[]").split(",")[0].strip().strip("'\"")
    return text[:120]


def _length(coords: list[list[float]], props: dict[str, Any], crs: str | None) -> float:
    try:
        given = float(props.get("length", "nan"))
    except (TypeError, ValueError):
        given = math.nan
    if math.isfinite(given) and given >= 0:
        return given
    xy = _project(np.asarray(coords, dtype=np.float64), crs)
    return float(np.hypot(*np.diff(xy, axis=0).T).sum())
