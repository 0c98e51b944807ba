"""Capture frames from a file, RTSP or HTTP stream with OpenCV.

A live stream is read in its own thread into a bounded queue: when the consumer is slow the
oldest frame is dropped and counted, so memory never grows. A dropped stream is reopened with
exponential backoff. A file in analyze mode is read frame by frame, in order, none dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Frame:
    """One frame: ``t`` is seconds from the start of the file (or of the stream)."""

    index: int
    t: float
    image: np.ndarray
    wall: float | None = None  # seconds since 1970 UTC, for live streams


def is_live(url: str) -> bool:
    """True for network streams (rtsp/http/...), False for a local file."""
    return "://" in url and not url.startswith("file://")


# A live stream is opened with FFmpeg and explicit timeouts. OpenCV's default (30 s) let a
# silently dead connection (NAT state lost, cable cut behind a switch) block a read for about a
# minute before the reconnect began; FFmpeg gives up after about 3 read timeouts.
OPEN_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 5.0


def open_capture(
    url: str, open_timeout_s: float = OPEN_TIMEOUT_S, read_timeout_s: float = READ_TIMEOUT_S
) -> cv2.VideoCapture:
    """A file through any OpenCV backend; a stream (rtsp://, http://) through FFmpeg, the
    backend its tests use, with the timeouts above."""
    if not is_live(url):
        return cv2.VideoCapture(url.removeprefix("file://"))
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(read_timeout_s * 1000),
    ]  # fmt: skip
    return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)


def file_fps(path: str | Path) -> float | None:
    """The frame rate a video file declares (None when it declares none)."""
    cap = open_capture(str(path))
    try:
        fps = cap.get(cv2.CAP_PROP_FPS) if cap.isOpened() else 0.0
    finally:
        cap.release()
    return fps if fps and fps > 0 else None


def read_file(path: str | Path) -> Iterator[Frame]:
    """Every frame of a video file in order; times from its frame rate (or position)."""
    cap = open_capture(str(path))
    if not cap.isOpened():
        raise OSError(f"cannot open video {path}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
    try:
        index = 0
        while True:
            ok, image = cap.read()
            if not ok:
                break
            t = index / fps if fps > 0 else cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            yield Frame(index, t, image)
            index += 1
    finally:
        cap.release()


class Backoff:
    """Exponential backoff delays: base, 2*base, ... capped at ``cap``; reset on success."""

    def __init__(self, base: float = 0.5, cap: float = 30.0) -> None:
        self.base, self.cap, self.tries = base, cap, 0

    def next(self) -> float:
        delay = min(self.cap, self.base * (2**self.tries))
        self.tries += 1
        return delay

    def reset(self) -> None:
        self.tries = 0


class LiveCapture:
    """Reads a stream in a thread into a queue of ``maxsize`` frames (oldest dropped).

    ``on_lost(t)`` / ``on_back(t)`` are called when the stream drops and comes back.
    """

    def __init__(
        self,
        url: str,
        maxsize: int = 4,
        backoff: Backoff | None = None,
        opener: Callable[[str], cv2.VideoCapture] = open_capture,
    ) -> None:
        self.url = url
        self.frames: queue.Queue[Frame] = queue.Queue(maxsize=maxsize)
        self.backoff = backoff or Backoff()
        self.opener = opener
        self.dropped = 0
        self.read = 0
        self.lost = False
        self.reconnects = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = time.monotonic()

    def start(self) -> LiveCapture:
        self._thread = threading.Thread(target=self._run, name=f"capture-{id(self)}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def put(self, frame: Frame) -> None:
        """Queue a frame, dropping (and counting) the oldest when full."""
        while True:
            try:
                self.frames.put_nowait(frame)
                return
            except queue.Full:
                try:
                    self.frames.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def elapsed(self) -> float:
        """Seconds since the capture was made (the time base of its frames)."""
        return time.monotonic() - self._t0

    def get(self, timeout: float = 1.0) -> Frame | None:
        try:
            return self.frames.get(timeout=timeout)
        except queue.Empty:
            return None

    def _run(self) -> None:
        while not self._stop.is_set():
            cap = self.opener(self.url)
            if cap.isOpened():
                self._pump(cap)
            cap.release()
            if self._stop.is_set():
                break
            self.lost = True
            delay = self.backoff.next()
            log.warning("stream lost, reconnecting in %.1f s", delay)
            self._stop.wait(delay)
            self.reconnects += 1

    def _pump(self, cap: cv2.VideoCapture) -> None:
        while not self._stop.is_set():
            ok, image = cap.read()
            if not ok:
                return
            self.lost = False
            self.backoff.reset()
            now = time.monotonic()
            self.put(Frame(self.read, now - self._t0, image, wall=time.time()))
            self.read += 1
