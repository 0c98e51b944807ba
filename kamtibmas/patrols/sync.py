"""Applying an officer's queued phone actions: arrived, left, notes, incident seen.

The phone queues every action with a client UUID and sends the queue when it is online; it
may send the same action again after a lost answer. ``apply_actions`` applies each action on
its own (one bad action never blocks the others) and idempotently: a visit is keyed by its
client UUID, an incident report by the action's UUID, and re-sending "left" or the notes with
the same values changes nothing. Each result says ``applied``, ``duplicate`` or ``rejected``
with a message in the user's language. Every change writes an audit row; the audit detail
never holds the notes or who was talked to (personal data).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kamtibmas.accounts import audit, roles
from kamtibmas.patrols.models import PatrolPlan, PatrolStop, PatrolTeam, PlanStatus, Visit
from kamtibmas.reports import intake
from kamtibmas.reports.models import Channel, Kind, Report
from kamtibmas.reports.scoping import sees_all

logger = logging.getLogger(__name__)

# Who logs patrol visits from a phone.
FIELD_ROLES = frozenset(
    {roles.PATROL_OFFICER, roles.COMMUNITY_OFFICER, roles.COMMANDER, roles.ADMIN}
)
MAX_ACTIONS = 200
CLOCK_SKEW = timedelta(minutes=10)
SHIFT_MARGIN = timedelta(hours=2)  # a visit may start a little before or after the shift
MAX_VISIT = timedelta(hours=12)
MAX_NOTES = 2000
MAX_RESIDENTS = 500
LIVE_STATUSES = (PlanStatus.ISSUED, PlanStatus.CLOSED)

APPLIED = "applied"
DUPLICATE = "duplicate"
REJECTED = "rejected"


class ActionError(Exception):
    """An action cannot be applied; the message is shown to the officer."""


@dataclass(frozen=True)
class Result:
    action_id: str
    status: str
    message: str = ""
    visit_id: int | None = None
    report_code: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.action_id, "status": self.status}
        if self.message:
            data["message"] = self.message
        if self.visit_id is not None:
            data["visit"] = self.visit_id
        if self.report_code:
            data["report"] = self.report_code
        return data


def can_log_visits(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_officer", False):
        return False
    return bool(user.is_superuser or user.has_role(*FIELD_ROLES))


def field_plans(user: Any) -> QuerySet[PatrolPlan]:
    """Issued or closed plans of the officer's unit and the units below it."""
    qs = PatrolPlan.objects.filter(status__in=LIVE_STATUSES)
    if sees_all(user):
        return qs
    if not can_log_visits(user):
        return qs.none()
    return qs.filter(unit_id__in=user.unit.descendant_ids())


def apply_actions(user: Any, actions: Any) -> list[Result]:
    """Apply a list of action dicts in order; one result per action."""
    if not isinstance(actions, list):
        raise ActionError(_("The request must hold a list of actions."))
    if len(actions) > MAX_ACTIONS:
        raise ActionError(_("Send at most %d actions at once.") % MAX_ACTIONS)
    plans = field_plans(user)
    results = [_apply_one(user, plans, action) for action in actions]
    logger.info(
        "patrol sync by user %s: %d actions, %d rejected",
        user.pk, len(results), sum(r.status == REJECTED for r in results),
    )  # fmt: skip
    return results


def _apply_one(user: Any, plans: QuerySet[PatrolPlan], action: Any) -> Result:
    action_id = str(action.get("id", ""))[:64] if isinstance(action, dict) else ""
    try:
        if not isinstance(action, dict):
            raise ActionError(_("An action must be an object."))
        _uuid(action.get("id"), _("action"))
        handler = HANDLERS.get(str(action.get("type")))
        if handler is None:
            raise ActionError(_("Unknown action type."))
        with transaction.atomic():
            return handler(user, plans, action)
    except ActionError as exc:
        return Result(action_id, REJECTED, str(exc))
    except intake.IntakeError as exc:
        text = " ".join(m for messages in exc.errors.values() for m in messages)
        return Result(action_id, REJECTED, text)


# ---- arrived ------------------------------------------------------------------------------


