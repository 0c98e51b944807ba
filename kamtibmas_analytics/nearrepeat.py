"""Near-repeat analysis: the Knox test with space and time bands and Monte Carlo p-values.

Coordinates are projected metres; times are in days (any origin, fractions allowed). The
result is the table analysts know from the Near Repeat Calculator (Ratcliffe): for each
distance band x time band, the number of event pairs observed, the number expected when the
times are shuffled across the events (space and time independent), their ratio, and a
Monte Carlo p-value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from kamtibmas_analytics import _knox_kernel as _kernel

__all__ = ["KnoxResult", "knox_test"]

FloatArray = npt.NDArray[np.float64]
_STRIP_M = 500.0


def _fmt(v: float) -> str:
    return f"{v:g}"


def _band_labels(edges: FloatArray, unit: str) -> list[str]:
    labels = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        if np.isinf(hi):
            labels.append(f"more than {_fmt(lo)} {unit}")
        else:
            labels.append(f"{_fmt(lo)}-{_fmt(hi)} {unit}")
    return labels


@dataclass(frozen=True)
class KnoxResult:
    """Knox near-repeat table (see ``knox_test``); arrays are (S, T) = (space, time) bands."""

    space_bands_m: FloatArray
    time_bands_days: FloatArray
    observed: npt.NDArray[np.int64]
    expected: FloatArray
    ratio: FloatArray
    p_values: FloatArray
    permutations: int

    def table(self) -> list[dict[str, Any]]:
        """Rows as the Near Repeat Calculator shows them, space band major.

        Each row: ``{"distance": "0-100 m", "time": "0-7 days", "observed": int,
        "expected": float, "ratio": float, "p": float}``; an infinite last edge reads
        ``"more than 500 m"`` / ``"more than 28 days"``.
        """
        s_lab = _band_labels(self.space_bands_m, "m")
        t_lab = _band_labels(self.time_bands_days, "days")
        rows = []
        for i, sl in enumerate(s_lab):
            for j, tl in enumerate(t_lab):
                rows.append(
                    {
                        "distance": sl,
                        "time": tl,
                        "observed": int(self.observed[i, j]),
                        "expected": float(self.expected[i, j]),
                        "ratio": float(self.ratio[i, j]),
                        "p": float(self.p_values[i, j]),
                    }
                )
        return rows


def _edges(values: Any, name: str) -> FloatArray:
    e = np.asarray(values, dtype=np.float64).ravel()
    if e.size < 2 or np.isnan(e).any() or e[0] < 0 or (np.diff(e) <= 0).any():
        raise ValueError(f"{name} must be at least 2 increasing edges >= 0")
    if np.isinf(e[:-1]).any():
        raise ValueError(f"only the last of {name} may be infinite")
    return e


class _PairCounter:
    """Pairs within the largest distance band, grouped by band and event, and their time-band
    counts. ``compiled`` picks the numba kernel (default when numba imports) or plain numpy."""

    def __init__(
        self,
        xy: FloatArray,
        space_edges: FloatArray,
        time_edges: FloatArray,
        *,
        compiled: bool | None = None,
    ) -> None:
        n = xy.shape[0]
        if np.isinf(space_edges[-1]):
            i, j = np.triu_indices(n, k=1)
        else:
            pairs = cKDTree(xy).query_pairs(float(space_edges[-1]), output_type="ndarray")
            i, j = pairs[:, 0], pairs[:, 1]
        x, y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
        d = np.hypot(x.take(i) - x.take(j), y.take(i) - y.take(j))
        band = np.searchsorted(space_edges, d, side="right") - 1
        keep = (band >= 0) & (band < space_edges.size - 1)
        if not keep.all():  # a first edge above 0 m, or pairs exactly at the last edge
            band, i, j = band[keep], i[keep], j[keep]
        rows = band * n
        rows += i
        self.compiled = _kernel.NUMBA if compiled is None else compiled
        self.n_bands = space_edges.size - 1
        self.indptr, self.cols = _kernel.rows_to_csr(
            rows, j, self.n_bands * n, compiled=self.compiled
        )
        self.rows = None
        if not self.compiled:  # the numpy path gathers both ends of every pair
            self.rows = np.repeat(np.arange(self.n_bands * n) % n, np.diff(self.indptr))
        self.time_edges = time_edges
        self.n_pairs = int(self.cols.size)

    def counts(self, times: FloatArray) -> npt.NDArray[np.int64]:
        """(S, T) pair counts for event times ``times`` (half-open bands ``[lo, hi)``); for a
        batch of assignments, ``times`` of shape ``(n, P)``, the counts of each: (P, S, T)."""
        batch = np.asarray(times, dtype=np.float64)
        single = batch.ndim == 1
        if single:
            batch = batch[:, None]
        n, n_cols = batch.shape
        edges = self.time_edges
        inner = (edges > 0) & np.isfinite(edges)  # no gap is < 0; every gap is < inf
        cum = np.zeros((n_cols, self.n_bands, edges.size), dtype=np.int64)
        if inner.any():
            cum[:, :, inner] = _kernel.cumulative_counts(
                self.indptr,
                self.cols,
                batch,
                np.ascontiguousarray(edges[inner]),
                self.n_bands,
                compiled=self.compiled,
                rows=self.rows,
            )
        cum[:, :, np.isinf(edges)] = np.diff(self.indptr[::n])[None, :, None]
        out = np.diff(cum, axis=2)
        return out[0] if single else out


def knox_test(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    t_days: npt.ArrayLike,
    *,
    space_bands_m: Any = (0, 100, 200, 300, 400, 500),
    time_bands_days: Any = (0, 7, 14, 21, 28),
    permutations: int = 999,
    random_state: int | np.random.Generator | None = None,
) -> KnoxResult:
    """Knox test for near repeats with Monte Carlo p-values.

    Every unordered pair of events (i < j, counted once) with distance ``d`` (metres) and time
    gap ``|t_i - t_j|`` (days) falls in space band ``s`` when ``edges[s] <= d < edges[s+1]`` and
    likewise in a time band (half-open bands). A last edge of ``numpy.inf`` makes an open
    "more than" band. ``observed[s, t]`` counts the pairs; under the null the times are
    shuffled across events (a uniform random permutation, ``permutations`` times, from
    ``numpy.random.default_rng(random_state)``); ``expected`` is the mean count over the
    permutations, ``ratio = observed / expected`` (Knox ratio; NaN where expected is 0), and
    ``p_values = (1 + #{perm >= observed}) / (1 + permutations)`` (one-sided, for an excess of
    near-repeat pairs).

    Only pairs closer than the largest finite distance edge are enumerated (a KD-tree finds
    them; each permutation only recomputes their time gaps), so the table covers the given
    bands and nothing beyond; an infinite last distance edge enumerates all n(n-1)/2 pairs
    and needs memory to match. The permutations are counted 32 at a time in one pass over
    the pairs, compiled with numba (about 1 ns per pair per permutation on one core; a
    pure-numpy fallback, some 20 times slower, runs without numba;
    docs/adr/0006-numba-for-knox.md). 999 permutations take about 1.5 s of CPU for the 1.5
    million pairs of a clustered 20,000-event city, but about 8 s for the 10 million that
    dense block-geocoded data can have within 500 m (see benchmarks/RESULTS.md); use fewer
    permutations or a smaller largest band there. The first call in a fresh install
    compiles the kernel (a few seconds, then cached).

    The events are put in a canonical order (500 m strips of y, then x, y, time) before
    shuffling, so the whole result, p-values included, does not depend on the order of the
    input rows.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = rng.uniform(0, 5000, 400)
    >>> y = rng.uniform(0, 5000, 400)
    >>> t = rng.uniform(0, 365, 400)
    >>> x = np.r_[x, x[:40] + 20.0]   # 40 repeats 20 m and 2 days after an event
    >>> y = np.r_[y, y[:40]]
    >>> t = np.r_[t, t[:40] + 2.0]
    >>> r = knox_test(x, y, t, permutations=99, random_state=0)
    >>> row = r.table()[0]
    >>> row["distance"], row["time"], row["observed"] >= 40, row["p"]
    ('0-100 m', '0-7 days', True, 0.01)
    """
    x = np.asarray(x_m, dtype=np.float64).ravel()
    y = np.asarray(y_m, dtype=np.float64).ravel()
    t = np.asarray(t_days, dtype=np.float64).ravel()
    if not x.size == y.size == t.size:
        raise ValueError("x_m, y_m and t_days must have the same length")
    if not (np.isfinite(x).all() and np.isfinite(y).all() and np.isfinite(t).all()):
        raise ValueError("coordinates and times must be finite (drop events without a place)")
    if x.size < 2:
        raise ValueError("need at least 2 events")
    if permutations < 1:
        raise ValueError("permutations must be >= 1")
    s_edges = _edges(space_bands_m, "space_bands_m")
    t_edges = _edges(time_bands_days, "time_bands_days")

    # Canonical order: 500 m strips (so that spatial neighbours have nearby indices and the
    # gathers stay in cache), then x, y, t. It depends only on the data, not on row order.
    strip = np.floor((y - y.min()) / _STRIP_M)
    order = np.lexsort((t, y, x, strip))
    x, y, t = x[order], y[order], t[order]
    counter = _PairCounter(np.column_stack([x, y]), s_edges, t_edges)
    observed = counter.counts(t)

    rng = np.random.default_rng(random_state)
    total = np.zeros(observed.shape, dtype=np.int64)
    at_least = np.zeros(observed.shape, dtype=np.int64)
    batch = _kernel.batch_size(t.size)
    for start in range(0, int(permutations), batch):
        # The same draws, in the same order, as one permutation at a time; each batch of
        # permutations is counted in one pass over the pairs.
        width = min(batch, int(permutations) - start)
        index = np.empty((width, t.size), dtype=np.intp)
        for p in range(width):
            index[p] = rng.permutation(t.size)
        times = np.ascontiguousarray(t[index.T])  # (n, width): a row of times per event
        sims = counter.counts(times)
        total += sims.sum(axis=0)
        at_least += (sims >= observed).sum(axis=0)
    expected = total / permutations
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / np.where(expected > 0, expected, 1.0), np.nan)
    return KnoxResult(
        space_bands_m=s_edges,
        time_bands_days=t_edges,
        observed=observed,
        expected=expected,
        ratio=ratio,
        p_values=np.asarray((1.0 + at_least) / (1.0 + permutations), dtype=np.float64),
        permutations=int(permutations),
    )
