"""The command line: analyze writes JSONL events and prints the frame rate; run serves files."""

from __future__ import annotations

import json
import threading
import time

import pytest
import yaml

from kamtibmas_cctv.cli import main, run
from kamtibmas_cctv.config import parse_config
from kamtibmas_cctv.events import Event
from kamtibmas_cctv.pipeline import CameraPipeline
from kamtibmas_cctv.sinks import JsonlSink, ListSink, Sink
from tests.cctv.worker_videos import walk, write_video, zone_config


def test_it_analyzes_a_file_into_jsonl(tmp_path, capsys):
    video = write_video(tmp_path / "in.avi", 10, walk(1.0, 0, 300, 50.0))
    config = tmp_path / "cctv.yaml"
    config.write_text(yaml.safe_dump(zone_config([{"kind": "intrusion"}])), encoding="utf-8")
    out = tmp_path / "events.jsonl"
    snaps = tmp_path / "snaps"
    args = ["analyze", str(video), "--config", str(config), "--camera", "test-cam"]
    assert main([*args, "--out", str(out), "--snapshots", str(snaps)]) == 0
    assert "100 frames" in capsys.readouterr().err
    events = [Event.from_dict(json.loads(line)) for line in out.read_text().splitlines()]
    assert [(e.type, e.rule) for e in events] == [("new", "intrusion"), ("end", "intrusion")]
    assert len(list(snaps.glob("*.jpg"))) == 1
    assert main([*args[:-1], "nope"]) == 2
    assert "no camera named 'nope'" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path / "missing.avi"), *args[2:]]) == 1
    assert "cannot open video" in capsys.readouterr().err


def test_it_serves_several_file_cameras_in_threads(tmp_path):
    one = write_video(tmp_path / "a.avi", 6, walk(2.5, 0, 300, 100.0))
    two = write_video(tmp_path / "b.avi", 6, walk(2.5, 0, 300, 100.0))
    cams = []
    for name, path in (("a", one), ("b", two)):
        cam = zone_config([{"kind": "intrusion"}])["cameras"][0]
        cams.append({**cam, "name": name, "url": str(path)})
    sink = ListSink()
    run(parse_config({"cameras": cams}), sink, threading.Event())
    new = [e for e in sink.events if e.type == "new"]
    assert sorted(e.camera for e in new) == ["a", "b"]
    assert all(e.start_time is not None for e in new)


def test_it_reports_a_lost_stream_and_its_return():
    cam = parse_config(zone_config([])).cameras[0]
    pipe = CameraPipeline(cam)
    lost = pipe.lost(10.0, 1000.0)
    assert [(e.type, e.rule) for e in lost] == [("new", "stream_lost")]
    assert pipe.lost(11.0, 1001.0) == []
    back = pipe.back(20.0, 1010.0)
    assert [(e.type, e.id) for e in back] == [("end", lost[0].id)]


def test_it_writes_jsonl_from_several_threads_and_is_a_sink(tmp_path):
    path = tmp_path / "e.jsonl"
    sink = JsonlSink(path)
    assert isinstance(sink, Sink)
    ev = Event(type="new", id="x", camera="c", zone=None, rule="tamper", track_id=None,
               start_s=0.0, end_s=None, box=None)  # fmt: skip
    threads = [threading.Thread(target=lambda: [sink.send(ev) for _ in range(50)])
               for _ in range(4)]  # fmt: skip
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    sink.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 200 and all(json.loads(line)["id"] == "x" for line in lines)


def test_it_reports_stream_lost_when_a_live_camera_cannot_be_reached():
    from kamtibmas_cctv.cli import serve_camera

    # port 9 (discard) on localhost refuses the connection at once
    cam = parse_config({"cameras": [{"name": "x", "url": "http://127.0.0.1:9/a.mjpg"}]})
    sink = ListSink()
    stop = threading.Event()
    th = threading.Thread(target=serve_camera, args=(cam.cameras[0], sink, stop, 0.3))
    th.start()
    deadline = time.monotonic() + 10
    while not sink.events and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    th.join(timeout=10)
    assert [(e.type, e.rule) for e in sink.events] == [
        ("new", "stream_lost"),
        ("end", "stream_lost"),
    ]
    assert sink.events[0].start_time is not None and sink.events[0].box is None


class CountingDetector:
    """Motion blobs as objects; remembers on which frames of its pipeline it ran."""

    def __init__(self) -> None:
        self.pipe: CameraPipeline | None = None
        self.frames: list[int] = []

    def detect(self, image, regions):
        from kamtibmas_cctv.detect import Detection

        assert self.pipe is not None
        self.frames.append(self.pipe.frames)
        return [Detection(b) for b in regions]


def counting_pipelines(monkeypatch) -> list[CountingDetector]:
    """Make the worker's pipelines use counting detectors; returns them as they are made."""
    import kamtibmas_cctv.cli as cli

    made: list[CountingDetector] = []

    def pipeline(camera, **kwargs):
        det = CountingDetector()
        pipe = CameraPipeline(camera, detector=det, **kwargs)
        det.pipe = pipe
        made.append(det)
        return pipe

    monkeypatch.setattr(cli, "CameraPipeline", pipeline)
    return made


def test_it_detects_on_every_nth_frame_as_the_camera_config_says(tmp_path, monkeypatch):
    made = counting_pipelines(monkeypatch)
    video = write_video(tmp_path / "a.avi", 4, walk(0.5, 0, 300, 100.0))
    cam = {**zone_config([{"kind": "intrusion"}])["cameras"][0], "url": str(video)}
    run(parse_config({"cameras": [{**cam, "detect_every": 3}]}), ListSink(), threading.Event())
    assert made[0].frames and all(f % 3 == 0 for f in made[0].frames)


def test_run_takes_detect_every_from_the_command_line(tmp_path, monkeypatch, capsys):
    made = counting_pipelines(monkeypatch)
    video = write_video(tmp_path / "a.avi", 4, walk(0.5, 0, 300, 100.0))
    cam = {**zone_config([{"kind": "intrusion"}])["cameras"][0], "url": str(video)}
    config = tmp_path / "cctv.yaml"
    config.write_text(yaml.safe_dump({"cameras": [{**cam, "detect_every": 3}]}), encoding="utf-8")
    args = ["run", "--config", str(config)]
    assert main([*args, "--detect-every", "4"], sink_factory=lambda c, a: ListSink()) == 0
    assert made[0].frames and all(f % 4 == 0 for f in made[0].frames)
    with pytest.raises(SystemExit):
        main([*args, "--detect-every", "0"])
    assert "must be 1 or more" in capsys.readouterr().err


def test_the_config_refuses_a_detect_every_below_one():
    from kamtibmas_cctv.config import ConfigError

    with pytest.raises(ConfigError, match="detect_every"):
        parse_config({"cameras": [{"name": "c", "url": "x.avi", "detect_every": 0}]})