def _arrive(user: Any, plans: QuerySet[PatrolPlan], action: dict[str, Any]) -> Result:
    client_id = _uuid(action.get("visit"), _("visit"))
    existing = Visit.objects.filter(client_id=client_id).first()
    if existing is not None:
        if existing.officer_id != user.pk:
            raise ActionError(_("This visit belongs to another officer."))
        return Result(str(action["id"]), DUPLICATE, visit_id=existing.pk)
    plan = plans.filter(pk=_int(action.get("plan"), _("plan"))).first()
    if plan is None:
        raise ActionError(_("This patrol plan is not one of your unit's issued plans."))
    stop = _stop(plan, action.get("stop"))
    at = _time(action.get("at"))
    if not (plan.start - SHIFT_MARGIN <= at <= plan.end + SHIFT_MARGIN):
        raise ActionError(_("The arrival time is outside the plan's shift."))
    lat, lon, acc = _position(action)
    visit = Visit(
        client_id=client_id,
        plan=plan,
        stop=stop,
        team=_team(user, plan, stop, action.get("team")),
        officer=user,
        arrived_at=at,
        arrived_lat=lat,
        arrived_lon=lon,
        arrived_accuracy_m=acc,
    )
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:  # the same visit arrived twice at once
        existing = Visit.objects.get(client_id=client_id)
        return Result(str(action["id"]), DUPLICATE, visit_id=existing.pk)
    audit.record(
        user, "patrol_visit_arrived", visit, plan=plan.pk, stop=stop.pk if stop else None,
        gps=lat is not None,
    )  # fmt: skip
    return Result(str(action["id"]), APPLIED, visit_id=visit.pk)


def _stop(plan: PatrolPlan, raw: Any) -> PatrolStop | None:
    if raw in (None, ""):
        return None
    stop = plan.stops.filter(pk=_int(raw, _("place"))).first()
    if stop is None:
        raise ActionError(_("This place is not in the patrol plan."))
    return stop


def _team(user: Any, plan: PatrolPlan, stop: PatrolStop | None, raw: Any) -> PatrolTeam | None:
    if stop is not None and stop.team_id is not None:
        return stop.team
    teams = PatrolTeam.objects.filter(unit_id=plan.unit_id)
    if raw not in (None, ""):
        team = teams.filter(pk=_int(raw, _("team"))).first()
        if team is None:
            raise ActionError(_("This team is not a team of the plan's unit."))
        return team
    return teams.filter(members=user).first()


# ---- left, notes ------------------------------------------------------------------------


def _leave(user: Any, plans: QuerySet[PatrolPlan], action: dict[str, Any]) -> Result:
    visit = _own_visit(user, plans, action)
    at = _time(action.get("at"))
    if at < visit.arrived_at:
        raise ActionError(_("The time of leaving is before the time of arrival."))
    if at - visit.arrived_at > MAX_VISIT:
        raise ActionError(_("A visit cannot last longer than 12 hours."))
    lat, lon, acc = _position(action)
    if visit.left_at == at:
        return Result(str(action["id"]), DUPLICATE, visit_id=visit.pk)
    visit.left_at, visit.left_lat, visit.left_lon, visit.left_accuracy_m = at, lat, lon, acc
    visit.synced_at = timezone.now()
    visit.save(update_fields=["left_at", "left_lat", "left_lon", "left_accuracy_m", "synced_at"])
    audit.record(
        user, "patrol_visit_left", visit, plan=visit.plan_id, gps=lat is not None,
        minutes=round(visit.minutes_on_site or 0.0, 1),
    )  # fmt: skip
    return Result(str(action["id"]), APPLIED, visit_id=visit.pk)


def _notes(user: Any, plans: QuerySet[PatrolPlan], action: dict[str, Any]) -> Result:
    visit = _own_visit(user, plans, action)
    notes = _text(action.get("notes"), _("notes"))
    contact = _text(action.get("contact_notes"), _("who was talked to"))
    residents = _int(action.get("residents_met") or 0, _("residents met"))
    if not 0 <= residents <= MAX_RESIDENTS:
        raise ActionError(_("Residents met must be between 0 and %d.") % MAX_RESIDENTS)
    if (visit.notes, visit.contact_notes, visit.residents_met) == (notes, contact, residents):
        return Result(str(action["id"]), DUPLICATE, visit_id=visit.pk)
    visit.notes, visit.contact_notes, visit.residents_met = notes, contact, residents
    visit.synced_at = timezone.now()
    visit.save(update_fields=["notes", "contact_notes", "residents_met", "synced_at"])
    audit.record(
        user, "patrol_visit_notes", visit, plan=visit.plan_id, residents_met=residents,
        has_notes=bool(notes), has_contact_notes=bool(contact),
    )  # fmt: skip
    return Result(str(action["id"]), APPLIED, visit_id=visit.pk)


