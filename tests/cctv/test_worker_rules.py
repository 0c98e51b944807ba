"""Rules on generated videos: intrusion, loitering, passing through, covered lens."""

from __future__ import annotations

from pathlib import Path

import pytest

from kamtibmas_cctv.cli import analyze
from kamtibmas_cctv.config import parse_config
from kamtibmas_cctv.events import Event
from kamtibmas_cctv.sinks import ListSink
from tests.cctv.worker_videos import OBJ_W, walk, write_video, zone_config


def run(video: Path, rules: list[dict[str, object]], **extra: object) -> list[Event]:
    camera = parse_config(zone_config(rules, extra)).cameras[0]
    sink = ListSink()
    analyze(str(video), camera, sink)
    return sink.events


def of(events: list[Event], rule: str, kind: str = "new") -> list[Event]:
    return [e for e in events if e.rule == rule and e.type == kind]


def stay(t_in: float, t_out: float, x_stop: float = 220.0):
    """Walk in from the left at 80 px/s, stand at ``x_stop`` until ``t_out``, vanish."""

    def where(t: float) -> tuple[float, float] | None:
        if t < t_in or t >= t_out:
            return None
        return (min(x_stop, (t - t_in) * 80.0), 120.0)

    return where


def test_it_reports_one_intrusion_when_an_object_enters_the_zone(tmp_path):
    # foot centre x = x + 12 reaches the zone (x >= 160) at 2 + 148/40 = 5.7 s
    video = write_video(tmp_path / "in.avi", 12, walk(2.0, 0, 300, 40.0))
    events = run(video, [{"kind": "intrusion"}])
    new = of(events, "intrusion")
    assert len(new) == 1
    assert new[0].zone == "yard" and new[0].track_id is not None
    assert 5.5 <= new[0].start_s <= 6.6
    assert new[0].snapshot and new[0].snapshot[:2] == b"\xff\xd8"
    ends = of(events, "intrusion", "end")
    assert [e.id for e in ends] == [new[0].id]
    assert ends[0].end_s is not None and ends[0].end_s >= new[0].start_s


def test_it_ignores_an_object_that_stays_outside_the_zone(tmp_path):
    video = write_video(tmp_path / "out.avi", 10, walk(1.0, 0, 100, 30.0))
    assert of(run(video, [{"kind": "intrusion"}]), "intrusion") == []


def test_it_reports_loitering_after_the_set_seconds(tmp_path):
    # in the zone from x + 12 >= 160 at 1 + 148/80 = 2.85 s; loitering from 5.85 s
    video = write_video(tmp_path / "stay.avi", 14, stay(1.0, 11.0))
    events = run(video, [{"kind": "loitering", "seconds": 3}])
    new = of(events, "loitering")
    assert len(new) == 1
    assert 5.7 <= new[0].start_s <= 6.8
    end = of(events, "loitering", "end")
    assert len(end) == 1 and end[0].id == new[0].id
    assert end[0].end_s is not None and 10.0 <= end[0].end_s <= 11.1
    updates = of(events, "loitering", "update")
    assert all(u.id == new[0].id for u in updates) and len(updates) >= 1


def test_it_reports_no_loitering_for_an_object_passing_through(tmp_path):
    # crosses the 160 px wide zone at 100 px/s: about 1.6 s inside, rule needs 3 s
    video = write_video(tmp_path / "pass.avi", 10, walk(1.0, 0, 320 - OBJ_W, 100.0))
    events = run(video, [{"kind": "loitering", "seconds": 3}, {"kind": "intrusion"}])
    assert of(events, "loitering") == []
    assert len(of(events, "intrusion")) == 1  # the same walk is seen


def test_it_reports_a_crowd_when_enough_objects_are_in_the_zone(tmp_path):
    def two(t: float) -> tuple[float, float] | None:
        return stay(1.0, 9.0)(t)

    video = write_video(tmp_path / "one.avi", 10, two)
    assert of(run(video, [{"kind": "crowd", "min_objects": 2}]), "crowd") == []
    events = run(video, [{"kind": "crowd", "min_objects": 1}])
    new = of(events, "crowd")
    assert len(new) == 1 and new[0].objects == 1 and new[0].track_id is None


def test_it_reports_tamper_when_the_lens_is_covered(tmp_path):
    video = write_video(tmp_path / "cover.avi", 14, lambda t: None, dark=lambda t: 4 <= t < 10)
    events = run(video, [{"kind": "intrusion"}])
    new = of(events, "tamper")
    assert [e.label for e in new] == ["covered"]
    assert 6.9 <= new[0].start_s <= 7.3  # 3 s (the default) after the lens went dark
    end = of(events, "tamper", "end")
    assert len(end) == 1 and end[0].end_s is not None and 9.8 <= end[0].end_s <= 10.1
    assert of(events, "intrusion") == []


def test_it_keeps_quiet_on_a_still_scene_with_noise(tmp_path):
    video = write_video(tmp_path / "still.avi", 8, lambda t: None)
    assert run(video, [{"kind": "intrusion"}, {"kind": "crowd", "min_objects": 1}]) == []


