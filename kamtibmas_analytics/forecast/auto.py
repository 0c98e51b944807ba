"""``auto``: choose or blend the other models by rolling validation inside the training span.

``fit(history, grid)`` sees only events before the cut-off, and so does everything it does:

1. the validation span is the last ``validation_periods`` periods of ``horizon_days`` before
   the newest event of ``history`` (the cut-off is not passed to ``fit``; the newest event is
   the latest moment the history is known to cover);
2. every candidate (all registered models but ``auto``, or ``candidates``, plus a few
   parameter variants: ``EXTRA_VARIANTS``) is fitted once on
   the events before the validation span and predicts each validation period from the events
   before that period's start, as in the backtest;
3. each option is scored by the mean pooled PAI at ``criterion_coverages`` (default 1, 2 and
   5 % of the study area: the cells within 500 m of an event before the validation span).
   Options are each candidate alone and equal blends of the best two and best three: a blend
   sums the members' surfaces each normalised to sum 1 over the grid;
4. the best option wins (on a tie the earlier: singles before blends). Its members are the
   candidates as fitted for the validation (on the events before the validation span; every
   prediction still uses all events before its start); with ``refit_members=True`` they are
   refitted on the whole history (twice the fitting cost).

A candidate whose construction or fit raises ImportError or NotImplementedError (a model not
built or whose libraries are missing) is skipped and listed in ``skipped_``.

Cost per fit: one fit per candidate plus ``validation_periods`` predictions each;
``refit_periods`` = 13 (a quarter of weekly periods) bounds it in a
backtest, while every prediction still uses the newest events.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from kamtibmas_analytics.forecast.base import DAY_S, Events, FloatArray, Forecaster
from kamtibmas_analytics.forecast.evaluate import UNAVAILABLE, default_study_mask
from kamtibmas_analytics.forecast.metrics import PeriodScore, period_scores, summarise
from kamtibmas_analytics.grid import Grid

__all__ = ["Auto"]

BoolArray = np.ndarray

#: Variants auto also tries by default: the long-run count over all history (best for rare
#: crime in the Vancouver tuning year 2024, see benchmarks/RESULTS.md).
EXTRA_VARIANTS: tuple[dict[str, Any], ...] = (
    {"model": "long_run", "params": {"window_days": None}},
)


class Auto(Forecaster):
    """Chooses or blends models per crime group (one ``Auto`` per group's events).

    Parameters: ``candidates`` (list of model names or ``{"model", "params"}`` variants,
    default all registered but ``auto``), ``variants`` (bool, default True: also try
    ``EXTRA_VARIANTS``),
    ``horizon_days`` (float, default 7: the period of the validation), ``validation_periods``
    (int, default 12), ``criterion_coverages`` (default ``[0.01, 0.02, 0.05]``),
    ``refit_members`` (bool, default False).

    After ``fit``: ``choice_`` (members and weights), ``validation_`` (criterion per option),
    ``skipped_`` (candidate -> reason).
    """

    name = "auto"
    refit_periods = 13

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.horizon_s = float(params.get("horizon_days", 7.0)) * DAY_S
        self.n_validation = int(params.get("validation_periods", 12))
        self.criterion = tuple(
            float(c) for c in params.get("criterion_coverages", (0.01, 0.02, 0.05))
        )
        if not self.horizon_s > 0 or self.n_validation < 1 or not self.criterion:
            raise ValueError("auto needs horizon_days > 0, validation_periods >= 1, coverages")
        self.members_: list[Forecaster] = []
        self.weights_: list[float] = []
        self.choice_: dict[str, Any] = {}
        self.validation_: dict[str, float] = {}
        self.skipped_: dict[str, str] = {}

    def candidates(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """label -> (model name, params) of every candidate.

        An entry of ``candidates`` is a model name or ``{"model": name, "params": {...}}``
        (a variant, labelled ``name(key=value)``); default every registered model but ``auto``.
        With ``variants`` (default True) the ``EXTRA_VARIANTS`` of the candidate models are
        added.
        """
        from kamtibmas_analytics.forecast import MODEL_NAMES

        entries = list(self._params.get("candidates") or MODEL_NAMES)
        entries = [e for e in entries if e != self.name]
        if self._params.get("variants", True):
            named = {e if isinstance(e, str) else e["model"] for e in entries}
            entries += [v for v in EXTRA_VARIANTS if v["model"] in named]
        out: dict[str, tuple[str, dict[str, Any]]] = {}
        for entry in entries:
            name, params = (
                (entry, {}) if isinstance(entry, str) else (entry["model"], entry["params"])
            )
            if name not in MODEL_NAMES or name == self.name:
                raise ValueError(f"auto: unknown or invalid candidate: {name!r}")
            out[_label(name, params)] = (name, dict(params))
        return out

    def _build(self, label: str, spec: tuple[str, dict[str, Any]]) -> Forecaster | None:
        from kamtibmas_analytics.forecast import make_model

        try:
            return make_model(spec[0], **spec[1])
        except UNAVAILABLE as exc:
            self.skipped_[label] = f"{type(exc).__name__}: {exc}"
            return None

    def _fit_or_skip(self, label: str, model: Forecaster, history: Events, grid: Grid) -> bool:
        try:
            model.fit(history, grid)
        except UNAVAILABLE as exc:
            self.skipped_[label] = f"{type(exc).__name__}: {exc}"
            return False
        return True

    def fit(self, history: Events, grid: Grid) -> Self:
        self.grid = grid
        self.skipped_ = {}
        end = float(history.t[-1]) + 1.0 if len(history) else 0.0
        starts = [end - (self.n_validation - k) * self.horizon_s for k in range(self.n_validation)]
        fitted, surfaces = self._validate(history, grid, starts)
        if not surfaces:
            raise NotImplementedError("auto: no candidate model is available")
        mask = default_study_mask(history.before(starts[0]), grid)
        if not mask.any():
            mask = np.ones(grid.shape, dtype=bool)
        truths = [history.between(s, s + self.horizon_s).counts(grid) for s in starts]
        options = _options(surfaces, truths, mask, self.criterion)
        self.validation_ = {label: value for label, _members, value in options}
        label, members, _value = max(options, key=lambda o: np.nan_to_num(o[2], nan=-1.0))
        self.choice_ = {"option": label, "members": members}
        self.weights_ = [1.0 / len(members)] * len(members)
        self.members_ = []
        specs = self.candidates()
        for member in members:
            model = fitted[member]
            if self._params.get("refit_members", False):
                model = self._build(member, specs[member]) or model
                self._fit_or_skip(member, model, history, grid)
            self.members_.append(model)
        recent = history.between(end - self.n_validation * self.horizon_s, end)
        self.rate_ = len(recent) / (self.n_validation * self.horizon_s)
        return self

    def _validate(
        self, history: Events, grid: Grid, starts: list[float]
    ) -> tuple[dict[str, Forecaster], dict[str, list[FloatArray]]]:
        """Each available candidate fitted before ``starts[0]``, and its validation surfaces."""
        train = history.before(starts[0])
        fitted: dict[str, Forecaster] = {}
        surfaces: dict[str, list[FloatArray]] = {}
        for label, spec in self.candidates().items():
            model = self._build(label, spec)
            if model is None or not self._fit_or_skip(label, model, train, grid):
                continue
            fitted[label] = model
            surfaces[label] = [model.predict(history.before(s), s, self.horizon_s) for s in starts]
        return fitted, surfaces
        return surfaces

    def predict(self, history: Events, start: float, horizon_s: float) -> FloatArray:
        grid = self._fitted_grid()
        if not self.members_:
            raise RuntimeError("auto: fit() chose no model")
        past = history.before(start)
        if len(self.members_) == 1:
            return self.members_[0].predict(past, start, horizon_s)
        total = np.zeros(grid.shape)
        for weight, member in zip(self.weights_, self.members_, strict=True):
            total += weight * _normalised(member.predict(past, start, horizon_s))
        return total * self.rate_ * horizon_s

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        if self.choice_:
            out["choice"] = dict(self.choice_)
            out["validation"] = dict(self.validation_)
            out["skipped"] = dict(self.skipped_)
        return out


def _blend(surfaces: list[FloatArray]) -> FloatArray:
    """The mean of the surfaces each normalised to sum 1."""
    total = np.zeros(surfaces[0].shape)
    for surface in surfaces:
        total += _normalised(surface)
    return total / len(surfaces)


def _label(name: str, params: dict[str, Any]) -> str:
    if not params:
        return name
    return name + "(" + ", ".join(f"{k}={v!r}" for k, v in sorted(params.items())) + ")"


def _normalised(surface: FloatArray) -> FloatArray:
    total = float(surface.sum())
    return surface / total if total > 0 else surface


def _criterion(
    periods: list[FloatArray],
    truths: list[FloatArray],
    mask: BoolArray,
    coverages: tuple[float, ...],
) -> float:
    scores: list[PeriodScore] = [
        period_scores(s, t, mask, coverages) for s, t in zip(periods, truths, strict=True)
    ]
    summary = summarise(scores, coverages, n_boot=1)
    return float(np.mean([s.pai for s in summary]))


def _options(
    surfaces: dict[str, list[FloatArray]],
    truths: list[FloatArray],
    mask: BoolArray,
    coverages: tuple[float, ...],
) -> list[tuple[str, list[str], float]]:
    """(label, members, criterion) for each single candidate and the top-2/top-3 blends."""
    singles = [
        (name, [name], _criterion(s, truths, mask, coverages)) for name, s in surfaces.items()
    ]
    ranked = sorted(singles, key=lambda o: -np.nan_to_num(o[2], nan=-1.0))
    options = list(singles)
    for size in (2, 3):
        if len(ranked) < size:
            break
        members = [o[0] for o in ranked[:size]]
        blended = [_blend([surfaces[m][k] for m in members]) for k in range(len(truths))]
        label = "blend(" + "+".join(members) + ")"
        options.append((label, members, _criterion(blended, truths, mask, coverages)))
    return options
