"""`kamtibmas serve`: gunicorn (WSGI) plus one task worker and the scheduler as children.

Signals are forwarded: Ctrl-C or SIGTERM stops all three; if one child dies, the others are
stopped too and the exit code says so, so a supervisor (systemd, a container runtime) restarts
the whole service instead of leaving it half-alive. Everything logs to stdout/stderr.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kamtibmas.env import env_int, env_str

logger = logging.getLogger(__name__)
STOP_TIMEOUT_S = 20.0


def bind_address(host: str, port: int) -> str:
    """gunicorn's --bind value; IPv6 literals need brackets."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def gunicorn_argv(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "kamtibmas.wsgi:application",
        "--bind",
        bind_address(host, port),
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        "--timeout",
        "60",
        "--graceful-timeout",
        "15",
    ]


def child_commands(host: str, port: int, workers: int, with_worker: bool) -> dict[str, list[str]]:
    cli = [sys.executable, "-m", "kamtibmas.cli"]
    commands = {"web": gunicorn_argv(host, port, workers)}
    if with_worker:
        commands["worker"] = [*cli, "worker", "--no-reload", "--no-startup-delay"]
        commands["scheduler"] = [*cli, "scheduler"]
    return commands


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, get SIGTERM if the supervisor dies (even kill -9)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, int(signal.SIGTERM))


class Supervisor:
    """Start children, forward SIGINT/SIGTERM, stop all when one ends."""

    def __init__(self, commands: dict[str, list[str]]) -> None:
        self.commands = commands
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def start(self) -> None:
        for name, argv in self.commands.items():
            # Own process group: Ctrl-C reaches only this supervisor, which then stops each
            # child exactly once with SIGTERM (a second signal would kill a task mid-way).
            self.children[name] = subprocess.Popen(  # noqa: S603
                argv, env=os.environ.copy(), process_group=0, preexec_fn=_die_with_parent
            )
            logger.info("started %s (pid %d)", name, self.children[name].pid)

    def _signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def wait(self) -> int:
        signal.signal(signal.SIGINT, self._signal)
        signal.signal(signal.SIGTERM, self._signal)
        while not self.stopping:
            for name, child in self.children.items():
                if child.poll() is not None:
                    logger.error(
                        "%s exited with code %s; stopping the others", name, child.returncode
                    )
                    self.stop()
                    return child.returncode or 1
            time.sleep(0.5)
        self.stop()
        return 0

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for name, child in self.children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop in time; killing it", name)
                child.kill()
                child.wait()


class Command(BaseCommand):
    help = (
        "Serve Kamtibmas with gunicorn at HOST:PORT (default 127.0.0.1:8000), with one "
        "background task worker and the scheduler."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            default=env_str("HOST", "127.0.0.1"),
            help="address to listen on (env HOST; default 127.0.0.1)",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=env_int("PORT", 8000, minimum=1),
            help="port to listen on (env PORT; default 8000)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=env_int("WEB_CONCURRENCY", 2, minimum=1),
            help="gunicorn worker processes (env WEB_CONCURRENCY; default 2)",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="serve web only; run `kamtibmas worker` and `kamtibmas scheduler` elsewhere",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port, workers = options["port"], options["workers"]
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, got {port}")
        if workers < 1:
            raise CommandError(f"--workers must be at least 1, got {workers}")
        commands = child_commands(options["host"], port, workers, not options["no_worker"])
        self.stdout.write(
            f"Kamtibmas at http://{bind_address(options['host'], port)}/ "
            "(Ctrl-C to stop / tekan Ctrl-C untuk berhenti)"
        )
        self.stdout.flush()
        supervisor = Supervisor(commands)
        supervisor.start()
        code = supervisor.wait()
        if code:
            raise CommandError("a child process stopped unexpectedly", returncode=code)
