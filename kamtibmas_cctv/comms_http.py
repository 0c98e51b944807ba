"""HttpSink: deliver events to the Kamtibmas server over HTTP, buffered on disk.

The wire shape (the server implements exactly this):

``POST {server.url}/api/v1/cctv/events``, one event per request, headers
``Authorization: Bearer <api key of this worker>``, ``Content-Type: application/json``,
``Idempotency-Key: <delivery_id>``. The body is a JSON object::

    {
      "delivery_id": "3f2c...",          # hex, unique per delivery; the same on every retry
      "type": "new" | "update" | "end",
      "id": "cam1-7-loitering-12.0",     # the event id; new/update/end share it
      "camera": "pasar-klandasan", "zone": "parking" | null, "rule": "loitering",
      "track_id": 7 | null,
      "start_s": 12.0, "end_s": 42.5 | null,          # seconds from the stream's start
      "start_time": 1795400000.0 | null,              # seconds since 1970 UTC (live streams)
      "end_time": 1795400030.5 | null,
      "box": [x1, y1, x2, y2] | null,                 # pixels of the source frame
      "label": "person" | null, "score": 0.87 | null, "objects": 9 | null,
      "has_snapshot": true | false,
      "snapshot_jpeg": "<base64 of the JPEG>"          # only on new/update with a snapshot
    }

Unknown keys may be added later: the server must ignore them. Delivery is at least once, so
the server answers ``2xx`` (200, 201, 202 or 204) also for a ``delivery_id`` it already has.

Answers: any ``2xx`` = delivered; ``4xx`` other than 408 and 429 = rejected for good (dropped,
one log line with the status, never the key); ``408``, ``429``, ``5xx`` and network errors =
retried from the disk buffer with exponential backoff (see :mod:`kamtibmas_cctv.buffer`).
The snapshot travels inline as base64 (one request per event, simple to retry and to
deduplicate) rather than as a multipart upload.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid

from kamtibmas_cctv.buffer import DeliveryLoop, Item, Outbox, Outcome
from kamtibmas_cctv.events import Event

logger = logging.getLogger(__name__)

EVENTS_PATH = "/api/v1/cctv/events"
RETRY_STATUSES = frozenset({408, 429})


def events_url(server_url: str) -> str:
    """The endpoint under the server's base URL.

    >>> events_url("https://kamtibmas.example.org/")
    'https://kamtibmas.example.org/api/v1/cctv/events'
    """
    return server_url.rstrip("/") + EVENTS_PATH


def _safe_url(url: str) -> str:
    """The URL without credentials, for log lines."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def classify(status: int) -> Outcome:
    """What an HTTP status means for the outbox.

    >>> [classify(s).value for s in (200, 204, 401, 408, 429, 500)]
    ['delivered', 'delivered', 'rejected', 'retry', 'retry', 'retry']
    """
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if 400 <= status < 500 and status not in RETRY_STATUSES:
        return Outcome.REJECTED
    return Outcome.RETRY


class HttpSink:
    """A :class:`~kamtibmas_cctv.sinks.Sink` that POSTs events to the server.

    ``send`` only writes to the disk buffer at ``buffer_path`` and returns at once; a thread
    delivers. ``close`` waits up to ``close_timeout_s`` for the buffer to empty; what is left
    is delivered by the next sink opened on the same file.
    """

    def __init__(
        self,
        server_url: str,
        api_key: str | None,
        buffer_path: str,
        *,
        timeout_s: float = 10.0,
        backoff_s: float = 1.0,
        backoff_max_s: float = 60.0,
        close_timeout_s: float = 2.0,
        max_items: int = 10_000,
        max_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        if not server_url.startswith(("http://", "https://")):
            raise ValueError("server url must start with http:// or https://")
        self.url = events_url(server_url)
        self._api_key = api_key
        self.timeout_s = timeout_s
        self.close_timeout_s = close_timeout_s
        self.outbox = Outbox(
            buffer_path, destination="http", max_items=max_items, max_bytes=max_bytes
        )
        self._loop = DeliveryLoop(
            self.outbox,
            self._attempt,
            backoff_s=backoff_s,
            backoff_max_s=backoff_max_s,
            name="cctv-http",
        )
        self._loop.start()

    def send(self, event: Event) -> None:
        """Buffer ``event`` durably for delivery (never blocks on the network)."""
        body = event.to_dict()
        body["delivery_id"] = uuid.uuid4().hex
        snapshot = event.snapshot if event.type in ("new", "update") else None
        self.outbox.put(
            event.type,
            json.dumps(body, separators=(",", ":"), sort_keys=True).encode(),
            event_id=event.id,
            attachment=snapshot,
        )
        self._loop.wake()

    def flush(self, timeout_s: float) -> bool:
        """Wait until everything buffered is delivered (or rejected); True when it is."""
        return self._loop.flush(timeout_s)

    def close(self) -> None:
        if self.close_timeout_s > 0:
            self._loop.flush(self.close_timeout_s)
        self._loop.stop()
        self.outbox.close()

    def _attempt(self, item: Item) -> Outcome:
        body = json.loads(item.body)
        if item.attachment is not None:
            body["snapshot_jpeg"] = base64.b64encode(item.attachment).decode("ascii")
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url,
            data=json.dumps(body, separators=(",", ":")).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": str(body.get("delivery_id", "")),
                **({"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}),
            },
        )
        status = self._post(request)
        outcome = Outcome.RETRY if status is None else classify(status)
        if outcome is Outcome.REJECTED:
            logger.warning(
                "server %s rejected event %s (%s) with HTTP %s; dropped",
                _safe_url(self.url),
                item.event_id,
                item.kind,
                status,
            )
        elif outcome is Outcome.RETRY and item.attempts == 0:
            logger.info("server %s unavailable (HTTP %s); buffering", _safe_url(self.url), status)
        return outcome

    def _post(self, request: urllib.request.Request) -> int | None:
        """The HTTP status, or None for a network error."""
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as err:
            err.close()
            return int(err.code)
        except (urllib.error.URLError, OSError, TimeoutError):
            return None
