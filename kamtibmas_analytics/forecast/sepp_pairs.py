"""Candidate parent-child pairs of the SEPP: all pairs inside the triggering kernel's truncation.

Every event ``j`` may have been triggered only by an earlier event ``i`` with
``0 < t_j - t_i <= window_s`` and distance ``<= radius_m``. These pairs are kept in compressed
rows by child (CSR): row ``j`` lists its candidate parents with the time gap ``dt`` and the
squared distance ``r2``; memory follows the number of pairs, not ``n**2``.

Two ways to find them give the same pairs (the tests check both against brute force):

* with numba: events are bucketed in square cells of at least ``radius_m``, each cell's events
  in time order; for each child, the 3 x 3 cells around it are searched from the first event
  within the window (binary search) up to the child's own time. Two passes (count, then
  fill) allocate the result exactly once.
* without: children in time blocks, each block's k-d tree against a k-d tree of the events
  from ``window_s`` before it (``scipy.spatial.cKDTree.sparse_distance_matrix``).

>>> import numpy as np
>>> pairs = candidate_pairs(np.array([0.0, 10.0, 900.0]), np.zeros(3),
...                         np.array([0.0, 100.0, 200.0]), radius_m=500.0, window_s=1000.0)
>>> pairs.indptr.tolist(), pairs.parent.tolist(), pairs.dt.tolist(), pairs.r2.tolist()
([0, 0, 1, 1], [0], [100.0], [100.0])
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

__all__ = ["NUMBA", "Pairs", "candidate_pairs"]

FloatArray = NDArray[np.float64]

NUMBA = importlib.util.find_spec("numba") is not None
_compiled: dict[str, Callable[..., Any]] = {}
#: The bucket grid of the numba path has at most this many cells a side.
MAX_BUCKETS_PER_SIDE = 2048


@dataclass(frozen=True)
class Pairs:
    """Candidate (parent, child) pairs in compressed rows by child.

    ``indptr`` (int64, ``n + 1``): row ``j`` is ``indptr[j]:indptr[j + 1]``; ``parent``
    (int32), ``dt`` (seconds, > 0) and ``r2`` (square metres) per pair: 12 bytes a pair.
    ``dt`` and ``r2`` are single precision (``dt`` within 0.5 s for gaps up to 97 days; the
    arithmetic on them is double precision).
    """

    indptr: NDArray[np.int64]
    parent: NDArray[np.int32]
    dt: NDArray[np.float32]
    r2: NDArray[np.float32]

    @property
    def n_pairs(self) -> int:
        return int(self.parent.size)

    @property
    def nbytes(self) -> int:
        return int(self.indptr.nbytes + self.parent.nbytes + self.dt.nbytes + self.r2.nbytes)

    def child(self) -> NDArray[np.intp]:
        """The child event of every pair, in CSR order."""
        return np.repeat(np.arange(self.indptr.size - 1), np.diff(self.indptr))


def _tree_pairs(
    x: FloatArray, y: FloatArray, t: FloatArray, radius_m: float, window_s: float, block_s: float
) -> Pairs:
    """The numpy path: children in time blocks of ``block_s`` (default: a fifth of the window,
    at least a day), each block's k-d tree against one of the events from ``window_s`` before
    it up to its end."""
    n = int(t.size)
    block = block_s if block_s > 0 else max(window_s / 5.0, 86400.0)
    counts = np.zeros(n, dtype=np.int64)
    parents: list[NDArray[np.int32]] = []
    gaps: list[NDArray[np.float32]] = []
    squares: list[NDArray[np.float32]] = []
    lo = 0
    while lo < n:
        hi = max(int(np.searchsorted(t, t[lo] + block, side="left")), lo + 1)
        p_lo = int(np.searchsorted(t, t[lo] - window_s, side="left"))
        child, parent, r2 = _block_pairs(x, y, lo, hi, p_lo, radius_m)
        dt = t[child] - t[parent]
        keep = (dt > 0) & (dt <= window_s)
        child, parent, dt, r2 = child[keep], parent[keep], dt[keep], r2[keep]
        order = np.lexsort((parent, child))
        counts[lo:hi] = np.bincount(child - lo, minlength=hi - lo)
        parents.append(parent[order].astype(np.int32))
        gaps.append(dt[order].astype(np.float32))
        squares.append(r2[order].astype(np.float32))
        lo = hi
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return Pairs(
        indptr=indptr,
        parent=_concat(parents, np.int32),
        dt=_concat(gaps, np.float32),
        r2=_concat(squares, np.float32),
    )


def _concat(parts: list[Any], dtype: type) -> Any:
    """The parts joined into one array, each freed as soon as it is copied (lower peak)."""
    out: Any = np.empty(sum(int(p.size) for p in parts), dtype=dtype)
    at = 0
    while parts:
        part = parts.pop(0)
        out[at : at + part.size] = part
        at += part.size
    return out


def _block_pairs(
    x: FloatArray, y: FloatArray, lo: int, hi: int, p_lo: int, radius_m: float
) -> tuple[NDArray[np.intp], NDArray[np.intp], FloatArray]:
    """(child, parent, r2) for children ``lo:hi`` against parents ``p_lo:hi`` within radius."""
    children = cKDTree(np.column_stack((x[lo:hi], y[lo:hi])))
    parents = cKDTree(np.column_stack((x[p_lo:hi], y[p_lo:hi])))
    found = children.sparse_distance_matrix(parents, radius_m, output_type="ndarray")
    child = found["i"].astype(np.intp) + lo
    parent = found["j"].astype(np.intp) + p_lo
    # The ndarray output keeps pairs at distance 0; r2 is recomputed exactly from x and y.
    r2 = (x[child] - x[parent]) ** 2 + (y[child] - y[parent]) ** 2
    return child, parent, r2


def candidate_pairs(
    x: FloatArray,
    y: FloatArray,
    t: FloatArray,
    *,
    radius_m: float,
    window_s: float,
    block_s: float = 0.0,
    compiled: bool | None = None,
) -> Pairs:
    """All pairs with ``0 < t[j] - t[i] <= window_s`` and distance ``<= radius_m``, ``t``
    sorted. ``compiled`` (default: whether numba is installed) chooses the path; ``block_s``
    is the time block of the k-d tree path (0: a fifth of the window, at least a day)."""
    if not t.size:
        return Pairs(
            np.zeros(1, dtype=np.int64),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.float32),
            np.zeros(0, dtype=np.float32),
        )
    if NUMBA if compiled is None else compiled:
        return _bucket_pairs(x, y, t, radius_m, window_s)
    return _tree_pairs(x, y, t, radius_m, window_s, block_s)


def _bucket_pairs(
    x: FloatArray, y: FloatArray, t: FloatArray, radius_m: float, window_s: float
) -> Pairs:
    x0, y0 = float(x.min()), float(y.min())
    extent = max(float(x.max()) - x0, float(y.max()) - y0)
    side = max(radius_m, extent / MAX_BUCKETS_PER_SIDE) * (1.0 + 1e-9)
    bx = ((x - x0) / side).astype(np.int64)
    by = ((y - y0) / side).astype(np.int64)
    nbx, nby = int(bx.max()) + 1, int(by.max()) + 1
    bucket = by * nbx + bx
    order = np.argsort(bucket, kind="stable").astype(np.int64)  # time order within a bucket
    starts = np.searchsorted(bucket[order], np.arange(nbx * nby + 1)).astype(np.int64)
    shape = np.array([nby, nbx], dtype=np.int64)
    args = (x, y, t, bx, by, order, starts, shape, radius_m * radius_m, window_s)
    indptr = np.zeros(t.size + 1, dtype=np.int64)
    parent = np.empty(0, dtype=np.int32)
    dt = np.empty(0, dtype=np.float32)
    r2 = np.empty(0, dtype=np.float32)
    _kernel()(*args, indptr, parent, dt, r2, False)
    np.cumsum(indptr, out=indptr)
    m = int(indptr[-1])
    parent = np.empty(m, dtype=np.int32)
    dt = np.empty(m, dtype=np.float32)
    r2 = np.empty(m, dtype=np.float32)
    _kernel()(*args, indptr, parent, dt, r2, True)
    return Pairs(indptr, parent, dt, r2)


def _pairs_pass(
    x: Any,
    y: Any,
    t: Any,
    bx: Any,
    by: Any,
    order: Any,
    starts: Any,
    shape: Any,
    radius2: float,
    window_s: float,
    indptr: Any,
    parent: Any,
    dt: Any,
    r2: Any,
    fill: bool,
) -> None:
    """Count (``indptr[j + 1]`` = parents of ``j``) or, with ``fill``, write the pairs."""
    nby, nbx = shape[0], shape[1]
    for j in range(t.size):
        at = indptr[j]
        found = 0
        t_lo = t[j] - window_s
        for cy in range(max(by[j] - 1, 0), min(by[j] + 2, nby)):
            for cx in range(max(bx[j] - 1, 0), min(bx[j] + 2, nbx)):
                cell = cy * nbx + cx
                lo = starts[cell]
                hi = starts[cell + 1]
                while lo < hi:  # the bucket's first event at or after t_lo
                    mid = (lo + hi) // 2
                    if t[order[mid]] < t_lo:
                        lo = mid + 1
                    else:
                        hi = mid
                for q in range(lo, starts[cell + 1]):
                    i = order[q]
                    if t[i] >= t[j]:
                        break
                    d2 = (x[j] - x[i]) ** 2 + (y[j] - y[i]) ** 2
                    if d2 <= radius2:
                        if fill:
                            parent[at + found] = i
                            dt[at + found] = t[j] - t[i]
                            r2[at + found] = d2
                        found += 1
        if not fill:
            indptr[j + 1] = found


def _kernel() -> Callable[..., Any]:
    """The numba-compiled pass (numba is imported on first use)."""
    if not _compiled:
        from numba import njit

        _compiled["pass"] = njit(cache=True, nogil=True)(_pairs_pass)
    return _compiled["pass"]
