"""Detection inside motion regions: OpenCV's built-in HOG people detector, or an ONNX model
(:mod:`kamtibmas_cctv.detect_onnx`, which imports onnxruntime only when configured).

OpenCV 5.0 no longer ships the HOG detector (it moved to the contrib modules); there the
"hog" detector falls back to motion only, with a warning, and OpenCV 4.x provides it.

A motion blob where the detector finds nobody stays an object (``label`` None) so the rules
still work on motion alone; a blob with people becomes one object per person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np

from kamtibmas_cctv.config import ConfigError
from kamtibmas_cctv.motion import Box

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Detection:
    box: Box
    label: str | None = None
    score: float | None = None


class Detector(Protocol):
    def detect(self, image: np.ndarray, regions: list[Box]) -> list[Detection]:
        """Objects found in ``image`` inside ``regions`` (source pixels)."""
        ...


class MotionOnly:
    """No detector: every motion blob is an object."""

    def detect(self, image: np.ndarray, regions: list[Box]) -> list[Detection]:
        return [Detection(b) for b in regions]


def _crop(image: np.ndarray, box: Box, pad: float) -> tuple[np.ndarray, int, int]:
    h, w = image.shape[:2]
    x1, y1, x2, y2 = box
    px, py = int((x2 - x1) * pad), int((y2 - y1) * pad)
    x1, y1 = max(0, x1 - px), max(0, y1 - py)
    x2, y2 = min(w, x2 + px), min(h, y2 + py)
    return image[y1:y2, x1:x2], x1, y1


def hog_available() -> bool:
    """Whether this OpenCV ships the HOG people detector (4.x does; 5.0 moved it out)."""
    return hasattr(cv2, "HOGDescriptor")


class HogPeople:
    """OpenCV's default HOG + linear SVM people detector (no downloaded weights)."""

    def __init__(self, min_score: float = 0.3, min_height: int = 144) -> None:
        if not hog_available():
            raise RuntimeError(
                f"OpenCV {cv2.__version__} has no HOG people detector "
                "(install opencv-python-headless<5 for it)"
            )
        hog: Any = cv2.HOGDescriptor()  # type: ignore[attr-defined,unused-ignore]
        hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())  # type: ignore[attr-defined,unused-ignore]
        self.hog = hog
        self.min_score = min_score
        self.min_height = min_height

    def _people(self, crop: np.ndarray) -> list[tuple[Box, float]]:
        ch, cw = crop.shape[:2]
        if ch < 32 or cw < 16:
            return []
        scale = max(1.0, self.min_height / ch, 72 / cw)
        if ch * scale > 400:
            scale = 400 / ch
        img = cv2.resize(crop, None, fx=scale, fy=scale) if scale != 1.0 else crop
        if img.shape[0] < 128 or img.shape[1] < 64:
            return []
        rects, weights = self.hog.detectMultiScale(img, winStride=(8, 8), padding=(8, 8), scale=1.1)
        out = []
        for (x, y, w, h), s in zip(rects, np.ravel(weights), strict=False):
            if float(s) >= self.min_score:
                box = (int(x / scale), int(y / scale), int((x + w) / scale), int((y + h) / scale))
                out.append((box, float(s)))
        return suppress(out)

    def detect(self, image: np.ndarray, regions: list[Box]) -> list[Detection]:
        found: list[Detection] = []
        for region in regions:
            crop, ox, oy = _crop(image, region, 0.15)
            people = [
                ((b[0] + ox, b[1] + oy, b[2] + ox, b[3] + oy), s) for b, s in self._people(crop)
            ]
            found += split_region(region, people)
        return found


def split_region(region: Box, people: list[tuple[Box, float]]) -> list[Detection]:
    """The objects of one motion blob given the people found in it.

    Detections much shorter than the blob are parts of a person (upper or lower body) and
    only name the blob; one full-height person makes the blob a person (the blob's box is
    steadier than the detector's); two or more split it, one object per person.

    >>> split_region((0, 0, 100, 200), [])
    [Detection(box=(0, 0, 100, 200), label=None, score=None)]
    >>> split_region((0, 0, 100, 200), [((0, 0, 40, 90), 0.6)])[0].label
    'person'
    >>> len(split_region((0, 0, 100, 200), [((0, 0, 45, 190), 0.6), ((50, 5, 98, 200), 0.7)]))
    2
    """
    if not people:
        return [Detection(region)]
    tall = [(b, s) for b, s in people if b[3] - b[1] >= 0.6 * (region[3] - region[1])]
    if len(tall) >= 2:
        return [Detection(b, "person", s) for b, s in tall]
    return [Detection(region, "person", max(s for _, s in people))]


def suppress(found: list[tuple[Box, float]], max_iou: float = 0.4) -> list[tuple[Box, float]]:
    """Non-maximum suppression: keep the best-scoring of boxes that overlap more than
    ``max_iou``.

    >>> suppress([((0, 0, 10, 20), 0.5), ((1, 1, 11, 21), 0.9), ((50, 0, 60, 20), 0.4)])
    [((1, 1, 11, 21), 0.9), ((50, 0, 60, 20), 0.4)]
    """
    kept: list[tuple[Box, float]] = []
    for box, score in sorted(found, key=lambda f: -f[1]):
        if all(_iou(box, k) <= max_iou for k, _ in kept):
            kept.append((box, score))
    return kept


def _iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


ONNX_OPTIONS = ("labels", "class_names", "input_size", "layout")


def make_detector(
    kind: str, model: str | None = None, min_score: float = 0.3, **onnx: Any
) -> Detector:
    """The detector a camera's config names; ``onnx``: options of
    :class:`kamtibmas_cctv.detect_onnx.OnnxDetector` (labels, class_names, input_size, layout).
    A model the onnx detector cannot use raises ConfigError."""
    if kind == "onnx":
        from kamtibmas_cctv.detect_onnx import OnnxDetector  # noqa: PLC0415 - it imports us

        if not model:
            raise ConfigError("an onnx detector needs 'model' (path to the .onnx file)")
        return OnnxDetector(model, min_score=min_score, **onnx)
    if kind == "none":
        return MotionOnly()
    if not hog_available():
        log.warning(
            "OpenCV %s has no HOG people detector: using motion only (objects unlabelled)",
            cv2.__version__,
        )
        return MotionOnly()
    return HogPeople(min_score=min_score)


def detector_from_config(section: Any) -> Detector:
    """The detector of a camera's ``detector:`` config section, with the ONNX options the
    section has (a config without them gets the defaults)."""
    options = {k: getattr(section, k) for k in ONNX_OPTIONS if getattr(section, k, None)}
    return make_detector(section.kind, section.model, section.min_score, **options)
