"""Compiled inner loops of the Knox test (numba), with pure-numpy equivalents.

The pairs are kept in compressed rows: row ``s * n + i`` lists the events ``j > i`` that are in
distance band ``s`` of event ``i``. The kernel takes a batch of time assignments at once: column
``p`` of ``times`` (shape ``(n, P)``) is one assignment (the observed times, or one permutation).
For each column ``p``, distance band ``s`` and time edge ``e`` it returns the number of pairs
with ``|t_i - t_j| < e``; differences of these give the band counts. A batch visits every pair
once for all its columns: the two rows ``times[i]`` and ``times[j]`` are contiguous, so the
comparisons run over the columns in SIMD lanes, with no gather per permutation; the time edges
are compared four per pass over the pairs. Counts are integers and do not depend on the order
of the pairs or the batch size, so both paths agree exactly. See
docs/adr/0006-numba-for-knox.md.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["BATCH", "NUMBA", "batch_size", "cumulative_counts", "rows_to_csr"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Permutations counted in one pass over the pairs (32 columns: 4 AVX-512 vectors of doubles).
BATCH = 32
#: The compiled path pads a batch to a multiple of this many columns (one 512-bit vector), as
#: a loop shorter than a vector runs scalar.
_LANES = 8
#: Time edges compared in one pass over the pairs (more edges: more passes; fewer: padded).
_EDGES_PER_PASS = 4
#: At most this many bytes of times per batch (n x columns x 8), so huge inputs stay bounded.
_MAX_BATCH_BYTES = 64 * 2**20

NUMBA = importlib.util.find_spec("numba") is not None
_compiled: dict[str, Callable[..., Any]] = {}


def _kernel(name: str) -> Callable[..., Any]:
    """The numba-compiled kernel ``name`` (numba is imported on first use: it takes a second)."""
    if not _compiled:
        from numba import njit

        jit = njit(cache=True, nogil=True)
        # One update, so that another thread never sees half of the table.
        _compiled.update({"_csr": jit(_csr), "_cumulative": jit(_cumulative)})
    return _compiled[name]


def _cumulative(indptr: Any, cols: Any, times: Any, edges: Any, out: Any) -> None:
    # ``edges`` holds exactly _EDGES_PER_PASS edges: a constant count lets LLVM keep the
    # counters in vector registers and compute each gap once for all the edges.
    n, n_cols = times.shape
    acc = np.zeros((_EDGES_PER_PASS, n_cols), dtype=np.int64)
    for s in range(out.shape[1]):
        acc[:] = 0
        for i in range(n):
            row = s * n + i
            ti = times[i]
            for q in range(indptr[row], indptr[row + 1]):
                tj = times[cols[q]]
                for p in range(n_cols):  # contiguous columns: vectorised by LLVM
                    gap = abs(ti[p] - tj[p])
                    for k in range(_EDGES_PER_PASS):
                        acc[k, p] += gap < edges[k]
        for k in range(_EDGES_PER_PASS):
            for p in range(n_cols):
                out[p, s, k] = acc[k, p]


def _csr(rows: Any, cols: Any, n_rows: int) -> tuple[Any, Any]:
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    for r in rows:
        indptr[r + 1] += 1
    for r in range(n_rows):
        indptr[r + 1] += indptr[r]
    fill = indptr[:-1].copy()
    out = np.empty(cols.size, dtype=np.int32)
    for q in range(rows.size):
        r = rows[q]
        out[fill[r]] = cols[q]
        fill[r] += 1
    return indptr, out


def batch_size(n_events: int) -> int:
    """Permutations per batch for ``n_events``: ``BATCH``, fewer (a multiple of 8, at least 8)
    when the batch's times would pass 64 MiB."""
    fit = _MAX_BATCH_BYTES // (8 * max(n_events, 1))
    return int(min(BATCH, max(_LANES, fit - fit % _LANES)))


def rows_to_csr(
    rows: IntArray, cols: IntArray, n_rows: int, *, compiled: bool = NUMBA
) -> tuple[IntArray, npt.NDArray[np.int32]]:
    """Group ``cols`` by ``rows`` (0 <= row < n_rows): ``indptr`` (int64) and int32 columns."""
    if compiled:
        indptr, out = _kernel("_csr")(rows, cols, n_rows)
        return indptr, out
    order = np.argsort(rows, kind="stable")
    indptr = np.searchsorted(rows[order], np.arange(n_rows + 1)).astype(np.int64)
    return indptr, cols[order].astype(np.int32)


def cumulative_counts(
    indptr: IntArray,
    cols: npt.NDArray[np.int32],
    times: FloatArray,
    edges: FloatArray,
    n_bands: int,
    *,
    compiled: bool = NUMBA,
    rows: IntArray | None = None,
) -> IntArray:
    """``out[p, s, k]`` = pairs of distance band ``s`` with ``|t_i - t_j| < edges[k]`` where
    ``t = times[:, p]``; ``times`` has shape ``(n, P)``, one time assignment per column.

    The numpy path needs ``rows`` (the event ``i`` of every pair, in CSR order).
    """
    n, n_cols = times.shape
    if compiled:
        width = -(-n_cols // _LANES) * _LANES
        padded = np.ascontiguousarray(times, dtype=np.float64)
        if width > n_cols:
            padded = np.empty((n, width), dtype=np.float64)
            padded[:, :n_cols] = times
            padded[:, n_cols:] = times[:, :1]  # filler columns, counted and dropped
        n_pass = -(-edges.size // _EDGES_PER_PASS)
        padded_edges = np.full(n_pass * _EDGES_PER_PASS, np.inf)  # counts of < inf: dropped
        padded_edges[: edges.size] = edges
        out = np.zeros((width, n_bands, padded_edges.size), dtype=np.int64)
        for k in range(0, padded_edges.size, _EDGES_PER_PASS):
            step = padded_edges[k : k + _EDGES_PER_PASS]
            _kernel("_cumulative")(indptr, cols, padded, step, out[:, :, k : k + _EDGES_PER_PASS])
        return out[:n_cols, :, : edges.size]
    if rows is None:
        raise ValueError("the numpy path needs the row of every pair")
    return np.stack([_numpy_counts(indptr, cols, rows, times[:, p], edges, n_bands)
                     for p in range(n_cols)])  # fmt: skip


def _numpy_counts(
    indptr: IntArray,
    cols: npt.NDArray[np.int32],
    rows: IntArray,
    t: FloatArray,
    edges: FloatArray,
    n_bands: int,
) -> IntArray:
    out = np.zeros((n_bands, edges.size), dtype=np.int64)
    bounds = indptr[:: t.size][: n_bands + 1]
    chunk = 1 << 17
    for s in range(n_bands):
        for lo in range(int(bounds[s]), int(bounds[s + 1]), chunk):
            hi = min(lo + chunk, int(bounds[s + 1]))
            gap = np.abs(t.take(rows[lo:hi]) - t.take(cols[lo:hi]))
            for k, edge in enumerate(edges):
                out[s, k] += np.count_nonzero(gap < edge)
    return out
