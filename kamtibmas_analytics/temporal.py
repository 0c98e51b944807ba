"""When crime happens: hour x weekday (aoristic), monthly series, trends and period comparisons.

All functions are plain numpy/scipy. Times are UTC instants given either as ``numpy.datetime64``
(any unit; interpreted as UTC) or as epoch seconds (``float``/``int``); local time is obtained by
adding ``utc_offset_hours`` (WITA, Balikpapan: ``+8``). Nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = [
    "ComparisonResult",
    "MonthlySeries",
    "aoristic_hour_weekday",
    "compare_periods",
    "mann_kendall",
    "monthly_series",
]

HOURS_PER_WEEK = 168
# 1970-01-01 (epoch day 0) was a Thursday: Monday-based weekday 3, i.e. hour 72 of the week.
_EPOCH_WEEK_HOUR = 72


def _epoch_seconds(values: Any, name: str) -> npt.NDArray[np.float64]:
    """Epoch seconds (float) from datetime64 (UTC) or numbers; NaT becomes NaN."""
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.datetime64):
        secs = arr.astype("datetime64[s]")
        out = secs.astype(np.int64).astype(np.float64)
        out[np.isnat(secs)] = np.nan
        return np.atleast_1d(out)
    if arr.dtype.kind in "iuf":
        return np.atleast_1d(arr.astype(np.float64))
    raise TypeError(f"{name} must be numpy datetime64 (UTC) or epoch seconds, not {arr.dtype}")


def aoristic_hour_weekday(
    start: Any, end: Any = None, *, utc_offset_hours: float = 8.0
) -> npt.NDArray[np.float64]:
    """Hour x weekday matrix with aoristic weighting of time windows.

    Each event carries weight 1, spread uniformly over its window ``[start, end)`` in local
    time, so an hour cell receives the fraction of the window's *duration* that falls in it
    (a window 10:00-12:00 gives 0.5 to the 10 o'clock and 0.5 to the 11 o'clock cell; a window
    10:30-12:00 gives 1/3 and 2/3). An exact time (``end`` missing, NaT/NaN, or equal to
    ``start``) puts weight 1 in its hour. A window of 168 hours or more carries no information
    about the time of week and is spread evenly, 1/168 per cell.

    Parameters
    ----------
    start : array_like of datetime64 (UTC) or epoch seconds, shape (n,)
    end : array_like like ``start``, optional
        Exclusive end of each window; ``end < start`` raises ``ValueError``.
    utc_offset_hours : float
        Local time = UTC + offset (WITA is +8).

    Returns
    -------
    ndarray, shape (7, 24)
        Rows Monday..Sunday, columns local hour 0..23; sums to the number of events.

    Examples
    --------
    >>> import numpy as np
    >>> t0 = np.array(["2024-01-01T02:00"], dtype="datetime64[s]")  # Monday 10:00 WITA
    >>> m = aoristic_hour_weekday(t0, t0 + np.timedelta64(2, "h"))
    >>> float(m[0, 10]), float(m[0, 11]), float(m.sum())
    (0.5, 0.5, 1.0)
    """
    a_s = _epoch_seconds(start, "start")
    if np.isnan(a_s).any():
        raise ValueError("start contains missing times")
    if end is None:
        b_s = a_s.copy()
    else:
        b_s = _epoch_seconds(end, "end")
        if b_s.shape != a_s.shape:
            raise ValueError("start and end must have the same shape")
        b_s = np.where(np.isnan(b_s), a_s, b_s)
    if (b_s < a_s).any():
        raise ValueError("end before start")
    shift = utc_offset_hours * 3600.0
    a = (a_s + shift) / 3600.0 + _EPOCH_WEEK_HOUR  # hours since a Monday 00:00, local
    b = (b_s + shift) / 3600.0 + _EPOCH_WEEK_HOUR
    length = b - a
    out = np.zeros(2 * HOURS_PER_WEEK + 1)

    exact = length <= 0
    week = length >= HOURS_PER_WEEK
    win = ~exact & ~week
    cell_exact = np.floor(a[exact]).astype(np.int64) % HOURS_PER_WEEK
    out += np.bincount(cell_exact, minlength=out.size)

    aw, bw, lw = a[win], b[win], length[win]
    first = np.floor(aw)
    last = np.ceil(bw) - 1.0  # last hour cell touched (end exclusive)
    span = (last - first).astype(np.int64)  # 0..168
    p0 = first.astype(np.int64) % HOURS_PER_WEEK
    one = span == 0
    out += np.bincount(p0[one], minlength=out.size)
    many = ~one
    p0m, spm, lwm = p0[many], span[many], lw[many]
    dens = 1.0 / lwm
    out += np.bincount(p0m, weights=(first[many] + 1.0 - aw[many]) * dens, minlength=out.size)
    out += np.bincount(p0m + spm, weights=(bw[many] - last[many]) * dens, minlength=out.size)
    diff = np.bincount(p0m + 1, weights=dens, minlength=out.size + 1)
    diff -= np.bincount(p0m + spm, weights=dens, minlength=out.size + 1)
    out += np.cumsum(diff)[: out.size]

    folded = out[:HOURS_PER_WEEK] + out[HOURS_PER_WEEK : 2 * HOURS_PER_WEEK]
    folded += np.count_nonzero(week) / HOURS_PER_WEEK
    return folded.reshape(7, 24)


def _mann_kendall_axis0(
    x: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Mann-Kendall (tau-b, two-sided p) for every column of ``x`` (T, N), vectorised."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    cols = x.shape[1]
    if n < 2:
        nan = np.full(cols, np.nan)
        return nan, nan.copy()
    s = np.zeros(cols)
    for i in range(n - 1):
        s += np.sign(x[i + 1 :] - x[i]).sum(axis=0)
    # Tie groups per column: runs of equal values after sorting.
    srt = np.sort(x, axis=0)
    new_run = np.ones_like(srt, dtype=bool)
    new_run[1:] = srt[1:] != srt[:-1]
    run_id = np.cumsum(new_run, axis=0) - 1
    flat = (run_id + np.arange(cols)[None, :] * n).ravel()
    t = np.bincount(flat, minlength=cols * n).reshape(cols, n).astype(np.float64)
    tie_var = (t * (t - 1) * (2 * t + 5)).sum(axis=1)
    tie_pairs = (t * (t - 1) / 2).sum(axis=1)
    n0 = n * (n - 1) / 2
    var = (n * (n - 1) * (2 * n + 5) - tie_var) / 18.0
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = np.sqrt(n0 * (n0 - tie_pairs))
        tau = np.where(denom > 0, s / np.where(denom > 0, denom, 1.0), 0.0)
        z = np.where(s > 0, s - 1, np.where(s < 0, s + 1, 0.0))
        z = np.where(var > 0, z / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
    p = 2.0 * stats.norm.sf(np.abs(z))
    return tau, np.minimum(p, 1.0)


def mann_kendall(series: npt.ArrayLike) -> tuple[float, float]:
    """Mann-Kendall trend test against time order.

    ``S = sum_{i<j} sign(x_j - x_i)``; the variance carries the ties correction
    ``(n(n-1)(2n+5) - sum_g t_g(t_g-1)(2t_g+5)) / 18``; ``z = (S - sign(S)) / sqrt(var)``
    (continuity correction) and the p-value is two-sided from the normal approximation.
    ``tau`` is Kendall's tau-b between the series and time (equal to
    ``scipy.stats.kendalltau(range(n), series)``'s statistic). A constant series gives
    ``(0.0, 1.0)``; fewer than two values give NaNs.

    Examples
    --------
    >>> tau, p = mann_kendall([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    >>> float(tau), round(float(p), 6)
    (1.0, 8.3e-05)
    """
    x = np.asarray(series, dtype=np.float64).reshape(-1, 1)
    tau, p = _mann_kendall_axis0(x)
    return float(tau[0]), float(p[0])


@dataclass(frozen=True)
class MonthlySeries:
    """Monthly counts with a linear trend and additive seasonality (see ``monthly_series``)."""

    months: npt.NDArray[np.datetime64]
    counts: npt.NDArray[np.int64]
    trend: npt.NDArray[np.float64]
    seasonal: npt.NDArray[np.float64]
    slope_per_month: float
    slope_p_value: float
    mann_kendall_tau: float
    mann_kendall_p: float


def _local_months(times: Any, utc_offset_hours: float) -> npt.NDArray[np.datetime64]:
    secs = _epoch_seconds(times, "times")
    secs = secs[~np.isnan(secs)] + utc_offset_hours * 3600.0
    return np.floor(secs).astype(np.int64).astype("datetime64[s]").astype("datetime64[M]")


def monthly_series(
    times: Any,
    *,
    utc_offset_hours: float = 8.0,
    start: Any = None,
    end: Any = None,
) -> MonthlySeries:
    """Counts per local calendar month with trend, seasonality and a Mann-Kendall test.

    Months run from ``start`` to ``end`` inclusive (anything ``numpy.datetime64`` accepts,
    truncated to the month; default: the first and last month with an event); months without
    events count 0 and events outside the range are ignored.

    The trend is an ordinary least-squares fit on the counts: ``counts ~ a + b*t`` with,
    when there are at least 24 months, 11 month-of-year dummies added, so the slope is net of
    seasonality. ``slope_per_month`` is ``b`` (events per month per month) and
    ``slope_p_value`` its two-sided t-test. ``seasonal`` has 12 values (January..December),
    the month effects centred to sum 0 (all zeros with fewer than 24 months); ``trend`` is the
    fitted straight line, so ``counts ~ trend + seasonal[month - 1]``. OLS on counts is chosen
    over a Poisson GLM because the slope then reads directly in events per month; at
    monthly crime counts (tens to hundreds) the two tests agree closely.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array(["2024-01-10", "2024-02-03", "2024-02-20", "2024-04-01"], "datetime64[s]")
    >>> s = monthly_series(t)
    >>> [str(m) for m in s.months], s.counts.tolist()
    (['2024-01', '2024-02', '2024-03', '2024-04'], [1, 2, 0, 1])
    """
    months = _local_months(times, utc_offset_hours)
    if start is None and months.size == 0:
        raise ValueError("no times and no start given")
    m0 = np.datetime64(start, "M") if start is not None else months.min()
    m1 = np.datetime64(end, "M") if end is not None else months.max()
    if m1 < m0:
        raise ValueError("end before start")
    n = int(np.asarray(m1 - m0).astype(np.int64)) + 1
    idx = (months - m0).astype(np.int64)
    idx = idx[(idx >= 0) & (idx < n)]
    counts = np.bincount(idx, minlength=n).astype(np.int64)
    axis = np.arange(m0, m1 + np.timedelta64(1, "M"))
    t = np.arange(n, dtype=np.float64)
    moy = (axis.astype(np.int64) % 12).astype(np.int64)  # 0 = January
    y = counts.astype(np.float64)

    seasonal = np.zeros(12)
    slope = float("nan")
    slope_p = float("nan")
    trend = np.full(n, y.mean() if n else np.nan)
    if n >= 2:
        seasonal_fit = n >= 24
        cols = [np.ones(n), t]
        if seasonal_fit:
            present = np.unique(moy)
            for m in present[1:]:
                cols.append((moy == m).astype(np.float64))
        design = np.column_stack(cols)
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        slope = float(coef[1])
        dof = n - design.shape[1]
        if dof > 0:
            resid = y - design @ coef
            sigma2 = float(resid @ resid) / dof
            cov = sigma2 * np.linalg.pinv(design.T @ design)
            se = float(np.sqrt(cov[1, 1]))
            if se > 0:
                slope_p = float(2.0 * stats.t.sf(abs(slope / se), dof))
            else:
                slope_p = 0.0 if slope != 0 else 1.0
        effects = np.zeros(12)
        if seasonal_fit:
            present = np.unique(moy)
            effects[present[1:]] = coef[2:]
            seasonal = effects - effects.mean()
        trend = coef[0] + slope * t + (effects.mean() if seasonal_fit else 0.0)
    tau, mk_p = mann_kendall(y) if n >= 2 else (float("nan"), float("nan"))
    return MonthlySeries(
        months=axis,
        counts=counts,
        trend=np.asarray(trend, dtype=np.float64),
        seasonal=seasonal,
        slope_per_month=slope,
        slope_p_value=slope_p,
        mann_kendall_tau=tau,
        mann_kendall_p=mk_p,
    )


@dataclass(frozen=True)
class ComparisonResult:
    """Change per area between two periods of equal length (see ``compare_periods``)."""

    change: npt.NDArray[np.int64]
    pct_change: npt.NDArray[np.float64]
    p_value: npt.NDArray[np.float64]
    significant: npt.NDArray[np.bool_]


def compare_periods(
    current_counts: npt.ArrayLike, previous_counts: npt.ArrayLike, *, alpha: float = 0.05
) -> ComparisonResult:
    """Compare counts per area with the previous period or the same period last year.

    Tests equal Poisson rates with equal exposure (both periods equally long): conditional
    on the total ``n = current + previous``, ``current ~ Binomial(n, 1/2)`` under the null,
    and the exact two-sided p-value is ``min(1, 2 * min(P(X <= c), P(X >= c)))``. An area with
    no events in either period gets ``p = 1``. ``pct_change`` is ``100 * change / previous``
    and NaN where ``previous`` is 0. ``significant`` is ``p_value < alpha`` (no multiplicity
    correction; apply ``hotspots.fdr_bh`` to ``p_value`` when scanning many areas).

    Examples
    --------
    >>> r = compare_periods([10, 3, 4], [2, 3, 0])
    >>> r.change.tolist(), r.pct_change.round(1).tolist()
    ([8, 0, 4], [400.0, 0.0, nan])
    >>> r.p_value.round(4).tolist(), r.significant.tolist()
    ([0.0386, 1.0, 0.125], [True, False, False])
    """
    cur = np.asarray(current_counts)
    prev = np.asarray(previous_counts)
    if cur.shape != prev.shape:
        raise ValueError("current_counts and previous_counts must have the same shape")
    for name, arr in (("current_counts", cur), ("previous_counts", prev)):
        if arr.size and (np.any(arr < 0) or np.any(arr != np.round(arr))):
            raise ValueError(f"{name} must be non-negative whole counts")
    cur_i = cur.astype(np.int64)
    prev_i = prev.astype(np.int64)
    total = cur_i + prev_i
    lower = stats.binom.cdf(cur_i, total, 0.5)
    upper = stats.binom.sf(cur_i - 1, total, 0.5)
    p = np.minimum(1.0, 2.0 * np.minimum(lower, upper))
    p = np.where(total == 0, 1.0, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(
            prev_i > 0, 100.0 * (cur_i - prev_i) / np.where(prev_i > 0, prev_i, 1), np.nan
        )
    return ComparisonResult(
        change=cur_i - prev_i,
        pct_change=np.asarray(pct, dtype=np.float64),
        p_value=np.asarray(p, dtype=np.float64),
        significant=np.asarray(p < alpha),
    )
