"""Analytics snapshots (``facts.Facts``) shared between processes as files in the var directory.

Loading a snapshot from the database takes seconds on a million incidents, and every web
process needs its own copy. The first process to load one for a scope and data version writes
it to ``<VAR_DIR>/analytics/facts-<scope>-<version>.npz`` (plain arrays, no pickle); the others
read that file in tens of milliseconds. An import warms the Polres-wide snapshot of its dataset
when it finishes (``facts.warm``), so the first filter change after it reads a file too.

A file is used only for the exact scope and data version it was written for (both are in its
name, as hashes) and only while it is younger than ``facts.MAX_AGE_S``, the same rules as the
in-memory snapshots. Older versions of the same scope are deleted when a new one is written.
Any failure to read or write is ignored: the database is always the fallback.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from kamtibmas.analytics.facts import MAX_AGE_S, Facts

logger = logging.getLogger(__name__)

ARRAYS = (
    "day",
    "hour",
    "weekday",
    "month",
    "end_day",
    "end_hour",
    "long",
    "category",
    "unit",
    "kelurahan",
    "cell",
    "cell_x_m",
    "cell_y_m",
    "week_key",
)
_NO_UNIT = -1


def folder() -> Path:
    return Path(settings.VAR_DIR) / "analytics"


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode("utf-8")).hexdigest()[:20]


def path_for(key: tuple[str, str], version: tuple[Any, ...]) -> Path:
    return folder() / f"facts-{_digest(key)}-{_digest(version)}.npz"


def save(key: tuple[str, str], version: tuple[Any, ...], facts: Facts) -> None:
    """Write the snapshot (atomically: a temporary file renamed), then drop older versions."""
    path = path_for(key, version)
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
    arrays = {name: getattr(facts, name) for name in ARRAYS}
    arrays["categories"] = np.array(list(facts.categories), dtype=np.str_)
    arrays["units"] = np.array([_NO_UNIT if u is None else u for u in facts.units], dtype=np.int64)
    arrays["kelurahan_codes"] = np.array(list(facts.kelurahan_codes), dtype=np.str_)
    arrays["crs"] = np.array(facts.crs)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as fh:
            np.savez(fh, **arrays)
        os.replace(temporary, path)
        for old in path.parent.glob(f"facts-{_digest(key)}-*.npz"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("analytics snapshot not written: %s", exc.strerror)
        temporary.unlink(missing_ok=True)


def read(key: tuple[str, str], version: tuple[Any, ...]) -> Facts | None:
    """The snapshot written for this scope and version, or ``None``."""
    path = path_for(key, version)
    try:
        age = time.time() - path.stat().st_mtime
        if age >= MAX_AGE_S:
            return None
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in ARRAYS}
            units = tuple(None if u == _NO_UNIT else int(u) for u in data["units"].tolist())
            categories = tuple(str(c) for c in data["categories"].tolist())
            codes = tuple(str(c) for c in data["kelurahan_codes"].tolist())
            crs = str(data["crs"])
    except (OSError, ValueError, KeyError):
        return None
    return Facts(
        version=version,
        loaded_at=time.monotonic() - age,
        categories=categories,
        units=units,
        kelurahan_codes=codes,
        crs=crs,
        **arrays,
    )


def clear() -> None:
    """Delete every stored snapshot (tests, and ``facts.forget``)."""
    for path in folder().glob("facts-*.npz"):
        path.unlink(missing_ok=True)