def _own_visit(user: Any, plans: QuerySet[PatrolPlan], action: dict[str, Any]) -> Visit:
    client_id = _uuid(action.get("visit"), _("visit"))
    visit = Visit.objects.select_for_update().filter(client_id=client_id).first()
    if visit is None:
        raise ActionError(_("Unknown visit: its arrival was not recorded."))
    if visit.officer_id != user.pk or not plans.filter(pk=visit.plan_id).exists():
        raise ActionError(_("This visit belongs to another officer."))
    return visit


# ---- incident seen ------------------------------------------------------------------------


def _incident(user: Any, plans: QuerySet[PatrolPlan], action: dict[str, Any]) -> Result:
    visit = _own_visit(user, plans, action)
    lat, lon, acc = _position(action)
    if lat is None and visit.stop is not None:
        lat, lon = visit.stop.lat, visit.stop.lon
    draft = intake.Draft(
        kind=Kind.CRIME,
        category_code=str(action.get("category", ""))[:40],
        description=_text(action.get("description"), _("description")),
        occurred_from=_time(action.get("at")),
        lat=lat,
        lon=lon,
        location_accuracy_m=acc,
        address_text=(visit.stop.label if visit.stop else "")[:300],
        extra={"patrol_visit": str(visit.client_id), "patrol_plan": visit.plan_id},
    )
    key = f"patrol-{_uuid(action.get('id'), _('action'))}"
    earlier = Report.objects.filter(idempotency_key=key).first()
    if earlier is not None:
        return Result(
            str(action["id"]), DUPLICATE, visit_id=visit.pk, report_code=earlier.tracking_code
        )
    report = intake.submit(draft, channel=Channel.PATROL, user=user, idempotency_key=key)
    if visit.report_id is None:
        visit.report = report
        visit.save(update_fields=["report"])
    audit.record(user, "patrol_visit_report", visit, plan=visit.plan_id, report=report.pk)
    return Result(str(action["id"]), APPLIED, visit_id=visit.pk, report_code=report.tracking_code)


HANDLERS = {"arrive": _arrive, "leave": _leave, "notes": _notes, "incident": _incident}


# ---- field parsing ------------------------------------------------------------------------


def _uuid(raw: Any, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise ActionError(_("The %s id is not a valid UUID.") % name) from None


def _int(raw: Any, name: str) -> int:
    if isinstance(raw, bool):
        raise ActionError(_("The %s must be a whole number.") % name)
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ActionError(_("The %s must be a whole number.") % name) from None


def _time(raw: Any) -> datetime:
    value = parse_datetime(raw) if isinstance(raw, str) else None
    if value is None or timezone.is_naive(value):
        raise ActionError(_("The time is missing or not valid (ISO 8601 with a time zone)."))
    if value > timezone.now() + CLOCK_SKEW:
        raise ActionError(_("The time cannot be in the future."))
    return value


def _position(action: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    """``(lat, lon, accuracy_m)``; all None when the phone had no GPS fix."""
    lat: Any = action.get("lat")
    lon: Any = action.get("lon")
    acc: Any = action.get("accuracy_m")
    if lat is None and lon is None:
        return None, None, None
    try:
        lat_f, lon_f = float(lat), float(lon)
        acc_f = None if acc is None else float(acc)
    except (TypeError, ValueError):
        raise ActionError(_("The GPS position is not valid.")) from None
    if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180) or (acc_f is not None and acc_f < 0):
        raise ActionError(_("The GPS position is not valid."))
    return lat_f, lon_f, acc_f


def _text(raw: Any, name: str) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ActionError(_("The %s must be text.") % name)
    if len(raw) > MAX_NOTES:
        raise ActionError(_("The %(name)s is too long (at most %(n)d characters).") % {
            "name": name, "n": MAX_NOTES})  # fmt: skip
    return raw.strip()
