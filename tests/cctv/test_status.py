"""The worker reports each camera's status to the server (online, last frame, frame rate)."""

from __future__ import annotations

import doctest
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kamtibmas_cctv import status
from kamtibmas_cctv.status import CameraStatus, StatusReporter


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({**body, "auth": self.headers.get("Authorization"), "path": self.path})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()


def test_it_measures_the_frame_rate_between_reports() -> None:
    cam = CameraStatus("gate")
    for k in range(11):
        cam.frame(1000.0 + k * 0.2)  # 5 fps for 2 s
    first = cam.report(now=1002.0)
    assert first["online"] and first["measured_fps"] == pytest.approx(5.5)
    assert cam.report(now=1010.0)["measured_fps"] == 0.0  # no frame since
    cam.lost()
    assert cam.report(now=1011.0)["online"] is False


def test_it_posts_each_camera_and_says_offline_when_stopping(server: Any) -> None:
    url, received = server
    cams = [CameraStatus("a"), CameraStatus("b")]
    cams[0].frame(1.0)
    reporter = StatusReporter(url + "/", "secret-key", cams, interval_s=3600)
    reporter.post_all()
    reporter.stop()
    assert [(r["camera"], r["online"]) for r in received] == [
        ("a", True), ("b", False), ("a", False), ("b", False),
    ]  # fmt: skip
    assert {r["path"] for r in received} == {"/api/v1/cctv/status"}
    assert {r["auth"] for r in received} == {"Bearer secret-key"}
    assert reporter.posted == 4 and reporter.failed == 0


def test_an_unreachable_server_is_counted_not_raised() -> None:
    reporter = StatusReporter("http://127.0.0.1:9", None, [CameraStatus("a")], timeout_s=1)
    reporter.post_all()
    assert reporter.failed == 1


def test_docstring_examples_run() -> None:
    assert doctest.testmod(status).failed == 0
