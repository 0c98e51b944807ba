"""Hot spots: Getis-Ord Gi* on grids and areas, FDR correction, emerging hot spots.

Coordinates are projected metres (e.g. UTM 50S for Balikpapan); grid distances are in cells.
Gi* follows Getis and Ord (1992) and Ord and Getis (1995) with the location itself among its
neighbours (binary weights, ``w_ii = 1``)::

    Gi*_i = (sum_j w_ij x_j - xbar W_i) / (s sqrt((n S1_i - W_i^2) / (n - 1)))

where ``W_i = sum_j w_ij``, ``S1_i = sum_j w_ij^2`` (``= W_i`` for binary weights), and
``n``, ``xbar``, ``s`` (population standard deviation) are taken over the study area. This is
the z-score that ArcGIS "Hot Spot Analysis" and PySAL ``esda.G_Local(star=True,
transform="B")`` report as ``Zs`` under normality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage, signal, stats
from scipy.spatial import cKDTree

from kamtibmas_analytics.temporal import _mann_kendall_axis0

__all__ = [
    "EmergingResult",
    "GiStarResult",
    "emerging_hot_spots",
    "fdr_bh",
    "gi_star_areas",
    "gi_star_grid",
]

FloatArray = npt.NDArray[np.float64]
# Confidence bins reported as categories (ArcGIS "Gi_Bin"): 99 %, 95 %, 90 %.
_BINS = ((3, 0.01), (2, 0.05), (1, 0.10))
# Kernels with more cells than this are applied by FFT instead of direct correlation.
_FFT_KERNEL_CELLS = 121


def fdr_bh(
    p_values: npt.ArrayLike, alpha: float = 0.05
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Benjamini-Hochberg false discovery rate control.

    Returns ``(rejected, q_values)`` with the input's shape. ``q`` is the BH-adjusted p-value,
    ``q_(i) = min_{j >= i} p_(j) m / j`` clipped to 1, and ``rejected = q <= alpha``. NaNs
    are ignored (they do not count in ``m``) and come back as NaN / not rejected.

    Examples
    --------
    >>> rej, q = fdr_bh([0.01, 0.04, 0.03, 0.005, 0.20])
    >>> q.round(4).tolist(), rej.tolist()
    ([0.025, 0.05, 0.05, 0.025, 0.2], [True, True, True, True, False])
    """
    p = np.asarray(p_values, dtype=np.float64)
    flat = p.ravel()
    q = np.full(flat.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(flat))
    m = ok.size
    if m:
        pv = flat[ok]
        if (pv < 0).any() or (pv > 1).any():
            raise ValueError("p-values must lie in [0, 1]")
        order = np.argsort(pv, kind="stable")
        scaled = pv[order] * m / np.arange(1, m + 1)
        adj = np.minimum.accumulate(scaled[::-1])[::-1]
        qv = np.empty(m)
        qv[order] = np.minimum(adj, 1.0)
        q[ok] = qv
    q_values: FloatArray = q.reshape(p.shape)
    rejected = np.zeros(p.shape, dtype=bool)
    np.less_equal(q_values, alpha, out=rejected, where=~np.isnan(q_values))
    return rejected, q_values


@dataclass(frozen=True)
class GiStarResult:
    """Gi* z-scores with p-values, FDR q-values and ArcGIS-style categories.

    ``category``: +3/+2/+1 hot spot with 99/95/90 % confidence, -1..-3 cold, 0 not
    significant, where the confidence levels apply to the FDR-corrected q-values (as ArcGIS
    does with its FDR option: the BH procedure run at alpha = 0.01, 0.05, 0.10).
    ``significant`` is ``q <= alpha`` for the ``alpha`` passed. Cells outside the study area
    (mask) have NaN z/p/q and category 0.
    """

    z: FloatArray
    p: FloatArray
    q: FloatArray
    category: npt.NDArray[np.int8]
    significant: npt.NDArray[np.bool_]


def _finish(z: FloatArray, alpha: float) -> GiStarResult:
    p = 2.0 * stats.norm.sf(np.abs(z))
    _, q = fdr_bh(p, alpha)
    category = np.zeros(z.shape, dtype=np.int8)
    sign = np.sign(np.nan_to_num(z)).astype(np.int8)
    valid = ~np.isnan(q)
    for level, cut in reversed(_BINS):  # 90 % first, overwritten by stronger bins
        hit = np.zeros(z.shape, dtype=bool)
        np.less_equal(q, cut, out=hit, where=valid)
        category[hit] = level * sign[hit]
    significant = np.zeros(z.shape, dtype=bool)
    np.less_equal(q, alpha, out=significant, where=valid)
    return GiStarResult(z=z, p=p, q=q, category=category, significant=significant)


