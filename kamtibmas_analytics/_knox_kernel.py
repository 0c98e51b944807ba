"""Compiled inner loops of the Knox test (numba), with pure-numpy equivalents.

The pairs are kept in compressed rows: row ``s * n + i`` lists the events ``j > i`` that are in
distance band ``s`` of event ``i``. For one assignment of times ``t`` the kernel returns, for each
distance band ``s`` and time edge ``e``, the number of pairs with ``|t_i - t_j| < e``; differences
of these give the band counts. Counts do not depend on the order of the pairs, so both paths
agree exactly. See docs/adr/0006-numba-for-knox.md.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["NUMBA", "cumulative_counts", "rows_to_csr"]

IntArray = npt.NDArray[np.int64]
_BUF = 512  # gaps buffered before the edge comparisons (a few KiB, stays in L1)

NUMBA = importlib.util.find_spec("numba") is not None
_compiled: dict[str, Callable[..., Any]] = {}


def _kernel(name: str) -> Callable[..., Any]:
    """The numba-compiled kernel ``name`` (numba is imported on first use: it takes a second)."""
    if not _compiled:
        from numba import njit

        jit = njit(cache=True, nogil=True)
        _compiled["_csr"] = jit(_csr)
        _compiled["_cumulative"] = jit(_cumulative)
    return _compiled[name]


def _cumulative(indptr: Any, cols: Any, t: Any, edges: Any, out: Any) -> None:
    n = t.size
    buf = np.empty(_BUF)
    for s in range(out.shape[0]):
        m = 0
        last = indptr[(s + 1) * n] - 1  # the band's last pair: flush after it
        for i in range(n):
            ti = t[i]
            row = s * n + i
            for q in range(indptr[row], indptr[row + 1]):
                buf[m] = abs(ti - t[cols[q]])
                m += 1
                if m == _BUF or q == last:
                    for k in range(edges.size):  # count the buffered gaps below each edge
                        e = edges[k]
                        c = 0
                        for r in range(m):
                            c += buf[r] < e
                        out[s, k] += c
                    m = 0


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
    t: npt.NDArray[np.float64],
    edges: npt.NDArray[np.float64],
    n_bands: int,
    *,
    compiled: bool = NUMBA,
    rows: IntArray | None = None,
) -> IntArray:
    """``out[s, k]`` = pairs of distance band ``s`` with ``|t_i - t_j| < edges[k]``.

    The numpy path needs ``rows`` (the event ``i`` of every pair, in CSR order).
    """
    out = np.zeros((n_bands, edges.size), dtype=np.int64)
    if compiled:
        _kernel("_cumulative")(indptr, cols, t, edges, out)
        return out
    if rows is None:
        raise ValueError("the numpy path needs the row of every pair")
    n = t.size
    bounds = indptr[::n][: n_bands + 1]
    chunk = 1 << 17
    for s in range(n_bands):
        for lo in range(int(bounds[s]), int(bounds[s + 1]), chunk):
            hi = min(lo + chunk, int(bounds[s + 1]))
            gap = np.abs(t.take(rows[lo:hi]) - t.take(cols[lo:hi]))
            for k, edge in enumerate(edges):
                out[s, k] += np.count_nonzero(gap < edge)
    return out
