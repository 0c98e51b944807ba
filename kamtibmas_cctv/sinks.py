"""Where events go: the ``Sink`` protocol and the JSONL sink (HTTP and MQTT live elsewhere).

A sink receives every event of every camera, possibly from several threads; ``JsonlSink``
serialises its writes. Snapshots are not written into JSONL; with ``snapshot_dir`` they are
saved as ``<event id>.jpg`` beside it.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

from kamtibmas_cctv.events import Event


@runtime_checkable
class Sink(Protocol):
    def send(self, event: Event) -> None: ...

    def close(self) -> None: ...


class JsonlSink:
    """One JSON object per line to a file (``None`` or ``"-"``: standard output)."""

    def __init__(self, path: str | Path | None = None, snapshot_dir: str | Path | None = None):
        self._own = path not in (None, "-")
        self._out: IO[str] = (
            open(path, "a", encoding="utf-8") if self._own else sys.stdout  # type: ignore[arg-type]  # noqa: SIM115
        )
        self.snapshot_dir = Path(snapshot_dir) if snapshot_dir else None
        if self.snapshot_dir:
            self.snapshot_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.count = 0

    def send(self, event: Event) -> None:
        with self._lock:
            self._out.write(event.to_json() + "\n")
            self._out.flush()
            self.count += 1
            if self.snapshot_dir and event.snapshot:
                (self.snapshot_dir / f"{event.id}-{event.type}.jpg").write_bytes(event.snapshot)

    def close(self) -> None:
        with self._lock:
            if self._own:
                self._out.close()


class ListSink:
    """Keeps events in memory (tests, analysis in a notebook)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def send(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def close(self) -> None:
        pass


class MultiSink:
    """Sends every event to each of several sinks."""

    def __init__(self, sinks: list[Sink]) -> None:
        self.sinks = sinks

    def send(self, event: Event) -> None:
        for sink in self.sinks:
            sink.send(event)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
