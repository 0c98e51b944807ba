"""HttpSink against a real local HTTP server in a thread (no mocks)."""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kamtibmas_cctv.comms_http import HttpSink
from kamtibmas_cctv.events import Event

API_KEY = "k-secret-worker-key-123"


class Recorder:
    """What the fake server received and the statuses it answers with, in turn."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            status = recorder.next_status()
            with recorder.lock:
                recorder.requests.append({"path": self.path, "status": status, **body})
                recorder.headers.append(dict(self.headers))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


class Server:
    def __init__(self, recorder: Recorder, port: int = 0) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(recorder))
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(recorder: Recorder) -> Iterator[Server]:
    srv = Server(recorder)
    yield srv
    srv.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _event(kind: str = "new", *, snapshot: bytes | None = b"\xff\xd8jpeg\xff\xd9") -> Event:
    return Event(
        type=kind,  # type: ignore[arg-type]
        id="cam1-7-loitering-12.0",
        camera="cam1",
        zone="parking",
        rule="loitering",
        track_id=7,
        start_s=12.0,
        end_s=42.5 if kind == "end" else None,
        box=(10, 20, 50, 120),
        start_time=1_795_400_000.0,
        label="person",
        snapshot=snapshot,
    )


def _sink(url: str, path: Path, **kw: Any) -> HttpSink:
    kw.setdefault("backoff_s", 0.02)
    kw.setdefault("backoff_max_s", 0.1)
    kw.setdefault("timeout_s", 2.0)
    kw.setdefault("close_timeout_s", 0.0)
    return HttpSink(url, API_KEY, str(path / "outbox.sqlite3"), **kw)


def test_it_posts_the_documented_shape_with_the_bearer_key(
    server: Server, recorder: Recorder, tmp_path: Path
) -> None:
    sink = _sink(server.url + "/", tmp_path)
    sink.send(_event("new"))
    sink.send(_event("end"))
    assert sink.flush(10)
    sink.close()
    new, end = recorder.requests
    assert new["path"] == "/api/v1/cctv/events"
    assert recorder.headers[0]["Authorization"] == f"Bearer {API_KEY}"
    assert recorder.headers[0]["Content-Type"] == "application/json"
    assert recorder.headers[0]["Idempotency-Key"] == new["delivery_id"]
    assert base64.b64decode(new["snapshot_jpeg"]) == b"\xff\xd8jpeg\xff\xd9"
    assert Event.from_dict(new) == _event("new")
    assert new["has_snapshot"] is True and new["box"] == [10, 20, 50, 120]
    assert end["type"] == "end" and end["end_s"] == 42.5
    assert "snapshot_jpeg" not in end
    assert new["delivery_id"] != end["delivery_id"]


def test_it_retries_a_500_and_delivers_once(tmp_path: Path) -> None:
    recorder = Recorder([500, 503])
    srv = Server(recorder)
    try:
        sink = _sink(srv.url, tmp_path)
        sink.send(_event("new", snapshot=None))
        assert sink.flush(10)
        counts = sink.outbox.counts()
        sink.close()
    finally:
        srv.stop()
    assert [r["status"] for r in recorder.requests] == [500, 503, 200]
    assert len({r["delivery_id"] for r in recorder.requests}) == 1
    assert counts["delivered"] == 1 and counts["retried"] == 2


def test_it_drops_a_401_with_a_log_line_without_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder([401])
    srv = Server(recorder)
    try:
        sink = _sink(srv.url, tmp_path)
        with caplog.at_level(logging.INFO, logger="kamtibmas_cctv"):
            sink.send(_event("new"))
            sink.send(_event("end"))
            assert sink.flush(10)
        counts = sink.outbox.counts()
        sink.close()
    finally:
        srv.stop()
    assert [r["status"] for r in recorder.requests] == [401, 200]
    assert counts["rejected"] == 1 and counts["delivered"] == 1
    assert "HTTP 401" in caplog.text
    assert API_KEY not in caplog.text


def test_it_retries_408_and_429_but_not_404(tmp_path: Path) -> None:
    recorder = Recorder([408, 429, 404])
    srv = Server(recorder)
    try:
        sink = _sink(srv.url, tmp_path)
        sink.send(_event("new"))
        assert sink.flush(10)
        counts = sink.outbox.counts()
        sink.close()
    finally:
        srv.stop()
    assert [r["status"] for r in recorder.requests] == [408, 429, 404]
    assert counts["rejected"] == 1 and counts["delivered"] == 0


def test_it_buffers_while_the_server_is_down_and_delivers_when_it_comes_up(
    tmp_path: Path,
) -> None:
    port = _free_port()
    sink = _sink(f"http://127.0.0.1:{port}", tmp_path)
    sink.send(_event("new"))
    sink.send(_event("update"))
    sink.send(_event("end"))
    assert not sink.flush(0.3)
    assert sink.outbox.pending() == 3
    recorder = Recorder()
    srv = Server(recorder, port)
    try:
        assert sink.flush(10)
        sink.close()
    finally:
        srv.stop()
    assert [r["type"] for r in recorder.requests] == ["new", "update", "end"]


def test_it_keeps_the_buffer_across_a_worker_restart(tmp_path: Path) -> None:
    port = _free_port()
    first = _sink(f"http://127.0.0.1:{port}", tmp_path)
    first.send(_event("new"))
    first.send(_event("end"))
    assert not first.flush(0.2)
    first.close()
    recorder = Recorder()
    srv = Server(recorder, port)
    try:
        second = _sink(srv.url, tmp_path)
        assert second.outbox.pending() == 2
        assert second.flush(10)
        second.close()
    finally:
        srv.stop()
    assert [r["type"] for r in recorder.requests] == ["new", "end"]
    assert base64.b64decode(recorder.requests[0]["snapshot_jpeg"]) == b"\xff\xd8jpeg\xff\xd9"


def test_it_refuses_a_url_that_is_not_http(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="http"):
        HttpSink("file:///etc/passwd", API_KEY, str(tmp_path / "o.sqlite3"))


def test_it_is_a_sink_and_the_factory_wires_it_from_the_config(
    server: Server, recorder: Recorder, tmp_path: Path
) -> None:
    import argparse

    from kamtibmas_cctv.comms import comms_sink
    from kamtibmas_cctv.config import parse_config
    from kamtibmas_cctv.sinks import MultiSink, Sink

    config = parse_config({
        "cameras": [{"name": "cam1", "url": "clip.avi", "zones": []}],
        "server": {"url": server.url, "api_key": API_KEY},
    })  # fmt: skip
    out = tmp_path / "events.jsonl"
    args = argparse.Namespace(out=str(out), buffer=str(tmp_path / "outbox.sqlite3"))
    sink = comms_sink(config, args)
    assert isinstance(sink, MultiSink) and all(isinstance(s, Sink) for s in sink.sinks)
    sink.send(_event("new"))
    sink.close()  # waits up to close_timeout_s for delivery
    assert [r["type"] for r in recorder.requests] == ["new"]
    assert out.read_text().count("\n") == 1
