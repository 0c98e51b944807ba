"""Every change to a report goes through here: status transitions, assignment, field edits,
notes, duplicates, escalation. Each writes an event row (timeline and audit) and bumps the
version, so two officers cannot silently overwrite each other."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kamtibmas.reports.models import EventKind, Report, ReportEvent, Status

ALLOWED: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset(
        {Status.VERIFIED, Status.REJECTED, Status.DUPLICATE, Status.REFERRED}
    ),
    Status.VERIFIED: frozenset(
        {Status.ASSIGNED, Status.REJECTED, Status.DUPLICATE, Status.REFERRED}
    ),
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.REFERRED}),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED, Status.REFERRED}),
    Status.RESOLVED: frozenset({Status.IN_PROGRESS}),
    Status.REJECTED: frozenset({Status.RECEIVED}),
    Status.DUPLICATE: frozenset({Status.RECEIVED}),
    Status.REFERRED: frozenset({Status.RECEIVED}),
}
CLOSING = frozenset({Status.RESOLVED, Status.REJECTED, Status.DUPLICATE, Status.REFERRED})

# Fields an officer may edit through update_fields, with how to render a value in the audit.
EDITABLE_FIELDS = (
    "category",
    "kelurahan",
    "lat",
    "lon",
    "address_text",
    "occurred_from",
    "occurred_to",
    "assigned_unit",
    "assignee",
    "rw",
    "rt",
)


class WorkflowError(Exception):
    """A change that the rules refuse; ``code`` is stable, ``message`` is translated."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class StaleReportError(WorkflowError):
    def __init__(self) -> None:
        super().__init__(
            "stale",
            _(
                "Someone else changed this report while you were editing. "
                "Your change was not saved; reload the page to see their change."
            ),
        )


def allowed_targets(report: Report) -> list[str]:
    return [s for s in Status.values if s in ALLOWED.get(report.status, frozenset())]


def _claim(report: Report, expected_version: int | None, **updates: Any) -> None:
    """Write ``updates`` only if nobody changed the report since ``expected_version``."""
    version = report.version if expected_version is None else expected_version
    now = timezone.now()
    count = Report.objects.filter(pk=report.pk, version=version).update(
        version=F("version") + 1, updated_at=now, **updates
    )
    if count != 1:
        raise StaleReportError()
    report.refresh_from_db()


def _event(report: Report, by: Any, kind: str, **fields: Any) -> ReportEvent:
    actor = by if getattr(by, "is_authenticated", False) else None
    return ReportEvent.objects.create(report=report, actor=actor, kind=kind, **fields)


def _ack_updates(report: Report) -> dict[str, Any]:
    if report.acknowledged_at is not None:
        return {}
    now = timezone.now()
    return {
        "acknowledged_at": now,
        "progress_due_at": now + timedelta(days=report.category.progress_every_days),
    }


def _after_public_event(report: Report, event: ReportEvent) -> None:
    from kamtibmas.notifications.services import notify_reporter

    transaction.on_commit(lambda: notify_reporter(report, event))


@transaction.atomic
def transition(
    report: Report,
    to: str,
    by: Any,
    *,
    reason: str = "",
    expected_version: int | None = None,
    **extra: Any,
) -> Report:
    """Move a report to status ``to``. Rejection needs a reason; duplicate needs
    ``duplicate_of``; referral needs ``referred_to``; assignment needs a unit."""
    if to not in ALLOWED.get(report.status, frozenset()):
        raise WorkflowError(
            "transition_not_allowed",
            _("A report that is “%(old)s” cannot become “%(new)s”.")
            % {"old": Status(report.status).label, "new": Status(to).label},
        )
    updates: dict[str, Any] = {"status": to, **_ack_updates(report)}
    updates.update(_transition_fields(report, to, reason, extra))
    updates["closed_at"] = timezone.now() if to in CLOSING else None
    old = report.status
    _claim(report, expected_version, **updates)
    event = _event(
        report,
        by,
        EventKind.STATUS,
        field="status",
        old_value=old,
        new_value=to,
        text=reason,
        is_public=True,
    )
    if to == Status.DUPLICATE and report.duplicate_of is not None:
        _event(report, by, EventKind.MERGED, new_value=report.duplicate_of.tracking_code)
    _after_public_event(report, event)
    return report


