"""Helpers shared by the benchmark scripts: pin to one core, name the CPU, rewrite one section
of RESULTS.md (each script owns the section under its heading and leaves the others alone)."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def pin_one_core() -> str:
    """Pin this process to one CPU; says which (or that it could not)."""
    try:
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return "not pinned"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover
        pass
    return platform.processor() or "unknown"


def write_section(heading: str, section: str, results: Path = RESULTS) -> None:
    """Replace the section that starts with the line ``heading`` (up to the next ``## ``) by
    ``section`` (which starts with that heading), or append it."""
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    body = section.rstrip("\n") + "\n\n"
    if pattern.search(text):
        text = pattern.sub(lambda _: body, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + body
    results.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
