"""The worker against a real RTSP/H.264 stream, as cameras speak it: a pure-Python RTSP server
(tests/cctv/rtsp_server.py) serves an H.264 clip made with Debian's ffmpeg (skipped without it,
like tests/cctv/test_worker_h264.py) to OpenCV's FFmpeg backend, RTP interleaved over TCP."""

from __future__ import annotations

import itertools
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import cv2
import pytest

from kamtibmas_cctv.capture import Backoff, LiveCapture, open_capture
from kamtibmas_cctv.cli import serve_camera
from kamtibmas_cctv.config import Camera, parse_config
from kamtibmas_cctv.sinks import ListSink
from kamtibmas_cctv.status import CameraStatus
from tests.cctv.rtsp_server import (
    Clip,
    RtspServer,
    has_x264,
    make_h264,
    require_ffmpeg,
    rtp_payloads,
)
from tests.cctv.worker_videos import FPS, H, W, walk, write_video, zone_config

pytestmark = pytest.mark.skipif(
    not has_x264() and not require_ffmpeg(),
    reason="ffmpeg with libx264 is not installed (apt-get install ffmpeg)",
)

USER, PASSWORD = "viewer", "p@ss:w/rd 1"  # characters that must be percent-encoded in a URL


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    """12 s at 10 fps: a dark box walks in from the left and enters the zone at 5.7 s."""
    tmp = tmp_path_factory.mktemp("rtsp")
    src = write_video(tmp / "walk.avi", 12, walk(2.0, 0, 300, 40.0))
    return Clip.load(make_h264(src, tmp / "walk.h264"), FPS)


@pytest.fixture
def server(clip: Clip) -> Iterator[RtspServer]:
    with RtspServer(clip) as srv:
        yield srv


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def rtsp_camera(url: str) -> Camera:
    """The intrusion camera of tests/cctv/test_worker_h264.py, reading ``url``."""
    cam = zone_config([{"kind": "intrusion"}])["cameras"][0]
    return parse_config({"cameras": [{**cam, "url": url}]}).cameras[0]


def start_worker(
    camera: Camera, **kwargs: object
) -> tuple[ListSink, threading.Event, threading.Thread]:
    sink, stop = ListSink(), threading.Event()
    worker = threading.Thread(target=serve_camera, args=(camera, sink, stop), kwargs=kwargs)
    worker.start()
    return sink, stop, worker


def lost_events(sink: ListSink, after: int) -> list[str]:
    return [e.type for e in sink.events[after:] if e.rule == "stream_lost"]


def test_the_clip_is_cut_into_frames_and_rtp_packets_of_at_most_the_mtu(clip):
    assert len(clip.frames) == 120
    assert clip.sdp_fmtp().startswith("packetization-mode=1;profile-level-id=42")  # baseline
    first = clip.units_of(0)
    assert [u[0] & 0x1F for u in first[:2]] == [7, 8]  # SPS, PPS before the IDR
    big = max((u for f in clip.frames for u in f), key=len)
    parts = rtp_payloads(big, 400)
    assert len(big) > 400 and all(len(p) <= 400 for p in parts)
    assert b"".join(p[2:] for p in parts) == big[1:]  # FU-A: the NAL header is not repeated
    assert parts[0][1] & 0x80 and parts[-1][1] & 0x40  # start and end bits


