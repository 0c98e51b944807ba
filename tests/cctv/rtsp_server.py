"""A minimal RTSP 1.0 server for the worker's tests: real cameras speak RTSP, and no RTSP server
(mediamtx, gst-rtsp-server) can be installed here.

Pure stdlib (sockets + threads). It serves one looped H.264 elementary stream (Annex B, as
``ffmpeg -f h264`` writes it) to one or more clients, RTP interleaved on the RTSP TCP connection
(RFC 2326 section 10.12), so no UDP ports are needed:

- OPTIONS, DESCRIBE (SDP with ``a=rtpmap:96 H264/90000``, ``a=fmtp:96 packetization-mode=1;
  profile-level-id=...;sprop-parameter-sets=...`` and ``a=control``), SETUP (only
  ``RTP/AVP/TCP``; a UDP transport is answered ``461 Unsupported Transport``, as a camera that
  only allows TCP does), PLAY, TEARDOWN, GET_PARAMETER / SET_PARAMETER (keep-alive);
- RTP payload per RFC 6184: single NAL unit packets and FU-A fragments of at most ``mtu`` bytes,
  SPS and PPS repeated before every IDR frame, the marker bit on the last packet of a frame,
  90 kHz timestamps paced by the clip's frame rate, a sender report (RTCP SR) every second;
- each PLAY streams the clip from its first frame and loops it, so a client sees the same
  frames at the same stream times however late it connects;
- optional Basic authentication (``401`` + ``WWW-Authenticate: Basic``) on everything but
  OPTIONS, as most cameras do;
- a session that sends no RTSP request for ``session_timeout`` seconds is dropped (so a client
  without keep-alive loses the stream, like on a real camera);
- :meth:`RtspServer.freeze` silences the open connections without closing them (a dead link),
  :meth:`RtspServer.drop` closes the clients' connections, :meth:`RtspServer.stop` also closes
  the listening socket (a camera that went away) and :meth:`RtspServer.start` brings it back on
  the same port.

Everything a client asked is kept in :attr:`RtspServer.requests` for the tests to inspect.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import itertools
import os
import random
import shutil
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

FFMPEG = shutil.which("ffmpeg") or ""
RTP_CLOCK = 90_000
PAYLOAD_TYPE = 96
NAL_FU_A = 28
NAL_SPS, NAL_PPS, NAL_IDR, NAL_AUD = 7, 8, 5, 9
NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900 to 1970


# --- the clip ---------------------------------------------------------------------------------


def has_x264() -> bool:
    """True when Debian's ffmpeg with the libx264 encoder is installed."""
    if not FFMPEG:
        return False
    encoders = subprocess.run(  # noqa: S603 - fixed arguments
        [FFMPEG, "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=30
    )
    return "libx264" in encoders.stdout


def make_h264(src: Path, dst: Path, gop: int = 10) -> Path:
    """``src`` re-encoded as a baseline H.264 elementary stream (Annex B) with a short GOP, so a
    client that joins or reconnects decodes within ``gop`` frames."""
    subprocess.run(  # noqa: S603 - fixed arguments, temporary files of the test
        [FFMPEG, "-loglevel", "error", "-y", "-i", str(src), "-an", "-c:v", "libx264",
         "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-g", str(gop),
         "-bsf:v", "h264_mp4toannexb", "-f", "h264", str(dst)],
        check=True, timeout=120,
    )  # fmt: skip
    return dst


def split_annexb(data: bytes) -> list[bytes]:
    """The NAL units of an Annex B byte stream, without their start codes."""
    units = []
    for chunk in data.split(b"\x00\x00\x01"):
        unit = chunk.rstrip(b"\x00")  # a 4-byte start code leaves a zero behind
        if unit:
            units.append(unit)
    return units


def nal_type(unit: bytes) -> int:
    return unit[0] & 0x1F


def starts_picture(unit: bytes) -> bool:
    """A slice with first_mb_in_slice == 0 (its ue(v) code is the single bit 1)."""
    return 1 <= nal_type(unit) <= 5 and len(unit) > 1 and bool(unit[1] & 0x80)


@dataclass
class Clip:
    """An H.264 stream cut into frames (access units) for RTP; ``sps``/``pps`` go in the SDP."""

    sps: bytes
    pps: bytes
    frames: list[list[bytes]]
    fps: float

    @classmethod
    def load(cls, path: Path, fps: float) -> Clip:
        sps = pps = b""
        frames: list[list[bytes]] = []
        pending: list[bytes] = []  # SEI and the like: they belong to the next picture
        for unit in split_annexb(path.read_bytes()):
            kind = nal_type(unit)
            if kind == NAL_SPS:
                sps = sps or unit
            elif kind == NAL_PPS:
                pps = pps or unit
            elif kind == NAL_AUD:
                continue
            elif starts_picture(unit) or (1 <= kind <= 5 and not frames):
                frames.append([*pending, unit])
                pending = []
            elif 1 <= kind <= 5:
                frames[-1].append(unit)  # a further slice of the same picture
            else:
                pending.append(unit)
        if not (sps and pps and frames):
            raise ValueError(f"{path} is not an H.264 elementary stream with SPS and PPS")
        return cls(sps, pps, frames, fps)

    def units_of(self, index: int) -> list[bytes]:
        """The NAL units to send for frame ``index`` (looped), SPS and PPS before an IDR."""
        units = self.frames[index % len(self.frames)]
        if any(nal_type(u) == NAL_IDR for u in units):
            return [self.sps, self.pps, *units]
        return units

    def sdp_fmtp(self) -> str:
        sets = ",".join(base64.b64encode(u).decode() for u in (self.sps, self.pps))
        profile = self.sps[1:4].hex().upper()
        return f"packetization-mode=1;profile-level-id={profile};sprop-parameter-sets={sets}"


# --- RTP / RTCP -------------------------------------------------------------------------------


def rtp_payloads(unit: bytes, mtu: int) -> list[bytes]:
    """One NAL unit as RTP payloads (RFC 6184): itself when it fits, else FU-A fragments."""
    if len(unit) <= mtu:
        return [unit]
    indicator = (unit[0] & 0xE0) | NAL_FU_A
    body = unit[1:]
    step = mtu - 2
    chunks = [body[i : i + step] for i in range(0, len(body), step)]
    out = []
    for i, chunk in enumerate(chunks):
        header = nal_type(unit) | (0x80 if i == 0 else 0) | (0x40 if i == len(chunks) - 1 else 0)
        out.append(bytes([indicator, header]) + chunk)
    return out


def rtp_packet(payload: bytes, seq: int, timestamp: int, ssrc: int, marker: bool) -> bytes:
    second = (0x80 if marker else 0) | PAYLOAD_TYPE
    return struct.pack("!BBHII", 0x80, second, seq & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc) + payload


def rtcp_sender_report(ssrc: int, timestamp: int, packets: int, octets: int) -> bytes:
    now = time.time() + NTP_EPOCH_OFFSET
    ntp_hi, ntp_lo = int(now), int((now % 1) * (1 << 32))
    return struct.pack(
        "!BBHIIIIII", 0x80, 200, 6, ssrc, ntp_hi, ntp_lo, timestamp & 0xFFFFFFFF, packets, octets
    )


def interleaved(channel: int, packet: bytes) -> bytes:
    return b"$" + bytes([channel]) + struct.pack("!H", len(packet)) + packet


# --- RTSP -------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    uri: str
    headers: dict[str, str]  # names lower-cased
    status: int = 0  # what the server answered

    @property
    def cseq(self) -> str:
        return self.headers.get("cseq", "0")


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


REASONS = {
    200: "OK",
    401: "Unauthorized",
    404: "Not Found",
    454: "Session Not Found",
    455: "Method Not Valid in This State",
    461: "Unsupported Transport",
    501: "Not Implemented",
}


def parse_request(head: bytes) -> Request:
    lines = head.decode("latin-1").split("\r\n")
    method, uri, _version = (lines[0].split(" ") + ["", ""])[:3]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Request(method, uri, headers)


class Connection:
    """One client's RTSP connection: requests in, answers and interleaved RTP out."""

    def __init__(self, server: RtspServer, sock: socket.socket) -> None:
        self.server, self.sock = server, sock
        self.write_lock = threading.Lock()
        self.closed = threading.Event()
        self.session: str | None = None
        self.channel = 0
        self.setup_uri = ""
        self.last_request = time.monotonic()
        self.ssrc = random.getrandbits(32)
        self.seq0 = random.getrandbits(15)
        self.ts0 = random.getrandbits(31)
        self.sender: threading.Thread | None = None
        self.frozen = False  # a dead link: nothing sent reaches the client any more

    # reading

    def serve(self) -> None:
        buf = b""
        self.sock.settimeout(0.2)
        try:
            while not self.closed.is_set():
                if self._timed_out():
                    break
                try:
                    data = self.sock.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                buf = self._consume(buf + data)
        except OSError:
            pass
        finally:
            self.close()

    def _timed_out(self) -> bool:
        idle = time.monotonic() - self.last_request
        return self.sender is not None and idle > self.server.session_timeout

    def _consume(self, buf: bytes) -> bytes:
        """Handle every complete message in ``buf``; return the incomplete rest."""
        while buf:
            if buf[:1] == b"$":  # the client's RTCP receiver reports: read and ignore
                if len(buf) < 4:
                    return buf
                size = 4 + struct.unpack("!H", buf[2:4])[0]
                if len(buf) < size:
                    return buf
                buf = buf[size:]
                continue
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return buf
            request = parse_request(buf[:end])
            size = end + 4 + int(request.headers.get("content-length", "0") or 0)
            if len(buf) < size:
                return buf
            buf = buf[size:]
            self._handle(request)
        return buf

    def _handle(self, request: Request) -> None:
        self.last_request = time.monotonic()
        answer = self.server.answer(self, request)
        request.status = answer.status
        self.server.record(request)
        head = [f"RTSP/1.0 {answer.status} {REASONS.get(answer.status, 'Error')}"]
        head.append(f"CSeq: {request.cseq}")
        if self.session and "Session" not in answer.headers and answer.status == 200:
            answer.headers["Session"] = self.session
        head += [f"{k}: {v}" for k, v in answer.headers.items()]
        if answer.body:
            head.append(f"Content-Length: {len(answer.body)}")
        self.send(("\r\n".join(head) + "\r\n\r\n").encode() + answer.body)
        if request.method == "PLAY" and answer.status == 200:
            self.sender = threading.Thread(target=self._stream, daemon=True)
            self.sender.start()
        if request.method == "TEARDOWN":
            self.closed.set()

    # writing

    def send(self, data: bytes) -> None:
        if self.frozen:
            return
        with self.write_lock:
            self.sock.sendall(data)

    def _stream(self) -> None:
        """Send the clip from its first frame, looped, paced at its frame rate."""
        clip, mtu = self.server.clip, self.server.mtu
        start = time.monotonic()
        seq, packets, octets, last_report = self.seq0, 0, 0, 0.0
        try:
            for index in itertools.count():
                due = start + index / clip.fps
                if self.closed.wait(max(0.0, due - time.monotonic())):
                    return
                timestamp = self.ts0 + round(index * RTP_CLOCK / clip.fps)
                if time.monotonic() - last_report >= 1.0:
                    report = rtcp_sender_report(self.ssrc, timestamp, packets, octets)
                    self.send(interleaved(self.channel + 1, report))
                    last_report = time.monotonic()
                payloads = [p for u in clip.units_of(index) for p in rtp_payloads(u, mtu)]
                for i, payload in enumerate(payloads):
                    last = i == len(payloads) - 1
                    self.send(interleaved(self.channel, rtp_packet(payload, seq, timestamp,
                                                                   self.ssrc, last)))  # fmt: skip
                    seq, packets, octets = seq + 1, packets + 1, octets + len(payload)
                self.server.frames_sent += 1
        except OSError:
            self.close()

    def close(self) -> None:
        self.closed.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class RtspServer:
    """Serves ``clip`` at ``rtsp://127.0.0.1:{port}/{path}``; port 0 picks a free one.

    ``credentials=(user, password)`` requires Basic authentication. Use as a context manager
    or call :meth:`start` and :meth:`close`.
    """

    def __init__(
        self,
        clip: Clip,
        path: str = "stream1",
        credentials: tuple[str, str] | None = None,
        port: int = 0,
        mtu: int = 1400,
        session_timeout: float = 60.0,
    ) -> None:
        self.clip, self.path, self.credentials = clip, path.strip("/"), credentials
        self.host, self.port, self.mtu = "127.0.0.1", port, mtu
        self.session_timeout = session_timeout
        self.requests: list[Request] = []
        self.accepted = 0
        self.frames_sent = 0
        self._lock = threading.Lock()
        self._connections: list[Connection] = []
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self) -> RtspServer:
        """Listen (again, on the same port once it has one) and accept clients."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(8)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()
        return self

    def drop(self) -> None:
        """Close every client connection (the stream breaks); keep listening."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()

    def freeze(self) -> None:
        """The clients' connections go silent but stay open, like a link whose NAT state or
        cable died: no RTP and no answers reach them. New connections work."""
        with self._lock:
            for conn in self._connections:
                conn.frozen = True

    def stop(self) -> None:
        """Stop listening and drop the clients: the camera is gone until :meth:`start`."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.drop()

    close = stop

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, user: str | None = None, password: str | None = None) -> str:
        """The stream's URL, with ``user:password@`` (percent-encoded) when given."""
        auth = ""
        if user is not None:
            auth = quote(user, safe="") + (
                f":{quote(password, safe='')}" if password is not None else ""
            ) + "@"  # fmt: skip
        return f"rtsp://{auth}{self.host}:{self.port}/{self.path}"

    # what clients asked

    def methods(self) -> list[tuple[str, int]]:
        with self._lock:
            return [(r.method, r.status) for r in self.requests]

    def transports(self) -> list[str]:
        with self._lock:
            return [r.headers.get("transport", "") for r in self.requests if r.method == "SETUP"]

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def clients(self) -> int:
        """Connections open now."""
        with self._lock:
            return sum(1 for c in self._connections if not c.closed.is_set())

    # serving

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                sock, _addr = listener.accept()
            except OSError:
                return  # the listener was closed
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = Connection(self, sock)
            with self._lock:
                self.accepted += 1
                self._connections.append(conn)
            threading.Thread(target=conn.serve, daemon=True).start()

    def answer(self, conn: Connection, request: Request) -> Answer:
        if request.method == "OPTIONS":
            return Answer(200, {"Public": "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, "
                                          "GET_PARAMETER, SET_PARAMETER"})  # fmt: skip
        if not self._authorised(request):
            return Answer(401, {"WWW-Authenticate": 'Basic realm="kamtibmas-test"'})
        handler = {
            "DESCRIBE": self._describe,
            "SETUP": self._setup,
            "PLAY": self._play,
            "GET_PARAMETER": self._keep_alive,
            "SET_PARAMETER": self._keep_alive,
            "TEARDOWN": self._keep_alive,
        }.get(request.method)
        return handler(conn, request) if handler else Answer(501)

    def _authorised(self, request: Request) -> bool:
        if self.credentials is None:
            return True
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(token, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return given == ":".join(self.credentials)

    def _base(self) -> str:
        return f"rtsp://{self.host}:{self.port}/{self.path}/"

    def _describe(self, conn: Connection, request: Request) -> Answer:
        if request.uri.split("://", 1)[-1].partition("/")[2].strip("/") != self.path:
            return Answer(404)
        sdp = "\r\n".join([
            "v=0",
            f"o=- {conn.ssrc} 1 IN IP4 {self.host}",
            "s=Kamtibmas test stream",
            "c=IN IP4 0.0.0.0",
            "t=0 0",
            "a=control:*",
            f"m=video 0 RTP/AVP {PAYLOAD_TYPE}",
            f"a=rtpmap:{PAYLOAD_TYPE} H264/{RTP_CLOCK}",
            f"a=fmtp:{PAYLOAD_TYPE} {self.clip.sdp_fmtp()}",
            f"a=framerate:{self.clip.fps:g}",
            "a=control:trackID=0",
            "",
        ])  # fmt: skip
        headers = {"Content-Base": self._base(), "Content-Type": "application/sdp"}
        return Answer(200, headers, sdp.encode())

    def _setup(self, conn: Connection, request: Request) -> Answer:
        transport = request.headers.get("transport", "")
        if "RTP/AVP/TCP" not in transport.upper():
            return Answer(461)  # no UDP here: the client must fall back to TCP
        channel = 0
        for part in transport.split(";"):
            if part.strip().startswith("interleaved="):
                channel = int(part.split("=", 1)[1].split("-")[0])
        conn.channel, conn.setup_uri = channel, request.uri
        conn.session = conn.session or f"{random.getrandbits(32):08X}"
        timeout = f";timeout={self.session_timeout:g}"
        return Answer(200, {
            "Transport": f"RTP/AVP/TCP;unicast;interleaved={channel}-{channel + 1};"
                         f"ssrc={conn.ssrc:08X}",
            "Session": conn.session + timeout,
        })  # fmt: skip

    def _play(self, conn: Connection, request: Request) -> Answer:
        if conn.session is None:
            return Answer(455)
        if request.headers.get("session", "").split(";")[0] != conn.session:
            return Answer(454)
        if conn.sender is not None:
            return Answer(200)  # already playing
        info = f"url={conn.setup_uri};seq={conn.seq0};rtptime={conn.ts0}"
        return Answer(200, {"Range": "npt=0.000-", "RTP-Info": info})

    def _keep_alive(self, conn: Connection, request: Request) -> Answer:
        return Answer(200)


def require_ffmpeg() -> bool:
    """CI (.ci/run with CI=true) sets KAMTIBMAS_REQUIRE_FFMPEG=1: the tests run there (and
    fail without ffmpeg) instead of being skipped."""
    return os.environ.get("KAMTIBMAS_REQUIRE_FFMPEG") == "1"
