"""Making forecasts: one fit per unit and crime group, one stored run per window.

``make_forecasts`` is the one entry point of the nightly task, the command and the "make now"
button. It is idempotent: a run exists at most once per unit, group, window and model
version, and an existing one is kept (never recomputed with newer data: a stored forecast
is what was advised at the time).

The model comes from ``KAMTIBMAS_FORECAST_MODEL`` (default ``auto``, choosing per unit and
crime group among ``KAMTIBMAS_FORECAST_AUTO_CANDIDATES`` by rolling validation on the incidents
before the forecast; a nightly batch takes seconds). When that
model's module is not installed, the next of ``FALLBACK_MODELS`` that is, is used and a
warning logged; with none of them an error is raised: there is no made-up forecast.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kamtibmas.forecasts import data
from kamtibmas.forecasts.explain import NEAR_M, explain_cells
from kamtibmas.forecasts.groups import CRIME_GROUPS
from kamtibmas.forecasts.models import WEEK_KIND, ForecastCell, ForecastEvent, ForecastRun
from kamtibmas.forecasts.shifts import shift_at
from kamtibmas.forecasts.surface import METRIC_CRS, RiskSurface
from kamtibmas.forecasts.windows import WEEK, Window
from kamtibmas.geo.models import Unit
from kamtibmas_analytics import projection
from kamtibmas_analytics.forecast import Events, Forecaster, make_model, model_class
from kamtibmas_analytics.forecast.base import DAY_S, check_scores
from kamtibmas_analytics.forecast.timeofday import time_of_day_factor

logger = logging.getLogger(__name__)

WITA_OFFSET_S = 8 * 3600.0  # Asia/Makassar has no daylight saving
FALLBACK_MODELS = ("prospective", "long_run", "retrospective_kde")


class ForecastError(Exception):
    """A forecast cannot be made (no model installed, a unit without an area...)."""


def top_cell_count() -> int:
    """Cells kept per forecast with their explanation (``KAMTIBMAS_FORECAST_TOP_CELLS``)."""
    return int(settings.FORECAST_TOP_CELLS)


def _installed(name: str) -> bool:
    try:
        model_class(name)
    except ImportError:
        return False
    return True


def build_model(name: str) -> Forecaster:
    """A new model ``name``; ``auto`` chooses among the configured candidates."""
    if name == "auto":
        return make_model(name, candidates=list(settings.FORECAST_AUTO_CANDIDATES))
    return make_model(name)


def resolve_model(requested: str | None = None) -> str:
    """The model to use: ``requested``, else the setting; a missing module falls back.

    ValueError for an unknown name, ForecastError when no model is installed."""
    name = requested or settings.FORECAST_MODEL
    if _installed(name):  # ValueError for an unknown name
        return name
    for fallback in FALLBACK_MODELS:
        if fallback != name and _installed(fallback):
            logger.warning("forecast model %s is not installed; using %s", name, fallback)
            return fallback
    raise ForecastError(f"no forecasting model is installed (wanted {name})")


@dataclass
class Summary:
    made: list[ForecastRun] = field(default_factory=list)
    existing: list[ForecastRun] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why a unit/group got nothing

    @property
    def runs(self) -> list[ForecastRun]:
        return [*self.made, *self.existing]


@dataclass
class _Context:
    at: datetime
    model_name: str
    trigger: str
    user: Any
    events: dict[str, Events] = field(default_factory=dict)

    def group_events(self, group: str) -> Events:
        if group not in self.events:
            self.events[group] = data.load_events(data.group_incidents(group, self.at))
        return self.events[group]


def _existing(
    unit: Unit, group: str, windows: list[Window], name: str, version: str
) -> dict[tuple[str, datetime], ForecastRun]:
    """The stored runs of these windows by (kind, start), in one query."""
    runs = ForecastRun.objects.filter(
        unit=unit,
        group=group,
        start__in={w.start for w in windows},
        model_name=name,
        model_version=version,
    ).select_related("unit")
    return {(r.window_kind, r.start): r for r in runs}


def make_forecasts(
    units: Iterable[Unit],
    groups: Iterable[str],
    windows: list[Window],
    *,
    at: datetime | None = None,
    model_name: str | None = None,
    trigger: str = ForecastRun.Trigger.CLI,
    user: Any = None,
) -> Summary:
    """Forecasts of every unit x group for ``windows``, made with data before ``at`` (now)."""
    name = resolve_model(model_name)
    ctx = _Context(at or timezone.now(), name, trigger, user)
    summary = Summary()
    group_list = list(groups)
    for group in group_list:
        if group not in CRIME_GROUPS:
            raise ValueError(f"unknown crime group {group!r}")
    for unit in units:
        area = data.unit_area(unit)
        if area is None:
            summary.skipped.append(f"{unit.code}: no area")
            continue
        for group in group_list:
            _unit_group(ctx, area, group, windows, summary)
    return summary


def _unit_group(
    ctx: _Context, area: data.UnitArea, group: str, windows: list[Window], summary: Summary
) -> None:
    version = model_class(ctx.model_name).version
    stored = _existing(area.unit, group, windows, ctx.model_name, version)
    todo = []
    for window in windows:
        found = stored.get((window.kind, window.start))
        if found is None:
            todo.append(window)
        else:
            summary.existing.append(found)
    if not todo:
        return
    # Never learn from the future of a window: fit on what was known before the first one.
    cutoff = min(ctx.at, *(w.start for w in todo))
    history = _history(ctx, area, group, cutoff)
    model = build_model(ctx.model_name).fit(history, area.grid)
    for window in todo:
        run = _store(ctx, area, group, window, model, history, cutoff)
        if run is not None:
            summary.made.append(run)


def _history(ctx: _Context, area: data.UnitArea, group: str, cutoff: datetime) -> Events:
    """The group's incidents in and around the unit's grid before ``cutoff``."""
    near = data.events_in(ctx.group_events(group), area.grid, margin_m=NEAR_M)
    return near.before(cutoff.timestamp())


def window_of(start: datetime, end: datetime) -> Window:
    """The window ``[start, end)``, named by its shift when it is exactly one, else "custom"."""
    shift = shift_at(start)
    if shift.start == start and shift.end == end:
        return Window(shift.name, start, end)
    return Window(WEEK_KIND if end - start == WEEK else "custom", start, end)


def compute_surface(
    unit: Unit,
    group: str,
    start: datetime,
    end: datetime,
    *,
    at: datetime | None = None,
    model_name: str | None = None,
) -> RiskSurface:
    """A forecast for ``[start, end)`` computed now and not stored (``run_id`` None), from
    the incidents before ``start`` (or before ``at`` if earlier)."""
    name = resolve_model(model_name)
    area = data.unit_area(unit)
    if area is None:
        raise ForecastError(f"unit {unit.code} has no area")
    cutoff = min(at or timezone.now(), start)
    history = _history(_Context(cutoff, name, "", None), area, group, cutoff)
    model = build_model(name).fit(history, area.grid)
    window = window_of(start, end)
    scores = predict(model, history, window, area)
    surface = RiskSurface(area.grid, scores, area.mask, unit.pk, group, start, end, name)
    cells = _cells(surface, history, window, area)
    return replace(surface, explanations={(c["i"], c["j"]): c["explanation"] for c in cells})


def predict(model: Forecaster, history: Events, window: Window, area: data.UnitArea) -> Any:
    """The model's scores for the window (events before its start only), zero outside.

    For a window shorter than a day (a shift) the scores are multiplied by each cell's
    time-of-day factor (``kamtibmas_analytics.forecast.timeofday``): where the place's past
    incidents happened at the shift's hours, so that the malam forecast is not the pagi one."""
    t0 = window.start.timestamp()
    past = history.before(t0)
    scores = check_scores(model.predict(past, t0, window.horizon_s), area.grid)
    if window.horizon_s < DAY_S:
        scores = scores * time_of_day_factor(
            past, area.grid, t0, window.horizon_s, utc_offset_s=WITA_OFFSET_S
        )
    return np.where(area.mask, scores, 0.0)


