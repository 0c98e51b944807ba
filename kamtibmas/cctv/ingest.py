"""Worker events and heartbeats into the registry: each event's new/update/end folds into one
Alert, keyed by the event id; a retried delivery (same id, type and content) changes nothing."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kamtibmas.cctv.models import Alert, Camera, CctvEvent
from kamtibmas_cctv.events import Event

SNAPSHOT_DIR = "cctv"
UPDATE_KEYS_KEPT = 200
JPEG_MAGIC = b"\xff\xd8"


class IngestError(ValueError):
    """A payload that cannot be applied; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Outcome:
    alert: Alert
    created: bool
    applied: bool  # False for a retry already applied


def parse_event(data: dict[str, Any]) -> Event:
    """The worker's Event from its ``to_dict()`` JSON; IngestError on a bad shape."""
    try:
        return Event.from_dict({k: v for k, v in data.items() if k != "snapshot_jpeg"})
    except (TypeError, ValueError) as exc:
        raise IngestError("type", str(exc) or _("The event is not valid.")) from None


def decode_snapshot(raw: str | None) -> bytes | None:
    """The JPEG bytes of base64 ``raw``; IngestError when not base64, not JPEG or too large."""
    if not raw:
        return None
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise IngestError("snapshot_jpeg", _("The snapshot is not valid base64.")) from None
    if not data.startswith(JPEG_MAGIC):
        raise IngestError("snapshot_jpeg", _("The snapshot is not a JPEG image."))
    if len(data) > settings.CCTV_SNAPSHOT_MAX_BYTES:
        raise IngestError("snapshot_jpeg", _("The snapshot is too large."))
    return data


def _when(epoch: float | None) -> datetime | None:
    if epoch is None:
        return None
    try:
        return datetime.fromtimestamp(float(epoch), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise IngestError("start_time", _("The time is out of range.")) from None


def delivery_key(event: Event, delivery_id: str | None = None) -> str:
    """``new`` and ``end`` happen once per id; an update is known by the worker's delivery id
    (the same on every retry), else by its content."""
    if event.type != "update":
        return event.type
    if delivery_id:
        return f"update:d:{delivery_id[:64]}"
    digest = hashlib.sha256(event.to_json().encode()).hexdigest()[:16]
    return f"update:{digest}"


def _store_snapshot(alert: Alert, jpeg: bytes) -> None:
    relative = Path(SNAPSHOT_DIR) / alert.camera.name / f"{alert.pk}-{alert.updates}.jpg"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(jpeg)
    old = alert.snapshot
    alert.snapshot, alert.snapshot_at = str(relative), timezone.now()
    if old and old != alert.snapshot:
        (Path(settings.MEDIA_ROOT) / old).unlink(missing_ok=True)


def _fold(alert: Alert, event: Event, now: datetime) -> None:
    """Apply one event to its alert (fields that the event knows win)."""
    alert.box = list(event.box) if event.box is not None else alert.box
    alert.track_id = event.track_id if event.track_id is not None else alert.track_id
    alert.label = event.label or alert.label
    alert.score = event.score if event.score is not None else alert.score
    alert.object_count = event.objects if event.objects is not None else alert.object_count
    alert.start_s = event.start_s if alert.start_s is None else min(alert.start_s, event.start_s)
    if event.end_s is not None:
        alert.end_s = max(alert.end_s or event.end_s, event.end_s)
    if event.type == "update":
        alert.updates += 1
    if event.type == "end":
        alert.ended_at = _when(event.end_time) or now


def _new_alert(camera: Camera, event: Event, now: datetime) -> tuple[Alert, bool]:
    defaults = {
        "camera": camera,
        "rule": event.rule,
        "zone": (event.zone or "")[:80],
        "started_at": _when(event.start_time) or now,
    }
    try:
        with transaction.atomic():
            return Alert.objects.get_or_create(event_id=event.id, defaults=defaults)
    except IntegrityError:  # a concurrent delivery created it first
        return Alert.objects.get(event_id=event.id), False


def apply_event(
    camera: Camera,
    event: Event,
    snapshot: bytes | None,
    actor: Any = None,
    delivery_id: str | None = None,
) -> Outcome:
    """Fold ``event`` into its alert; a retried delivery is a no-op."""
    if not event.id or len(event.id) > 200:
        raise IngestError("id", _("The event id must have 1 to 200 characters."))
    if not event.rule or len(event.rule) > 20:
        raise IngestError("rule", _("The rule must have 1 to 20 characters."))
    if event.camera != camera.name:
        raise IngestError("camera", _("The event names another camera."))
    now = timezone.now()
    alert, created = _new_alert(camera, event, now)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("camera").get(pk=alert.pk)
        if alert.camera_id != camera.pk:
            raise IngestError("id", _("The event id belongs to another camera."))
        key = delivery_key(event, delivery_id)
        if key in alert.seen:
            return Outcome(alert, created, applied=False)
        _fold(alert, event, now)
        alert.seen = [*alert.seen, key][-UPDATE_KEYS_KEPT:]
        if snapshot is not None:
            _store_snapshot(alert, snapshot)
        alert.save()
        if created:
            CctvEvent.objects.create(
                camera=camera, alert=alert, actor=_user(actor), action="alert_new",
                detail={"rule": alert.rule, "zone": alert.zone},
            )  # fmt: skip
    return Outcome(alert, created, applied=True)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def apply_status(
    camera: Camera,
    online: bool,
    last_frame_at: datetime | None,
    measured_fps: float | None,
    actor: Any = None,
) -> Camera:
    """A worker heartbeat; a change of ``online`` is logged and audited."""
    now = timezone.now()
    changed = camera.online != online or camera.status_at is None
    camera.online, camera.measured_fps, camera.status_at = online, measured_fps, now
    if last_frame_at is not None:
        if timezone.is_naive(last_frame_at):
            last_frame_at = timezone.make_aware(last_frame_at, UTC)
        camera.last_frame_at = last_frame_at
    if changed:
        camera.online_log = [*camera.online_log, [now.isoformat(), online]][-500:]
    camera.save(
        update_fields=["online", "measured_fps", "status_at", "last_frame_at", "online_log"]
    )
    if changed:
        CctvEvent.objects.create(
            camera=camera, actor=_user(actor), action="online" if online else "offline",
            detail={"measured_fps": measured_fps},
        )  # fmt: skip
    return camera
