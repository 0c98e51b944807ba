"""Where to put the next cameras: maximal covering of a risk surface.

A camera at ``(x, y)`` with range ``R`` covers the grid cells whose centres lie within ``R``
metres of it and, when it has a bearing (compass degrees, 0 = north, clockwise) and a field of
view narrower than 360 degrees, inside that sector (the cell under the camera always counts).
Given a risk surface, the cells already covered by existing cameras and ``k`` new cameras, the
problem is to choose sites (and, for directional cameras, bearings among 8 compass points) that
maximise the risk covered: the maximal covering location problem.

* :func:`greedy_placement` adds one camera at a time, always the one that covers the most
  not-yet-covered risk. Covered risk is a monotone submodular function of the chosen set, so
  greedy reaches at least ``(1 - 1/e) ~ 0.632`` of the optimum (Nemhauser, Wolsey & Fisher
  1978); in practice it is usually within a few percent.
* :func:`exact_placement` solves the integer programme with OR-Tools CP-SAT, for small ``k``.

Risk in cells already covered by an existing camera is never counted again. Everything is in
projected metres (UTM 50S for Balikpapan); no Django here.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix

from kamtibmas_analytics.grid import Grid

__all__ = [
    "CameraSpec",
    "CoverageOptions",
    "PlacedCamera",
    "PlacementResult",
    "build_options",
    "camera_cells",
    "cell_centre_sites",
    "coverage_mask",
    "exact_placement",
    "graph_junctions",
    "greedy_placement",
    "junction_sites",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
COMPASS_8 = (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0)
GREEDY_GUARANTEE = 1.0 - 1.0 / math.e


@dataclass(frozen=True)
class CameraSpec:
    """One camera: position in metres, range, and optionally a bearing and field of view."""

    x_m: float
    y_m: float
    range_m: float
    bearing_deg: float | None = None  # compass degrees; None = omnidirectional
    fov_deg: float = 360.0


def _in_sector(
    dx: FloatArray, dy: FloatArray, bearing_deg: float | None, fov_deg: float
) -> NDArray[np.bool_]:
    """Which offsets ``(dx, dy)`` lie inside the sector (the origin always does)."""
    if bearing_deg is None or fov_deg >= 360.0:
        return np.ones(np.shape(dx), dtype=bool)
    angle = np.degrees(np.arctan2(dx, dy)) % 360.0  # compass angle of each offset
    diff = np.abs((angle - bearing_deg + 180.0) % 360.0 - 180.0)
    return (diff <= fov_deg / 2.0 + 1e-9) | (np.hypot(dx, dy) < 1e-9)


def _window(grid: Grid, x: float, y: float, range_m: float) -> tuple[IntArray, IntArray]:
    """Row and column indices of the cells whose bounding box may hold centres in range."""
    i0 = max(0, math.floor((y - range_m - grid.y0_m) / grid.cell_m))
    i1 = min(grid.ny - 1, math.floor((y + range_m - grid.y0_m) / grid.cell_m))
    j0 = max(0, math.floor((x - range_m - grid.x0_m) / grid.cell_m))
    j1 = min(grid.nx - 1, math.floor((x + range_m - grid.x0_m) / grid.cell_m))
    ii, jj = np.mgrid[i0 : max(i0, i1 + 1), j0 : max(j0, j1 + 1)]
    return ii.ravel().astype(np.intp), jj.ravel().astype(np.intp)


def camera_cells(grid: Grid, camera: CameraSpec) -> IntArray:
    """Flat indices (``i * nx + j``) of the cells the camera covers, ascending."""
    if not (camera.range_m >= 0 and camera.fov_deg > 0):
        raise ValueError("a camera needs a range >= 0 and a field of view > 0")
    ii, jj = _window(grid, camera.x_m, camera.y_m, camera.range_m)
    dx = np.asarray(grid.x0_m + (jj + 0.5) * grid.cell_m - camera.x_m, dtype=np.float64)
    dy = np.asarray(grid.y0_m + (ii + 0.5) * grid.cell_m - camera.y_m, dtype=np.float64)
    keep = (np.hypot(dx, dy) <= camera.range_m + 1e-9) & _in_sector(
        dx, dy, camera.bearing_deg, camera.fov_deg
    )
    own = grid.cell_index([camera.x_m], [camera.y_m])
    flat = ii[keep] * grid.nx + jj[keep]
    if own[0][0] >= 0:  # the cell under the camera always counts
        flat = np.append(flat, own[0][0] * grid.nx + own[1][0])
    return np.unique(flat).astype(np.intp)


def coverage_mask(grid: Grid, cameras: list[CameraSpec]) -> NDArray[np.bool_]:
    """``(ny, nx)`` True where at least one of ``cameras`` covers the cell."""
    covered = np.zeros(grid.ny * grid.nx, dtype=bool)
    for camera in cameras:
        covered[camera_cells(grid, camera)] = True
    return covered.reshape(grid.shape)


def cell_centre_sites(grid: Grid, mask: ArrayLike | None = None) -> FloatArray:
    """Every cell centre (inside ``mask`` when given) as ``(n, 2)`` metres, row-major."""
    xx, yy = np.meshgrid(grid.x_centers, grid.y_centers)
    keep = np.ones(grid.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    return np.column_stack([xx[keep], yy[keep]]).astype(np.float64)


def junction_sites(roads_geojson: Any, crs: str = "EPSG:32750", min_degree: int = 3) -> FloatArray:
    """Road junctions (nodes meeting at least ``min_degree`` distinct neighbours) of a
    GeoJSON road network in degrees, as ``(n, 2)`` metres in ``crs``. Raises RoadDataError
    (a ValueError) on bad data."""
    from kamtibmas_analytics.roads import RoadGraph

    return graph_junctions(RoadGraph.from_geojson(roads_geojson, crs=crs), min_degree)


def graph_junctions(graph: Any, min_degree: int = 3) -> FloatArray:
    """Nodes of a :class:`~kamtibmas_analytics.roads.RoadGraph` with at least ``min_degree``
    distinct neighbours (one-way or not), as ``(n, 2)`` metres."""
    pairs = np.unique(
        np.sort(np.column_stack([graph.edge_u, graph.edge_v]), axis=1), axis=0
    )  # undirected, each once
    degree = np.bincount(pairs.ravel(), minlength=graph.node_count)
    return np.asarray(graph.node_xy[degree >= min_degree], dtype=np.float64)


@dataclass(frozen=True)
class CoverageOptions:
    """The possible new cameras: option ``o`` is a camera at site ``site[o]`` facing
    ``bearing_deg[o]`` (NaN = omnidirectional); row ``o`` of ``matrix`` marks the cells it
    covers (flat indices over ``grid``). Two options at one site are two cameras on one pole
    (facing different ways), which is allowed."""

    grid: Grid
    sites_xy: FloatArray  # (n_sites, 2) metres
    site: IntArray  # (n_options,)
    bearing_deg: FloatArray  # (n_options,)
    matrix: csr_matrix  # (n_options, n_cells), 0/1
    range_m: float
    fov_deg: float

    @property
    def n_options(self) -> int:
        return int(len(self.site))


def build_options(
    grid: Grid,
    sites_xy: ArrayLike,
    range_m: float,
    fov_deg: float = 360.0,
    bearings: tuple[float, ...] = COMPASS_8,
) -> CoverageOptions:
    """Options for new cameras at ``sites_xy``: one omnidirectional camera per site when
    ``fov_deg >= 360``, else one option per bearing in ``bearings`` (the best is chosen).
    Row ``s * len(bearings) + b`` is site ``s`` facing ``bearings[b]``; each row equals
    :func:`camera_cells` of that camera (vectorised here, in blocks of sites)."""
    sites = np.asarray(sites_xy, dtype=np.float64).reshape(-1, 2)
    if not np.all(np.isfinite(sites)):
        raise ValueError("candidate sites must be finite coordinates")
    if not (range_m >= 0 and fov_deg > 0):
        raise ValueError("a camera needs a range >= 0 and a field of view > 0")
    omni = fov_deg >= 360.0
    angles = np.array([math.nan] if omni else [float(b) % 360.0 for b in bearings])
    reach = math.ceil(range_m / grid.cell_m) + 1
    di, dj = (a.ravel() for a in np.mgrid[-reach : reach + 1, -reach : reach + 1])
    block = max(1, 2_000_000 // (len(di) * len(angles)))
    opt_rows, cols = [], []
    for first in range(0, len(sites), block):
        r, c = _block_cells(grid, sites[first : first + block], di, dj, range_m, angles, fov_deg)
        opt_rows.append(r + first * len(angles))
        cols.append(c)
    n_opt = len(sites) * len(angles)
    rows_all = np.concatenate(opt_rows) if opt_rows else np.zeros(0, np.intp)
    cols_all = np.concatenate(cols) if cols else np.zeros(0, np.intp)
    matrix = csr_matrix(
        (np.ones(len(rows_all)), (rows_all, cols_all)), shape=(n_opt, grid.nx * grid.ny)
    )
    matrix.sum_duplicates()
    matrix.sort_indices()
    return CoverageOptions(
        grid,
        sites,
        np.repeat(np.arange(len(sites), dtype=np.intp), len(angles)),
        np.tile(angles, len(sites)).astype(np.float64),
        matrix,
        float(range_m),
        float(fov_deg),
    )


def _block_cells(
    grid: Grid,
    sites: FloatArray,
    di: IntArray,
    dj: IntArray,
    range_m: float,
    angles: FloatArray,
    fov_deg: float,
) -> tuple[IntArray, IntArray]:
    """(option row within the block, flat cell) pairs for a block of sites."""
    ci = np.floor((sites[:, 1] - grid.y0_m) / grid.cell_m).astype(np.intp)
    cj = np.floor((sites[:, 0] - grid.x0_m) / grid.cell_m).astype(np.intp)
    ii, jj = ci[:, None] + di[None, :], cj[:, None] + dj[None, :]  # (sites, offsets)
    dx = grid.x0_m + (jj + 0.5) * grid.cell_m - sites[:, :1]
    dy = grid.y0_m + (ii + 0.5) * grid.cell_m - sites[:, 1:]
    inside = (ii >= 0) & (ii < grid.ny) & (jj >= 0) & (jj < grid.nx)
    own = (di == 0) & (dj == 0)
    near = np.hypot(dx, dy) <= range_m + 1e-9
    flat = ii * grid.nx + jj
    rows, cols = [], []
    for b, bearing in enumerate(angles):
        sector = _in_sector(dx, dy, None if math.isnan(bearing) else float(bearing), fov_deg)
        keep = inside & ((near & sector) | own[None, :])
        s_idx, _ = np.nonzero(keep)
        rows.append(s_idx * len(angles) + b)
        cols.append(flat[keep])
    return np.concatenate(rows).astype(np.intp), np.concatenate(cols).astype(np.intp)


def _row(mat: csr_matrix, o: int) -> IntArray:
    """The cells covered by option ``o``."""
    return np.asarray(mat.indices[mat.indptr[o] : mat.indptr[o + 1]], dtype=np.intp)


@dataclass(frozen=True)
class PlacedCamera:
    option: int
    site: int
    x_m: float
    y_m: float
    bearing_deg: float | None
    gain: float  # risk newly covered when this camera was added (in the order chosen)
    cells: IntArray = field(repr=False)


@dataclass(frozen=True)
class PlacementResult:
    cameras: list[PlacedCamera]
    total_risk: float
    covered_before: float  # by the existing cameras
    covered_after: float  # existing plus the new ones
    method: str  # "greedy" or "exact"
    optimal: bool  # proven optimal (exact) or not
    covered_mask: NDArray[np.bool_] = field(repr=False)
    upper_bound: float = math.inf  # no k new cameras can cover more than this (proven)

    @property
    def gains(self) -> list[float]:
        return [c.gain for c in self.cameras]

    @property
    def share_before(self) -> float:
        return self.covered_before / self.total_risk if self.total_risk > 0 else 0.0

    @property
    def share_after(self) -> float:
        return self.covered_after / self.total_risk if self.total_risk > 0 else 0.0


def _weights(risk: ArrayLike, covered: ArrayLike, options: CoverageOptions) -> FloatArray:
    r = np.asarray(risk, dtype=np.float64)
    c = np.asarray(covered, dtype=bool)
    if r.shape != options.grid.shape or c.shape != options.grid.shape:
        raise ValueError(f"risk and coverage must have the grid's shape {options.grid.shape}")
    r = np.where(np.isfinite(r), r, 0.0)
    if np.any(r < 0):
        raise ValueError("risk must not be negative")
    return np.asarray(r.ravel(), dtype=np.float64)


def _result(
    risk: FloatArray,
    existing: NDArray[np.bool_],
    options: CoverageOptions,
    chosen: list[int],
    method: str,
    optimal: bool,
    upper_bound: float = math.inf,
) -> PlacementResult:
    covered = existing.copy()
    cameras = []
    for o in chosen:
        cells = _row(options.matrix, o)
        new = cells[~covered[cells]]
        covered[new] = True
        s = int(options.site[o])
        bearing = float(options.bearing_deg[o])
        cameras.append(
            PlacedCamera(
                int(o),
                s,
                float(options.sites_xy[s, 0]),
                float(options.sites_xy[s, 1]),
                None if math.isnan(bearing) else bearing,
                float(risk[new].sum()),
                np.asarray(cells, dtype=np.intp),
            )
        )
    return PlacementResult(
        cameras,
        float(risk.sum()),
        float(risk[existing].sum()),
        float(risk[covered].sum()),
        method,
        optimal,
        covered.reshape(options.grid.shape),
        upper_bound,
    )


def greedy_placement(
    risk: ArrayLike, covered_by_existing: ArrayLike, candidates: CoverageOptions, k: int
) -> PlacementResult:
    """Choose up to ``k`` new cameras greedily: each step adds the option that covers the
    most risk not yet covered by existing or chosen cameras; it stops early when nothing more
    can be gained.

    Guarantee: covered risk is a monotone submodular function of the chosen set, so the greedy
    choice covers at least ``(1 - 1/e)`` (about 63.2 %) of the new risk that the best ``k``
    cameras could cover (Nemhauser, Wolsey & Fisher 1978). Lazy evaluation (Minoux 1978)
    keeps it fast: a stale gain is an upper bound. The result is deterministic (ties go to the
    lower option index)."""
    if k < 0:
        raise ValueError("k must be >= 0")
    r = _weights(risk, covered_by_existing, candidates)
    existing = np.asarray(covered_by_existing, dtype=bool).ravel()
    w = np.where(existing, 0.0, r)
    gains = np.asarray(candidates.matrix @ w).ravel()
    heap = [(-g, o) for o, g in enumerate(gains) if g > 0]
    heapq.heapify(heap)
    mat = candidates.matrix
    chosen: list[int] = []
    while heap and len(chosen) < k:
        neg, o = heapq.heappop(heap)
        cells = _row(mat, o)
        fresh = float(w[cells].sum())
        if fresh <= 0:
            continue
        if heap and fresh < -heap[0][0] - 1e-12 * max(1.0, fresh):
            heapq.heappush(heap, (-fresh, o))  # stale: re-queue with its true gain
            continue
        chosen.append(int(o))
        w[cells] = 0.0
    # Submodularity: OPT <= f(S) + the k largest marginal gains over S (Minoux's bound).
    left = np.asarray(mat @ w).ravel()
    top = float(np.sort(left)[-k:].sum()) if k and len(left) else 0.0
    bound = float(r[existing].sum()) + float(r.sum() - r[existing].sum() - w.sum()) + top
    return _result(r, existing, candidates, chosen, "greedy", False, bound)


def exact_placement(
    risk: ArrayLike,
    covered_by_existing: ArrayLike,
    candidates: CoverageOptions,
    k: int,
    time_limit_s: float = 30.0,
    scale: float = 1e6,
) -> PlacementResult:
    """The best ``k`` new cameras by integer programming (OR-Tools CP-SAT): maximise
    ``sum w_c y_c`` subject to ``y_c <= sum of x_o over options covering c`` and
    ``sum x_o <= k``. Weights are rounded to integers at ``scale`` per unit of
    the largest weight, so the optimum is exact up to that rounding. ``optimal`` is False when
    the time limit ran out first: then the best solution found is returned, never worse than
    the greedy one (which also starts the search), and ``upper_bound`` says how far off it
    may be. Meant for small ``k`` and a few thousand useful options."""
    from ortools.sat.python import cp_model

    if k < 0:
        raise ValueError("k must be >= 0")
    r = _weights(risk, covered_by_existing, candidates)
    existing = np.asarray(covered_by_existing, dtype=bool).ravel()
    w = np.where(existing, 0.0, r)
    useful = np.flatnonzero(np.asarray(candidates.matrix @ w).ravel() > 0)
    if k == 0 or len(useful) == 0:
        return _result(r, existing, candidates, [], "exact", optimal=True)
    sub = candidates.matrix[useful].tocsc()
    cells = np.flatnonzero((np.asarray(sub.sum(axis=0)).ravel() > 0) & (w > 0))
    wint = np.rint(w[cells] / w[cells].max() * scale).astype(np.int64)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{o}") for o in useful]
    y = [model.new_bool_var(f"y{c}") for c in cells]
    for yc, c in zip(y, cells, strict=True):
        rows = sub.indices[sub.indptr[c] : sub.indptr[c + 1]]
        model.add(yc <= sum(x[int(q)] for q in rows))
    model.add(sum(x) <= k)
    model.maximize(sum(int(a) * yc for a, yc in zip(wint, y, strict=True)))
    shape = candidates.grid.shape
    start = greedy_placement(r.reshape(shape), existing.reshape(shape), candidates, k)
    _hint_greedy(model, x, y, useful, cells, start)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # no answer in time: greedy's
        chosen, optimal, bound = [c.option for c in start.cameras], False, start.upper_bound
    else:
        chosen = [int(o) for q, o in enumerate(useful) if solver.value(x[q])]
        unit = float(w[cells].max()) / scale  # risk per integer step; rounding slack below
        slack = 0.5 * len(cells)
        bound = float(r[existing].sum()) + (solver.best_objective_bound + slack) * unit
        bound, optimal = min(bound, start.upper_bound), status == cp_model.OPTIMAL
    base = _result(r, existing, candidates, chosen, "exact", optimal, bound)
    if base.covered_after < start.covered_after:  # stopped early, or integer rounding
        greedy_set = [c.option for c in start.cameras]
        base = _result(r, existing, candidates, greedy_set, "exact", optimal, bound)
    return _order_by_gain(r, existing, candidates, base)


def _hint_greedy(
    model: Any, x: list[Any], y: list[Any], useful: IntArray, cells: IntArray, start: Any
) -> None:
    """Start the solver from the greedy placement (so it never returns anything worse)."""
    picked = {c.option for c in start.cameras}
    for q, o in enumerate(useful):
        model.add_hint(x[q], int(o) in picked)
    covered = start.covered_mask.ravel()
    for yc, c in zip(y, cells, strict=True):
        model.add_hint(yc, bool(covered[c]))


def _order_by_gain(
    r: FloatArray, existing: NDArray[np.bool_], options: CoverageOptions, res: PlacementResult
) -> PlacementResult:
    """The same cameras listed greedily (largest marginal gain first), for reporting."""
    left = [c.option for c in res.cameras]
    w = np.where(existing, 0.0, r)
    order = []
    while left:
        mat = options.matrix
        best = max(
            left, key=lambda o: (w[mat.indices[mat.indptr[o] : mat.indptr[o + 1]]].sum(), -o)
        )
        order.append(best)
        left.remove(best)
        w[_row(mat, best)] = 0.0
    return _result(r, existing, options, order, res.method, res.optimal, res.upper_bound)