def _cells(
    surface: RiskSurface, history: Events, window: Window, area: data.UnitArea
) -> list[dict[str, Any]]:
    # A cell with a zero score is not a place to go: an empty history gives no top cells.
    top = [cell for cell in surface.top_cells(top_cell_count()) if cell[2] > 0]
    ij = [(i, j) for i, j, _score in top]
    why = explain_cells(history, area.grid, area.mask, ij, window.start, window.shift)
    rows = np.array([i for i, _j in ij], dtype=np.intp)
    cols = np.array([j for _i, j in ij], dtype=np.intp)
    grid = area.grid
    lon, lat = projection.to_lonlat(grid.x_centers[cols], grid.y_centers[rows], METRIC_CRS)
    return [
        {
            "rank": k + 1,
            "i": i,
            "j": j,
            "score": score,
            "lat": round(float(lat[k]), 6),
            "lon": round(float(lon[k]), 6),
            "explanation": why[k],
        }
        for k, (i, j, score) in enumerate(top)
    ]


def _store(
    ctx: _Context,
    area: data.UnitArea,
    group: str,
    window: Window,
    model: Forecaster,
    history: Events,
    cutoff: datetime,
) -> ForecastRun | None:
    scores = predict(model, history, window, area)
    grid = area.grid
    surface = RiskSurface(
        grid, scores, area.mask, area.unit.pk, group, window.start, window.end, ctx.model_name
    )
    cells = _cells(surface, history, window, area)
    described = model.describe()
    try:
        with transaction.atomic():
            run = ForecastRun.objects.create(
                unit=area.unit,
                group=group,
                window_kind=window.kind,
                start=window.start,
                end=window.end,
                model_name=ctx.model_name,
                model_version=str(described["version"]),
                model_params=_fitted_params(described),
                incident_count=len(history),
                data_up_to=cutoff,
                crs=METRIC_CRS,
                x0_m=grid.x0_m,
                y0_m=grid.y0_m,
                cell_m=grid.cell_m,
                nx=grid.nx,
                ny=grid.ny,
                surface=ForecastRun.pack(scores, area.mask),
                trigger=ctx.trigger,
                created_by=ctx.user if getattr(ctx.user, "is_authenticated", False) else None,
            )
            ForecastCell.objects.bulk_create(ForecastCell(run=run, **cell) for cell in cells)
            log(run, ForecastEvent.Action.MADE, ctx.user, trigger=ctx.trigger)
    except IntegrityError:  # made meanwhile by another worker
        logger.info("forecast of %s %s %s exists already", area.unit.code, group, window.kind)
        return None
    logger.info("forecast %s made (%s, %d incidents)", run.pk, ctx.model_name, len(history))
    return run


def _fitted_params(described: dict[str, Any]) -> dict[str, Any]:
    """The model's parameters, plus what ``auto`` chose and why (its validation scores)."""
    params = dict(described["params"])
    for key in ("choice", "validation", "skipped"):
        if described.get(key):
            params[key] = _json_safe(described[key])
    return params


def _json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None (JSON has no such numbers; a validation
    span without incidents scores NaN)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value


def log(run: ForecastRun, action: str, user: Any = None, **detail: Any) -> ForecastEvent:
    """Append an event to the forecast's log (made, scored, viewed, exported)."""
    actor = user if getattr(user, "is_authenticated", False) else None
    return ForecastEvent.objects.create(run=run, action=action, actor=actor, detail=detail)
