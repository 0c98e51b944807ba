"""Camera status for the server's registry: online, last frame at, measured frames per second.

Each camera thread tells its :class:`CameraStatus` about every frame it analyses and when its
stream is lost; a :class:`StatusReporter` thread posts every camera's state to
``{server.url}/api/v1/cctv/status`` every ``interval_s`` seconds (and once more, offline, when
the worker stops). A status is a snapshot, not an event: a failed post is not buffered, the
next one carries the newer state.

Every ``thumbnail_every_s`` seconds (default 300; 0: never) a status also carries a small JPEG
of the current frame (at most ``THUMBNAIL_WIDTH`` pixels wide, privacy masks blacked out
before it is scaled, never unmasked) and the source frame's size: the picture an operator
draws zones on in the server's zone editor. Give :meth:`CameraStatus.frame` the image for that.

>>> s = CameraStatus("gate")
>>> s.frame(100.0); s.frame(100.2)
>>> body = s.report(now=101.0)
>>> body["camera"], body["online"], body["last_frame_at"]
('gate', True, '1970-01-01T00:01:40.200000+00:00')
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

THUMBNAIL_WIDTH = 640
THUMBNAIL_QUALITY = 70


def thumbnail_jpeg(image: Any, masks: Sequence[Sequence[Sequence[float]]]) -> bytes | None:
    """A JPEG of ``image`` (BGR) with ``masks`` filled black, then scaled to at most
    ``THUMBNAIL_WIDTH`` pixels wide (the masks are applied on the source pixels, so nothing
    hidden leaks through the scaling)."""
    import cv2  # noqa: PLC0415 - the worker has OpenCV; the status counters alone need none
    import numpy as np  # noqa: PLC0415

    if masks:
        image = image.copy()
        cv2.fillPoly(image, [np.array(m, dtype=np.int32) for m in masks], (0, 0, 0))
    height, width = image.shape[:2]
    if width > THUMBNAIL_WIDTH:
        size = (THUMBNAIL_WIDTH, max(1, round(height * THUMBNAIL_WIDTH / width)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, THUMBNAIL_QUALITY])
    return buf.tobytes() if ok else None


class CameraStatus:
    """Thread-safe counters of one camera (and its latest thumbnail, when due)."""

    def __init__(
        self,
        camera: str,
        *,
        masks: Sequence[Sequence[Sequence[float]]] = (),
        thumbnail_every_s: float = 300.0,
    ) -> None:
        self.camera = camera
        self.masks = [list(m) for m in masks]
        self.thumbnail_every_s = thumbnail_every_s
        self._lock = threading.Lock()
        self._online = False
        self._last_wall: float | None = None
        self._frames = 0
        self._since: float | None = None
        self._thumb_at: float | None = None
        self._thumb: tuple[bytes, int, int] | None = None

    def frame(self, wall: float, image: Any = None) -> None:
        """Count an analysed frame; with ``image``, keep a thumbnail of it when one is due."""
        with self._lock:
            self._online = True
            self._last_wall = wall
            self._frames += 1
            if self._since is None:
                self._since = wall
            due = self._thumbnail_due(wall) and image is not None
            if due:
                self._thumb_at = wall
        if due:  # encode outside the lock
            jpeg = thumbnail_jpeg(image, self.masks)
            if jpeg is not None:
                with self._lock:
                    self._thumb = (jpeg, int(image.shape[1]), int(image.shape[0]))

    def _thumbnail_due(self, wall: float) -> bool:
        if self.thumbnail_every_s <= 0:
            return False
        return self._thumb_at is None or wall - self._thumb_at >= self.thumbnail_every_s

    def lost(self) -> None:
        with self._lock:
            self._online = False

    def report(self, now: float | None = None) -> dict[str, Any]:
        """The state to post; the frame rate is measured since the previous report."""
        now = time.time() if now is None else now
        with self._lock:
            span = now - self._since if self._since is not None else 0.0
            fps = self._frames / span if span > 0 else None
            self._frames, self._since = 0, now
            last = self._last_wall
            body: dict[str, Any] = {
                "camera": self.camera,
                "online": self._online,
                "last_frame_at": None
                if last is None
                else datetime.fromtimestamp(last, UTC).isoformat(),
                "measured_fps": None if fps is None else round(fps, 2),
            }
            if self._thumb is not None:  # sent once; the next one comes when due
                jpeg, width, height = self._thumb
                body["thumbnail_jpeg"] = base64.b64encode(jpeg).decode("ascii")
                body["frame_width"], body["frame_height"] = width, height
                self._thumb = None
            return body


class StatusReporter(threading.Thread):
    """Posts the cameras' status to the server every ``interval_s`` seconds until stopped."""

    def __init__(
        self,
        url: str,
        api_key: str | None,
        cameras: list[CameraStatus],
        *,
        interval_s: float = 30.0,
        timeout_s: float = 10.0,
    ) -> None:
        super().__init__(name="status", daemon=True)
        self.endpoint = url.rstrip("/") + "/api/v1/cctv/status"
        self._key = api_key
        self.cameras = cameras
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self._stop = threading.Event()
        self.posted = 0
        self.failed = 0

    def run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.post_all()

    def stop(self) -> None:
        """Stop the thread and report every camera offline."""
        self._stop.set()
        for cam in self.cameras:
            cam.lost()
        self.post_all()

    def post_all(self) -> None:
        for cam in self.cameras:
            self.post(cam.report())

    def post(self, body: dict[str, Any]) -> bool:
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        request = urllib.request.Request(  # noqa: S310 - the URL is the configured server
            self.endpoint, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                ok = 200 <= response.status < 300
        except (urllib.error.URLError, OSError) as exc:
            log.warning("status of %s not delivered: %s", body["camera"], type(exc).__name__)
            ok = False
        if ok:
            self.posted += 1
        else:
            self.failed += 1
        return ok
