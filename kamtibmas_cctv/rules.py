"""Rules: intrusion, loitering and crowd per zone; tamper and stream lost per camera.

Each rule turns the confirmed tracks of a frame into events with a life: ``new`` when it first
fires, ``update`` every ``update_every`` seconds while it holds, ``end`` when it stops (the
object left the zone or vanished for longer than ``grace`` seconds). Objects are placed by their
foot point (bottom centre of the box). Loitering is per track. Intrusion is per zone: motion
blobs split into fragments, reflections and ghosts, so it fires only for an object that moved
and stayed inside ``min_seconds``, holds while that object stays, and re-arms ``rearm_seconds``
after it ended. Intrusion hours are read in the camera's local time; where the wall-clock time
of a frame is unknown (a file analysed without ``--start-time``) they are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from kamtibmas_cctv.config import Camera, CrowdRule, IntrusionRule, LoiteringRule, parse_hours
from kamtibmas_cctv.events import Event
from kamtibmas_cctv.motion import Box
from kamtibmas_cctv.track import Track

Snapshot = Callable[[], bytes | None]

# An intruder came from somewhere: a track whose centre never moved this far (in diagonals of
# its box) is a ghost left in the background model or a flickering screen, not an entry.
MIN_TRAVEL = 0.2


def in_hours(wall: float | None, hours: str | None, tz: str) -> bool:
    """Whether the epoch time ``wall`` falls in ``hours`` ("22:00-05:00") in zone ``tz``."""
    if hours is None or wall is None:
        return True
    start, end = parse_hours(hours)
    local = datetime.fromtimestamp(wall, UTC).astimezone(ZoneInfo(tz))
    minute = local.hour * 60 + local.minute
    if start <= end:
        return start <= minute < end
    return minute >= start or minute < end


@dataclass
class Active:
    """An event that has fired and not ended."""

    event: Event
    last_emit: float
    last_true: float


@dataclass
class Emitter:
    """Keeps active events and emits new/update/end for them."""

    camera: str
    update_every: float = 5.0
    active: dict[tuple[object, ...], Active] = field(default_factory=dict)

    def hold(self, key: tuple[object, ...], t: float, wall: float | None, snap: Snapshot,
             since: float | None = None, **fields: object) -> list[Event]:  # fmt: skip
        """The rule holds now for ``key``: a new event, an update, or nothing. ``since``: when
        the condition began, if before ``t`` (an intrusion confirmed after a dwell starts when
        the object entered, not when the dwell ran out)."""
        cur = self.active.get(key)
        if cur is None:
            began = t if since is None else min(since, t)
            start = float(round(began, 3))
            start_time = None if wall is None else wall - (t - began)
            zone, rule, track = fields.get("zone"), str(fields["rule"]), fields.get("track_id")
            eid = f"{self.camera}-{zone or '-'}-{rule}-{track or 0}-{start:.2f}"
            ev = Event(type="new", id=eid, camera=self.camera, start_s=start, end_s=None,
                       start_time=start_time, snapshot=snap(), **fields)  # type: ignore[arg-type]  # fmt: skip
            self.active[key] = Active(ev, t, t)
            return [ev]
        cur.last_true = t
        cur.event = replace(cur.event, **fields)  # type: ignore[arg-type]
        if t - cur.last_emit >= self.update_every:
            cur.last_emit = t
            return [replace(cur.event, type="update", snapshot=snap())]
        return []

    def release(self, key: tuple[object, ...], t: float, wall: float | None) -> list[Event]:
        """The rule no longer holds for ``key``: an end event if it was active."""
        cur = self.active.pop(key, None)
        if cur is None:
            return []
        end = float(round(cur.last_true, 3))
        end_time = None if wall is None else wall - (t - cur.last_true)
        return [replace(cur.event, type="end", end_s=end, end_time=end_time, snapshot=None)]

    def stale(self, t: float, grace: float) -> list[tuple[object, ...]]:
        return [k for k, a in self.active.items() if t - a.last_true > grace]


class ZoneRules:
    """Intrusion, loitering and crowd for the zones of one camera."""

    def __init__(self, camera: Camera, emitter: Emitter, grace: float = 1.5) -> None:
        self.camera = camera
        self.emitter = emitter
        self.grace = grace
        self.polygons = [np.array(z.polygon, dtype=np.float32) for z in camera.zones]
        self.entered: dict[tuple[str, int], float] = {}  # (zone, track) -> first inside
        self.last_inside: dict[tuple[str, int], float] = {}
        self.intrusion_ended: dict[tuple[object, ...], float] = {}  # rule key -> last held

    def update(self, tracks: list[Track], t: float, wall: float | None,
               snap: Snapshot) -> list[Event]:  # fmt: skip
        out: list[Event] = []
        for zone, poly in zip(self.camera.zones, self.polygons, strict=True):
            inside = [tr for tr in tracks if cv2.pointPolygonTest(poly, tr.foot, False) >= 0]
            for tr in inside:
                key = (zone.name, tr.id)
                if t - self.last_inside.get(key, -1e9) > self.grace:
                    self.entered[key] = t
                self.last_inside[key] = t
            for rule in zone.rules:
                out += self._rule(zone.name, rule, inside, t, wall, snap)
        out += self._expire(t, wall)
        return out

    def _rule(self, zone: str, rule: object, inside: list[Track], t: float,
              wall: float | None, snap: Snapshot) -> list[Event]:  # fmt: skip
        out: list[Event] = []
        if isinstance(rule, CrowdRule):
            if len(inside) >= rule.min_objects:
                out += self.emitter.hold(("crowd", zone), t, wall, snap, zone=zone,
                                         rule="crowd", track_id=None, box=_union(inside),
                                         objects=len(inside))  # fmt: skip
            return out
        if isinstance(rule, IntrusionRule):
            return self._intrusion(zone, rule, inside, t, wall, snap)
        if not isinstance(rule, LoiteringRule):  # pragma: no cover - no other rule exists
            return out
        for tr in inside:
            if t - self.entered[(zone, tr.id)] < rule.seconds:
                continue
            out += self.emitter.hold(("loitering", zone, tr.id), t, wall, snap, zone=zone,
                                     rule="loitering", track_id=tr.id, box=tr.box,
                                     label=tr.label, score=tr.score)  # fmt: skip
        return out

    def _intrusion(self, zone: str, rule: IntrusionRule, inside: list[Track], t: float,
                   wall: float | None, snap: Snapshot) -> list[Event]:  # fmt: skip
        """One event per zone occupancy, not per track: motion blobs split and merge, so a
        person is often several short tracks; counting each would give a burst per visit."""
        if not inside or not in_hours(wall, rule.hours, self.camera.timezone):
            return []
        key: tuple[object, ...] = ("intrusion", zone, rule.min_seconds, rule.hours)
        cur = self.emitter.active.get(key)
        if cur is None:
            dwelt = [
                tr
                for tr in inside
                if t - self.entered[(zone, tr.id)] >= rule.min_seconds and tr.travel >= MIN_TRAVEL
            ]
            if not dwelt or t - self.intrusion_ended.get(key, -1e9) < rule.rearm_seconds:
                return []
            first = min(dwelt, key=lambda tr: (self.entered[(zone, tr.id)], tr.id))
            since = self.entered[(zone, first.id)]
            return self.emitter.hold(key, t, wall, snap, since=since, zone=zone,
                                     rule="intrusion", track_id=first.id, box=first.box,
                                     label=first.label, score=first.score)  # fmt: skip
        same = [tr for tr in inside if tr.id == cur.event.track_id]
        if not same:
            return []  # other objects inside do not keep it alive (ghosts, reflections)
        main = same[0]
        return self.emitter.hold(key, t, wall, snap, zone=zone, rule="intrusion",
                                 track_id=main.id, box=main.box,
                                 label=main.label or cur.event.label,
                                 score=main.score if main.label else cur.event.score)  # fmt: skip

    def _expire(self, t: float, wall: float | None) -> list[Event]:
        out: list[Event] = []
        for key in self.emitter.stale(t, self.grace):
            if key[0] == "intrusion":  # one key per zone rule: the map stays small
                self.intrusion_ended[key] = self.emitter.active[key].last_true
            if key[0] in ("crowd", "loitering", "intrusion"):
                out += self.emitter.release(key, t, wall)
        for key in [k for k, v in self.last_inside.items() if t - v > self.grace]:
            self.last_inside.pop(key)
            self.entered.pop(key, None)
        return out


def _union(tracks: list[Track]) -> Box:
    return (min(tr.box[0] for tr in tracks), min(tr.box[1] for tr in tracks),
            max(tr.box[2] for tr in tracks), max(tr.box[3] for tr in tracks))  # fmt: skip


class TamperRules:
    """Lens covered (dark or flat), defocused (sharpness collapsed) or camera moved.

    ``seconds``: how long covered/defocused must last before the event; a move (the whole
    background changed at once) fires at once and ends ``seconds`` later.
    """

    def __init__(self, emitter: Emitter, seconds: float = 3.0) -> None:
        self.emitter = emitter
        self.seconds = seconds
        self.sharpness: float | None = None
        self.since: dict[str, float] = {}
        self.moved_until = -1e9
        self.current: str | None = None

    def state(self, grey: np.ndarray, global_change: bool, t: float) -> str | None:
        """Which tamper holds now (covered, defocused, moved) or None."""
        mean, std = cv2.meanStdDev(grey)
        if float(mean[0][0]) < 25 or float(std[0][0]) < 6:
            return "covered"
        sharp = float(cv2.Laplacian(grey, cv2.CV_32F).var())
        ref = self.sharpness
        if ref is not None and ref > 4 and sharp < 0.3 * ref:
            return "defocused"
        self.sharpness = sharp if ref is None else 0.98 * ref + 0.02 * sharp
        if global_change:
            self.moved_until = t + self.seconds
        return "moved" if t < self.moved_until else None

    def update(self, grey: np.ndarray, global_change: bool, t: float, wall: float | None,
               snap: Snapshot) -> list[Event]:  # fmt: skip
        kind = self.current = self.state(grey, global_change, t)
        out: list[Event] = []
        for other in [k for k in self.since if k != kind]:
            self.since.pop(other)
            out += self.emitter.release(("tamper", other), t, wall)
        if kind is None:
            return out
        first = self.since.setdefault(kind, t)
        if kind == "moved" or t - first >= self.seconds:
            out += self.emitter.hold(("tamper", kind), t, wall, snap, zone=None, rule="tamper",
                                     track_id=None, box=None, label=kind)  # fmt: skip
        return out


class StreamRules:
    """Stream lost: new when frames stop, end when they come back."""

    def __init__(self, emitter: Emitter) -> None:
        self.emitter = emitter

    def lost(self, t: float, wall: float | None) -> list[Event]:
        return self.emitter.hold(("stream_lost",), t, wall, lambda: None, zone=None,
                                 rule="stream_lost", track_id=None, box=None)  # fmt: skip

    def back(self, t: float, wall: float | None) -> list[Event]:
        return self.emitter.release(("stream_lost",), t, wall)


def end_all(emitter: Emitter, t: float, wall: float | None) -> list[Event]:
    """End every active event (the file or the worker stops)."""
    out: list[Event] = []
    for key in list(emitter.active):
        out += emitter.release(key, t, wall)
    return out