def rtsp_request(sock: socket.socket, method: str, uri: str, cseq: int, *headers: str) -> str:
    """Send one request; return the answer's head (the SDP body of a DESCRIBE included)."""
    lines = [f"{method} {uri} RTSP/1.0", f"CSeq: {cseq}", *headers, "", ""]
    sock.sendall("\r\n".join(lines).encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"):  # byte by byte: RTP may follow a PLAY's answer
        head += recv_exactly(sock, 1)
    answer = head.decode("latin-1")
    assert f"CSeq: {cseq}\r\n" in answer
    if "Content-Length: " in answer:
        size = int(answer.split("Content-Length: ")[1].split("\r\n")[0])
        answer += recv_exactly(sock, size).decode("latin-1")
    return answer


def read_interleaved(sock: socket.socket) -> tuple[int, bytes]:
    head = recv_exactly(sock, 4)
    assert head[:1] == b"$", head
    return head[1], recv_exactly(sock, struct.unpack("!H", head[2:])[0])


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "connection closed"
        data += chunk
    return data


def test_the_test_server_speaks_rtsp_and_drops_a_silent_session(clip):
    """The server itself, without FFmpeg: SDP, 461 for UDP, RTP over TCP channel 0 at 90 kHz
    with a marker per frame, then the connection closed once no request came for 1 s."""
    with (
        RtspServer(clip, session_timeout=1) as server,
        socket.create_connection((server.host, server.port), timeout=5) as sock,
    ):
        uri = server.url()
        sdp = rtsp_request(sock, "DESCRIBE", uri, 1, "Accept: application/sdp")
        assert sdp.startswith("RTSP/1.0 200 OK") and "a=rtpmap:96 H264/90000" in sdp
        assert "sprop-parameter-sets=" in sdp and "a=control:trackID=0" in sdp
        udp = "Transport: RTP/AVP;unicast;client_port=5000-5001"
        assert rtsp_request(sock, "SETUP", f"{uri}/trackID=0", 2, udp).startswith("RTSP/1.0 461")
        tcp = "Transport: RTP/AVP/TCP;unicast;interleaved=0-1"
        answer = rtsp_request(sock, "SETUP", f"{uri}/trackID=0", 3, tcp)
        session = answer.split("Session: ")[1].split(";")[0]
        play = rtsp_request(sock, "PLAY", uri, 4, f"Session: {session}")
        played = time.monotonic()
        assert play.startswith("RTSP/1.0 200 OK") and "RTP-Info: url=" in play
        rtp = []
        while sum(1 for p in rtp if p[1] & 0x80) < 3:  # three whole frames
            channel, packet = read_interleaved(sock)
            if channel == 0:
                rtp.append(packet)
        assert all(len(p) - 12 <= server.mtu for p in rtp)
        stamps = sorted({struct.unpack("!I", p[4:8])[0] for p in rtp})
        assert [b - a for a, b in itertools.pairwise(stamps)] == [9000, 9000]  # 90 kHz / 10 fps
        seqs = [struct.unpack("!H", p[2:4])[0] for p in rtp]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        markers = [i for i, p in enumerate(rtp) if p[1] & 0x80]  # the last packet of a frame
        ends = [i for i, p in enumerate(rtp) if i + 1 == len(rtp) or rtp[i + 1][4:8] != p[4:8]]
        assert markers == ends
        sock.settimeout(3)
        with pytest.raises(AssertionError, match="connection closed"):
            while True:
                read_interleaved(sock)
        assert 0.9 < time.monotonic() - played < 2.5
    assert [m for m, _ in server.methods()] == ["DESCRIBE", "SETUP", "SETUP", "PLAY"]


def test_it_reads_rtsp_frames_of_the_right_size_and_keeps_the_session_alive(clip):
    """OpenCV (no OPENCV_FFMPEG_CAPTURE_OPTIONS) asks for TCP at once, and its keep-alive
    (GET_PARAMETER) holds a session that the camera drops after 3 s without a request."""
    with RtspServer(clip, session_timeout=3) as server:
        cap = open_capture(server.url())
        try:
            assert cap.isOpened()
            shapes, t0 = [], time.monotonic()
            while time.monotonic() - t0 < 4.5:  # past the session timeout
                ok, image = cap.read()
                assert ok, f"stream ended after {len(shapes)} frames"
                shapes.append(image.shape)
        finally:
            cap.release()
        assert set(shapes) == {(H, W, 3)} and len(shapes) >= 40
        assert server.transports() == ["RTP/AVP/TCP;unicast;interleaved=0-1"]
        assert ("GET_PARAMETER", 200) in server.methods()


def test_with_other_capture_options_ffmpeg_asks_udp_first_and_falls_back_to_tcp(
    server, monkeypatch
):
    """OpenCV prefers TCP only while OPENCV_FFMPEG_CAPTURE_OPTIONS is unset: set to anything
    else, FFmpeg asks for UDP first; this camera answers 461 and the TCP retry plays."""
    monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "max_delay;500000")
    cap = open_capture(server.url())
    try:
        ok, image = cap.read()
    finally:
        cap.release()
    assert ok and image.shape == (H, W, 3)
    udp, tcp = server.transports()
    assert "UDP" in udp and "TCP" in tcp
    assert [s for m, s in server.methods() if m == "SETUP"] == [461, 200]


def test_the_worker_finds_the_intrusion_in_an_rtsp_stream(server):
    sink, stop, worker = start_worker(rtsp_camera(server.url()))
    try:
        wait_until(lambda: any(e.type == "new" for e in sink.events), 20)
    finally:
        stop.set()
        worker.join(timeout=15)
    new = [e for e in sink.events if e.type == "new"]
    assert [e.rule for e in new] == ["intrusion"], [(e.type, e.rule) for e in sink.events]
    assert new[0].start_time is not None and new[0].snapshot[:2] == b"\xff\xd8"
    assert new[0].box is not None and new[0].box[2] > 160  # in the zone x >= 160
    assert not worker.is_alive()


def test_it_logs_in_with_the_percent_encoded_credentials_of_the_url(clip):
    with RtspServer(clip, credentials=(USER, PASSWORD)) as server:
        url = server.url(USER, PASSWORD)
        assert "%40" in url and "%3A" in url and "%2F" in url and "%20" in url
        cap = open_capture(url)
        try:
            ok, image = cap.read()
        finally:
            cap.release()
        assert ok and image.shape == (H, W, 3)
        describes = [s for m, s in server.methods() if m == "DESCRIBE"]
        assert describes == [401, 200]  # challenged, then Basic with the decoded password