def test_it_blacks_out_privacy_masks_before_analysis(tmp_path):
    video = write_video(tmp_path / "masked.avi", 12, walk(2.0, 0, 300, 40.0))
    mask = [[150, 0], [320, 0], [320, 240], [150, 240]]
    events = run(video, [{"kind": "intrusion"}], privacy_masks=[mask])
    assert of(events, "intrusion") == []


@pytest.mark.parametrize("hours,fires", [("22:00-05:00", True), ("06:00-18:00", False)])
def test_it_applies_intrusion_hours_in_the_cameras_local_time(tmp_path, hours, fires):
    from datetime import datetime

    video = write_video(tmp_path / "night.avi", 10, walk(1.0, 0, 300, 60.0))
    camera = parse_config(zone_config([{"kind": "intrusion", "hours": hours}])).cameras[0]
    sink = ListSink()
    start = datetime.fromisoformat("2026-01-05T23:30:00+08:00").timestamp()
    analyze(str(video), camera, sink, start_time=start)
    new = of(sink.events, "intrusion")
    assert len(new) == (1 if fires else 0)
    if fires:
        assert new[0].start_time == pytest.approx(start + new[0].start_s, abs=0.01)


def tamper_events(change) -> list[Event]:
    """Tamper events of 12 s of frames at 10 fps; ``change(frame)`` applies from 4 s on."""
    import cv2
    import numpy as np

    from kamtibmas_cctv.pipeline import CameraPipeline
    from tests.cctv.worker_videos import background

    camera = parse_config(zone_config([{"kind": "intrusion"}])).cameras[0]
    pipe = CameraPipeline(camera, fps=10)
    rng = np.random.default_rng(2)
    bg = cv2.GaussianBlur(background(), (3, 3), 0)
    events: list[Event] = []
    for i in range(120):
        t = i / 10
        frame = change(bg) if t >= 4 else bg
        noisy = np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
        events += pipe.process(noisy, t).events
    return events + pipe.finish()


def test_it_reports_tamper_when_the_camera_is_defocused():
    import cv2

    events = tamper_events(lambda f: cv2.GaussianBlur(f, (31, 31), 0))
    new = of(events, "tamper")
    assert [e.label for e in new] == ["defocused"]
    assert 6.9 <= new[0].start_s <= 7.3
    assert of(events, "intrusion") == []


def test_it_reports_tamper_when_the_camera_is_moved():
    import cv2

    from tests.cctv.worker_videos import background

    elsewhere = cv2.GaussianBlur(background(seed=11), (3, 3), 0)  # turned to another view
    events = tamper_events(lambda f: elsewhere)
    new = of(events, "tamper")
    assert [e.label for e in new] == ["moved"]
    assert 6.9 <= new[0].start_s <= 7.5  # most of the picture changed for 3 s


def test_it_needs_the_intrusion_dwell_before_firing(tmp_path):
    # crosses the zone in about 1.6 s: enough for the default dwell (0.8 s), not for 2 s
    video = write_video(tmp_path / "pass.avi", 10, walk(1.0, 0, 320 - OBJ_W, 100.0))
    assert len(of(run(video, [{"kind": "intrusion"}]), "intrusion")) == 1
    assert of(run(video, [{"kind": "intrusion", "min_seconds": 2}]), "intrusion") == []


def in_out_in(t: float) -> tuple[float, float] | None:
    """In the zone from 2.85 s, out (x < 148) at about 4.1 s, back in at about 8.1 s."""
    if t < 1.0 or t >= 11.0:
        return None
    if t < 3.5:
        return ((t - 1.0) * 80.0, 120.0)
    if t < 5.25:
        return (200.0 - (t - 3.5) * 80.0, 120.0)
    if t < 7.0:
        return (60.0, 120.0)
    return (min(200.0, 60.0 + (t - 7.0) * 80.0), 120.0)


def test_it_does_not_report_a_burst_for_one_object_stepping_in_and_out(tmp_path):
    video = write_video(tmp_path / "inout.avi", 12, in_out_in)
    events = run(video, [{"kind": "intrusion"}])  # re-arms 10 s after an intrusion ends
    new = of(events, "intrusion")
    assert len(new) == 1 and 2.7 <= new[0].start_s <= 3.8  # starts when it entered
    assert [e.id for e in of(events, "intrusion", "end")] == [new[0].id]
    twice = of(run(video, [{"kind": "intrusion", "rearm_seconds": 2}]), "intrusion")
    assert len(twice) == 2 and 7.9 <= twice[1].start_s <= 9.0


def test_it_reports_no_intrusion_for_an_object_that_appears_without_moving(tmp_path):
    # a ghost of the background model or a screen switched on: inside, but it never entered
    video = write_video(tmp_path / "ghost.avi", 10, lambda t: (220.0, 120.0) if t >= 3 else None)
    events = run(video, [{"kind": "intrusion", "min_seconds": 0}, {"kind": "loitering",
                                                                   "seconds": 2}])  # fmt: skip
    assert of(events, "intrusion") == []
    assert len(of(events, "loitering")) == 1  # it is seen all the same


def test_it_rejects_a_negative_intrusion_dwell():
    from kamtibmas_cctv.config import ConfigError

    with pytest.raises(ConfigError, match="min_seconds"):
        parse_config(zone_config([{"kind": "intrusion", "min_seconds": -1}]))
