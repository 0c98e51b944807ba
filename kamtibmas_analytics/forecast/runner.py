"""Evaluate forecasting models on an incident file: the engine of ``kamtibmas forecast evaluate``
(no Django: a notebook calls :func:`evaluate_csv` or :func:`evaluate_events` the same way).

The spans (all ``datetime`` aware; :func:`day_start` reads a date in a time zone):

* training: events before ``train_end``; they set the grid (covering them with a margin of
  ``mask_distance_m``) and the study area (:func:`~.evaluate.default_study_mask` over all
  groups, or the cells whose centre lies in ``study_area``, a shapely geometry in metres);
* test: whole periods of ``horizon_days`` from ``test_from`` ending by ``test_end``; each is
  forecast from the events before its start (:func:`~.evaluate.backtest`). Events between
  ``train_end`` and ``test_from`` (a tuning span) are history like any other; ``auto`` tunes
  itself on the periods just before each of its refits.

Each group (a name and its categories) is evaluated on its own events, on the same grid and
study area, so hit rates of groups are comparable.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from os import PathLike
from typing import Any

import numpy as np

from kamtibmas_analytics.forecast.base import DAY_S, Events, Forecaster
from kamtibmas_analytics.forecast.evaluate import (
    DEFAULT_MASK_DISTANCE_M,
    Progress,
    backtest,
    default_study_mask,
    period_starts,
    result_rows,
)
from kamtibmas_analytics.forecast.metrics import DEFAULT_COVERAGES
from kamtibmas_analytics.grid import Grid
from kamtibmas_analytics.io import read_incidents_csv
from kamtibmas_analytics.projection import to_metres

__all__ = [
    "Evaluation",
    "EvaluationSpec",
    "day_start",
    "evaluate_csv",
    "evaluate_events",
    "read_events_csv",
    "read_study_area",
]

ALL_GROUPS = "all"


def day_start(text: str, tz: tzinfo) -> datetime:
    """The start of the day ``YYYY-MM-DD`` in ``tz``; ValueError for anything else."""
    day = date.fromisoformat(text.strip())
    return datetime(day.year, day.month, day.day, tzinfo=tz)


@dataclass(frozen=True)
class EvaluationSpec:
    """What to evaluate. ``train_end`` and ``test_end`` are exclusive ends."""

    train_end: datetime
    test_from: datetime
    test_end: datetime
    models: tuple[str, ...]
    cell_m: float = 150.0
    horizon_days: float = 7.0
    groups: Mapping[str, Sequence[str]] | None = None
    coverages: tuple[float, ...] = DEFAULT_COVERAGES
    seed: int = 0
    n_boot: int = 1000
    mask_distance_m: float = DEFAULT_MASK_DISTANCE_M
    study_area: Any = None
    auto_candidates: tuple[str, ...] | None = None

    def check(self) -> None:
        """ValueError with a plain message for an impossible spec."""
        from kamtibmas_analytics.forecast import MODEL_NAMES

        unknown = [m for m in self.models if m not in MODEL_NAMES]
        for name in unknown + [m for m in self.auto_candidates or () if m not in MODEL_NAMES]:
            raise ValueError(f"unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")
        if not self.models:
            raise ValueError("no model to evaluate")
        if not (self.cell_m > 0 and self.horizon_days > 0):
            raise ValueError("the cell size and the horizon must be > 0")
        if self.train_end > self.test_from:
            raise ValueError("the training span must end before the test span starts")
        if not self.starts():
            raise ValueError("the test span holds no whole forecast period")

    def starts(self) -> list[float]:
        return period_starts(
            self.test_from.timestamp(), self.test_end.timestamp(), self.horizon_days * DAY_S
        )

    def factory(self, name: str) -> Any:
        from kamtibmas_analytics.forecast import make_model

        params: dict[str, Any] = {}
        if name == "auto":
            params["horizon_days"] = self.horizon_days
            if self.auto_candidates:
                params["candidates"] = list(self.auto_candidates)

        def build() -> Forecaster:
            return make_model(name, **params)

        return build


@dataclass
class Evaluation:
    """Result rows plus what a reader needs to trust them."""

    rows: list[dict[str, Any]]
    skipped: dict[str, dict[str, str]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


def evaluate_events(
    events: Events, spec: EvaluationSpec, *, crs: str = "", progress: Progress | None = None
) -> Evaluation:
    """Evaluate ``spec.models`` per group on ``events`` (projected metres; ``category`` needed
    when ``spec.groups`` is given)."""
    spec.check()
    started = time.process_time()
    train = events.before(spec.train_end.timestamp())
    if len(train) == 0:
        raise ValueError("no located event before the end of the training span")
    xs, ys = train.x, train.y
    if spec.study_area is not None:  # the grid also covers the whole study area
        xmin, ymin, xmax, ymax = spec.study_area.bounds
        xs, ys = np.append(xs, [xmin, xmax]), np.append(ys, [ymin, ymax])
    grid = Grid.covering(xs, ys, cell_m=spec.cell_m, margin_m=spec.mask_distance_m)
    if spec.study_area is not None:
        mask = grid.mask_polygon(spec.study_area)
    else:
        mask = default_study_mask(train, grid, spec.mask_distance_m)
    groups = _group_events(events, spec.groups)
    starts = spec.starts()
    out = Evaluation(rows=[])
    per_group: dict[str, Any] = {}
    for g, (name, group_events) in enumerate(groups.items()):
        result = backtest(
            group_events,
            grid,
            {m: spec.factory(m) for m in spec.models},
            starts=starts,
            horizon_s=spec.horizon_days * DAY_S,
            mask=mask,
            coverages=spec.coverages,
            progress=_group_progress(progress, name, g, len(groups)),
        )
        extra = {"group": name} if spec.groups else {}
        out.rows += result_rows(result, n_boot=spec.n_boot, seed=spec.seed, extra=extra)
        if result.skipped:
            out.skipped[name] = result.skipped
        per_group[name] = {
            "events_test": int(sum(result.events_in_area)) + result.events_outside,
            "events_outside_study_area": result.events_outside,
            "cpu_s": {m: round(r.fit_cpu_s + r.predict_cpu_s, 2) for m, r in result.runs.items()},
            "models": {m: r.description for m, r in result.runs.items()},
        }
    out.info = {
        "crs": crs,
        "grid": {
            "x0_m": grid.x0_m,
            "y0_m": grid.y0_m,
            "cell_m": grid.cell_m,
            "nx": grid.nx,
            "ny": grid.ny,
        },
        "study_cells": int(mask.sum()),
        "periods": len(starts),
        "groups": per_group,
        "cpu_s": round(time.process_time() - started, 2),
    }
    return out


def _group_progress(
    progress: Progress | None, name: str, index: int, count: int
) -> Progress | None:
    if progress is None:
        return None

    def report(done: int, total: int, message: str) -> None:
        progress(index * total + done, count * total, f"[{name}] {message}")

    return report


def _group_events(events: Events, groups: Mapping[str, Sequence[str]] | None) -> dict[str, Events]:
    if not groups:
        return {ALL_GROUPS: events}
    if events.category is None:
        raise ValueError("groups need the events' categories")
    labels = np.asarray([str(c).strip() for c in events.category], dtype=object)
    return {name: events.select(np.isin(labels, list(cats))) for name, cats in groups.items()}


def evaluate_csv(
    path: str | PathLike[str],
    spec: EvaluationSpec,
    *,
    crs: str | None = None,
    category_column: str = "category",
    default_tz: tzinfo | None = None,
    progress: Progress | None = None,
) -> Evaluation:
    """Read a canonical incident CSV (lat/lon projected to ``crs``, default the local UTM zone)
    and :func:`evaluate_events`. Times without an offset are read in ``default_tz``."""
    events, used_crs, without = read_events_csv(
        path, crs=crs, category_column=category_column, default_tz=default_tz
    )
    result = evaluate_events(events, spec, crs=used_crs, progress=progress)
    result.info["events_without_location"] = without
    return result


def read_events_csv(
    path: str | PathLike[str],
    *,
    crs: str | None = None,
    category_column: str = "category",
    default_tz: tzinfo | None = None,
) -> tuple[Events, str, int]:
    """(events in metres, the CRS used, incidents without a location) from a canonical CSV."""
    arrays = read_incidents_csv(path, default_tz=default_tz)
    categories = arrays.category
    if category_column != "category":
        categories = _column(path, category_column, len(arrays))
    located = arrays.has_location
    if not located.any():
        raise ValueError("no incident in the file has a location")
    x, y, used = to_metres(arrays.lon[located], arrays.lat[located], crs)
    events = Events.from_windows(
        x, y, arrays.t_from[located], arrays.t_to[located], categories[located]
    )
    return events, used, int((~located).sum())


def _column(path: str | PathLike[str], name: str, rows: int) -> np.ndarray:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
        if name not in header:
            raise ValueError(f"the file has no column {name!r}")
        k = header.index(name)
        values = [row[k] if k < len(row) else "" for row in reader if row]
    if len(values) != rows:
        raise ValueError(f"column {name!r} has {len(values)} values for {rows} rows")
    return np.asarray([v.strip() for v in values], dtype=object)


def read_study_area(path: str | PathLike[str], crs: str) -> Any:
    """The union of the polygons of a GeoJSON file (lon/lat, WGS 84) in metres of ``crs``."""
    import json

    import shapely
    from shapely.geometry import shape

    from kamtibmas_analytics.projection import WGS84, reproject

    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if data.get("type") == "FeatureCollection":
        geometries = [f["geometry"] for f in data.get("features", []) if f.get("geometry")]
    elif data.get("type") == "Feature":
        geometries = [data["geometry"]]
    else:
        geometries = [data]
    parts = [shape(g) for g in geometries]
    area = shapely.union_all([p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")])
    if area.is_empty:
        raise ValueError(f"{path}: no polygon")

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = reproject(coords[:, 0], coords[:, 1], WGS84, crs)
        return np.column_stack([x, y])

    return shapely.transform(area, project)


def next_day(value: datetime) -> datetime:
    """The start of the day after ``value`` (for inclusive end dates), same time zone."""
    return (value + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
