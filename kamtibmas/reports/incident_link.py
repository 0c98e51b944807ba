"""A verified crime report becomes an incident record: the analysable history.

The incident carries no personal data: no names, no contact, only what analysis needs."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kamtibmas.incidents import services as incident_services
from kamtibmas.incidents.models import Incident
from kamtibmas.reports.models import EventKind, Kind, Report, ReportEvent, Status
from kamtibmas.reports.workflow import WorkflowError

# Statuses in which a report counts as verified (or later on the way to resolution).
VERIFIED_OR_LATER = frozenset(
    {Status.VERIFIED, Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED}
)


def has_incident(report: Report) -> bool:
    return Incident.objects.filter(source_report=report).exists()


def incident_of(report: Report) -> Incident | None:
    return Incident.objects.filter(source_report=report).first()


def can_create_incident(report: Report) -> bool:
    """Whether the rules allow it now (permission is checked by the caller)."""
    return (
        report.kind == Kind.CRIME
        and report.status in VERIFIED_OR_LATER
        and not has_incident(report)
    )


def check(report: Report) -> None:
    """Raise WorkflowError with a translated message when the report cannot become one."""
    if report.kind != Kind.CRIME:
        raise WorkflowError(
            "incident_not_crime", _("Only crime reports can become incident records.")
        )
    if report.status not in VERIFIED_OR_LATER:
        raise WorkflowError(
            "incident_not_verified", _("Verify the report before creating an incident record.")
        )
    if has_incident(report):
        raise WorkflowError(
            "incident_exists", _("An incident record already exists for this report.")
        )


def _incident_for(report: Report) -> Incident:
    return Incident(
        category=report.category.code,
        occurred_from=report.occurred_from,
        occurred_to=report.occurred_to,
        reported_at=report.created_at,
        lat=report.lat,
        lon=report.lon,
        location_accuracy_m=report.location_accuracy_m,
        kelurahan=report.kelurahan,
        kelurahan_code=report.kelurahan_code,
        unit=report.assigned_unit,
        source_report=report,
        is_synthetic=report.is_synthetic,
    )


def create_incident(report: Report, by: Any) -> Incident:
    """Create the incident record for ``report`` and note it on the timeline.

    Refused (WorkflowError) for non-crime reports, reports not yet verified, and twice."""
    with transaction.atomic():
        locked = (
            Report.objects.select_for_update(of=("self",))
            .select_related("category", "kelurahan", "assigned_unit")
            .get(pk=report.pk)
        )
        check(locked)
        try:
            with transaction.atomic():
                incident = _incident_for(locked)
                incident.save()
        except IntegrityError:
            raise WorkflowError(
                "incident_exists", _("An incident record already exists for this report.")
            ) from None
        incident_services.record_creation(incident, by)
        actor = by if getattr(by, "is_authenticated", False) else None
        ReportEvent.objects.create(
            report=locked, actor=actor, kind=EventKind.INCIDENT, new_value=str(incident.pk)
        )
    return incident
