"""A durable on-disk outbox: events wait here until their destination has them.

Every sink (HTTP, MQTT) first writes what it has to deliver into an :class:`Outbox` (one SQLite
file in WAL mode, standard library only), then a :class:`DeliveryLoop` thread sends the oldest
item of its destination, deletes it once the destination acknowledged it, and otherwise retries
it later with exponential backoff. Items of one destination go out strictly in order (a ``new``
never overtakes its ``end``). Delivery is *at least once*: an item is deleted only after the
acknowledgement, so a crash between the two sends it again; receivers deduplicate on
``delivery_id`` (HTTP) or the event ``id`` and ``type`` (MQTT).

The buffer survives a restart of the worker: a new sink opened on the same file delivers what
the old one left. It is bounded by a count and a byte budget per destination. When a new item
would pass the budget, this policy applies, in order, until it fits:

1. the oldest droppable items (``update`` events and MQTT ``snapshot`` messages) are dropped;
2. the attachments (snapshot JPEGs) of the oldest remaining items are stripped;
3. ``new`` and ``end`` are never dropped: the item is kept over budget and counted.

The counts (``queued``, ``delivered``, ``retried``, ``rejected``, ``dropped_budget``,
``stripped_budget``, ``over_budget``) are kept in the same file, per destination.

>>> box = Outbox(":memory:", destination="demo")
>>> box.put("new", b'{"id": "e1"}', event_id="e1")
1
>>> [item.kind for item in box.due(now=0.0)]
['new']
>>> box.ack(1); box.pending(), box.counts()["delivered"]
(0, 1)
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any

logger = logging.getLogger(__name__)

DROPPABLE_KINDS: tuple[str, ...] = ("update", "snapshot")
COUNT_NAMES: tuple[str, ...] = (
    "queued",
    "delivered",
    "retried",
    "rejected",
    "dropped_budget",
    "stripped_budget",
    "over_budget",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dest TEXT NOT NULL,
    kind TEXT NOT NULL,
    event_id TEXT,
    topic TEXT,
    size INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    body BLOB NOT NULL,  -- blobs last: scans of the columns above skip their overflow pages
    attachment BLOB
);
CREATE INDEX IF NOT EXISTS outbox_dest_seq ON outbox (dest, seq);
CREATE INDEX IF NOT EXISTS outbox_dest_kind ON outbox (dest, kind, seq);
-- running totals per destination, kept by triggers, so the budget check is O(1)
CREATE TABLE IF NOT EXISTS outbox_usage (
    dest TEXT PRIMARY KEY,
    items INTEGER NOT NULL,
    bytes INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS outbox_usage_insert AFTER INSERT ON outbox BEGIN
    INSERT INTO outbox_usage (dest, items, bytes) VALUES (NEW.dest, 1, NEW.size)
    ON CONFLICT (dest) DO UPDATE SET items = items + 1, bytes = bytes + NEW.size;
END;
CREATE TRIGGER IF NOT EXISTS outbox_usage_delete AFTER DELETE ON outbox BEGIN
    UPDATE outbox_usage SET items = items - 1, bytes = bytes - OLD.size WHERE dest = OLD.dest;
END;
CREATE TRIGGER IF NOT EXISTS outbox_usage_resize AFTER UPDATE OF size ON outbox BEGIN
    UPDATE outbox_usage SET bytes = bytes - OLD.size + NEW.size WHERE dest = NEW.dest;
END;
CREATE TABLE IF NOT EXISTS outbox_counts (
    dest TEXT NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (dest, name)
);
"""

_COLUMNS = "seq, kind, event_id, topic, body, attachment, attempts, next_at, created_at"


@dataclass(frozen=True)
class Item:
    """One pending delivery. ``body`` is what goes out (JSON bytes or an MQTT payload);
    ``attachment`` an optional snapshot JPEG the sink adds on delivery; ``topic`` the MQTT
    topic (None for HTTP)."""

    seq: int
    kind: str
    event_id: str | None
    topic: str | None
    body: bytes
    attachment: bytes | None
    attempts: int
    next_at: float
    created_at: float


