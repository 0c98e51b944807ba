"""Detection: pluggable detectors, motion blobs kept as objects, the HOG detector where present."""

from __future__ import annotations

import numpy as np
import pytest

from kamtibmas_cctv.cli import analyze
from kamtibmas_cctv.config import parse_config
from kamtibmas_cctv.detect import (
    Detection,
    HogPeople,
    MotionOnly,
    hog_available,
    make_detector,
    suppress,
)
from kamtibmas_cctv.motion import Box, MotionDetector, merge_boxes
from kamtibmas_cctv.pipeline import CameraPipeline
from kamtibmas_cctv.sinks import ListSink
from kamtibmas_cctv.track import Tracker, iou
from tests.cctv.worker_videos import walk, write_video, zone_config


class Labeller:
    """A plugged-in detector: names every motion blob a car with score 0.9."""

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, image: np.ndarray, regions: list[Box]) -> list[Detection]:
        self.calls += 1
        return [Detection(r, "car", 0.9) for r in regions]


def test_it_carries_a_plugged_in_detectors_labels_into_events(tmp_path):
    video = write_video(tmp_path / "in.avi", 10, walk(1.0, 0, 300, 50.0))
    camera = parse_config(zone_config([{"kind": "intrusion"}])).cameras[0]
    labeller = Labeller()
    pipe = CameraPipeline(camera, detector=labeller, fps=10)
    events = []
    from kamtibmas_cctv.capture import read_file

    for frame in read_file(video):
        events += pipe.process(frame.image, frame.t).events
    new = [e for e in events if e.type == "new"]
    assert [(e.label, e.score) for e in new] == [("car", 0.9)]
    assert labeller.calls > 20  # only frames with motion reach the detector, after warm-up


def test_it_keeps_motion_blobs_as_objects_without_a_detector():
    assert MotionOnly().detect(np.zeros((10, 10, 3), np.uint8), [(1, 2, 3, 4)]) == [
        Detection((1, 2, 3, 4))
    ]


def test_it_says_clearly_when_onnxruntime_is_missing():
    pytest.importorskip("cv2")
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="pip install onnxruntime"):
            make_detector("onnx", "model.onnx")
    else:  # pragma: no cover - onnxruntime installed: a missing model file fails instead
        with pytest.raises(Exception):  # noqa: B017, PT011
            make_detector("onnx", "/nonexistent/model.onnx")


def test_it_falls_back_to_motion_only_where_opencv_has_no_hog():
    det = make_detector("hog")
    assert isinstance(det, HogPeople if hog_available() else MotionOnly)


@pytest.mark.skipif(not hog_available(), reason="this OpenCV has no HOG people detector")
def test_it_labels_people_with_hog_on_a_real_clip():
    from tests.conftest import shared_data

    clip = shared_data("cctv", "one-by-one-person-detection.mp4")
    camera = parse_config({"cameras": [{"name": "lobby", "url": clip, "zones": [
        {"name": "all", "polygon": [[0, 0], [768, 0], [768, 432], [0, 432]],
         "rules": [{"kind": "intrusion"}]}]}]}).cameras[0]  # fmt: skip
    sink = ListSink()
    analyze(clip, camera, sink)
    # An intrusion fires on the first sighting, often before HOG confirms a person; the
    # label then arrives with the event's updates and its end.
    labels = {e.label for e in sink.events if e.type in ("update", "end")}
    assert "person" in labels


def test_it_suppresses_overlapping_detections_and_merges_near_blobs():
    assert suppress([((0, 0, 10, 20), 0.5), ((0, 0, 10, 21), 0.6)]) == [((0, 0, 10, 21), 0.6)]
    assert merge_boxes([(0, 0, 5, 5), (7, 0, 9, 5)]) == [(0, 0, 9, 5)]
    assert merge_boxes([(0, 0, 5, 5), (20, 0, 25, 5)]) == [(0, 0, 5, 5), (20, 0, 25, 5)]


def test_it_tracks_two_crossing_paths_with_stable_ids():
    tracker = Tracker(min_hits=2)
    ids: dict[str, set[int]] = {"a": set(), "b": set()}
    for i in range(20):
        a = (10 + 5 * i, 50, 30 + 5 * i, 100)
        b = (200 - 5 * i, 150, 220 - 5 * i, 200)
        for tr in tracker.update([Detection(a), Detection(b)], i / 10):
            ids["a" if tr.box == a else "b"].add(tr.id)
    assert len(ids["a"]) == 1 and len(ids["b"]) == 1 and ids["a"] != ids["b"]
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)


def test_it_ignores_a_global_brightness_change_in_motion():
    rng = np.random.default_rng(3)
    bg = rng.integers(60, 160, size=(120, 160, 3)).astype(np.uint8)
    motion = MotionDetector(width=160)
    for _ in range(40):
        motion.update(bg)
    brighter = np.clip(bg.astype(np.float32) * 1.3, 0, 255).astype(np.uint8)
    assert [motion.update(brighter).boxes for _ in range(5)] == [[]] * 5
    moved = bg.copy()
    moved[40:90, 60:90] = 10
    assert motion.update(moved).boxes  # a real object still shows
