"""MqttSink: publish events to an MQTT broker in Frigate's ``events`` style, buffered on disk.

Topics (``prefix`` is ``mqtt.topic_prefix``, default ``kamtibmas/cctv``), all QoS 1:

``{prefix}/events``
    One JSON message per event, not retained::

        {"type": "new" | "update" | "end", "before": {...}, "after": {...}}

    ``after`` is the event now; ``before`` the last state published for the same event id (for
    ``new``, a copy of ``after``, as Frigate does). Both carry ``id``, ``camera``, ``label``,
    ``zone``, ``zones`` (a list: the zone, or empty), ``rule``, ``track_id``, ``start_time``,
    ``end_time``, ``start_s``, ``end_s``, ``box`` (``[x1, y1, x2, y2]`` or null), ``score``,
    ``objects`` and ``has_snapshot``.

``{prefix}/{camera}/{rule}/snapshot``
    The latest snapshot JPEG (raw bytes, privacy masks applied), retained, published after the
    ``new``/``update`` message that carried it.

``{prefix}/available``
    ``online`` (retained) once connected; ``offline`` by the broker through the last will when
    the worker vanishes, and by the worker itself on a clean close.

Every message first goes to the disk outbox (:mod:`kamtibmas_cctv.buffer`); a thread publishes
it while the broker is connected and deletes it once the broker acknowledged it (PUBACK), so
messages published while the broker is down, or before a restart, are delivered later, in
order, at least once (receivers deduplicate on ``after.id`` and ``type``).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt

from kamtibmas_cctv.buffer import DeliveryLoop, Item, Outbox, Outcome
from kamtibmas_cctv.events import Event

logger = logging.getLogger(__name__)

QOS = 1
_TOPIC_UNSAFE = re.compile(r"[+#/\x00]")


def topic_part(name: str) -> str:
    """A name made safe as one topic level (no wildcards, no slashes).

    >>> topic_part("pasar/klandasan#2")
    'pasar_klandasan_2'
    """
    return _TOPIC_UNSAFE.sub("_", name) or "_"


def frigate_state(event: Event) -> dict[str, Any]:
    """The ``before``/``after`` object of one event."""
    data = event.to_dict()
    return {
        "id": data["id"],
        "camera": data["camera"],
        "label": data["label"],
        "zone": data["zone"],
        "zones": [] if data["zone"] is None else [data["zone"]],
        "rule": data["rule"],
        "track_id": data["track_id"],
        "start_time": data["start_time"],
        "end_time": data["end_time"],
        "start_s": data["start_s"],
        "end_s": data["end_s"],
        "box": data["box"],
        "score": data["score"],
        "objects": data["objects"],
        "has_snapshot": data["has_snapshot"],
    }


class MqttSink:
    """A :class:`~kamtibmas_cctv.sinks.Sink` publishing to an MQTT broker (paho-mqtt 2).

    ``send`` only writes to the disk buffer and returns; paho's network thread keeps the
    connection (reconnecting with backoff) and a delivery thread publishes the buffer.
    """

    def __init__(
        self,
        host: str,
        buffer_path: str,
        *,
        port: int = 1883,
        topic_prefix: str = "kamtibmas/cctv",
        client_id: str = "",
        keepalive_s: int = 30,
        publish_timeout_s: float = 10.0,
        backoff_s: float = 1.0,
        backoff_max_s: float = 30.0,
        close_timeout_s: float = 2.0,
        max_items: int = 10_000,
        max_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        self.prefix = topic_prefix.rstrip("/")
        self.publish_timeout_s = publish_timeout_s
        self.close_timeout_s = close_timeout_s
        self._last: dict[str, dict[str, Any]] = {}
        self._last_lock = threading.Lock()
        self.outbox = Outbox(
            buffer_path, destination=f"mqtt:{self.prefix}",
            max_items=max_items, max_bytes=max_bytes,
        )  # fmt: skip
        self._client = self._make_client(client_id, backoff_max_s)
        self._loop = DeliveryLoop(
            self.outbox,
            self._attempt,
            backoff_s=backoff_s,
            backoff_max_s=backoff_max_s,
            name="cctv-mqtt",
        )
        self._client.connect_async(host, port, keepalive=keepalive_s)
        self._client.loop_start()
        self._loop.start()

    @property
    def availability_topic(self) -> str:
        return f"{self.prefix}/available"

    @property
    def events_topic(self) -> str:
        return f"{self.prefix}/events"

    def snapshot_topic(self, event: Event) -> str:
        return f"{self.prefix}/{topic_part(event.camera)}/{topic_part(event.rule)}/snapshot"

    def send(self, event: Event) -> None:
        """Buffer the Frigate-style message (and the snapshot) for publishing."""
        after = frigate_state(event)
        with self._last_lock:  # one event's messages are buffered in the order sent
            before = self._last.get(event.id, after)
            if event.type == "end":
                self._last.pop(event.id, None)
            else:
                self._last[event.id] = after
            message = {"type": event.type, "before": before, "after": after}
            body = json.dumps(message, separators=(",", ":")).encode()
            self.outbox.put(event.type, body, event_id=event.id, topic=self.events_topic)
            if event.snapshot is not None and event.type in ("new", "update"):
                self.outbox.put(
                    "snapshot", event.snapshot, event_id=event.id, topic=self.snapshot_topic(event)
                )
        self._loop.wake()

    def flush(self, timeout_s: float) -> bool:
        """Wait until everything buffered is acknowledged by the broker; True when it is."""
        return self._loop.flush(timeout_s)

    def close(self) -> None:
        if self.close_timeout_s > 0 and self._client.is_connected():
            self._loop.flush(self.close_timeout_s)
        self._loop.stop()
        if self._client.is_connected():
            info = self._client.publish(self.availability_topic, "offline", qos=QOS, retain=True)
            _wait(info, 2.0)
        self._client.disconnect()
        self._client.loop_stop()
        self.outbox.close()

    # -- internals ---------------------------------------------------------------------

    def _make_client(self, client_id: str, backoff_max_s: float) -> mqtt.Client:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        client.will_set(self.availability_topic, "offline", qos=QOS, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=max(1, int(backoff_max_s)))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        return client

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if getattr(reason, "is_failure", False):
            logger.warning("mqtt broker refused the connection: %s", reason)
            return
        client.publish(self.availability_topic, "online", qos=QOS, retain=True)
        self.outbox.retry_now()
        logger.info("mqtt connected; delivering %d buffered messages", self.outbox.pending())
        self._loop.wake()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        logger.info("mqtt disconnected (%s); buffering", reason)

    def _attempt(self, item: Item) -> Outcome:
        if not self._client.is_connected() or item.topic is None:
            return Outcome.RETRY
        retain = item.kind == "snapshot"
        info = self._client.publish(item.topic, item.body, qos=QOS, retain=retain)
        return Outcome.DELIVERED if _wait(info, self.publish_timeout_s) else Outcome.RETRY


def _wait(info: mqtt.MQTTMessageInfo, timeout_s: float) -> bool:
    """True once the broker acknowledged the message (False when not sent or timed out)."""
    if info.rc != mqtt.MQTT_ERR_SUCCESS:
        return False
    deadline = time.monotonic() + timeout_s
    while not info.is_published():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True
