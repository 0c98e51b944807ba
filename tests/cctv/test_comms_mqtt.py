"""MqttSink against the local Mosquitto broker (127.0.0.1:1883); must run under CI=true."""

from __future__ import annotations

import json
import os
import queue
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from kamtibmas_cctv.comms_mqtt import MqttSink
from kamtibmas_cctv.events import Event
from kamtibmas_cctv.sinks import Sink

BROKER = ("127.0.0.1", 1883)
JPEG = b"\xff\xd8fake-jpeg\xff\xd9"


def _broker_up() -> bool:
    try:
        with socket.create_connection(BROKER, timeout=1.0):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module", autouse=True)
def _require_broker() -> None:
    if _broker_up():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but no MQTT broker at {BROKER[0]}:{BROKER[1]}")
    pytest.skip(f"no MQTT broker at {BROKER[0]}:{BROKER[1]} (start mosquitto to run these)")


class Listener:
    """A subscriber on ``{prefix}/#`` collecting (topic, payload, retain) in a queue."""

    def __init__(self, prefix: str) -> None:
        self.messages: queue.Queue[tuple[str, bytes, bool]] = queue.Queue()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.client.on_message = lambda _c, _u, m: self.messages.put(
            (m.topic, bytes(m.payload), bool(m.retain))
        )
        subscribed = queue.Queue[int]()
        self.client.on_subscribe = lambda *_a: subscribed.put(1)
        self.client.connect(*BROKER)
        self.client.loop_start()
        self.client.subscribe(f"{prefix}/#", qos=1)
        subscribed.get(timeout=10)

    def next(self, topic: str, timeout_s: float = 10.0) -> tuple[bytes, bool]:
        """The next message on ``topic`` (others are skipped)."""
        while True:
            got, payload, retain = self.messages.get(timeout=timeout_s)
            if got == topic:
                return payload, retain

    def events(self, prefix: str, n: int) -> list[dict[str, Any]]:
        return [json.loads(self.next(f"{prefix}/events")[0]) for _ in range(n)]

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def prefix() -> Iterator[str]:
    """A topic prefix of this test only; its retained messages are cleared afterwards."""
    name = f"test-kamtibmas/{uuid.uuid4().hex[:10]}"
    yield name
    cleaner = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    cleaner.connect(*BROKER)
    cleaner.loop_start()
    for topic in (f"{name}/available", f"{name}/cam1/loitering/snapshot"):
        cleaner.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    cleaner.loop_stop()
    cleaner.disconnect()


@pytest.fixture
def listener(prefix: str) -> Iterator[Listener]:
    lis = Listener(prefix)
    yield lis
    lis.stop()


def _event(kind: str, box: tuple[int, int, int, int], snapshot: bytes | None = None) -> Event:
    return Event(
        type=kind,  # type: ignore[arg-type]
        id="cam1-7-loitering-12.0",
        camera="cam1",
        zone="parking",
        rule="loitering",
        track_id=7,
        start_s=12.0,
        end_s=42.5 if kind == "end" else None,
        box=box,
        start_time=1_795_400_000.0,
        end_time=1_795_400_030.5 if kind == "end" else None,
        label="person",
        snapshot=snapshot,
    )


def _sink(tmp_path: Path, prefix: str, port: int = BROKER[1], **kw: Any) -> MqttSink:
    kw.setdefault("backoff_s", 0.02)
    kw.setdefault("backoff_max_s", 1.0)
    kw.setdefault("close_timeout_s", 0.0)
    return MqttSink(BROKER[0], str(tmp_path / "outbox.sqlite3"), port=port, topic_prefix=prefix,
                    **kw)  # fmt: skip


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_it_publishes_new_update_end_with_before_and_after(
    tmp_path: Path, prefix: str, listener: Listener
) -> None:
    sink = _sink(tmp_path, prefix)
    assert isinstance(sink, Sink)
    sink.send(_event("new", (10, 20, 50, 120), JPEG))
    sink.send(_event("update", (12, 22, 52, 122)))
    sink.send(_event("end", (14, 24, 54, 124)))
    assert sink.flush(10)
    new, update, end = listener.events(prefix, 3)
    sink.close()
    assert [m["type"] for m in (new, update, end)] == ["new", "update", "end"]
    assert new["before"] == new["after"]
    assert new["after"]["box"] == [10, 20, 50, 120] and new["after"]["has_snapshot"] is True
    assert new["after"]["zones"] == ["parking"] and new["after"]["label"] == "person"
    assert update["before"] == new["after"]
    assert update["after"]["box"] == [12, 22, 52, 122]
    assert end["before"] == update["after"]
    assert end["after"]["end_time"] == 1_795_400_030.5 and end["after"]["end_s"] == 42.5
    assert {m["after"]["id"] for m in (new, update, end)} == {"cam1-7-loitering-12.0"}


def test_it_publishes_the_snapshot_retained_and_announces_availability(
    tmp_path: Path, prefix: str, listener: Listener
) -> None:
    sink = _sink(tmp_path, prefix)
    assert listener.next(f"{prefix}/available")[0] == b"online"
    sink.send(_event("new", (10, 20, 50, 120), JPEG))
    assert sink.flush(10)
    sink.close()
    assert listener.next(f"{prefix}/available")[0] == b"offline"
    late = Listener(prefix)  # a subscriber arriving later still gets the retained snapshot
    try:
        payload, retain = late.next(f"{prefix}/cam1/loitering/snapshot")
    finally:
        late.stop()
    assert payload == JPEG and retain


def test_it_buffers_while_the_broker_is_unreachable_then_delivers(
    tmp_path: Path, prefix: str, listener: Listener
) -> None:
    down = _sink(tmp_path, prefix, port=_closed_port())
    down.send(_event("new", (10, 20, 50, 120), JPEG))
    down.send(_event("end", (14, 24, 54, 124)))
    assert not down.flush(0.5)
    assert down.outbox.pending() == 3  # new, its snapshot, end
    down.close()
    assert listener.messages.empty()
    up = _sink(tmp_path, prefix)  # the worker restarted, pointed at the right port
    assert up.flush(10)
    new, end = listener.events(prefix, 2)
    counts = up.outbox.counts()
    up.close()
    assert (new["type"], end["type"]) == ("new", "end")
    assert end["before"] == new["after"]  # before was fixed when the event was buffered
    assert counts["delivered"] == 3