class Outbox:
    """The pending deliveries of one destination in a SQLite file (shared files are fine:
    several destinations, each with its own budget, may live in one file)."""

    def __init__(
        self,
        path: str,
        *,
        destination: str,
        max_items: int = 10_000,
        max_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        if max_items < 1 or max_bytes < 1:
            raise ValueError("the outbox budget (max_items, max_bytes) must be positive")
        self.path = path
        self.destination = destination
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 5000")
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(_SCHEMA)

    def put(
        self,
        kind: str,
        body: bytes,
        *,
        event_id: str | None = None,
        topic: str | None = None,
        attachment: bytes | None = None,
    ) -> int:
        """Store one item durably and return its sequence number (budget policy applied)."""
        size = len(body) + (len(attachment) if attachment else 0)
        with self._transaction():
            cur = self._db.execute(
                "INSERT INTO outbox (dest, kind, event_id, topic, body, attachment, size,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (self.destination, kind, event_id, topic, body, attachment, size, time.time()),
            )
            seq = int(cur.lastrowid or 0)
            self._bump("queued")
            self._enforce_budget(keep=seq)
        return seq

    def due(self, *, now: float | None = None, limit: int = 1) -> list[Item]:
        """The oldest items, in order, up to ``limit``, if the first of them is due at ``now``
        (an item waiting for its backoff holds back the ones behind it: order is kept)."""
        rows = self._query(
            f"SELECT {_COLUMNS} FROM outbox WHERE dest = ? ORDER BY seq LIMIT ?",  # noqa: S608
            (self.destination, limit),
        )
        items = [Item(*row) for row in rows]
        moment = time.time() if now is None else now
        if items and items[0].next_at > moment:
            return []
        return items

    def next_due_at(self) -> float | None:
        """When the oldest item may be tried (seconds since 1970), None when empty."""
        rows = self._query(
            "SELECT next_at FROM outbox WHERE dest = ? ORDER BY seq LIMIT 1", (self.destination,)
        )
        return float(rows[0][0]) if rows else None

    def ack(self, seq: int) -> None:
        """The destination has the item: delete it."""
        self._finish(seq, "delivered")

    def reject(self, seq: int) -> None:
        """The destination refused the item for good (e.g. HTTP 401): delete and count it."""
        self._finish(seq, "rejected")

    def retry_later(self, seq: int, delay_s: float) -> None:
        """Delivery failed for now: try again after ``delay_s`` seconds."""
        with self._transaction():
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_at = ? WHERE seq = ?",
                (time.time() + delay_s, seq),
            )
            self._bump("retried")

    def retry_now(self) -> None:
        """The destination is back: make every waiting item due at once (backoff cleared)."""
        with self._transaction():
            self._db.execute("UPDATE outbox SET next_at = 0 WHERE dest = ?", (self.destination,))

    def pending(self) -> int:
        """How many items wait for delivery."""
        with self._lock:
            return self._usage()[0]

    def counts(self) -> dict[str, int]:
        """The counters of this destination (all names of ``COUNT_NAMES``, zero when unset)."""
        rows = self._query(
            "SELECT name, value FROM outbox_counts WHERE dest = ?", (self.destination,)
        )
        out = dict.fromkeys(COUNT_NAMES, 0)
        out.update({str(name): int(value) for name, value in rows})
        return out

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- internals ---------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    def _finish(self, seq: int, count: str) -> None:
        with self._transaction():
            cur = self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
            if cur.rowcount:
                self._bump(count)

    def _bump(self, name: str, by: int = 1) -> None:
        self._db.execute(
            "INSERT INTO outbox_counts (dest, name, value) VALUES (?, ?, ?)"
            " ON CONFLICT (dest, name) DO UPDATE SET value = value + excluded.value",
            (self.destination, name, by),
        )

    def _usage(self) -> tuple[int, int]:
        row = self._db.execute(
            "SELECT items, bytes FROM outbox_usage WHERE dest = ?", (self.destination,)
        ).fetchone()
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    def _over(self) -> bool:
        count, size = self._usage()
        return count > self.max_items or size > self.max_bytes

    def _enforce_budget(self, keep: int) -> None:
        """Apply the budget policy of the module docstring (inside the put transaction)."""
        marks = ",".join("?" * len(DROPPABLE_KINDS))
        while self._over():
            row = self._db.execute(
                f"SELECT seq FROM outbox WHERE dest = ? AND kind IN ({marks})"  # noqa: S608
                " AND seq != ? ORDER BY seq LIMIT 1",
                (self.destination, *DROPPABLE_KINDS, keep),
            ).fetchone()
            if row is None:
                break
            self._db.execute("DELETE FROM outbox WHERE seq = ?", (row[0],))
            self._bump("dropped_budget")
        while self._over():
            row = self._db.execute(
                "SELECT seq FROM outbox WHERE dest = ? AND attachment IS NOT NULL"
                " ORDER BY seq LIMIT 1",
                (self.destination,),
            ).fetchone()
            if row is None:
                break
            self._db.execute(
                "UPDATE outbox SET size = size - LENGTH(attachment), attachment = NULL"
                " WHERE seq = ?",
                (row[0],),
            )
            self._bump("stripped_budget")
        if self._over():
            self._bump("over_budget")
            logger.warning("outbox %s is over its budget (new/end events are kept)",
                           self.destination)  # fmt: skip


class Outcome(Enum):
    """What one delivery attempt gave."""

    DELIVERED = "delivered"
    REJECTED = "rejected"  # refused for good: drop it
    RETRY = "retry"  # not now: back off and try again


class DeliveryLoop:
    """A thread that empties an :class:`Outbox` through ``attempt(item) -> Outcome``, oldest
    first, backing off ``min(backoff_max_s, backoff_s * 2**attempts)`` after a failure."""

    def __init__(
        self,
        outbox: Outbox,
        attempt: Callable[[Item], Outcome],
        *,
        backoff_s: float = 1.0,
        backoff_max_s: float = 60.0,
        name: str = "outbox",
    ) -> None:
        self.outbox = outbox
        self._attempt = attempt
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Something new is in the outbox (or the destination came back): look now."""
        self._idle.clear()
        self._wake.set()

    def flush(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` until the outbox is empty; True when it is."""
        deadline = time.monotonic() + timeout_s
        while self.outbox.pending():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.wake()
            self._idle.wait(min(remaining, 0.05))
        return True

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            items = self.outbox.due()
            if not items:
                self._idle.set()
                self._wake.wait(self._sleep_s())
                continue
            self._deliver(items[0])

    def _sleep_s(self) -> float:
        due = self.outbox.next_due_at()
        if due is None:
            return 1.0
        return max(0.01, min(1.0, due - time.time()))

    def _deliver(self, item: Item) -> None:
        try:
            outcome = self._attempt(item)
        except Exception:  # a sink bug must not kill delivery: retry later
            logger.exception("delivery attempt failed in %s", self.outbox.destination)
            outcome = Outcome.RETRY
        if outcome is Outcome.DELIVERED:
            self.outbox.ack(item.seq)
        elif outcome is Outcome.REJECTED:
            self.outbox.reject(item.seq)
        else:
            delay = min(self.backoff_max_s, self.backoff_s * 2**item.attempts)
            self.outbox.retry_later(item.seq, delay)
