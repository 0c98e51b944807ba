"""One camera's pipeline: frame -> privacy masks -> motion -> detection -> tracking -> rules.

>>> from kamtibmas_cctv.config import parse_config
>>> cam = parse_config({"cameras": [{"name": "c", "url": "x.avi"}]}).cameras[0]
>>> CameraPipeline(cam, detector=None).frames
0
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kamtibmas_cctv.config import Camera
from kamtibmas_cctv.detect import Detection, Detector, MotionOnly, detector_from_config
from kamtibmas_cctv.events import Event
from kamtibmas_cctv.motion import MotionDetector
from kamtibmas_cctv.rules import Emitter, StreamRules, TamperRules, ZoneRules, end_all
from kamtibmas_cctv.track import Track, Tracker

ABSORB_SECONDS = 90.0  # a still object blends into the background after about this long


def apply_masks(image: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
    """A copy of ``image`` with the privacy mask polygons filled black (the input is kept)."""
    if not masks:
        return image
    out = image.copy()
    cv2.fillPoly(out, masks, (0, 0, 0))
    return out


def encode_jpeg(image: np.ndarray, quality: int = 80) -> bytes | None:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return buf.tobytes() if ok else None


@dataclass
class FrameResult:
    events: list[Event]
    tracks: list[Track]


class CameraPipeline:
    """Feed frames in time order with ``process``; call ``finish`` at the end of the stream.

    ``detector``: None for the one the camera's config names; ``detect_every``: run the
    detector on every n-th frame only (motion blobs stand in between); ``fps``: the frame rate
    fed in (file rate, or the camera's target), which sets how fast the background learns.
    """

    def __init__(
        self,
        camera: Camera,
        detector: Detector | None = None,
        motion: MotionDetector | None = None,
        detect_every: int = 1,
        snapshots: bool = True,
        fps: float | None = None,
    ) -> None:
        self.camera = camera
        if detector is None:
            detector = detector_from_config(camera.detector)
        self.detector = detector
        self.fallback = MotionOnly()
        rate = fps or camera.fps or 10.0
        self.motion = motion or MotionDetector(
            absorb_frames=int(rate * ABSORB_SECONDS), global_frames=int(rate * 3)
        )
        self.tracker = Tracker()
        self.emitter = Emitter(camera.name)
        self.zones = ZoneRules(camera, self.emitter)
        self.tamper = TamperRules(self.emitter, camera.tamper.seconds)
        self.stream = StreamRules(self.emitter)
        self.masks = [np.array(m, dtype=np.int32) for m in camera.privacy_masks]
        self.detect_every = max(1, detect_every)
        self.snapshots = snapshots
        self.frames = 0
        self.last_t = 0.0
        self.moved = False

    def process(self, image: np.ndarray, t: float, wall: float | None = None) -> FrameResult:
        """The events of one frame at ``t`` seconds (``wall``: epoch seconds if known)."""
        self.frames += 1
        self.last_t = t
        image = apply_masks(image, self.masks)
        grey, back = self.motion.small_grey(image)

        def snap() -> bytes | None:
            return encode_jpeg(image) if self.snapshots else None

        events: list[Event] = []
        covered = False
        if self.camera.tamper.enabled:
            events += self.tamper.update(grey, self.moved, t, wall, snap)
            covered = self.tamper.current in ("covered", "defocused")
        detections: list[Detection] = []
        if not covered:  # a covered lens would teach the background model a black picture
            motion = self.motion.update_grey(grey, back)
            self.moved = motion.global_change
            detector = self.detector if self.frames % self.detect_every == 0 else self.fallback
            detections = detector.detect(image, motion.boxes) if motion.boxes else []
        tracks = self.tracker.update(detections, t)
        events += self.zones.update(tracks, t, wall, snap)
        return FrameResult(events, tracks)

    def lost(self, t: float, wall: float | None = None) -> list[Event]:
        return self.stream.lost(t, wall)

    def back(self, t: float, wall: float | None = None) -> list[Event]:
        return self.stream.back(t, wall)

    def finish(self, wall: float | None = None) -> list[Event]:
        """End every open event at the last frame's time."""
        return end_all(self.emitter, self.last_t, wall)
