"""Service levels: find open reports past their deadline and escalate each one once.

A report's deadline is ``Report.due_at()``: the acknowledgement deadline until an officer
acknowledges it, then the next progress-note deadline. A report is escalated for a deadline
when ``escalated_at`` is on or after that deadline, so running the check twice escalates once,
and a later, missed progress deadline escalates again.

>>> from kamtibmas.reports import sla
>>> sla.escalate_overdue()  # doctest: +SKIP
0
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import User
from kamtibmas.geo.models import Unit
from kamtibmas.notifications.services import notify_officers
from kamtibmas.reports import workflow
from kamtibmas.reports.models import OPEN_STATUSES, Report

logger = logging.getLogger(__name__)


def _not_escalated_since(field: str) -> Q:
    return Q(escalated_at__isnull=True) | Q(escalated_at__lt=F(field))


def overdue(now: datetime | None = None) -> QuerySet[Report]:
    """Open reports past their current deadline and not yet escalated for it."""
    now = now or timezone.now()
    ack_missed = Q(acknowledged_at__isnull=True, ack_due_at__lt=now) & _not_escalated_since(
        "ack_due_at"
    )
    progress_missed = Q(
        acknowledged_at__isnull=False, progress_due_at__lt=now
    ) & _not_escalated_since("progress_due_at")
    return (
        Report.objects.filter(status__in=OPEN_STATUSES)
        .filter(ack_missed | progress_missed)
        .order_by("pk")
    )


def needs_escalation(report: Report, now: datetime) -> bool:
    """The same rule as ``overdue()`` for one report already in memory."""
    due = report.due_at()
    if not isinstance(due, datetime) or due >= now:
        return False
    return report.escalated_at is None or report.escalated_at < due


def commanders_for(report: Report) -> list[User]:
    """Active commanders with an e-mail of the report's unit and of the unit above it.

    A report with no unit goes to the Polres commanders."""
    units: list[Unit] = []
    if report.assigned_unit is not None:
        units.append(report.assigned_unit)
        if report.assigned_unit.parent is not None:
            units.append(report.assigned_unit.parent)
    else:
        units = list(Unit.objects.filter(kind=Unit.Kind.POLRES, is_active=True))
    return list(
        User.objects.filter(unit__in=units, groups__name=roles.COMMANDER, is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def _staff_url(report: Report) -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    for name, kwargs in (("reports:detail", {"code": report.tracking_code}), ("reports:inbox", {})):
        try:
            return base + reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return base + "/"


def _reason(report: Report, due: datetime) -> str:
    when = formats.date_format(timezone.localtime(due), "DATETIME_FORMAT")
    if report.acknowledged_at is None:
        return _("Not acknowledged in time: the deadline was %s.") % when
    return _("No progress note in time: the deadline was %s.") % when


def _message(report: Report, reason: str) -> tuple[str, str]:
    """Subject and body for the commanders: the code and the deadline, no personal data."""
    subject = _("Overdue report %s") % report.tracking_code
    lines = [
        _("Report %(code)s (%(category)s) in %(unit)s is overdue.")
        % {
            "code": report.tracking_code,
            "category": report.category.name_id,
            "unit": report.assigned_unit.name if report.assigned_unit else "-",
        },
        reason,
        _("Open it at %s") % _staff_url(report),
    ]
    return subject, "\n".join(lines)


@transaction.atomic
def escalate_one(report_id: int, now: datetime) -> bool:
    """Lock the report, check again, escalate and queue the e-mails. False if nothing to do
    (another worker got there first, or an officer acted meanwhile)."""
    report = (
        Report.objects.select_for_update().select_related("category").filter(pk=report_id).first()
    )
    if report is None or not needs_escalation(report, now):
        return False
    due = report.due_at()
    assert isinstance(due, datetime)
    with translation.override(settings.LANGUAGE_CODE):
        reason = _reason(report, due)
        workflow.escalate(report, reason)
        subject, body = _message(report, reason)
    notify_officers(commanders_for(report), subject, body, report=report)
    return True


def escalate_overdue(now: datetime | None = None, *, limit: int = 500) -> int:
    """Escalate every overdue report once per deadline; return how many were escalated."""
    now = now or timezone.now()
    ids: Iterable[int] = overdue(now).values_list("pk", flat=True)[:limit]
    count = sum(1 for report_id in list(ids) if escalate_one(report_id, now))
    if count:
        logger.info("SLA check escalated %d overdue report(s)", count)
    return count
