"""Public alerts: which are current. (Issuing, CAP and the Atom feed build on this module.)"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from kamtibmas.portal.models import PublicAlert


def published_alerts() -> QuerySet[PublicAlert]:
    return PublicAlert.objects.filter(status=PublicAlert.Status.PUBLISHED).order_by(
        "-published_at"
    )


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
