"""Public alerts: which are current, and the life of one alert (draft, publish, follow-up).

A published alert never changes: CAP clients keep copies, so a correction is a new message of
type Update (or Cancel) that references the earlier one. Every change is audited, and the
sending to subscribers runs in a background task so that publishing stays fast.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kamtibmas.accounts import audit, roles
from kamtibmas.portal.models import PublicAlert

DEFAULT_VALIDITY = timedelta(days=14)
FEED_RECENT_DAYS = 30
EDITOR_ROLES = (roles.PUBLIC_RELATIONS, roles.ADMIN)
READER_ROLES = (*EDITOR_ROLES, roles.COMMANDER)
CONTENT_FIELDS = (
    "offence_category",
    "headline_id",
    "headline_en",
    "description_id",
    "description_en",
    "instruction_id",
    "instruction_en",
    "severity",
    "urgency",
    "certainty",
    "effective_at",
    "expires_at",
)
# CAP's levels in words a resident understands. Phrases, not the bare CAP words: "Expected"
# or "Moderate" alone already mean other things elsewhere in the catalogue.
SEVERITY_LABELS: dict[str, Any] = {
    PublicAlert.Severity.EXTREME: gettext_lazy("Extreme threat"),
    PublicAlert.Severity.SEVERE: gettext_lazy("Severe threat"),
    PublicAlert.Severity.MODERATE: gettext_lazy("Moderate threat"),
    PublicAlert.Severity.MINOR: gettext_lazy("Minor threat"),
}
URGENCY_LABELS: dict[str, Any] = {
    PublicAlert.Urgency.IMMEDIATE: gettext_lazy("Act immediately"),
    PublicAlert.Urgency.EXPECTED: gettext_lazy("Act within the hour"),
    PublicAlert.Urgency.FUTURE: gettext_lazy("Act soon"),
}
CERTAINTY_LABELS: dict[str, Any] = {
    PublicAlert.Certainty.OBSERVED: gettext_lazy("Already happening"),
    PublicAlert.Certainty.LIKELY: gettext_lazy("Likely to happen"),
    PublicAlert.Certainty.POSSIBLE: gettext_lazy("Could happen"),
}


def level_labels(alert: PublicAlert) -> dict[str, str]:
    return {
        "severity": str(SEVERITY_LABELS.get(alert.severity, alert.severity)),
        "urgency": str(URGENCY_LABELS.get(alert.urgency, alert.urgency)),
        "certainty": str(CERTAINTY_LABELS.get(alert.certainty, alert.certainty)),
    }


class AlertLocked(Exception):
    """A published alert cannot be changed; issue an Update or a Cancel instead."""


class AlertInvalid(Exception):
    """The alert cannot be published as it is (the message says why, in the user's language)."""


# --- who may do what --------------------------------------------------------------------------


def can_edit(user: Any) -> bool:
    """Public relations (Humas) and administrators issue alerts for the whole Polres."""
    return bool(getattr(user, "is_officer", False) and user.has_role(*EDITOR_ROLES))


def can_read(user: Any) -> bool:
    """Commanders may read drafts too (they answer for what the Polres says in public)."""
    return bool(getattr(user, "is_officer", False) and user.has_role(*READER_ROLES))


# --- queries ----------------------------------------------------------------------------------


def published_alerts() -> QuerySet[PublicAlert]:
    return PublicAlert.objects.filter(status=PublicAlert.Status.PUBLISHED).order_by("-published_at")


def active_alerts(now: datetime | None = None) -> QuerySet[PublicAlert]:
    """Published alerts that have not expired and were not cancelled by a later Cancel."""
    moment = now or timezone.now()
    return (
        published_alerts()
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=moment))
        .exclude(msg_type=PublicAlert.MsgType.CANCEL)
        .exclude(updates__status=PublicAlert.Status.PUBLISHED)
        .prefetch_related("kelurahan")
    )


def past_alerts(now: datetime | None = None, limit: int = 30) -> list[PublicAlert]:
    """Published alerts that are no longer in force (expired, updated or cancelled)."""
    active_ids = set(active_alerts(now).values_list("pk", flat=True))
    qs = published_alerts().exclude(pk__in=active_ids).prefetch_related("kelurahan")
    return list(qs[:limit])


def feed_alerts(now: datetime | None = None, limit: int = 50) -> QuerySet[PublicAlert]:
    """What the Atom feed lists: alerts in force and those that ended in the last 30 days."""
    moment = now or timezone.now()
    recent = Q(expires_at__isnull=True) | Q(expires_at__gt=moment - timedelta(FEED_RECENT_DAYS))
    return published_alerts().filter(recent).prefetch_related("kelurahan")[:limit]


