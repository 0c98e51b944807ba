"""Tracking objects across frames with stable ids (greedy IoU, then centroid distance).

A track is confirmed after ``min_hits`` matched frames and dropped after ``max_age`` seconds
without a match; ids only grow, so an id never names two objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from kamtibmas_cctv.detect import Detection
from kamtibmas_cctv.motion import Box


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _centre_distance(a: Box, b: Box) -> float:
    """Distance of the centres, relative to the larger box's diagonal."""
    ca = ((a[0] + a[2]) / 2, (a[1] + a[3]) / 2)
    cb = ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
    diag = max(
        ((a[2] - a[0]) ** 2 + (a[3] - a[1]) ** 2) ** 0.5,
        ((b[2] - b[0]) ** 2 + (b[3] - b[1]) ** 2) ** 0.5,
        1.0,
    )
    return float(((ca[0] - cb[0]) ** 2 + (ca[1] - cb[1]) ** 2) ** 0.5 / diag)


@dataclass
class Track:
    id: int
    box: Box
    first_t: float
    last_t: float
    hits: int = 1
    label: str | None = None
    score: float | None = None
    origin: Box | None = None  # the first box, to tell a moving object from a ghost
    travel: float = 0.0  # farthest the centre got from ``origin``, in box diagonals

    def __post_init__(self) -> None:
        if self.origin is None:
            self.origin = self.box

    def moved_to(self, box: Box) -> None:
        """Take ``box`` as the new position and remember how far the object has travelled."""
        self.box = box
        assert self.origin is not None
        self.travel = max(self.travel, _centre_distance(self.origin, box))

    @property
    def foot(self) -> tuple[float, float]:
        """The bottom centre of the box: where the object stands."""
        return ((self.box[0] + self.box[2]) / 2, float(self.box[3]))


class Tracker:
    def __init__(
        self,
        min_iou: float = 0.2,
        max_distance: float = 0.75,
        max_age: float = 1.5,
        min_hits: int = 3,
    ) -> None:
        self.min_iou = min_iou
        self.max_distance = max_distance
        self.max_age = max_age
        self.min_hits = min_hits
        self.tracks: list[Track] = []
        self.next_id = 1

    def update(self, detections: list[Detection], t: float) -> list[Track]:
        """Match ``detections`` at time ``t``; returns the confirmed tracks seen now."""
        pairs = self._pairs(detections)
        used_t: set[int] = set()
        used_d: set[int] = set()
        for _, ti, di in pairs:
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            self._refresh(self.tracks[ti], detections[di], t)
        for di, det in enumerate(detections):
            if di not in used_d:
                self.tracks.append(Track(self.next_id, det.box, t, t, 1, det.label, det.score))
                self.next_id += 1
        self.tracks = [tr for tr in self.tracks if t - tr.last_t <= self.max_age]
        return [tr for tr in self.tracks if tr.last_t == t and tr.hits >= self.min_hits]

    def _pairs(self, detections: list[Detection]) -> list[tuple[float, int, int]]:
        """Candidate (cost, track, detection) pairs, best first."""
        pairs = []
        for ti, tr in enumerate(self.tracks):
            for di, det in enumerate(detections):
                overlap = iou(tr.box, det.box)
                if overlap >= self.min_iou:
                    pairs.append((1.0 - overlap, ti, di))
                    continue
                dist = _centre_distance(tr.box, det.box)
                if dist <= self.max_distance:
                    pairs.append((1.0 + dist, ti, di))
        pairs.sort()
        return pairs

    @staticmethod
    def _refresh(track: Track, det: Detection, t: float) -> None:
        track.moved_to(det.box)
        track.last_t = t
        track.hits += 1
        if det.label is not None:
            track.label, track.score = det.label, det.score

    def alive(self) -> list[Track]:
        return list(self.tracks)
