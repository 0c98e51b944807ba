"""Worker endpoints (/api/v1/cctv): events and heartbeats, with a read-write API key.

``POST /events`` takes ``kamtibmas_cctv.events.Event.to_dict()`` plus an optional base64
``snapshot_jpeg`` and ``delivery_id`` (or ``Idempotency-Key`` header), as docs/cctv.md "Event
delivery" describes; 201 for the event that creates an alert, 200 for later ones and for
retries (``duplicate``: true).
``POST /status`` takes ``{camera, online, last_frame_at, measured_fps}``.
Both count against ``CCTV_API_THROTTLE`` per key, not ``API_THROTTLE`` (see ``api_auth``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja import Status as Reply

from kamtibmas.accounts.api_auth import Principal, require_write
from kamtibmas.api_errors import ApiError
from kamtibmas.cctv import ingest, scoping, stills
from kamtibmas.cctv.api_auth import WORKER_AUTH
from kamtibmas.cctv.models import Camera
from kamtibmas.reports.schemas import ErrorOut

router = Router(tags=["cctv"])

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class EventIn(Schema):
    type: str
    id: str
    camera: str
    zone: str | None = None
    rule: str
    track_id: int | None = None
    start_s: float
    end_s: float | None = None
    box: list[int] | None = None
    start_time: float | None = None
    end_time: float | None = None
    label: str | None = None
    score: float | None = None
    objects: int | None = None
    has_snapshot: bool = False
    snapshot_jpeg: str | None = None
    delivery_id: str | None = None


class EventOut(Schema):
    alert: int
    created: bool
    duplicate: bool
    state: str


class StatusIn(Schema):
    camera: str
    online: bool
    last_frame_at: datetime | None = None
    measured_fps: float | None = None
    # Every few minutes: a small JPEG of the current frame, privacy masks applied (base64),
    # and the source frame's size, for the zone editor (docs/cctv.md, "Zones").
    thumbnail_jpeg: str | None = None
    frame_width: int | None = None
    frame_height: int | None = None


class StatusOut(Schema):
    camera: str
    online: bool


def _camera(principal: Principal, name: str) -> Camera:
    """The camera named by the worker, if its key's user may see it (404 otherwise)."""
    require_write(principal)
    camera = scoping.cameras_for(principal.user).filter(name=name).first()
    if camera is None:
        raise ApiError(404, "unknown_camera", _("No camera of that name is registered."))
    return camera


def _invalid(exc: ingest.IngestError) -> ApiError:
    return ApiError(400, "invalid", exc.message, {exc.field: [exc.message]})


@router.post(
    "/events",
    auth=WORKER_AUTH,
    response={200: EventOut, 201: EventOut, **ERRORS},
    url_name="cctv_event",
)
def post_event(request: Any, payload: EventIn) -> Any:
    """Fold a worker event (new, update, end) into its alert; retries are harmless."""
    camera = _camera(request.auth, payload.camera)
    data = payload.dict()
    if data["box"] is not None and len(data["box"]) != 4:
        raise _invalid(ingest.IngestError("box", _("The box must have four numbers.")))
    delivery = payload.delivery_id or request.headers.get("Idempotency-Key") or None
    try:
        event = ingest.parse_event(data)
        snapshot = ingest.decode_snapshot(payload.snapshot_jpeg)
        outcome = ingest.apply_event(
            camera, event, snapshot, actor=request.auth.user, delivery_id=delivery
        )
    except ingest.IngestError as exc:
        raise _invalid(exc) from None
    body = EventOut(
        alert=outcome.alert.pk,
        created=outcome.created,
        duplicate=not outcome.applied,
        state=outcome.alert.state,
    )
    return Reply(201 if outcome.created else 200, body)


@router.post(
    "/status", auth=WORKER_AUTH, response={200: StatusOut, **ERRORS}, url_name="cctv_status"
)
def post_status(request: Any, payload: StatusIn) -> StatusOut:
    """A worker heartbeat: online, time of the last frame, frames per second measured."""
    camera = _camera(request.auth, payload.camera)
    if payload.measured_fps is not None and not 0 <= payload.measured_fps <= 1000:
        raise _invalid(ingest.IngestError("measured_fps", _("The frame rate is out of range.")))
    try:
        thumbnail = ingest.decode_snapshot(payload.thumbnail_jpeg)
    except ingest.IngestError as exc:
        raise _invalid(ingest.IngestError("thumbnail_jpeg", exc.message)) from None
    ingest.apply_status(
        camera, payload.online, payload.last_frame_at, payload.measured_fps, request.auth.user
    )
    if thumbnail is not None:
        stills.store_heartbeat(camera, thumbnail, payload.frame_width, payload.frame_height)
    return StatusOut(camera=camera.name, online=camera.online)
