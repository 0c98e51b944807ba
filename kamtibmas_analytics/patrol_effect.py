"""Patrol effect: difference in differences of crime counts, patrolled vs matched places.

A place (a grid cell or a named spot) is *patrolled* when it received patrol dosage in the
after period. Its change in crime (after minus before, the before count scaled to the length
of the after period) is compared with the change in *comparable unpatrolled* places: places in
the same stratum ("band") of pre-period crime level, e.g. the same decile of before counts or
the same forecast rank band. Within each band that holds both kinds of place::

    did_b = mean(change | patrolled, b) - mean(change | unpatrolled, b)

and the estimate is the average of ``did_b`` weighted by the patrolled places in each band
(the effect on the patrolled places, "ATT"). Bands with no patrolled or no unpatrolled place
are dropped (their places are not comparable) and counted in ``n_unmatched_``. A negative
band marks a place with no stratum at all (e.g. no forecast score): it is never matched and is
counted in ``n_unmatched_`` too.

Matching on the pre-period level guards against regression to the mean: places picked for
patrol because they had a bad month would improve next month anyway, and so do unpatrolled
places with an equally bad month. It does not make the comparison randomised: places may have
been picked for reasons that also change their crime. Say so when you show the result.

Matching on the forecast is fairer when plans picked their places by forecast rank: the
forecast may know that a place is heating up (recent incidents nearby) while its past-year
count looks like that of a quiet place. Bands of past-year level then put rising places
(patrolled) next to steady ones (unpatrolled), and the rise hides part of the effect.
``score_bands`` makes the forecast bands, deciles within each unit.

The interval is a seeded bootstrap over places (resampled within each band, patrolled and
unpatrolled separately) or the analytic normal interval of the same stratified estimator.
The verdict is ``"reduction"`` or ``"increase"`` only when the interval excludes 0, otherwise
``"no detectable effect"``; with fewer than ``min_places`` matched patrolled places it is
``"insufficient data"``.

Examples
--------
>>> before = [2, 2, 2, 2, 0, 0, 0, 0]
>>> after = [0, 1, 2, 3, 0, 0, 1, 1]
>>> patrolled = [True, True, False, False, True, True, False, False]
>>> fit = PatrolEffect(bands=[1, 1, 1, 1, 0, 0, 0, 0], min_places=1).fit(before, after, patrolled)
>>> fit.estimate_  # band 1: -1.5 - 0.5 = -2; band 0: 0 - 1 = -1; mean over 4 patrolled places
-1.5
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = [
    "INCREASE",
    "INSUFFICIENT",
    "NO_EFFECT",
    "REDUCTION",
    "PatrolEffect",
    "PlaceChange",
    "WeekEffect",
    "event_study",
    "level_bands",
    "score_bands",
    "split_panel",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

REDUCTION = "reduction"
INCREASE = "increase"
NO_EFFECT = "no detectable effect"
INSUFFICIENT = "insufficient data"


def level_bands(before: npt.ArrayLike, n_bands: int = 10) -> IntArray:
    """Quantile bands (0 = lowest) of the pre-period level; tied values share a band.

    >>> level_bands([0, 0, 0, 1, 5, 9], n_bands=3).tolist()
    [0, 0, 0, 1, 2, 2]
    """
    values = np.asarray(before, dtype=np.float64)
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    if n_bands < 1:
        raise ValueError("n_bands must be at least 1")
    edges = np.unique(np.quantile(values, np.linspace(0.0, 1.0, n_bands + 1))[1:-1])
    raw = np.searchsorted(edges, values, side="left")
    bands: IntArray = np.unique(raw, return_inverse=True)[1].astype(np.int64)
    return bands


def score_bands(
    scores: npt.ArrayLike, within: npt.ArrayLike | None = None, n_bands: int = 10
) -> IntArray:
    """Quantile bands of a score (e.g. a place's forecast rank), computed separately within
    each group of ``within`` (e.g. the unit whose forecast scored the place), so a place is
    only ever compared with places of the same group. Bands are numbered across groups without
    overlap; a place whose score is NaN gets -1 (no stratum, never matched).

    >>> score_bands([0.1, 0.9, 0.5, float("nan"), 0.2, 0.8], within=[1, 1, 1, 1, 2, 2],
    ...             n_bands=2).tolist()
    [0, 1, 0, -1, 2, 3]
    """
    values = np.asarray(scores, dtype=np.float64)
    groups = np.zeros(values.shape, np.int64) if within is None else np.asarray(within)
    if groups.shape != values.shape:
        raise ValueError("within must have one entry per place")
    out = np.full(values.shape, -1, dtype=np.int64)
    known = np.isfinite(values)
    offset = 0
    for group in np.unique(groups[known]):
        chosen = known & (groups == group)
        bands = level_bands(values[chosen], n_bands)
        out[chosen] = bands + offset
        offset += int(bands.max()) + 1
    return out


def split_panel(counts: npt.ArrayLike, start: int) -> tuple[FloatArray, FloatArray, int, int]:
    """Sum a places x periods panel (e.g. weekly counts) into before / after counts.

    Returns ``(before, after, before_periods, after_periods)`` with ``start`` the index of the
    first period of patrolling.

    >>> b, a, nb, na = split_panel([[1, 0, 2, 1], [0, 0, 0, 3]], start=2)
    >>> b.tolist(), a.tolist(), nb, na
    ([1.0, 0.0], [3.0, 3.0], 2, 2)
    """
    panel = np.asarray(counts, dtype=np.float64)
    if panel.ndim != 2:
        raise ValueError("the panel must be places x periods")
    if not 0 < start < panel.shape[1]:
        raise ValueError("start must leave at least one period before and one after")
    before = panel[:, :start].sum(axis=1)
    after = panel[:, start:].sum(axis=1)
    return before, after, start, panel.shape[1] - start


@dataclass(frozen=True)
class PlaceChange:
    """The matched comparison of one band (for a table next to the estimate)."""

    band: int
    n_patrolled: int
    n_unpatrolled: int
    change_patrolled: float
    change_unpatrolled: float

    @property
    def did(self) -> float:
        return self.change_patrolled - self.change_unpatrolled


class PatrolEffect:
    """Difference in differences of crime counts with a place bootstrap or analytic interval.

    Parameters (keyword only)
    -------------------------
    bands : optional per-place strata (e.g. ``score_bands`` of the forecast; a negative band
        leaves the place out); default: ``level_bands`` of the before counts, ``n_bands``.
    before_length, after_length : lengths of the two periods in any one unit (days, weeks);
        before counts are scaled by ``after_length / before_length``.
    interval : ``"bootstrap"`` (percentile, over places within bands) or ``"analytic"``.
    confidence : two-sided level of the interval.
    n_boot, random_state : bootstrap replicates and seed.
    min_places : fewer matched patrolled places than this gives ``"insufficient data"``.

    Fitted attributes: ``estimate_`` (crimes per patrolled place over the after period;
    negative = fewer), ``interval_`` (low, high), ``relative_`` (estimate as a share of the
    patrolled places' expected after-level without patrol, or NaN), ``verdict_``,
    ``n_patrolled_``, ``n_unpatrolled_`` (matched places), ``n_unmatched_``, ``bands_`` (a
    ``PlaceChange`` per matched band).
    """

    def __init__(
        self,
        *,
        bands: npt.ArrayLike | None = None,
        n_bands: int = 10,
        before_length: float = 1.0,
        after_length: float = 1.0,
        interval: str = "bootstrap",
        confidence: float = 0.95,
        n_boot: int = 2000,
        random_state: int | None = None,
        min_places: int = 5,
    ) -> None:
        self.bands = bands
        self.n_bands = n_bands
        self.before_length = before_length
        self.after_length = after_length
        self.interval = interval
        self.confidence = confidence
        self.n_boot = n_boot
        self.random_state = random_state
        self.min_places = min_places

    def fit(
        self, before: npt.ArrayLike, after: npt.ArrayLike, patrolled: npt.ArrayLike
    ) -> PatrolEffect:
        """Estimate the effect from per-place before/after counts and patrolled flags."""
        b, a, treated, bands = self._validate(before, after, patrolled)
        change = a - b * (self.after_length / self.before_length)
        groups = _matched_groups(change, treated, bands)
        self.bands_ = [g.summary for g in groups]
        self.n_patrolled_ = sum(g.treated.size for g in groups)
        self.n_unpatrolled_ = sum(g.control.size for g in groups)
        self.n_unmatched_ = int(b.size - self.n_patrolled_ - self.n_unpatrolled_)
        if not groups:
            self.estimate_ = float("nan")
            self.interval_ = (float("nan"), float("nan"))
            self.relative_ = float("nan")
            self.verdict_ = INSUFFICIENT
            return self
        self.estimate_ = _stratified(groups, [g.treated.mean() for g in groups])
        self.interval_ = self._interval(groups)
        scale = self.after_length / self.before_length
        self.relative_ = _relative(self.estimate_, groups, b, scale)
        self.verdict_ = self._verdict()
        return self

    def _validate(
        self, before: npt.ArrayLike, after: npt.ArrayLike, patrolled: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_], IntArray]:
        b = np.asarray(before, dtype=np.float64)
        a = np.asarray(after, dtype=np.float64)
        treated = np.asarray(patrolled, dtype=bool)
        if b.ndim != 1 or b.shape != a.shape or b.shape != treated.shape:
            raise ValueError("before, after and patrolled must be 1-d and of one length")
        if (b < 0).any() or (a < 0).any() or not np.isfinite(b).all() or not np.isfinite(a).all():
            raise ValueError("counts must be finite and not negative")
        if self.before_length <= 0 or self.after_length <= 0:
            raise ValueError("period lengths must be positive")
        if not 0 < self.confidence < 1:
            raise ValueError("confidence must lie between 0 and 1")
        if self.interval not in ("bootstrap", "analytic"):
            raise ValueError("interval must be 'bootstrap' or 'analytic'")
        if self.bands is None:
            bands = level_bands(b, self.n_bands)
        else:
            bands = np.asarray(self.bands, dtype=np.int64)
            if bands.shape != b.shape:
                raise ValueError("bands must have one entry per place")
        return b, a, treated, bands

    def _interval(self, groups: list[_Group]) -> tuple[float, float]:
        alpha = 1.0 - self.confidence
        if self.interval == "analytic":
            var = _stratified_var(groups)
            half = float(stats.norm.ppf(1 - alpha / 2) * np.sqrt(var))
            return (self.estimate_ - half, self.estimate_ + half)
        reps = _bootstrap(groups, self.n_boot, np.random.default_rng(self.random_state))
        low, high = np.quantile(reps, [alpha / 2, 1 - alpha / 2])
        return (float(low), float(high))

    def _verdict(self) -> str:
        if self.n_patrolled_ < self.min_places:
            return INSUFFICIENT
        low, high = self.interval_
        if high < 0:
            return REDUCTION
        if low > 0:
            return INCREASE
        return NO_EFFECT


@dataclass(frozen=True)
class WeekEffect:
    """The difference in differences of one week against the places' pre-period mean."""

    week: int  # 0 = the first week of patrolling, negative = weeks before it
    estimate: float  # crimes per patrolled place in that week; negative = fewer
    low: float
    high: float


def event_study(
    panel: npt.ArrayLike,
    patrolled: npt.ArrayLike,
    bands: npt.ArrayLike,
    start: int,
    *,
    confidence: float = 0.95,
    n_boot: int = 1000,
    random_state: int | None = None,
) -> list[WeekEffect]:
    """A difference in differences per week of a places x weeks panel (``start`` the first
    week of patrolling), each week's counts against the place's mean over the weeks before
    ``start``, matched within ``bands`` (negative: left out) and weighted by patrolled places,
    like ``PatrolEffect``. Weeks before ``start`` are leads: they should straddle zero when the
    two kinds of place moved alike before the patrols; weeks after show how the effect grows
    or fades. Percentile intervals from one place bootstrap shared by all weeks (resampled
    within band and kind); an empty list when no band holds both kinds.

    >>> panel = [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1]]
    >>> [(w.week, w.estimate) for w in event_study(panel, [1, 1, 0, 0], [0] * 4, 2, n_boot=10)]
    [(-2, 0.0), (-1, 0.0), (0, -1.0), (1, -1.0)]
    """
    counts = np.asarray(panel, dtype=np.float64)
    treated = np.asarray(patrolled, dtype=bool)
    strata = np.asarray(bands, dtype=np.int64)
    if counts.ndim != 2 or counts.shape[0] != treated.size or strata.shape != treated.shape:
        raise ValueError("the panel must be places x weeks, with a flag and a band per place")
    if not 0 < start < counts.shape[1]:
        raise ValueError("start must leave at least one week before and one after")
    if not 0 < confidence < 1 or n_boot < 1:
        raise ValueError("confidence must lie between 0 and 1 and n_boot be positive")
    change = counts - counts[:, :start].mean(axis=1, keepdims=True)
    pairs = [(change[g.treated_index], change[_control_index(g, strata, treated)])
             for g in _matched_groups(change[:, 0], treated, strata)]  # fmt: skip
    if not pairs:
        return []
    weights = np.array([t.shape[0] for t, _c in pairs], dtype=np.float64)
    weights /= weights.sum()
    point = sum(
        w * (t.mean(axis=0) - c.mean(axis=0)) for w, (t, c) in zip(weights, pairs, strict=True)
    )
    rng = np.random.default_rng(random_state)
    reps = sum(w * (_resampled_means(t, n_boot, rng) - _resampled_means(c, n_boot, rng))
               for w, (t, c) in zip(weights, pairs, strict=True))  # fmt: skip
    alpha = 1.0 - confidence
    low, high = np.quantile(np.asarray(reps), [alpha / 2, 1 - alpha / 2], axis=0)
    estimate = np.asarray(point)
    return [
        WeekEffect(week - start, float(estimate[week]), float(low[week]), float(high[week]))
        for week in range(counts.shape[1])
    ]


def _control_index(group: _Group, strata: IntArray, treated: npt.NDArray[np.bool_]) -> IntArray:
    return np.flatnonzero((strata == group.band) & ~treated)


def _resampled_means(rows: FloatArray, n_boot: int, rng: np.random.Generator) -> FloatArray:
    """Means of ``n_boot`` bootstrap resamples of ``rows`` (places x weeks), through
    multinomial place weights, so memory stays n_boot x places."""
    n = rows.shape[0]
    draws = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)
    means: FloatArray = draws @ rows / n
    return means


@dataclass(frozen=True)
class _Group:
    band: int
    treated: FloatArray  # changes of the patrolled places in the band
    control: FloatArray  # changes of the unpatrolled places in the band
    treated_index: IntArray

    @property
    def summary(self) -> PlaceChange:
        return PlaceChange(
            band=self.band,
            n_patrolled=int(self.treated.size),
            n_unpatrolled=int(self.control.size),
            change_patrolled=float(self.treated.mean()),
            change_unpatrolled=float(self.control.mean()),
        )


def _matched_groups(
    change: FloatArray, treated: npt.NDArray[np.bool_], bands: IntArray
) -> list[_Group]:
    groups = []
    for band in np.unique(bands[bands >= 0]):
        in_band = bands == band
        t_idx = np.flatnonzero(in_band & treated)
        c_idx = np.flatnonzero(in_band & ~treated)
        if t_idx.size and c_idx.size:
            groups.append(_Group(int(band), change[t_idx], change[c_idx], t_idx.astype(np.int64)))
    return groups


def _stratified(groups: list[_Group], treated_means: list[float] | FloatArray) -> float:
    weights = np.array([g.treated.size for g in groups], dtype=np.float64)
    did = np.asarray(treated_means) - np.array([g.control.mean() for g in groups])
    return float(weights @ did / weights.sum())


def _stratified_var(groups: list[_Group]) -> float:
    """Variance of the weighted mean of band differences (sample variances, ddof=1; a band
    with a single place of a kind contributes no variance for that kind)."""
    weights = np.array([g.treated.size for g in groups], dtype=np.float64)
    weights /= weights.sum()
    per_band = [_mean_var(g.treated) + _mean_var(g.control) for g in groups]
    return float(np.sum(weights**2 * np.array(per_band)))


def _mean_var(values: FloatArray) -> float:
    return float(values.var(ddof=1) / values.size) if values.size > 1 else 0.0


def _bootstrap(groups: list[_Group], n_boot: int, rng: np.random.Generator) -> FloatArray:
    """Replicates of the estimate, resampling places within each band and kind."""
    weights = np.array([g.treated.size for g in groups], dtype=np.float64)
    total = np.zeros(n_boot)
    for w, g in zip(weights, groups, strict=True):
        t = g.treated[rng.integers(0, g.treated.size, size=(n_boot, g.treated.size))].mean(axis=1)
        c = g.control[rng.integers(0, g.control.size, size=(n_boot, g.control.size))].mean(axis=1)
        total += w * (t - c)
    reps: FloatArray = total / weights.sum()
    return reps


def _relative(estimate: float, groups: list[_Group], before: FloatArray, scale: float) -> float:
    """The estimate over the patrolled places' counterfactual after-level: their scaled
    before-level plus the unpatrolled change of their band."""
    expected = sum(
        float(before[g.treated_index].sum() * scale + g.control.mean() * g.treated.size)
        for g in groups
    )
    n = sum(g.treated.size for g in groups)
    return estimate / (expected / n) if expected > 0 else float("nan")
