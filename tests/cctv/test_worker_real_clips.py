"""The pipeline on real footage: loitering and intrusion at a table and over the whole frame,
stable track ids on a busy walkway."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from kamtibmas_cctv.capture import read_file
from kamtibmas_cctv.cli import analyze
from kamtibmas_cctv.config import parse_config
from kamtibmas_cctv.events import Event
from kamtibmas_cctv.pipeline import CameraPipeline
from kamtibmas_cctv.sinks import ListSink
from tests.conftest import shared_data

# one-by-one-person-detection.mp4 (768x432, 10 fps): the floor in front of the round table
TABLE = [[330, 300], [560, 300], [560, 432], [330, 432]]
# times (s) with nobody in the picture (frames 0, 210, 500, 700, 900 viewed by hand)
EMPTY = [0.0, 5.0, 21.0, 50.0, 70.0, 90.0]


WHOLE = [[0, 0], [768, 0], [768, 432], [0, 432]]
VISITS = 6  # six visits to the table in the clip (two by the same man)


@pytest.fixture(scope="module")
def lobby_events() -> list[Event]:
    """One pass over the clip with a loitering and an intrusion rule at the table, an
    intrusion rule over the whole frame, and one with no dwell and no re-arm pause."""
    clip = shared_data("cctv", "one-by-one-person-detection.mp4")
    zones = [
        {"name": "table", "polygon": TABLE,
         "rules": [{"kind": "loitering", "seconds": 5}, {"kind": "intrusion"}]},
        {"name": "whole", "polygon": WHOLE, "rules": [{"kind": "intrusion"}]},
        {"name": "raw", "polygon": WHOLE,
         "rules": [{"kind": "intrusion", "min_seconds": 0, "rearm_seconds": 0}]},
    ]  # fmt: skip
    camera = parse_config({"cameras": [{"name": "lobby", "url": clip, "zones": zones}]})
    sink = ListSink()
    analyze(clip, camera.cameras[0], sink)
    return sink.events


def new_of(events: list[Event], zone: str, rule: str) -> list[Event]:
    return [e for e in events if e.type == "new" and e.zone == zone and e.rule == rule]


def assert_outside_empty_scenes(
    events: list[Event], fired: list[Event], lead: float, tail: float = 0.0
) -> None:
    """No event spans a moment with nobody in view (from ``lead`` s before its start to
    ``tail`` s before its end)."""
    ends = {e.id: e for e in events if e.type == "end"}
    assert set(ends) >= {e.id for e in fired}
    for e in fired:
        end = ends[e.id].end_s
        assert end is not None
        assert not any(e.start_s - lead <= t <= end - tail for t in EMPTY), (e.start_s, end)


def test_it_reports_loitering_at_the_table_about_once_per_person(lobby_events):
    new = new_of(lobby_events, "table", "loitering")
    assert VISITS - 1 <= len(new) <= VISITS + 1
    assert len({e.id for e in new}) == len(new)
    assert_outside_empty_scenes(lobby_events, new, lead=5)


@pytest.mark.parametrize("zone", ["table", "whole"])
def test_it_reports_an_intrusion_about_once_per_person(lobby_events, zone):
    # before the dwell, the re-arm pause and the ghost check: 91 over the whole frame
    new = new_of(lobby_events, zone, "intrusion")
    assert VISITS - 1 <= len(new) <= VISITS + 1, [e.start_s for e in new]
    # at 70.0 s a foot is still at the right edge of the frame as the woman leaves
    assert_outside_empty_scenes(lobby_events, new, lead=0, tail=0.5)
    loiter = [e.start_s for e in new_of(lobby_events, "table", "loitering")]
    for start in loiter:  # each stay at the table was announced by an intrusion before it
        assert any(0 < start - e.start_s <= 10 for e in new), start


def test_it_keeps_intrusions_few_even_without_dwell_or_re_arm_pause(lobby_events):
    assert len(new_of(lobby_events, "raw", "intrusion")) <= 2 * VISITS


def test_it_keeps_track_ids_stable_on_a_busy_walkway():
    clip = shared_data("cctv", "vtest_480x360.avi")
    camera = parse_config({"cameras": [{"name": "walkway", "url": clip}]}).cameras[0]
    pipe = CameraPipeline(camera, fps=10)
    seen: dict[int, list[tuple[float, float, float]]] = defaultdict(list)
    for frame in read_file(clip):
        for tr in pipe.process(frame.image, frame.t).tracks:
            x1, y1, x2, y2 = tr.box
            seen[tr.id].append((frame.t, (x1 + x2) / 2, (y1 + y2) / 2))
    total = sum(len(v) for v in seen.values())
    long = sum(len(v) for v in seen.values() if v[-1][0] - v[0][0] >= 3.0)
    assert total > 1000  # the walkway is busy the whole time
    assert long / total >= 0.8  # most sightings belong to tracks that last 3 s or more
    assert len(seen) <= 120  # ids do not multiply (tens of pedestrians in 79.5 s)
    jumps = [
        float(np.hypot(b[1] - a[1], b[2] - a[2]))
        for v in seen.values()
        for a, b in zip(v, v[1:], strict=False)
        if b[0] - a[0] < 0.15
    ]
    assert float(np.percentile(jumps, 95)) <= 25.0  # an id follows one walker, not the next
