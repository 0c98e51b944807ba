"""Binning of points onto the cell centres of a grid, for :mod:`kamtibmas_analytics.kde`.

Two binnings: ``"simple"`` adds each point's weight to the node of the cell holding it;
``"linear"`` shares it between the four nearest nodes in proportion to the opposite areas, which
keeps each point's mean position. Two equivalent paths: a numba loop (one pass over the points,
used for large inputs when numba is installed) and numpy ``bincount`` passes. Both compute every
node coordinate with the same floating-point operations, so a point lands on the same nodes with
the same shares; only the order in which the shares are summed differs (simple binning without
weights: identical counts).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kamtibmas_analytics.grid import Grid

__all__ = ["COMPILED_MIN_POINTS", "NUMBA", "bin_points"]

FloatArray = NDArray[np.float64]

NUMBA = importlib.util.find_spec("numba") is not None
#: The compiled loop is used from this many points (below it numpy takes under a millisecond,
#: and a small request need not import numba).
COMPILED_MIN_POINTS = 50_000
_compiled: dict[str, Callable[..., Any]] = {}


def _kernel(name: str) -> Callable[..., Any]:
    """The numba-compiled loop ``name`` (numba is imported on first use)."""
    if not _compiled:
        from numba import njit

        jit = njit(cache=True, nogil=True)
        # One update, so that another thread never sees half of the table.
        _compiled.update({"simple": jit(_simple_loop), "linear": jit(_linear_loop)})
    return _compiled[name]


def _simple_loop(
    x: Any, y: Any, w: Any, ox: float, oy: float, inv: float, n_rows: int, n_cols: int, out: Any
) -> None:
    weighted = w.size > 0
    for q in range(x.size):
        gx = (x[q] - ox) * inv
        gy = (y[q] - oy) * inv
        if gx >= 0.0 and gx < n_cols and gy >= 0.0 and gy < n_rows:
            out[int(gy), int(gx)] += w[q] if weighted else 1.0


def _linear_loop(
    x: Any, y: Any, w: Any, ox: float, oy: float, inv: float, n_rows: int, n_cols: int, out: Any
) -> None:
    weighted = w.size > 0
    for q in range(x.size):
        gx = (x[q] - ox) * inv
        gy = (y[q] - oy) * inv
        if gx >= 0.0 and gx < n_cols - 1 and gy >= 0.0 and gy < n_rows - 1:
            ix, iy = int(gx), int(gy)
            dx, dy = gx - ix, gy - iy  # offsets from the south-west node, in [0, 1)
            ex, ey = 1.0 - dx, 1.0 - dy
            if weighted:
                ey *= w[q]
                dy *= w[q]
            out[iy, ix] += ex * ey
            out[iy, ix + 1] += dx * ey
            out[iy + 1, ix] += ex * dy
            out[iy + 1, ix + 1] += dx * dy


def bin_points(
    x: FloatArray,
    y: FloatArray,
    w: FloatArray | None,
    grid: Grid,
    pad: int,
    binning: str,
    *,
    shape: tuple[int, int] | None = None,
    dtype: type[np.floating[Any]] = np.float64,
    compiled: bool | None = None,
) -> NDArray[np.floating[Any]]:
    """Mass on the cell centres of ``grid`` grown by ``pad`` cells on every side (node ``k``
    is the centre of cell ``k - pad``): ``(ny + 2 pad, nx + 2 pad)`` nodes. Points beyond
    the grown grid are ignored. ``binning`` is ``"simple"`` or ``"linear"``.

    The nodes fill the first rows and columns of a zero array of ``shape`` (default: just the
    nodes, e.g. larger for an FFT) and ``dtype``. Sums are taken in float64 and converted,
    except simple binning without weights into float32, whose counts are exact integers
    (below 2**24 points). ``compiled`` forces a path (default: numba from
    ``COMPILED_MIN_POINTS`` points when it is installed).
    """
    n_cols, n_rows = grid.nx + 2 * pad, grid.ny + 2 * pad
    shape = (n_rows, n_cols) if shape is None else shape
    if shape[0] < n_rows or shape[1] < n_cols:
        raise ValueError(f"shape {shape} cannot hold the {n_rows} x {n_cols} nodes")
    # Node coordinates: linear binning measures from the centres, simple binning from edges.
    shift = 0.5 if binning == "linear" else 0.0
    ox = grid.x0_m + (shift - pad) * grid.cell_m
    oy = grid.y0_m + (shift - pad) * grid.cell_m
    inv = 1.0 / grid.cell_m
    if compiled is None:
        compiled = NUMBA and x.size >= COMPILED_MIN_POINTS
    if not compiled:
        nodes = _bin_numpy(x, y, w, (ox, oy, inv), (n_rows, n_cols), binning)
        if nodes.shape == shape and dtype == np.float64:
            return nodes
        out = np.zeros(shape, dtype=dtype)
        out[:n_rows, :n_cols] = nodes
        return out
    exact_counts = binning == "simple" and w is None and x.size < 2**24
    out = np.zeros(shape, dtype=dtype if exact_counts else np.float64)
    weights = np.empty(0) if w is None else np.ascontiguousarray(w, dtype=np.float64)
    loop = _kernel("linear" if binning == "linear" else "simple")
    loop(
        np.ascontiguousarray(x), np.ascontiguousarray(y), weights, ox, oy, inv, n_rows, n_cols, out
    )
    return out if out.dtype == dtype else out.astype(dtype)


def _bin_numpy(
    x: FloatArray,
    y: FloatArray,
    w: FloatArray | None,
    frame: tuple[float, float, float],
    shape: tuple[int, int],
    binning: str,
) -> FloatArray:
    """``bin_points`` with numpy: node origin ``(ox, oy)`` and inverse cell size ``inv``."""
    ox, oy, inv = frame
    n_rows, n_cols = shape
    size = n_rows * n_cols
    gx = x - ox
    gx *= inv
    gy = y - oy
    gy *= inv
    hi_x, hi_y = (n_cols - 1, n_rows - 1) if binning == "linear" else (n_cols, n_rows)
    if gx.size and not (gx.min() >= 0 and gx.max() < hi_x and gy.min() >= 0 and gy.max() < hi_y):
        keep = (gx >= 0) & (gx < hi_x) & (gy >= 0) & (gy < hi_y)
        gx, gy = gx[keep], gy[keep]
        w = None if w is None else w[keep]
    # All coordinates are now >= 0, so truncation is floor.
    ix = gx.astype(np.intp)
    iy = gy.astype(np.intp)
    if binning == "linear":
        dx = np.subtract(gx, ix, out=gx)  # offsets from the south-west centre, in [0, 1)
        dy = np.subtract(gy, iy, out=gy)
    base = iy
    base *= n_cols
    base += ix
    if binning == "simple":
        counts: FloatArray = np.bincount(base, weights=w, minlength=size).astype(np.float64)
        return counts.reshape(n_rows, n_cols)
    ex = 1.0 - dx
    ey = 1.0 - dy
    if w is not None:
        ey *= w
        dy *= w
    prod = np.multiply(ex, ey)
    out = np.asarray(np.bincount(base, weights=prod, minlength=size), dtype=np.float64)
    np.multiply(dx, ey, out=prod)
    out[1:] += np.bincount(base, weights=prod, minlength=size - 1)
    np.multiply(ex, dy, out=prod)
    out[n_cols:] += np.bincount(base, weights=prod, minlength=size - n_cols)
    np.multiply(dx, dy, out=prod)
    out[n_cols + 1 :] += np.bincount(base, weights=prod, minlength=size - n_cols - 1)
    return out.reshape(n_rows, n_cols)