def _gi_z(
    local_sum: FloatArray, w_sum: FloatArray, s1: FloatArray, n: int, mean: float, sd: float
) -> FloatArray:
    """Getis-Ord Gi* z from local sums and weight sums (global mean/sd over n locations)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        var_term = (n * s1 - w_sum**2) / (n - 1) if n > 1 else np.zeros_like(w_sum)
        denom = sd * np.sqrt(np.maximum(var_term, 0.0))
        z = np.where(denom > 0, (local_sum - mean * w_sum) / np.where(denom > 0, denom, 1.0), 0.0)
    return np.asarray(z, dtype=np.float64)


def _band_kernel(distance_cells: float) -> FloatArray:
    """Binary kernel of the cells whose centres lie within ``distance_cells`` (self included)."""
    if not distance_cells >= 0:
        raise ValueError("distance_cells must be >= 0")
    r = int(np.floor(distance_cells + 1e-9))
    off = np.arange(-r, r + 1)
    d2 = off[:, None] ** 2 + off[None, :] ** 2
    return (d2 <= distance_cells**2 + 1e-9).astype(np.float64)


def _window_sum(values: FloatArray, kernel: FloatArray) -> FloatArray:
    """Sum of ``values`` over the (symmetric) kernel window at each cell; zero outside."""
    if kernel.size > _FFT_KERNEL_CELLS:
        return np.asarray(signal.fftconvolve(values, kernel, mode="same"), dtype=np.float64)
    return np.asarray(ndimage.correlate(values, kernel, mode="constant", cval=0.0))


def _gi_star_knn_values(values: FloatArray, xy: FloatArray, k: int) -> FloatArray:
    """Gi* z for points with weights = self + k nearest others."""
    n = values.size
    if not 1 <= k < n:
        raise ValueError(f"k must be between 1 and n - 1 = {n - 1}")
    tree = cKDTree(xy)
    _, idx = tree.query(xy, k=k + 1)
    idx = np.asarray(idx).reshape(n, k + 1)
    keep = idx != np.arange(n)[:, None]
    # Where duplicates pushed the point itself out of its own k + 1, drop the farthest.
    keep[keep.sum(axis=1) > k, -1] = False
    nbr = idx[keep].reshape(n, k)
    local = values + values[nbr].sum(axis=1)
    w = np.full(n, k + 1.0)
    mean = float(values.mean())
    sd = float(values.std())
    return _gi_z(local, w, w, n, mean, sd)


def gi_star_grid(
    counts: npt.ArrayLike,
    *,
    distance_cells: float = 1.0,
    k: int | None = None,
    alpha: float = 0.05,
    mask: npt.ArrayLike | None = None,
) -> GiStarResult:
    """Getis-Ord Gi* on a (ny, nx) grid of counts.

    Neighbours of a cell are the cells whose centres lie within ``distance_cells`` cell widths
    (the cell itself included: 1.0 is the cell and its 4 edge neighbours, 1.5 adds the
    diagonals), or, when ``k`` is given, the cell and its ``k`` nearest in-area cells by centre
    distance (ties broken by the KD-tree's order). Only cells inside ``mask`` (default: all,
    and never NaN counts) are part of the study area: they alone give the global mean and sd
    and are counted as neighbours, so an edge cell simply has fewer neighbours. Local sums are
    computed by correlating the counts and the mask with the band kernel (direct for small
    kernels, FFT for large), so a 500 x 500 grid takes milliseconds.

    Examples
    --------
    >>> import numpy as np
    >>> counts = np.zeros((9, 9))
    >>> counts[3:6, 3:6] = 10.0
    >>> r = gi_star_grid(counts, distance_cells=1.5)
    >>> int(r.category[4, 4]), int(r.category[0, 0]), round(float(r.z[4, 4]), 2)
    (3, 0, 8.94)
    """
    x = np.asarray(counts, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("counts must be a 2-D (ny, nx) array")
    area = np.ones(x.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool).copy()
    if area.shape != x.shape:
        raise ValueError("mask must have the shape of counts")
    area &= np.isfinite(x)
    n = int(area.sum())
    if n < 2:
        raise ValueError("the study area needs at least 2 cells")
    xa = np.where(area, x, 0.0)
    mean = float(xa.sum() / n)
    sd = float(np.sqrt(max((xa**2).sum() / n - mean**2, 0.0)))
    z = np.full(x.shape, np.nan)
    if k is not None:
        rows, cols = np.nonzero(area)
        xy = np.column_stack([cols, rows]).astype(np.float64)
        z[area] = _gi_star_knn_values(x[area], xy, int(k))
    else:
        kernel = _band_kernel(distance_cells)
        local = _window_sum(xa, kernel)
        w = np.rint(_window_sum(area.astype(np.float64), kernel))
        z[area] = _gi_z(local[area], w[area], w[area], n, mean, sd)
    return _finish(z, alpha)


def gi_star_areas(
    values: npt.ArrayLike,
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    *,
    distance_m: float | None = None,
    k: int | None = None,
    alpha: float = 0.05,
) -> GiStarResult:
    """Getis-Ord Gi* for areas (e.g. kelurahan counts at their centroids, metres).

    Give exactly one of ``distance_m`` (neighbours: areas whose centroids lie within that
    distance, the area itself included) or ``k`` (the area and its ``k`` nearest others).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.tile(np.arange(5.0), 5) * 1000.0
    >>> y = np.repeat(np.arange(5.0), 5) * 1000.0
    >>> v = np.where((x <= 1000) & (y <= 1000), 20.0, 1.0)
    >>> r = gi_star_areas(v, x, y, distance_m=1500.0)
    >>> int(r.category[0]), int(r.category[24])
    (3, 0)
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    xy = np.column_stack([np.asarray(x_m, np.float64).ravel(), np.asarray(y_m, np.float64).ravel()])
    n = v.size
    if xy.shape[0] != n:
        raise ValueError("values, x_m and y_m must have the same length")
    if (distance_m is None) == (k is None):
        raise ValueError("give exactly one of distance_m or k")
    if n < 2 or not np.isfinite(v).all() or not np.isfinite(xy).all():
        raise ValueError("need at least 2 areas with finite values and coordinates")
    if k is not None:
        return _finish(_gi_star_knn_values(v, xy, int(k)), alpha)
    assert distance_m is not None
    if not distance_m >= 0:
        raise ValueError("distance_m must be >= 0")
    pairs = cKDTree(xy).query_pairs(float(distance_m), output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    local: FloatArray = v + np.bincount(i, v[j], minlength=n) + np.bincount(j, v[i], minlength=n)
    w: FloatArray = (1 + np.bincount(i, minlength=n) + np.bincount(j, minlength=n)).astype(
        np.float64
    )
    z = _gi_z(local, w, w, n, float(v.mean()), float(v.std()))
    return _finish(z, alpha)


@dataclass(frozen=True)
class EmergingResult:
    """Emerging hot spot categories per cell (see ``emerging_hot_spots``).

    ``trend_tau``/``trend_p``: Mann-Kendall on each cell's Gi* z-score series (the trend in
    clustering intensity, used for the categories); ``count_tau``/``count_p``: Mann-Kendall on
    each cell's count series. ``hot``/``cold`` (T, ny, nx): significant hot/cold per period.
    """

    category: npt.NDArray[np.str_]
    gi_z: FloatArray
    trend_tau: FloatArray
    trend_p: FloatArray
    count_tau: FloatArray
    count_p: FloatArray
    hot: npt.NDArray[np.bool_]
    cold: npt.NDArray[np.bool_]


_HOT_NAMES = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)


