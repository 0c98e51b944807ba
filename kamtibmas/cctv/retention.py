"""Snapshot retention: files older than their camera's retention days go, then the oldest
until the total fits ``settings.CCTV_SNAPSHOT_BUDGET_MB``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from kamtibmas.cctv.models import Alert, CctvEvent


@dataclass(frozen=True)
class Purged:
    expired: int
    over_budget: int


def _drop(alert: Alert, reason: str) -> int:
    path = Path(settings.MEDIA_ROOT) / alert.snapshot
    size = path.stat().st_size if path.exists() else 0
    path.unlink(missing_ok=True)
    CctvEvent.objects.create(
        camera_id=alert.camera_id, alert=alert, action="snapshot_deleted", detail={"why": reason}
    )
    alert.snapshot = ""
    alert.save(update_fields=["snapshot"])
    return size


def _size(alert: Alert) -> int:
    path = Path(settings.MEDIA_ROOT) / alert.snapshot
    return path.stat().st_size if path.exists() else 0


def purge_snapshots(now: datetime | None = None) -> Purged:
    """Delete expired snapshots, then the oldest beyond the disk budget."""
    now = now or timezone.now()
    with_snapshot = Alert.objects.exclude(snapshot="").select_related("camera")
    expired = 0
    for alert in with_snapshot.order_by("snapshot_at"):
        taken = alert.snapshot_at or alert.started_at
        if taken < now - timedelta(days=alert.camera.retention_days):
            _drop(alert, "retention")
            expired += 1
    budget = settings.CCTV_SNAPSHOT_BUDGET_MB * 1024 * 1024
    remaining = list(Alert.objects.exclude(snapshot="").order_by("snapshot_at", "pk"))
    total = sum(_size(alert) for alert in remaining)
    over = 0
    for alert in remaining:
        if total <= budget:
            break
        total -= _drop(alert, "budget")
        over += 1
    return Purged(expired, over)
