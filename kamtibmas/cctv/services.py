"""Changes to cameras and alerts, each with its audit rows (CctvEvent + AuditEvent)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kamtibmas.accounts import audit
from kamtibmas.cctv.forms import CameraForm
from kamtibmas.cctv.models import Alert, Camera, CctvEvent
from kamtibmas.incidents import scoping as incident_scoping
from kamtibmas.reports import scoping as report_scoping

AUDITED_FIELDS = tuple(f for f in CameraForm.Meta.fields) + ("kelurahan_code",)
ACTIONS = ("acknowledge", "dismiss", "link")


class ActionError(ValueError):
    """An alert action that cannot be done; the message is for the user."""


def _value(camera: Camera, field: str) -> str:
    value = getattr(camera, f"{field}_id" if field == "unit" else field)
    return "" if value is None else str(value)


@transaction.atomic
def save_camera(form: CameraForm, user: Any) -> Camera:
    """Create or change a camera; one audit row per changed field (never credentials: the
    URLs are stripped before they are saved or logged)."""
    creating = form.instance.pk is None
    before = {} if creating else {f: _value(Camera.objects.get(pk=form.instance.pk), f) for f in
                                  AUDITED_FIELDS}  # fmt: skip
    camera = form.save()
    after = {f: _value(camera, f) for f in AUDITED_FIELDS}
    changed = {
        f: [before.get(f, ""), after[f]] for f in AUDITED_FIELDS if before.get(f) != after[f]
    }
    action = "created" if creating else "changed"
    if creating or changed:
        CctvEvent.objects.create(camera=camera, actor=user, action=action, detail=changed)
        audit.record(user, f"cctv_camera_{action}", camera, fields=sorted(changed))
    return camera


def _link_target(user: Any, target: str) -> dict[str, Any]:
    """The report (tracking code) or incident (number) the user may see."""
    target = target.strip()
    if target.isdigit():
        incident = incident_scoping.incidents_for(user).filter(pk=int(target)).first()
        if incident is not None:
            return {"incident": incident}
    report = report_scoping.reports_for(user).filter(tracking_code=target.upper()).first()
    if report is not None:
        return {"report": report}
    raise ActionError(_("No report or incident with that code or number is visible to you."))


@transaction.atomic
def act_on_alert(alert: Alert, action: str, user: Any, target: str = "") -> Alert:
    """Acknowledge, dismiss or link an alert (to a report or incident)."""
    if action not in ACTIONS:
        raise ActionError(_("Unknown action."))
    old = alert.state
    detail: dict[str, Any] = {"from": old}
    if action == "acknowledge":
        alert.state = Alert.State.ACKNOWLEDGED
    elif action == "dismiss":
        alert.state = Alert.State.DISMISSED
    else:
        linked = _link_target(user, target)
        alert.report = linked.get("report")
        alert.incident = linked.get("incident")
        alert.state = Alert.State.LINKED
        detail["report"] = alert.report.tracking_code if alert.report else None
        detail["incident"] = alert.incident.pk if alert.incident else None
    alert.save(update_fields=["state", "report", "incident"])
    detail["to"] = alert.state
    CctvEvent.objects.create(
        camera_id=alert.camera_id, alert=alert, actor=user, action=action, detail=detail
    )
    audit.record(user, f"cctv_alert_{action}", alert, **detail)
    return alert