def _side_conditions(
    hot: npt.NDArray[np.bool_],
    cold: npt.NDArray[np.bool_],
    up: npt.NDArray[np.bool_],
    down: npt.NDArray[np.bool_],
) -> dict[str, npt.NDArray[np.bool_]]:
    """Conditions for the hot categories (call with roles swapped for cold)."""
    t = hot.shape[0]
    n_hot = hot.sum(axis=0)
    mostly = n_hot >= 0.9 * t
    last = hot[-1]
    ever_cold = cold.any(axis=0)
    run = np.cumprod(hot[::-1], axis=0).sum(axis=0)  # trailing run of hot periods
    return {
        "intensifying": last & mostly & up,
        "diminishing": last & mostly & down,
        "persistent": last & mostly & ~up & ~down,
        "oscillating": last & ~mostly & ever_cold,
        "new": last & ~mostly & ~ever_cold & (n_hot == 1),
        "consecutive": last & ~mostly & ~ever_cold & (run >= 2) & (n_hot == run),
        "sporadic_last": last & ~mostly & ~ever_cold & (n_hot > 1) & (n_hot > run),
        "historical": ~last & ~cold[-1] & mostly,
        "sporadic_past": ~last & ~cold[-1] & ~mostly & (n_hot > 0) & ~ever_cold,
    }


