"""Request and response shapes of the reports API, and the functions that fill them.

Three views of a report, from least to most: ``public_view`` (anyone with the tracking code:
no reporter, no internal notes, no exact place), ``staff_summary`` (lists) and ``staff_detail``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from ninja import Schema
from pydantic import AwareDatetime, ConfigDict, Field

from kamtibmas.reports.models import EventKind, Kind, Report, ReportEvent, Status

# --- in ---------------------------------------------------------------------------------------


class ReporterIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=120)
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)


class ReportIn(Schema):
    """A resident's report. Send as JSON, or as multipart/form-data with this JSON in a part
    named ``data`` and up to 5 files named ``photos``."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(..., description="crime, complaint, aspiration or tip", max_length=20)
    category: str = Field(..., description="category code, e.g. curanmor", max_length=40)
    description: str = Field(..., max_length=5000)
    occurred_from: AwareDatetime | None = Field(None, description="ISO 8601 with offset")
    occurred_to: AwareDatetime | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    location_accuracy_m: float | None = Field(None, ge=0, le=100_000)
    address_text: str = Field("", max_length=300)
    kelurahan_code: str = Field("", max_length=16, description="e.g. 64.71.05.1008")
    rt: str = Field("", max_length=3)
    rw: str = Field("", max_length=3)
    reporter: ReporterIn | None = None
    keep_anonymous: bool = False
    extra: dict[str, str | int | float | bool | list[str] | None] = Field(
        default_factory=dict, description="answers to the category's extra questions"
    )


class TransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(..., description="target status: " + ", ".join(Status.values))
    reason: str = Field("", max_length=500)
    expected_version: int | None = Field(None, ge=1)
    duplicate_of: str = Field("", description="tracking code of the original report")
    referred_to: str = Field("", max_length=200)
    unit: str = Field("", description="code of the unit taking the report (assign)")


class NoteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., max_length=5000)
    public: bool = False
    expected_version: int | None = Field(None, ge=1)


class ReportFilters(Schema):
    status: str | None = None
    kind: str | None = None
    category: str | None = None
    unit: str | None = Field(None, description="unit code")
    kelurahan_code: str | None = None
    updated_since: AwareDatetime | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


# --- out --------------------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class CreatedOut(Schema):
    tracking_code: str
    status: str
    status_url: str


class Labelled(Schema):
    code: str
    label: str


class NamedOut(Schema):
    code: str
    name: str


class PublicEventOut(Schema):
    at: datetime
    kind: Labelled
    status: Labelled | None = None
    text: str = ""


class PublicReportOut(Schema):
    tracking_code: str
    kind: Labelled
    category: Labelled
    status: Labelled
    is_open: bool
    received_at: datetime
    kelurahan: str | None
    unit: str | None
    timeline: list[PublicEventOut]


class ReportSummaryOut(Schema):
    tracking_code: str
    kind: Labelled
    category: Labelled
    status: Labelled
    version: int
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    is_overdue: bool
    kelurahan: NamedOut | None
    unit: NamedOut | None
    lat: float | None
    lon: float | None
    keep_anonymous: bool
    channel: str


class ReporterOut(Schema):
    name: str
    phone: str
    email: str


class StaffEventOut(Schema):
    at: datetime
    kind: Labelled
    field: str
    old_value: str
    new_value: str
    text: str
    is_public: bool
    actor: str | None


class ReportDetailOut(ReportSummaryOut):
    description: str
    occurred_from: datetime | None
    occurred_to: datetime | None
    location_accuracy_m: float | None
    address_text: str
    rt: str
    rw: str
    extra: dict[str, Any]
    photos: int
    duplicate_of: str | None
    referred_to: str
    rejection_reason: str
    assignee: str | None
    reporter: ReporterOut | None
    reporter_hidden: bool
    allowed_transitions: list[str]
    timeline: list[StaffEventOut]


class ReportPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[ReportSummaryOut]


class NoteOut(Schema):
    version: int
    event: StaffEventOut


