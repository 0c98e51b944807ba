"""``kamtibmas-cctv``: run the worker on live cameras, or analyze a recorded file.

kamtibmas-cctv run --config cctv.yaml [--out events.jsonl] [--check-config] [--detect-every N]
kamtibmas-cctv analyze VIDEO --config cctv.yaml --camera NAME --out events.jsonl [--detect-every N]

``--detect-every N`` runs the people detector on every n-th analysed frame only (motion blobs
stand in between); without it each camera's ``detect_every`` of the config applies.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from kamtibmas_cctv.capture import LiveCapture, file_fps, is_live, read_file
from kamtibmas_cctv.config import Camera, Config, ConfigError, load_config
from kamtibmas_cctv.detect import detector_from_config
from kamtibmas_cctv.pipeline import CameraPipeline
from kamtibmas_cctv.sinks import JsonlSink, Sink
from kamtibmas_cctv.status import CameraStatus, StatusReporter

log = logging.getLogger("kamtibmas_cctv")

SinkFactory = Callable[[Config, argparse.Namespace], Sink]


def default_sink(config: Config, args: argparse.Namespace) -> Sink:
    """JSONL to ``--out`` or stdout; for ``run`` with a ``server`` or ``mqtt`` section also
    the HTTP and MQTT senders of :mod:`kamtibmas_cctv.comms` (imported only then)."""
    if args.command == "run" and (config.server is not None or config.mqtt is not None):
        from kamtibmas_cctv.comms import comms_sink  # noqa: PLC0415 - paho only when needed

        return comms_sink(config, args)
    return JsonlSink(args.out, getattr(args, "snapshots", None))


def analyze(video: str, camera: Camera, sink: Sink, start_time: float | None = None,
            detect_every: int | None = None) -> tuple[int, float]:  # fmt: skip
    """Run the pipeline over every frame of ``video``; returns (frames, CPU seconds).
    ``detect_every``: None for the camera's own setting."""
    every = camera.detect_every if detect_every is None else detect_every
    pipe = CameraPipeline(camera, detect_every=every, fps=file_fps(video))
    cpu0 = time.process_time()
    frames = 0
    for frame in read_file(video):
        wall = None if start_time is None else start_time + frame.t
        for ev in pipe.process(frame.image, frame.t, wall).events:
            sink.send(ev)
        frames += 1
    wall_end = None if start_time is None else start_time + pipe.last_t
    for ev in pipe.finish(wall_end):
        sink.send(ev)
    return frames, time.process_time() - cpu0


def serve_camera(camera: Camera, sink: Sink, stop: threading.Event,
                 lost_after: float = 5.0, status: CameraStatus | None = None,
                 detect_every: int | None = None) -> None:  # fmt: skip
    """Serve one camera until ``stop``: live streams through a bounded queue, files paced.
    ``detect_every``: None for the camera's own setting."""
    status = status or CameraStatus(camera.name)
    live = is_live(camera.url)
    every = camera.detect_every if detect_every is None else detect_every
    pipe = CameraPipeline(camera, detect_every=every, fps=None if live else file_fps(camera.url))
    if not live:
        _serve_file(camera, pipe, sink, stop, status)
        return
    cap = LiveCapture(camera.url).start()
    last_frame = time.monotonic()
    lost = False
    period = 1.0 / camera.fps if camera.fps else 0.0
    next_at = 0.0
    try:
        while not stop.is_set():
            frame = cap.get(timeout=0.5)
            now = time.monotonic()
            if frame is None:
                if not lost and now - last_frame > lost_after:
                    lost = True
                    status.lost()
                    for ev in pipe.lost(cap.elapsed(), time.time()):
                        sink.send(ev)
                continue
            last_frame = now
            if lost:
                lost = False
                for ev in pipe.back(frame.t, frame.wall):
                    sink.send(ev)
            if period and frame.t < next_at:
                continue  # above the camera's fps target: skip this frame
            next_at = frame.t + period
            status.frame(frame.wall if frame.wall is not None else time.time(), frame.image)
            for ev in pipe.process(frame.image, frame.t, frame.wall).events:
                sink.send(ev)
    finally:
        cap.stop()
        for ev in pipe.finish(time.time()):
            sink.send(ev)
        log.info("camera %s: %d frames, %d dropped", camera.name, pipe.frames, cap.dropped)


