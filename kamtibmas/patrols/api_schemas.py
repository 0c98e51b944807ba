"""Shapes of the patrols API (/api/v1/patrols): plan filters, plans, stops, visits, dosage.

Times are ISO 8601 with the WITA offset (+08:00); points are WGS 84. Visits carry times and
minutes only: never the officer, notes or who was talked to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from kamtibmas.forecasts.api_schemas import UnitOut


class PlanFilters(Schema):
    unit: str | None = Field(None, description="unit code; a Polres code means its Polsek too")
    date: str | None = Field(None, description="the shift's day, YYYY-MM-DD (WITA)")
    shift: str | None = Field(None, description="shift name, e.g. malam")
    status: str | None = Field(None, description="draft (planners only), issued or closed")
    group: str | None = Field(None, description="crime group, e.g. 3c")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class ShiftOut(Schema):
    key: str = Field(description="YYYY-MM-DD/name")
    name: str
    start: datetime
    end: datetime


class TeamOut(Schema):
    id: int
    name: str


class PlanOut(Schema):
    id: int
    unit: UnitOut
    shift: ShiftOut
    group: str
    status: str
    version: int
    forecast_run_id: int | None
    model_name: str
    created_at: datetime
    issued_at: datetime | None
    teams: list[TeamOut]
    stop_count: int = Field(description="places on the teams' routes")


class PlanPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[PlanOut]


class VisitOut(Schema):
    arrived_at: datetime
    left_at: datetime | None
    minutes: float | None = Field(description="minutes on site; null while still there")


class DosageOut(Schema):
    planned_minutes: int = Field(description="dosage x planned visits")
    actual_minutes: float
    visits_planned: int
    visits_made: int
    open_visits: int
    covered: bool = Field(description="one visit lasted at least the planned dosage")


class StopOut(Schema):
    id: int
    order: int
    team: TeamOut | None = Field(description="null: a candidate place not on a route")
    place: str
    kelurahan: str | None
    lat: float
    lon: float
    rank: int
    risk_score: float
    dosage_minutes: int
    planned_visits: int
    planned_arrivals: list[datetime]
    travel_minutes_from_previous: float | None
    added_by_commander: bool
    why: list[str]
    visits: list[VisitOut]
    dosage: DosageOut


class RouteOut(Schema):
    team: TeamOut
    on_roads: bool = Field(description="false: straight lines between the places")
    geometry: dict[str, Any] = Field(description="GeoJSON LineString (lon, lat)")


class PlanSummaryDosageOut(Schema):
    planned_minutes: int
    actual_minutes: float
    visits_planned: int
    visits_made: int
    places: int
    places_visited: int
    top_places: int
    top_covered: int
    coverage: float | None = Field(description="share of the top places covered")
    unplanned_visits: int
    unplanned_minutes: float


class PlanDetailOut(PlanOut):
    road_network: str | None
    stops: list[StopOut] = Field(description="route order per team, then candidates by rank")
    routes: list[RouteOut]
    unplanned_visits: list[VisitOut]
    dosage: PlanSummaryDosageOut
