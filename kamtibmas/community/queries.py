"""Read-side helpers that other apps (the portal home page) use."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from kamtibmas.community.models import Event


def upcoming_public_events(limit: int = 5, now: datetime | None = None) -> QuerySet[Event]:
    """Public, not cancelled events that have not ended yet, soonest first."""
    moment = now or timezone.now()
    return (
        Event.objects.filter(is_public=True, ends_at__gte=moment)
        .exclude(status=Event.Status.CANCELLED)
        .select_related("programme", "kelurahan")
        .order_by("starts_at")[:limit]
    )