def is_active(alert: PublicAlert, now: datetime | None = None) -> bool:
    return active_alerts(now).filter(pk=alert.pk).exists()


def chain(alert: PublicAlert) -> list[PublicAlert]:
    """The earlier messages this one replaces, oldest first (CAP ``references``)."""
    earlier: list[PublicAlert] = []
    node = alert.references
    while node is not None and node not in earlier:
        earlier.insert(0, node)
        node = node.references
    return earlier


def latest_follow_up(alert: PublicAlert) -> PublicAlert | None:
    """The published Update or Cancel that replaced ``alert``, if any."""
    return alert.updates.filter(status=PublicAlert.Status.PUBLISHED).order_by("published_at").last()


def default_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    start = (now or timezone.now()).replace(second=0, microsecond=0)
    return start, start + DEFAULT_VALIDITY


# --- changes ----------------------------------------------------------------------------------


def save_draft(
    alert: PublicAlert, values: dict[str, Any], kelurahan: list[Any], actor: Any
) -> PublicAlert:
    """Create or change a draft. ``values`` holds CONTENT_FIELDS (from the form)."""
    if alert.status == PublicAlert.Status.PUBLISHED:
        raise AlertLocked(_("A published alert cannot be changed; issue an Update or a Cancel."))
    creating = alert.pk is None
    for field in CONTENT_FIELDS:
        if field in values:
            setattr(alert, field, _whole_seconds(values[field]))
    if creating:
        alert.created_by = actor if getattr(actor, "is_authenticated", False) else None
    alert.updated_at = timezone.now()
    with transaction.atomic():
        alert.save()
        alert.kelurahan.set(kelurahan)
        audit.record(
            actor,
            "public_alert.create" if creating else "public_alert.edit",
            alert,
            purpose="public alert",
            msg_type=alert.msg_type,
            kelurahan=sorted(k.code for k in kelurahan),
        )
    return alert


def _whole_seconds(value: Any) -> Any:
    """CAP times have no fractions of a second; store what the CAP document will say."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    return value


def start_follow_up(original: PublicAlert, msg_type: str, actor: Any) -> PublicAlert:
    """A draft Update or Cancel of ``original``, prefilled with its content and area."""
    if msg_type not in (PublicAlert.MsgType.UPDATE, PublicAlert.MsgType.CANCEL):
        raise AlertInvalid(_("Unknown kind of follow-up."))
    if original.status != PublicAlert.Status.PUBLISHED:
        raise AlertInvalid(_("Only a published alert can be updated or cancelled."))
    if original.msg_type == PublicAlert.MsgType.CANCEL or latest_follow_up(original):
        raise AlertInvalid(_("This alert was already replaced; follow up the latest message."))
    values = {field: getattr(original, field) for field in CONTENT_FIELDS}
    draft = PublicAlert(msg_type=msg_type, references=original, is_synthetic=original.is_synthetic)
    return save_draft(draft, values, list(original.kelurahan.all()), actor)


def check_publishable(alert: PublicAlert, now: datetime) -> None:
    if alert.status == PublicAlert.Status.PUBLISHED:
        raise AlertLocked(_("This alert is already published."))
    if not alert.kelurahan.exists():
        raise AlertInvalid(_("Choose at least one kelurahan for the area."))
    if alert.expires_at is None or alert.expires_at <= now:
        raise AlertInvalid(_("The alert has already expired: set a later expiry first."))
    if alert.effective_at and alert.expires_at <= alert.effective_at:
        raise AlertInvalid(_("The expiry must be after the start."))
    earlier = alert.references
    if earlier is not None and (
        earlier.status != PublicAlert.Status.PUBLISHED or latest_follow_up(earlier)
    ):
        raise AlertInvalid(_("This alert was already replaced; follow up the latest message."))


def publish(alert: PublicAlert, actor: Any, now: datetime | None = None) -> PublicAlert:
    """Publish a draft: from now on it is immutable and it is sent to the area's subscribers."""
    moment = (now or timezone.now()).replace(microsecond=0)
    with transaction.atomic():
        alert = PublicAlert.objects.select_for_update().get(pk=alert.pk)
        check_publishable(alert, moment)
        alert.status = PublicAlert.Status.PUBLISHED
        alert.published_at = moment
        if alert.effective_at is None:
            alert.effective_at = moment
        alert.updated_at = moment
        alert.save()
        audit.record(actor, "public_alert.publish", alert, purpose="public alert",
                     msg_type=alert.msg_type)  # fmt: skip
        transaction.on_commit(lambda: _enqueue_sending(alert.pk))
    return alert


def _enqueue_sending(alert_id: int) -> None:
    from kamtibmas.portal.tasks import send_alert_task

    send_alert_task.enqueue(alert_id)
