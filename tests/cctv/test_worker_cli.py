"""The command line: analyze writes JSONL events and prints the frame rate; run serves files."""

from __future__ import annotations

import json
import threading
import time

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
