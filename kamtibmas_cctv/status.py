"""Camera status for the server's registry: online, last frame at, measured frames per second.

Each camera thread tells its :class:`CameraStatus` about every frame it analyses and when its
stream is lost; a :class:`StatusReporter` thread posts every camera's state to
``{server.url}/api/v1/cctv/status`` every ``interval_s`` seconds (and once more, offline, when
the worker stops). A status is a snapshot, not an event: a failed post is not buffered, the
next one carries the newer state.

>>> s = CameraStatus("gate")
>>> s.frame(100.0); s.frame(100.2)
>>> body = s.report(now=101.0)
>>> body["camera"], body["online"], body["last_frame_at"]
('gate', True, '1970-01-01T00:01:40.200000+00:00')
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)


class CameraStatus:
    """Thread-safe counters of one camera."""

    def __init__(self, camera: str) -> None:
        self.camera = camera
        self._lock = threading.Lock()
        self._online = False
        self._last_wall: float | None = None
        self._frames = 0
        self._since: float | None = None

    def frame(self, wall: float) -> None:
        with self._lock:
            self._online = True
            self._last_wall = wall
            self._frames += 1
            if self._since is None:
                self._since = wall

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
            return {
                "camera": self.camera,
                "online": self._online,
                "last_frame_at": None
                if last is None
                else datetime.fromtimestamp(last, UTC).isoformat(),
                "measured_fps": None if fps is None else round(fps, 2),
            }


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
