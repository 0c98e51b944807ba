"""Motion on downscaled grey frames, robust to lighting changes and sensor noise.

The frame is shrunk to ``width`` pixels, blurred, and its brightness scaled to the background
model's (a cloud, auto exposure or street lights change every pixel at once, not the scene).
A MOG2 background model with a slow learning rate (a person standing still stays foreground
for about ``absorb_frames`` frames) marks foreground; a morphological opening removes noise;
nearby blobs are merged and those above ``min_area`` become boxes in source-frame pixels. When
half the frame or more stays changed for ``global_frames`` frames even so (the camera was moved
or the view is blocked), the model is relearned and the frame reports ``global_change``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

Box = tuple[int, int, int, int]


@dataclass
class MotionResult:
    boxes: list[Box]
    foreground: float  # fraction of pixels marked foreground
    global_change: bool
    grey: np.ndarray = field(repr=False)  # the small grey frame, for tamper checks


class MotionDetector:
    """Feeds frames in order; ``update(image)`` returns the motion boxes of that frame."""

    def __init__(
        self,
        width: int = 320,
        absorb_frames: int = 600,
        min_area: float = 0.0015,
        global_fraction: float = 0.5,
        var_threshold: float = 25.0,
        global_frames: int = 30,
    ) -> None:
        self.width = width
        # A new still object blends into the background after about ``absorb_frames`` frames
        # (MOG2 takes a component as background once its weight passes ~0.1).
        self.learning_rate = 0.105 / max(1, absorb_frames)
        self.min_area = min_area  # fraction of the small frame
        self.global_fraction = global_fraction
        self.var_threshold = var_threshold
        self.global_frames = global_frames  # frames most of the picture must differ: moved
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self._dilate = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))
        self._reset()
        self.frames = 0

    def _reset(self) -> None:
        self.model = cv2.createBackgroundSubtractorMOG2(
            history=500, varThreshold=self.var_threshold, detectShadows=False
        )
        self.warm = 0
        self.global_run = 0
        self.gain = 1.0

    def small_grey(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """The downscaled, blurred grey frame and the scale back to source pixels."""
        h, w = image.shape[:2]
        scale = self.width / w if w > self.width else 1.0
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1 else image
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        return cv2.GaussianBlur(grey, (5, 5), 0), 1.0 / scale

    def _normalise(self, grey: np.ndarray) -> np.ndarray:
        """Scale brightness to the background's: the median ratio over a pixel grid, which
        objects covering less than half the frame do not move."""
        if self.warm < 20:
            return grey
        bg = self.model.getBackgroundImage()
        if bg is None or bg.shape != grey.shape:
            return grey
        ratio = (bg[::4, ::4].astype(np.float32) + 1.0) / (grey[::4, ::4].astype(np.float32) + 1.0)
        gain = float(np.median(ratio))
        self.gain = gain
        if abs(gain - 1.0) < 0.03:
            return grey
        return cv2.convertScaleAbs(grey, alpha=gain)

    def update(self, image: np.ndarray) -> MotionResult:
        """The motion boxes of the next frame."""
        grey, back = self.small_grey(image)
        return self.update_grey(grey, back)

    def update_grey(self, grey: np.ndarray, back: float) -> MotionResult:
        """``update`` for a frame already made small and grey by ``small_grey``."""
        norm = self._normalise(grey)
        rate = -1.0 if self.warm < 20 else self.learning_rate  # learn fast at first
        mask = self.model.apply(norm, learningRate=rate)
        self.warm += 1
        self.frames += 1
        fg = float(cv2.countNonZero(mask)) / mask.size
        if self.warm <= 20:
            return MotionResult([], fg, False, grey)
        self.global_run = self.global_run + 1 if fg > self.global_fraction else 0
        if self.global_run > self.global_frames:
            self._reset()
            self.model.apply(grey, learningRate=1.0)
            self.warm = 20
            return MotionResult([], fg, True, grey)
        return MotionResult(self._boxes(mask, back), fg, False, grey)

    def _boxes(self, mask: np.ndarray, back: float) -> list[Box]:
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._kernel)
        mask = cv2.dilate(mask, self._dilate)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        min_px = self.min_area * mask.size
        boxes = []
        for c in contours:
            x, y, w, h = cv2.boundingRect(c)
            if w * h >= min_px:
                boxes.append((x, y, x + w, y + h))
        return [
            (int(b[0] * back), int(b[1] * back), int(b[2] * back), int(b[3] * back))
            for b in merge_boxes(boxes)
        ]


def merge_boxes(boxes: list[Box], gap: int = 4) -> list[Box]:
    """Merge boxes that overlap or lie within ``gap`` pixels of each other, until none do.

    >>> merge_boxes([(0, 0, 10, 10), (12, 0, 20, 10), (50, 50, 60, 60)])
    [(0, 0, 20, 10), (50, 50, 60, 60)]
    """
    out = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                a, b = out[i], out[j]
                if (
                    a[0] - gap <= b[2]
                    and b[0] - gap <= a[2]
                    and a[1] - gap <= b[3]
                    and b[1] - gap <= a[3]
                ):
                    out[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del out[j]
                    merged = True
                    break
            if merged:
                break
    return sorted(out)