def _classify(
    hot: npt.NDArray[np.bool_],
    cold: npt.NDArray[np.bool_],
    tau: FloatArray,
    p: FloatArray,
    alpha: float,
) -> npt.NDArray[np.str_]:
    """Emerging hot spot category per column from (T, N) hot/cold flags and the z trend."""
    sig = np.nan_to_num(p, nan=1.0) < alpha
    up = sig & (tau > 0)
    down = sig & (tau < 0)
    h = _side_conditions(hot, cold, up, down)
    c = _side_conditions(cold, hot, down, up)  # colder = more intense cold spot
    out = np.full(hot.shape[1:], "none", dtype="<U24")
    # The conditions of the two sides exclude each other: those for "now hot" need hot[-1],
    # those for "not now" need neither hot nor cold in the final period and either >= 90 %
    # of one kind or a past of only one kind.
    for side, suffix in ((h, ""), (c, " cold")):
        for name in _HOT_NAMES:
            cond = (
                side[name] if name != "sporadic" else side["sporadic_last"] | side["sporadic_past"]
            )
            out[cond] = name + suffix
    return out


def emerging_hot_spots(
    counts_by_period: npt.ArrayLike,
    *,
    distance_cells: float = 1.0,
    alpha: float = 0.05,
    mask: npt.ArrayLike | None = None,
) -> EmergingResult:
    """Emerging hot spot analysis: Gi* per period plus Mann-Kendall trends per cell.

    For each period ``t`` Gi* is computed on ``counts_by_period[t]`` (``gi_star_grid`` with
    ``distance_cells`` and ``mask``); a cell is *hot* in ``t`` when its z > 0 and FDR q <=
    ``alpha``, *cold* when z < 0 and q <= ``alpha``. The trend in intensity is Mann-Kendall on
    the cell's z series (significant when p < ``alpha``). With ``T`` periods and "mostly" meaning
    hot in at least 90 % of them (``n_hot >= 0.9 T``), the categories follow ArcGIS's Emerging
    Hot Spot Analysis:

    - ``new``: hot in the final period and in no earlier one, never cold;
    - ``consecutive``: a single run of >= 2 hot periods ending in the final one, never hot
      before the run, never cold, not mostly hot;
    - ``intensifying``: mostly hot, hot in the final period, significant upward z trend;
    - ``persistent``: mostly hot, hot in the final period, no significant z trend;
    - ``diminishing``: mostly hot, hot in the final period, significant downward z trend;
    - ``sporadic``: hot in some periods (on again, off again), not mostly hot, never cold,
      and neither new nor consecutive; the final period hot or neither hot nor cold;
    - ``oscillating``: hot in the final period, cold in at least one earlier one, not mostly
      hot;
    - ``historical``: not hot (and not cold) in the final period but mostly hot;
    - the same eight with `` cold`` appended (``"new cold"``, ...), with hot and cold swapped
      and "intensifying cold" meaning the z trend is significantly downward;
    - ``none``: anything else (never significant, or a mixed hot/cold past that is neither
      now), and cells outside the mask.

    ``T`` must be at least 2.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> c = rng.poisson(2.0, size=(6, 15, 15)).astype(float)
    >>> c[:, 6:9, 6:9] += 12.0   # a hot spot in every period
    >>> c[-1, 1:4, 10:13] += 12.0  # appears in the last period only
    >>> r = emerging_hot_spots(c, distance_cells=1.5)
    >>> str(r.category[7, 7]), str(r.category[2, 11])
    ('persistent', 'new')
    """
    c = np.asarray(counts_by_period, dtype=np.float64)
    if c.ndim != 3 or c.shape[0] < 2:
        raise ValueError("counts_by_period must be (T, ny, nx) with T >= 2")
    area = np.ones(c.shape[1:], dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    area = area & np.isfinite(c).all(axis=0)
    t = c.shape[0]
    gi_z = np.full(c.shape, np.nan)
    hot = np.zeros(c.shape, dtype=bool)
    cold = np.zeros(c.shape, dtype=bool)
    for i in range(t):
        r = gi_star_grid(c[i], distance_cells=distance_cells, alpha=alpha, mask=area)
        gi_z[i] = r.z
        hot[i] = r.significant & (r.z > 0)
        cold[i] = r.significant & (r.z < 0)
    flat = area.ravel()
    zz = gi_z.reshape(t, -1)[:, flat]
    tau_z, p_z = _mann_kendall_axis0(zz)
    tau_c, p_c = _mann_kendall_axis0(c.reshape(t, -1)[:, flat])
    shape = c.shape[1:]

    def _spread(v: FloatArray) -> FloatArray:
        out = np.full(flat.size, np.nan)
        out[flat] = v
        return out.reshape(shape)

    cats = np.full(flat.size, "none", dtype="<U24")
    cats[flat] = _classify(
        hot.reshape(t, -1)[:, flat], cold.reshape(t, -1)[:, flat], tau_z, p_z, alpha
    )
    return EmergingResult(
        category=cats.reshape(shape),
        gi_z=gi_z,
        trend_tau=_spread(tau_z),
        trend_p=_spread(p_z),
        count_tau=_spread(tau_c),
        count_p=_spread(p_c),
        hot=hot,
        cold=cold,
    )