def _transition_fields(
    report: Report, to: str, reason: str, extra: dict[str, Any]
) -> dict[str, Any]:
    if to == Status.REJECTED:
        if not reason.strip():
            raise WorkflowError("reason_required", _("A reason is required to reject a report."))
        return {"rejection_reason": reason.strip()}
    if to == Status.DUPLICATE:
        original = extra.get("duplicate_of")
        if original is None or original.pk == report.pk:
            raise WorkflowError(
                "duplicate_of_required", _("Choose the report this one duplicates.")
            )
        return {"duplicate_of": original}
    if to == Status.REFERRED:
        agency = str(extra.get("referred_to", "")).strip()
        if not agency:
            raise WorkflowError("agency_required", _("Name the agency the report is referred to."))
        return {"referred_to": agency}
    if to == Status.ASSIGNED:
        unit = extra.get("unit") or report.assigned_unit
        if unit is None:
            raise WorkflowError("unit_required", _("Choose the unit that takes the report."))
        return {"assigned_unit": unit, "assignee": extra.get("assignee") or report.assignee}
    return {}


def _display(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


@transaction.atomic
def update_fields(
    report: Report, by: Any, changes: dict[str, Any], *, expected_version: int | None = None
) -> Report:
    """Change editable fields; each changed field is audited as old -> new."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise WorkflowError(
            "field_not_editable",
            _("These fields cannot be edited: %s") % ", ".join(sorted(unknown)),
        )
    diffs = {k: (getattr(report, k), v) for k, v in changes.items() if getattr(report, k) != v}
    if not diffs:
        return report
    updates = {k: new for k, (_old, new) in diffs.items()}
    if "kelurahan" in updates:
        kel = updates["kelurahan"]
        updates["kelurahan_code"] = kel.code if kel is not None else ""
    _claim(report, expected_version, **updates)
    for name, (old, new) in diffs.items():
        _event(
            report,
            by,
            EventKind.FIELD,
            field=name,
            old_value=_display(old),
            new_value=_display(new),
        )
    return report


@transaction.atomic
def add_note(
    report: Report, by: Any, text: str, *, public: bool, expected_version: int | None = None
) -> ReportEvent:
    """A public progress note (SP2HP) reaches the reporter; an internal note never does."""
    text = text.strip()
    if not text:
        raise WorkflowError("note_empty", _("The note is empty."))
    updates: dict[str, Any] = {}
    if public:
        updates.update(_ack_updates(report))
        updates["progress_due_at"] = timezone.now() + timedelta(
            days=report.category.progress_every_days
        )
    _claim(report, expected_version, **updates)
    kind = EventKind.PUBLIC_NOTE if public else EventKind.INTERNAL_NOTE
    event = _event(report, by, kind, text=text, is_public=public)
    if public:
        _after_public_event(report, event)
    return event


@transaction.atomic
def escalate(report: Report, reason: str) -> ReportEvent:
    """Mark a report overdue and tell the unit's commander (called by the SLA job)."""
    Report.objects.filter(pk=report.pk).update(escalated_at=timezone.now())
    report.refresh_from_db()
    return _event(report, None, EventKind.ESCALATED, text=reason)


@transaction.atomic
def merge_duplicate(
    report: Report, original: Report, by: Any, *, expected_version: int | None = None
) -> Report:
    """Mark ``report`` as a duplicate of ``original`` and note the merge on the original's
    timeline too (internal), so both sides of the link are visible."""
    if original.status == Status.DUPLICATE:
        raise WorkflowError(
            "duplicate_of_duplicate", _("That report is itself a duplicate; choose its original.")
        )
    transition(
        report, Status.DUPLICATE, by, duplicate_of=original, expected_version=expected_version
    )
    _event(original, by, EventKind.MERGED, old_value=report.tracking_code)
    return report
