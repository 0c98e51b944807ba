"""Shapes of the forecasts API (/api/v1/forecasts): query filters and what a client gets back.

Times are ISO 8601 with the WITA offset (+08:00); coordinates are WGS 84 (lat/lon), the grid
in metres of its CRS (``crs``, UTM 50S)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class ForecastFilters(Schema):
    unit: str | None = Field(None, description="unit code, e.g. polsek-balikpapan-selatan")
    group: str | None = Field(None, description="crime group: 3c, theft, narcotics, ...")
    from_: str | None = Field(
        None,
        alias="from",
        description="windows ending after this ISO date or date-time (WITA when no offset)",
    )
    to: str | None = Field(None, description="windows starting before this ISO date or time")
    kind: str | None = Field(None, description="shift, week, or a shift name such as malam")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class UnitOut(Schema):
    code: str
    name: str


class ModelOut(Schema):
    name: str
    version: str


class ModelDetailOut(ModelOut):
    params: dict[str, Any]


class InputsOut(Schema):
    incident_count: int
    data_up_to: datetime
    crs: str
    cell_m: float
    nx: int
    ny: int


class ScoreOut(Schema):
    coverage_pct: int = Field(description="share of the unit's cells searched, in per cent")
    cells: int
    events: int
    hits: int
    hit_rate: float | None = Field(description="null when nothing happened in the window")
    pai: float | None
    scored_at: datetime


class AccuracyOut(Schema):
    """The mean over the last ``days`` days of scored forecasts of the same unit, group,
    window kind and model, at ``coverage_pct`` (the page's "accuracy so far")."""

    coverage_pct: int
    days: int
    hit_rate: float | None
    pai: float | None
    n: int = Field(description="scored forecasts with at least one incident")
    scored: int = Field(description="all scored forecasts")


class ForecastOut(Schema):
    id: int
    unit: UnitOut
    group: str
    group_label: str
    window_kind: str = Field(description="a shift name (pagi, siang, malam) or 7d")
    start: datetime
    end: datetime
    model: ModelOut
    inputs: InputsOut
    trigger: str
    created_at: datetime
    scored: bool
    score: ScoreOut | None = Field(description="this forecast's own score at 5 % coverage")
    accuracy_so_far: AccuracyOut | None


class ForecastPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[ForecastOut]


class ExplanationOut(Schema):
    lines: list[str] = Field(description="the reasons in plain words, as the page shows them")
    recent_14: int | None = None
    recent_28: int | None = None
    near_m: float | None = None
    year_count: int | None = None
    unit_mean: float | None = None
    ratio: float | None = None
    time: dict[str, Any] | None = None
    near_year: int | None = None


class CellOut(Schema):
    rank: int
    i: int = Field(description="grid row (northward)")
    j: int = Field(description="grid column (eastward)")
    score: float
    lat: float = Field(description="centre of the cell")
    lon: float
    size_m: float
    polygon: dict[str, Any] = Field(description="GeoJSON Polygon of the cell (lon, lat)")
    explanation: ExplanationOut


class ForecastDetailOut(ForecastOut):
    model: ModelDetailOut  # type: ignore[assignment]
    cells: list[CellOut]
    scores: list[ScoreOut]
    note: str
