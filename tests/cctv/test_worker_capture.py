"""Capture: bounded queue that drops the oldest frames, reconnect with backoff, file order."""

from __future__ import annotations

import time

import numpy as np

from kamtibmas_cctv.capture import Backoff, Frame, LiveCapture, file_fps, is_live, read_file
from tests.cctv.worker_videos import write_video


def frame(i: int) -> Frame:
    return Frame(i, i / 10, np.zeros((4, 4, 3), np.uint8))


def test_it_drops_and_counts_the_oldest_frames_when_the_consumer_is_slow():
    cap = LiveCapture("rtsp://cam/stream", maxsize=3)
    for i in range(10):
        cap.put(frame(i))
    assert cap.frames.qsize() == 3 and cap.dropped == 7
    got = [cap.get(timeout=0.01) for _ in range(4)]
    assert [f.index for f in got if f is not None] == [7, 8, 9]
    assert got[3] is None


def test_it_backs_off_exponentially_up_to_a_cap_and_resets():
    b = Backoff(base=0.5, cap=4.0)
    assert [b.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    b.reset()
    assert b.next() == 0.5


class FakeCapture:
    """Opens or not; yields ``n`` frames then fails like a dropped stream."""

    def __init__(self, ok: bool, n: int = 0) -> None:
        self.ok, self.n = ok, n

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.ok

    def read(self):
        if self.n <= 0:
            return False, None
        self.n -= 1
        return True, np.zeros((4, 4, 3), np.uint8)

    def release(self) -> None:
        pass


def test_it_reconnects_after_the_stream_drops():
    opens = []

    def opener(url: str) -> FakeCapture:
        opens.append(url)
        return FakeCapture(ok=len(opens) != 2, n=3)  # second attempt fails to open

    cap = LiveCapture("rtsp://cam/s", maxsize=100, backoff=Backoff(0.01, 0.02), opener=opener)
    cap.start()
    deadline = time.monotonic() + 5
    while cap.read < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    cap.stop()
    assert cap.read >= 6 and len(opens) >= 3 and cap.reconnects >= 2
    assert cap.dropped == 0


def test_it_reads_every_frame_of_a_file_in_order(tmp_path):
    video = write_video(tmp_path / "v.avi", 3, lambda t: (t * 50, 100))
    frames = list(read_file(video))
    assert [f.index for f in frames] == list(range(30))
    assert frames[10].t == 1.0 and file_fps(video) == 10.0
    assert not is_live(str(video)) and is_live("rtsp://x/y") and is_live("http://x/y.mjpg")
