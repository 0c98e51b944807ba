"""A camera's latest still: the picture an operator draws zones and masks on.

One file per camera, ``MEDIA_ROOT/cctv/<camera>/still.jpg``, replaced by each new still (a
worker heartbeat's masked thumbnail, or a screenshot the operator uploads), at most
``MAX_WIDTH`` pixels wide, so the stills of all cameras stay tiny beside the alert snapshots.
Served only to staff who see the camera. Without a still, the editor falls back to the latest
alert snapshot, then to a grid of the camera's resolution."""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from kamtibmas.cctv.ingest import SNAPSHOT_DIR
from kamtibmas.cctv.models import Alert, Camera
from kamtibmas.media import media_file
from kamtibmas.reports.photos import PhotoError, clean_photo

MAX_WIDTH = 1280
STILL_NAME = "still.jpg"


def _downscaled_jpeg(image: Image.Image) -> bytes:
    image = image.convert("RGB")
    if image.width > MAX_WIDTH:
        height = max(1, round(image.height * MAX_WIDTH / image.width))
        image = image.resize((MAX_WIDTH, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80, optimize=True)
    return out.getvalue()


def store_still(camera: Camera, data: bytes) -> tuple[int, int]:
    """Keep ``data`` (an image) as the camera's still; returns the picture's (width, height).
    Raises PhotoError when it is not an image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            size = image.size
            jpeg = _downscaled_jpeg(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise PhotoError("photo_not_image", _("This is not a picture.")) from None
    relative = Path(SNAPSHOT_DIR) / camera.name / STILL_NAME
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".part")
    temporary.write_bytes(jpeg)
    temporary.replace(target)
    camera.still, camera.still_at = str(relative), timezone.now()
    camera.save(update_fields=["still", "still_at"])
    return size


def store_upload(camera: Camera, upload: IO[bytes]) -> tuple[int, int]:
    """An operator's screenshot, checked like a report photo (content, size; metadata
    dropped); returns its (width, height). Raises PhotoError with a message for the user."""
    clean = clean_photo(upload, name=getattr(upload, "name", "screenshot"))
    return store_still(camera, clean.content.read())


def latest_snapshot_alert(camera: Camera) -> Alert | None:
    return camera.alerts.exclude(snapshot="").order_by("-snapshot_at", "-pk").first()


def picture_source(camera: Camera) -> dict[str, Any] | None:
    """What the editor draws on: ``{"kind": "still"|"snapshot", "at": datetime, ...}``."""
    if media_file(camera.still):
        return {"kind": "still", "at": camera.still_at}
    alert = latest_snapshot_alert(camera)
    if alert is not None and media_file(alert.snapshot):
        return {"kind": "snapshot", "at": alert.snapshot_at, "alert": alert}
    return None


def store_heartbeat(
    camera: Camera, jpeg: bytes, frame_width: int | None, frame_height: int | None
) -> bool:
    """A worker's thumbnail (masked by the worker) as the still; the frame size fills the
    registry's resolution when it has none. False when the JPEG cannot be read."""
    try:
        store_still(camera, jpeg)
    except PhotoError:
        return False
    sizes_ok = all(isinstance(v, int) and 16 <= v <= 10_000 for v in (frame_width, frame_height))
    if sizes_ok and not (camera.width and camera.height):
        camera.width, camera.height = frame_width, frame_height
        camera.save(update_fields=["width", "height"])
    return True