def test_a_wrong_password_leaves_the_worker_running_with_the_stream_down(clip, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    status = CameraStatus("test-cam")
    with RtspServer(clip, credentials=(USER, PASSWORD)) as server:
        camera = rtsp_camera(server.url(USER, "wrong-secret"))
        sink, stop, worker = start_worker(camera, lost_after=1.5, status=status)
        try:
            assert wait_until(lambda: server.accepted >= 3, 6), "no reconnect attempts"
            assert worker.is_alive()
            assert wait_until(lambda: any(e.rule == "stream_lost" for e in sink.events), 3)
            report = status.report()
        finally:
            stop.set()
            worker.join(timeout=15)
        assert not worker.is_alive()
        assert report["online"] is False and report["last_frame_at"] is None
        assert all(s == 401 for m, s in server.methods() if m == "DESCRIBE")
        assert server.frames_sent == 0
    assert [(e.type, e.rule) for e in sink.events] == [
        ("new", "stream_lost"),
        ("end", "stream_lost"),
    ]
    assert "wrong-secret" not in caplog.text and "stream lost" in caplog.text
    stderr = capfd.readouterr().err  # FFmpeg's own messages: why, but not the URL
    assert "401" in stderr and "wrong-secret" not in stderr


def test_live_capture_reconnects_with_backoff_after_the_connection_drops(server):
    cap = LiveCapture(server.url(), maxsize=200, backoff=Backoff(0.2, 1.0)).start()
    try:
        assert wait_until(lambda: cap.read >= 10, 10), "no frames"
        server.drop()
        assert wait_until(lambda: cap.reconnects >= 1, 5), "the drop went unnoticed"
        before = cap.read
        assert wait_until(lambda: cap.read >= before + 10, 10), "no frames after reconnecting"
    finally:
        cap.stop()
    assert cap.reconnects == 1 and not cap.lost
    assert server.accepted == 2
    frames = [cap.frames.get_nowait() for _ in range(cap.frames.qsize())]
    assert frames and all(f.image.shape == (H, W, 3) for f in frames)


def test_live_capture_gives_up_a_silently_dead_connection_after_the_read_timeout(server):
    """The connection stays open but nothing arrives (NAT state or a cable gone): the read
    times out (here 1 s instead of the worker's 5 s), then a new connection plays."""

    def opener(url: str) -> cv2.VideoCapture:
        return open_capture(url, read_timeout_s=1.0)

    cap = LiveCapture(server.url(), maxsize=200, backoff=Backoff(0.2, 1.0), opener=opener)
    cap.start()
    try:
        assert wait_until(lambda: cap.read >= 10, 10), "no frames"
        server.freeze()
        frozen = time.monotonic()
        assert wait_until(lambda: cap.reconnects >= 1, 10), "the dead link was never given up"
        given_up = time.monotonic() - frozen
        before = cap.read
        assert wait_until(lambda: cap.read >= before + 10, 10), "no frames after reconnecting"
    finally:
        cap.stop()
    assert 1.0 <= given_up < 8.0  # OpenCV's default 30 s timeout took about a minute
    assert server.accepted == 2


def test_a_camera_that_never_answers_fails_to_open_after_the_open_timeout():
    with socket.socket() as mute:  # listens (the kernel completes connections), never answers
        mute.bind(("127.0.0.1", 0))
        mute.listen(1)
        t0 = time.monotonic()
        cap = open_capture(f"rtsp://127.0.0.1:{mute.getsockname()[1]}/s", open_timeout_s=1.0)
        took = time.monotonic() - t0
        opened = cap.isOpened()
        cap.release()
    assert not opened and took < 5.0


def test_the_worker_reports_the_camera_lost_and_back_when_it_restarts(server, caplog):
    """The camera goes away (connection refused) for 3 s: the worker retries with backoff
    (not in a tight loop), reports the stream lost, and picks it up again."""
    caplog.set_level(logging.WARNING, logger="kamtibmas_cctv.capture")
    status = CameraStatus("test-cam")
    sink, stop, worker = start_worker(rtsp_camera(server.url()), lost_after=1.0, status=status)
    try:
        assert wait_until(lambda: status.report()["online"], 10), "no frames"
        time.sleep(1.5)  # the start is over: a stream_lost of the opening (slower than 1 s) ended
        seen = len(sink.events)
        server.stop()
        down = time.monotonic()
        assert wait_until(lambda: lost_events(sink, seen) == ["new"], 5), "lost went unnoticed"
        assert status.report()["online"] is False
        time.sleep(max(0.0, 3.0 - (time.monotonic() - down)))
        server.start()
        assert wait_until(lambda: status.report()["online"], 12), "never came back"
        assert wait_until(lambda: lost_events(sink, seen) == ["new", "end"], 2)
    finally:
        stop.set()
        worker.join(timeout=15)
    assert not worker.is_alive()
    assert server.accepted == 2  # refused attempts never reach it; one reconnect succeeded
    delays = [float(r.args[0]) for r in caplog.records if r.msg.startswith("stream lost")]
    assert delays[:3] == [0.5, 1.0, 2.0] and delays == sorted(delays)  # refused: backing off