def _serve_file(
    camera: Camera, pipe: CameraPipeline, sink: Sink, stop: threading.Event, status: CameraStatus
) -> None:
    start = time.time()
    t0 = time.monotonic()
    for frame in read_file(camera.url):
        if stop.is_set():
            break
        delay = frame.t - (time.monotonic() - t0)
        if delay > 0:
            stop.wait(delay)
        status.frame(start + frame.t, frame.image)
        for ev in pipe.process(frame.image, frame.t, start + frame.t).events:
            sink.send(ev)
    status.lost()
    for ev in pipe.finish(start + pipe.last_t):
        sink.send(ev)


def run(config: Config, sink: Sink, stop: threading.Event | None = None,
        detect_every: int | None = None) -> None:  # fmt: skip
    """Serve every camera in its own thread until ``stop`` is set (or all files end); with a
    ``server`` in the config, report each camera's status to it every 30 seconds.
    ``detect_every`` overrides every camera's own setting."""
    stop = stop or threading.Event()
    statuses = {
        cam.name: CameraStatus(
            cam.name, masks=cam.privacy_masks, thumbnail_every_s=cam.thumbnail_every_s
        )
        for cam in config.cameras
    }
    threads = [
        threading.Thread(
            target=serve_camera,
            args=(cam, sink, stop),
            kwargs={"status": statuses[cam.name], "detect_every": detect_every},
            name=cam.name,
            daemon=True,
        )
        for cam in config.cameras
    ]
    reporter = None
    if config.server is not None:
        reporter = StatusReporter(config.server.url, config.server.api_key, list(statuses.values()))
        reporter.start()
    for th in threads:
        th.start()
    try:
        while any(th.is_alive() for th in threads):
            for th in threads:
                th.join(timeout=0.5)
    finally:
        stop.set()
        for th in threads:
            th.join(timeout=10)
        if reporter is not None:
            reporter.stop()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kamtibmas-cctv", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="serve the cameras of the config")
    r.add_argument("--config", required=True)
    r.add_argument("--out", default=None, help="JSONL file for events (default: stdout)")
    r.add_argument("--snapshots", default=None, help="folder for snapshot JPEGs")
    r.add_argument("--check-config", action="store_true", help="validate the config and stop")
    r.add_argument("--buffer", default=None, help="SQLite outbox for HTTP/MQTT delivery")
    r.add_argument("--detect-every", type=_positive, default=None, metavar="N",
                   help="detect people on every N-th frame only (all cameras; default: each "
                   "camera's detect_every)")  # fmt: skip
    a = sub.add_parser("analyze", help="run the pipeline over a recorded file")
    a.add_argument("video")
    a.add_argument("--config", required=True)
    a.add_argument("--camera", required=True)
    a.add_argument("--out", default=None)
    a.add_argument("--snapshots", default=None)
    a.add_argument("--start-time", default=None,
                   help="ISO time of the first frame (for intrusion hours), e.g. "
                   "2026-01-05T23:00:00+08:00")  # fmt: skip
    a.add_argument("--detect-every", type=_positive, default=None, metavar="N",
                   help="detect people on every N-th frame only (default: the camera's "
                   "detect_every)")  # fmt: skip
    return p


def main(argv: Sequence[str] | None = None, sink_factory: SinkFactory = default_sink) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        config = load_config(args.config)
        if args.command == "analyze":
            camera = config.camera(args.camera)
            start = _start_time(args.start_time)
        _check_models([camera] if args.command == "analyze" else config.cameras)
    except ConfigError as err:
        print(f"config error: {err}", file=sys.stderr)
        return 2
    if args.command == "run" and args.check_config:
        print(f"config OK: {len(config.cameras)} camera(s)")
        return 0
    sink = sink_factory(config, args)
    try:
        if args.command == "analyze":
            return _analyze(args, camera, sink, start)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            run(config, sink, stop, args.detect_every)
        except KeyboardInterrupt:
            stop.set()
        return 0
    finally:
        sink.close()


def _check_models(cameras: list[Camera]) -> None:
    """Load each ONNX model once, so that one the worker cannot use is a config error now
    (and in ``--check-config``), not a traceback in a camera's thread."""
    for cam in cameras:
        if cam.detector.kind == "onnx":
            detector_from_config(cam.detector)


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _start_time(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--start-time must be an ISO time, not {text!r}") from None
    if moment.tzinfo is None:
        raise ConfigError("--start-time needs a UTC offset, e.g. +08:00")
    return moment.timestamp()


def _analyze(args: argparse.Namespace, camera: Camera, sink: Sink, start: float | None) -> int:
    try:
        frames, cpu = analyze(args.video, camera, sink, start, args.detect_every)
    except OSError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    fps = frames / cpu if cpu > 0 else float("inf")
    print(f"{frames} frames in {cpu:.1f} s CPU: {fps:.1f} frames per second", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
