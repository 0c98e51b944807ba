"""Events: what the worker reports, in one shape for the JSONL file, HTTP and MQTT.

An event has a life: ``new`` when a rule first fires for a track (or a camera), ``update``
while it lasts (box moved, snapshot improved), ``end`` when it stops. All three carry the same
``id`` so receivers can fold them into one alert. For a recorded file, times are seconds from
its start (``start_s``, ``end_s``); for a live stream also wall-clock times (``start_time``,
``end_time``, seconds since 1970 UTC).

>>> e = Event(type="new", id="cam1-7-loitering-12.0", camera="cam1", zone="parking",
...           rule="loitering", track_id=7, start_s=12.0, end_s=None, box=(10, 20, 50, 120))
>>> e.to_dict()["box"], e.to_dict()["end_s"]
([10, 20, 50, 120], None)
>>> Event.from_dict(e.to_dict()) == e
True
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

EventType = Literal["new", "update", "end"]
EVENT_TYPES: tuple[str, ...] = ("new", "update", "end")
RULES: tuple[str, ...] = ("intrusion", "loitering", "crowd", "tamper", "stream_lost")


@dataclass(frozen=True)
class Event:
    """One event message. ``box`` is ``(x1, y1, x2, y2)`` in pixels of the source frame (None
    for camera-wide rules such as tamper or stream lost); ``track_id`` is None likewise.
    ``snapshot`` is the JPEG (privacy masks applied) as bytes, never written into JSONL."""

    type: EventType
    id: str
    camera: str
    zone: str | None
    rule: str
    track_id: int | None
    start_s: float
    end_s: float | None
    box: tuple[int, int, int, int] | None
    start_time: float | None = None
    end_time: float | None = None
    label: str | None = None  # "person", "car", ... when a detector named the object
    score: float | None = None
    objects: int | None = None  # crowd: how many objects were in the zone
    snapshot: bytes | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready fields (no snapshot; ``box`` as a list)."""
        out = asdict(replace(self, snapshot=None))
        out.pop("snapshot")
        out["box"] = None if self.box is None else [int(v) for v in self.box]
        out["has_snapshot"] = self.snapshot is not None
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any], snapshot: bytes | None = None) -> Event:
        """The event of ``to_dict()``'s output (unknown keys are ignored)."""
        if data.get("type") not in EVENT_TYPES:
            raise ValueError(f"event type must be one of {', '.join(EVENT_TYPES)}")
        raw = data.get("box")
        box: tuple[int, int, int, int] | None = None
        if raw is not None:
            x1, y1, x2, y2 = (int(v) for v in raw)
            box = (x1, y1, x2, y2)
        known = {f for f in cls.__dataclass_fields__ if f not in ("box", "snapshot")}
        values = {k: v for k, v in data.items() if k in known}
        return cls(box=box, snapshot=snapshot, **values)
