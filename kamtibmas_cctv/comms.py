"""The sinks of a worker from its config: JSONL, plus HTTP and MQTT where configured.

``comms_sink`` has the shape of :data:`kamtibmas_cctv.cli.SinkFactory`, so ``main`` can use it
in place of the JSONL-only default. The disk outbox of HTTP and MQTT is one SQLite file:
``--buffer`` when the command has it, else ``$KAMTIBMAS_CCTV_BUFFER``, else
``kamtibmas-cctv-outbox.sqlite3`` in the working directory.
"""

from __future__ import annotations

import argparse
import os

from kamtibmas_cctv.comms_http import HttpSink
from kamtibmas_cctv.comms_mqtt import MqttSink
from kamtibmas_cctv.config import Config
from kamtibmas_cctv.sinks import JsonlSink, MultiSink, Sink

DEFAULT_BUFFER = "kamtibmas-cctv-outbox.sqlite3"


def buffer_path(args: argparse.Namespace) -> str:
    """Where the outbox lives (see the module docstring)."""
    given = getattr(args, "buffer", None)
    return str(given or os.environ.get("KAMTIBMAS_CCTV_BUFFER") or DEFAULT_BUFFER)


def comms_sink(config: Config, args: argparse.Namespace) -> Sink:
    """JSONL to ``--out`` (or stdout) and, when configured, the server and the broker."""
    sinks: list[Sink] = [JsonlSink(args.out, getattr(args, "snapshots", None))]
    path = buffer_path(args)
    if config.server is not None:
        sinks.append(HttpSink(config.server.url, config.server.api_key, path))
    if config.mqtt is not None:
        sinks.append(MqttSink(config.mqtt.host, path, port=config.mqtt.port,
                              topic_prefix=config.mqtt.topic_prefix))  # fmt: skip
    return sinks[0] if len(sinks) == 1 else MultiSink(sinks)
