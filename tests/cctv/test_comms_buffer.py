"""The disk outbox: order, durability, the budget policy and the delivery loop."""

from __future__ import annotations

import doctest
import importlib
import threading
from pathlib import Path

import pytest

from kamtibmas_cctv.buffer import DeliveryLoop, Item, Outbox, Outcome


def _kinds(box: Outbox) -> list[str]:
    return [item.kind for item in box.due(now=float("inf"), limit=1000)]


def test_it_keeps_items_in_order_across_a_reopen(tmp_path: Path) -> None:
    path = str(tmp_path / "o.sqlite3")
    box = Outbox(path, destination="http")
    for kind in ("new", "update", "end"):
        box.put(kind, f'{{"k": "{kind}"}}'.encode(), event_id="e1", attachment=b"jpg")
    box.close()
    again = Outbox(path, destination="http")
    items = again.due(now=float("inf"), limit=10)
    assert [i.kind for i in items] == ["new", "update", "end"]
    assert items[0].body == b'{"k": "new"}' and items[0].attachment == b"jpg"
    assert Outbox(path, destination="mqtt:x").pending() == 0  # destinations are separate


def test_it_holds_back_the_queue_while_the_head_waits_for_its_backoff(tmp_path: Path) -> None:
    box = Outbox(str(tmp_path / "o.sqlite3"), destination="d")
    first = box.put("new", b"1")
    box.put("end", b"2")
    box.retry_later(first, delay_s=3600)
    assert box.due() == []
    box.retry_now()
    assert [i.seq for i in box.due(limit=5)] == [first, first + 1]
    assert box.due()[0].attempts == 1 and box.counts()["retried"] == 1


def test_it_drops_the_oldest_updates_first_and_never_new_or_end(tmp_path: Path) -> None:
    box = Outbox(str(tmp_path / "o.sqlite3"), destination="d", max_items=4)
    box.put("new", b"n")
    box.put("update", b"u1")
    box.put("snapshot", b"s1")
    box.put("update", b"u2")
    box.put("end", b"e")  # 5 > 4: the oldest droppable (u1) goes
    assert [i.body for i in box.due(now=float("inf"), limit=9)] == [b"n", b"s1", b"u2", b"e"]
    box.put("new", b"n2")
    box.put("end", b"e2")
    assert _kinds(box) == ["new", "end", "new", "end"]
    box.put("end", b"e3")  # nothing droppable left: kept over budget, counted
    assert _kinds(box) == ["new", "end", "new", "end", "end"]
    counts = box.counts()
    assert counts["dropped_budget"] == 3 and counts["over_budget"] == 1
    assert counts["queued"] == 8


def test_it_strips_snapshots_before_going_over_the_byte_budget(tmp_path: Path) -> None:
    box = Outbox(str(tmp_path / "o.sqlite3"), destination="d", max_bytes=250)
    box.put("new", b"a" * 10, attachment=b"j" * 100)
    box.put("new", b"b" * 10, attachment=b"j" * 100)
    box.put("end", b"c" * 10, attachment=b"j" * 100)  # 330 > 250: strip the oldest JPEG
    items = box.due(now=float("inf"), limit=9)
    assert [i.attachment is None for i in items] == [True, False, False]
    assert box.counts()["stripped_budget"] == 1 and box.counts()["over_budget"] == 0


def test_it_refuses_an_empty_budget(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="budget"):
        Outbox(str(tmp_path / "o.sqlite3"), destination="d", max_items=0)


def test_the_loop_delivers_rejects_and_retries_until_empty(tmp_path: Path) -> None:
    box = Outbox(str(tmp_path / "o.sqlite3"), destination="d")
    answers = {b"ok": [Outcome.DELIVERED], b"bad": [Outcome.REJECTED],
               b"flaky": [Outcome.RETRY, Outcome.RETRY, Outcome.DELIVERED]}  # fmt: skip
    seen: list[bytes] = []
    lock = threading.Lock()

    def attempt(item: Item) -> Outcome:
        with lock:
            seen.append(item.body)
            return answers[item.body].pop(0)

    for body in (b"flaky", b"bad", b"ok"):
        box.put("new", body)
    loop = DeliveryLoop(box, attempt, backoff_s=0.01, backoff_max_s=0.02)
    loop.start()
    try:
        assert loop.flush(10)
    finally:
        loop.stop()
    assert seen == [b"flaky", b"flaky", b"flaky", b"bad", b"ok"]
    counts = box.counts()
    assert (counts["delivered"], counts["rejected"], counts["retried"]) == (2, 1, 2)


def test_the_loop_survives_an_attempt_that_raises(tmp_path: Path) -> None:
    box = Outbox(str(tmp_path / "o.sqlite3"), destination="d")
    calls: list[int] = []

    def attempt(item: Item) -> Outcome:
        calls.append(item.seq)
        if len(calls) == 1:
            raise RuntimeError("sink bug")
        return Outcome.DELIVERED

    box.put("new", b"x")
    loop = DeliveryLoop(box, attempt, backoff_s=0.01)
    loop.start()
    try:
        assert loop.flush(10)
    finally:
        loop.stop()
    assert len(calls) == 2


@pytest.mark.parametrize("name", ["buffer", "comms_http", "comms_mqtt"])
def test_the_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(f"kamtibmas_cctv.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_the_running_totals_match_a_full_count(tmp_path: Path) -> None:
    box = Outbox(str(tmp_path / "o.sqlite3"), destination="d", max_items=20, max_bytes=3000)
    other = Outbox(str(tmp_path / "o.sqlite3"), destination="other")
    other.put("new", b"x" * 50)
    for i in range(60):  # a fixed mix of kinds, sizes, acks and strips
        kind = ("new", "update", "snapshot", "update", "end")[i % 5]
        seq = box.put(kind, b"b" * (i % 7 + 1), attachment=b"j" * (i * 13 % 200) or None)
        if i % 9 == 0:
            box.ack(seq)
    rows = box._db.execute(  # the oracle: count and sum the rows themselves
        "SELECT COUNT(*), COALESCE(SUM(LENGTH(body) + COALESCE(LENGTH(attachment), 0)), 0)"
        " FROM outbox WHERE dest = 'd'"
    ).fetchone()
    assert box._usage() == (rows[0], rows[1])
    assert box.pending() == rows[0] and other.pending() == 1
