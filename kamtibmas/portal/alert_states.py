"""Where each alert stands, for the staff list: a published alert may have been replaced by an
Update, cancelled by a Cancel or have expired, and public relations must see that at a glance
(with a link to the newer message) rather than a bare "Published"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import pgettext_lazy

from kamtibmas.portal.models import PublicAlert

LABELS = {
    "draft": pgettext_lazy("alert state", "Draft"),
    "in_force": pgettext_lazy("alert state", "Published, in force"),
    "notice": pgettext_lazy("alert state", "Published (cancellation notice)"),
    "superseded": pgettext_lazy("alert state", "Superseded by"),
    "cancelled": pgettext_lazy("alert state", "Cancelled by"),
    "expired": pgettext_lazy("alert state", "Expired"),
}


@dataclass(frozen=True)
class AlertState:
    code: str
    follow_up: PublicAlert | None = None

    @property
    def label(self) -> str:
        return str(LABELS[self.code])


def _follow_ups(alerts: list[PublicAlert]) -> dict[int, PublicAlert]:
    """The latest published Update or Cancel of each alert, in one query."""
    newer = PublicAlert.objects.filter(
        references_id__in=[a.pk for a in alerts], status=PublicAlert.Status.PUBLISHED
    ).order_by("published_at", "pk")
    return {int(n.references_id): n for n in newer if n.references_id is not None}


def state_of(alert: PublicAlert, follow_up: PublicAlert | None, now: datetime) -> AlertState:
    """A published Cancel is itself a notice, never "in force"; a follow-up wins over expiry."""
    if alert.status != PublicAlert.Status.PUBLISHED:
        return AlertState("draft")
    if follow_up is not None:
        cancelled = follow_up.msg_type == PublicAlert.MsgType.CANCEL
        return AlertState("cancelled" if cancelled else "superseded", follow_up)
    if alert.msg_type == PublicAlert.MsgType.CANCEL:
        return AlertState("notice")
    if alert.expires_at is not None and alert.expires_at <= now:
        return AlertState("expired")
    return AlertState("in_force")


def with_states(
    alerts: Iterable[PublicAlert], now: datetime
) -> list[tuple[PublicAlert, AlertState]]:
    """Each alert of a page with its state."""
    rows = list(alerts)
    follow_ups = _follow_ups(rows)
    return [(a, state_of(a, follow_ups.get(a.pk), now)) for a in rows]