# --- fill -------------------------------------------------------------------------------------


def wita(value: datetime | None) -> datetime | None:
    """Machine outputs carry the local offset (+08:00, WITA)."""
    return timezone.localtime(value) if value is not None else None


def labelled(code: str, label: Any) -> dict[str, str]:
    return {"code": code, "label": str(label)}


def status_url(code: str) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/api/v1/reports/track/{code}"


def _public_event(event: ReportEvent) -> dict[str, Any]:
    data: dict[str, Any] = {
        "at": wita(event.at),
        "kind": labelled(event.kind, EventKind(event.kind).label),
    }
    if event.kind == EventKind.STATUS and event.new_value in Status.values:
        data["status"] = labelled(event.new_value, Status(event.new_value).label)
    if event.kind in (EventKind.PUBLIC_NOTE, EventKind.STATUS):
        data["text"] = event.text
    return data


def public_view(report: Report) -> dict[str, Any]:
    """What the holder of a tracking code may see: never the reporter, internal notes or the
    exact place."""
    events = report.events.filter(is_public=True).order_by("at", "pk")
    return {
        "tracking_code": report.tracking_code,
        "kind": labelled(report.kind, Kind(report.kind).label),
        "category": labelled(report.category.code, report.category.label),
        "status": labelled(report.status, Status(report.status).label),
        "is_open": report.is_open,
        "received_at": wita(report.created_at),
        "kelurahan": report.kelurahan.name if report.kelurahan else None,
        "unit": report.assigned_unit.name if report.assigned_unit else None,
        "timeline": [_public_event(e) for e in events],
    }


def _named(obj: Any) -> dict[str, str] | None:
    return {"code": obj.code, "name": obj.name} if obj is not None else None


def staff_summary(report: Report) -> dict[str, Any]:
    return {
        "tracking_code": report.tracking_code,
        "kind": labelled(report.kind, Kind(report.kind).label),
        "category": labelled(report.category.code, report.category.label),
        "status": labelled(report.status, Status(report.status).label),
        "version": report.version,
        "created_at": wita(report.created_at),
        "updated_at": wita(report.updated_at),
        "due_at": wita(report.due_at()),  # type: ignore[arg-type]
        "is_overdue": report.is_overdue(),
        "kelurahan": _named(report.kelurahan),
        "unit": _named(report.assigned_unit),
        "lat": report.lat,
        "lon": report.lon,
        "keep_anonymous": report.keep_anonymous,
        "channel": report.channel,
    }


def staff_event(event: ReportEvent) -> dict[str, Any]:
    return {
        "at": wita(event.at),
        "kind": labelled(event.kind, EventKind(event.kind).label),
        "field": event.field,
        "old_value": event.old_value,
        "new_value": event.new_value,
        "text": event.text,
        "is_public": event.is_public,
        "actor": event.actor.get_username() if event.actor is not None else None,
    }


def staff_detail(report: Report, *, show_reporter: bool, allowed: list[str]) -> dict[str, Any]:
    reporter = None
    if show_reporter:
        reporter = {
            "name": report.reporter_name,
            "phone": report.reporter_phone,
            "email": report.reporter_email,
        }
    events = report.events.select_related("actor").order_by("at", "pk")
    return {
        **staff_summary(report),
        "description": report.description,
        "occurred_from": wita(report.occurred_from),
        "occurred_to": wita(report.occurred_to),
        "location_accuracy_m": report.location_accuracy_m,
        "address_text": report.address_text,
        "rt": report.rt,
        "rw": report.rw,
        "extra": report.extra,
        "photos": report.photos.count(),
        "duplicate_of": report.duplicate_of.tracking_code if report.duplicate_of else None,
        "referred_to": report.referred_to,
        "rejection_reason": report.rejection_reason,
        "assignee": report.assignee.get_username() if report.assignee else None,
        "reporter": reporter,
        "reporter_hidden": not show_reporter,
        "allowed_transitions": allowed,
        "timeline": [staff_event(e) for e in events],
    }
