"""The pipeline on real footage: loitering at a table, stable track ids on a busy walkway."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from kamtibmas_cctv.capture import read_file
from kamtibmas_cctv.cli import analyze
from kamtibmas_cctv.config import parse_config
from kamtibmas_cctv.pipeline import CameraPipeline
from kamtibmas_cctv.sinks import ListSink
from tests.conftest import shared_data

# one-by-one-person-detection.mp4 (768x432, 10 fps): the floor in front of the round table
TABLE = [[330, 300], [560, 300], [560, 432], [330, 432]]
# times (s) with nobody in the picture (frames 0, 210, 500, 700, 900 viewed by hand)
EMPTY = [0.0, 5.0, 21.0, 50.0, 70.0, 90.0]


def test_it_reports_loitering_at_the_table_about_once_per_person():
    clip = shared_data("cctv", "one-by-one-person-detection.mp4")
    camera = parse_config(
        {
            "cameras": [
                {
                    "name": "lobby",
                    "url": clip,
                    "zones": [
                        {
                            "name": "table",
                            "polygon": TABLE,
                            "rules": [{"kind": "loitering", "seconds": 5}],
                        }
                    ],
                }
            ]
        }  # fmt: skip
    ).cameras[0]
    sink = ListSink()
    analyze(clip, camera, sink)
    new = [e for e in sink.events if e.type == "new"]
    ends = {e.id: e for e in sink.events if e.type == "end"}
    assert all(e.rule == "loitering" and e.zone == "table" for e in new)
    # six visits to the table in the clip (two by the same man), one event each
    assert 5 <= len(new) <= 7
    assert set(ends) == {e.id for e in new}
    for e in new:
        end = ends[e.id].end_s
        assert end is not None
        assert not any(e.start_s - 5 <= t <= end for t in EMPTY), (e.start_s, end)
    assert len({e.id for e in new}) == len(new)


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
