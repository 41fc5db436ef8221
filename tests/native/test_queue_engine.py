"""pycloud._core.QueueEngine through the bindings: SQS semantics with explicit virtual times (no
sleeping), FIFO ordering, deduplication and attempt ids, redrive, purge, retention, statistics,
persistence, compaction, torn tails, crash recovery under SIGKILL, concurrency and memory reclaim.

Build first: ``python3 setup.py build_ext --inplace``.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
from native_helpers import run_until_killed

from pycloud import _core
from pycloud._core import QueueEngine, QueueError

T0 = 1_700_000_000_000  # a plausible virtual "now" in ms
MINUTE = 60_000
DEDUP_WINDOW = 5 * MINUTE
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

DEFAULTS: dict[str, object] = {
    "visibility_timeout_ms": 30_000,
    "delay_ms": 0,
    "retention_ms": 4 * 24 * 3600 * 1000,
    "max_message_bytes": 256 * 1024,
    "content_based_dedup": False,
    "dead_letter_target": None,
    "max_receive_count": 0,
}


def configure(engine: QueueEngine, name: str, **overrides: object) -> None:
    """configure() with SQS defaults for everything not given."""
    engine.configure(name, **{**DEFAULTS, **overrides})


def code_of(fn, *args, **kwargs) -> str:
    """The QueueError code fn raises (fails the test if it raises nothing)."""
    with pytest.raises(QueueError) as info:
        fn(*args, **kwargs)
    return info.value.code


def bodies(messages) -> list[bytes]:
    return [m.body for m in messages]


def drain(engine: QueueEngine, name: str, now: int, visibility_ms: int = 10**9) -> list:
    """Receives until empty (messages stay in flight for visibility_ms)."""
    out = []
    while batch := engine.receive(name, 10, now, visibility_timeout_ms=visibility_ms):
        out += batch
    return out


@pytest.fixture
def engine():
    e = QueueEngine(None)
    e.create_queue("q", False)
    e.create_queue("f.fifo", True)
    configure(e, "f.fifo")
    yield e
    e.close()


# ------------------------------------------------------------------------------ queues


def test_queue_lifecycle(engine):
    assert engine.queue_names() == ["f.fifo", "q"]
    assert code_of(engine.create_queue, "q", False) == "QueueExists"
    engine.delete_queue("q")
    assert code_of(engine.delete_queue, "q") == "NoSuchQueue"
    for call in (
        lambda: engine.send("q", b"x", b"", T0),
        lambda: engine.receive("q", 1, T0),
        lambda: engine.stats("q", T0),
        lambda: engine.purge("q", T0),
        lambda: engine.next_visible_ms("q", T0),
        lambda: configure(engine, "q"),
    ):
        assert code_of(call) == "NoSuchQueue"
    assert engine.queue_names() == ["f.fifo"]
    assert engine.in_flight_limit == 120_000 and engine.fifo_in_flight_limit == 20_000


def test_configure_round_trips(engine):
    configure(engine, "q", visibility_timeout_ms=5000, delay_ms=7000, dead_letter_target="dlq", max_receive_count=3)
    cfg = engine.get_config("q")
    assert cfg["visibility_timeout_ms"] == 5000 and cfg["delay_ms"] == 7000
    assert cfg["dead_letter_target"] == "dlq" and cfg["max_receive_count"] == 3 and cfg["fifo"] is False
    assert engine.get_config("f.fifo")["fifo"] is True


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        QueueEngine(str(tmp_path), sync="sometimes")
    e = QueueEngine(None)
    e.close()
    with pytest.raises(ValueError):
        e.queue_names()


# ------------------------------------------------------------------------------ standard queues


def test_send_receive_delete(engine):
    sent = engine.send("q", b"hello \x00 world", b"\x01attrs", T0)
    assert UUID_RE.match(sent.message_id) and sent.sequence_number == "" and not sent.duplicate
    [m] = engine.receive("q", 10, T0 + 5)
    assert m.message_id == sent.message_id
    assert m.body == b"hello \x00 world" and m.attributes == b"\x01attrs"
    assert m.receive_count == 1 and m.sent_ms == T0 and m.first_receive_ms == T0 + 5
    assert m.group_id is None and m.dedup_id is None and m.sequence_number == "" and m.dead_letter_source is None
    assert engine.receive("q", 10, T0 + 6) == []
    engine.delete("q", m.receipt_handle, T0 + 7)
    assert engine.receive("q", 10, T0 + 10**6) == []
    st = engine.stats("q", T0 + 10**6)
    assert (st.visible, st.in_flight, st.delayed) == (0, 0, 0)


def test_best_effort_order_and_max_messages(engine):
    for i in range(25):
        engine.send("q", b"%d" % i, b"", T0)
    got = engine.receive("q", 10, T0) + engine.receive("q", 10, T0) + engine.receive("q", 10, T0)
    assert bodies(got) == [b"%d" % i for i in range(25)]


def test_visibility_timeout(engine):
    configure(engine, "q", visibility_timeout_ms=30_000)
    engine.send("q", b"m", b"", T0)
    [first] = engine.receive("q", 1, T0)
    assert engine.receive("q", 1, T0 + 29_999) == []
    assert engine.next_visible_ms("q", T0 + 1) == T0 + 30_000
    [second] = engine.receive("q", 1, T0 + 30_000, visibility_timeout_ms=5_000)
    assert second.receive_count == 2 and second.first_receive_ms == T0
    assert second.receipt_handle != first.receipt_handle
    assert engine.receive("q", 1, T0 + 34_999) == []
    [third] = engine.receive("q", 1, T0 + 35_000, visibility_timeout_ms=0)
    assert third.receive_count == 3
    # Visibility 0: visible again at once.
    assert bodies(engine.receive("q", 1, T0 + 35_000)) == [b"m"]


def test_change_visibility(engine):
    engine.send("q", b"m", b"", T0)
    [m] = engine.receive("q", 1, T0, visibility_timeout_ms=1000)
    engine.change_visibility("q", m.receipt_handle, 60_000, T0 + 500)
    assert engine.receive("q", 1, T0 + 60_499) == []
    assert engine.next_visible_ms("q", T0 + 1000) == T0 + 60_500
    engine.change_visibility("q", m.receipt_handle, 0, T0 + 600)  # 0: visible now
    [again] = engine.receive("q", 1, T0 + 600, visibility_timeout_ms=1000)
    # The first handle is stale now: only the latest receive may change visibility.
    assert code_of(engine.change_visibility, "q", m.receipt_handle, 10, T0 + 700) == "MessageNotInflight"
    engine.change_visibility("q", again.receipt_handle, 10, T0 + 700)
    # Once the message is visible again it is no longer in flight.
    assert code_of(engine.change_visibility, "q", again.receipt_handle, 10, T0 + 800) == "MessageNotInflight"
    assert code_of(engine.change_visibility, "q", "not-a-handle", 10, T0) == "ReceiptHandleIsInvalid"
    [third] = engine.receive("q", 1, T0 + 900, visibility_timeout_ms=1000)
    engine.delete("q", third.receipt_handle, T0 + 901)
    assert code_of(engine.change_visibility, "q", third.receipt_handle, 10, T0 + 902) == "MessageNotInflight"


def test_change_visibility_batch(engine):
    for i in range(3):
        engine.send("q", b"%d" % i, b"", T0)
    a, b, c = engine.receive("q", 3, T0, visibility_timeout_ms=1000)
    engine.delete("q", c.receipt_handle, T0)
    result = engine.change_visibility_batch(
        "q", [(a.receipt_handle, 0), (b.receipt_handle, 5000), (c.receipt_handle, 0), ("junk", 0)], T0 + 1
    )
    assert result == [None, None, "MessageNotInflight", "ReceiptHandleIsInvalid"]
    assert bodies(engine.receive("q", 10, T0 + 1)) == [b"0"]
    assert bodies(engine.receive("q", 10, T0 + 5001)) == [b"1"]


def test_delete_handles(engine):
    engine.send("q", b"m", b"", T0)
    [old] = engine.receive("q", 1, T0, visibility_timeout_ms=10)
    [new] = engine.receive("q", 1, T0 + 10, visibility_timeout_ms=10)
    engine.delete("q", old.receipt_handle, T0 + 11)  # an earlier receive's handle still deletes
    assert engine.receive("q", 1, T0 + 100) == []
    engine.delete("q", new.receipt_handle, T0 + 12)  # already deleted: silently fine
    for bad in ["", "garbage", new.receipt_handle[:-1], new.receipt_handle[:-2] + "zz"]:
        assert code_of(engine.delete, "q", bad, T0) == "ReceiptHandleIsInvalid"
    # Handles are bound to the queue (and to its incarnation).
    engine.send("f.fifo", b"x", b"", T0, group_id="g", dedup_id="d")
    [fm] = engine.receive("f.fifo", 1, T0)
    assert code_of(engine.delete, "q", fm.receipt_handle, T0) == "ReceiptHandleIsInvalid"
    engine.delete_queue("f.fifo")
    engine.create_queue("f.fifo", True)
    assert code_of(engine.delete, "f.fifo", fm.receipt_handle, T0) == "ReceiptHandleIsInvalid"


def test_delete_batch(engine):
    for i in range(3):
        engine.send("q", b"%d" % i, b"", T0)
    msgs = engine.receive("q", 3, T0)
    handles = [m.receipt_handle for m in msgs]
    assert engine.delete_batch("q", [*handles, handles[0], "bad"], T0) == [
        None,
        None,
        None,
        None,
        "ReceiptHandleIsInvalid",
    ]
    assert engine.stats("q", T0 + 10**7).visible == 0


def test_delay(engine):
    configure(engine, "q", delay_ms=10_000)
    engine.send("q", b"queue-delay", b"", T0)
    engine.send("q", b"own-delay", b"", T0, delay_ms=3_000)
    engine.send("q", b"no-delay", b"", T0, delay_ms=0)
    st = engine.stats("q", T0)
    assert (st.visible, st.in_flight, st.delayed) == (1, 0, 2)
    assert engine.next_visible_ms("q", T0) == T0 + 3_000
    assert bodies(engine.receive("q", 10, T0 + 2_999)) == [b"no-delay"]
    assert bodies(engine.receive("q", 10, T0 + 3_000)) == [b"own-delay"]
    assert engine.receive("q", 10, T0 + 9_999) == []
    assert bodies(engine.receive("q", 10, T0 + 10_000)) == [b"queue-delay"]
    assert engine.next_visible_ms("q", T0 + 10_000) == T0 + 2_999 + 30_000  # "no-delay" comes back first
    assert engine.stats("q", T0 + 10_000).in_flight == 3


def test_retention(engine):
    configure(engine, "q", retention_ms=60_000)
    engine.send("q", b"old", b"", T0)
    engine.send("q", b"young", b"", T0 + 30_000)
    [m] = engine.receive("q", 1, T0 + 30_000, visibility_timeout_ms=10**6)  # in flight still expires
    assert m.body == b"old"
    assert engine.stats("q", T0 + 59_999).in_flight == 1
    st = engine.stats("q", T0 + 60_000)
    assert (st.visible, st.in_flight) == (1, 0)
    engine.delete("q", m.receipt_handle, T0 + 60_000)  # expired: nothing to delete, no error
    assert bodies(engine.receive("q", 10, T0 + 89_999)) == [b"young"]
    assert engine.stats("q", T0 + 90_000).in_flight == 0


def test_stats_and_next_visible(engine):
    assert engine.next_visible_ms("q", T0) == -1
    for i in range(4):
        engine.send("q", b"%d" % i, b"", T0)
    engine.send("q", b"late", b"", T0, delay_ms=500)
    engine.receive("q", 3, T0, visibility_timeout_ms=2000)
    st = engine.stats("q", T0)
    assert (st.visible, st.in_flight, st.delayed) == (1, 3, 1)
    assert st.memory_bytes > 0
    assert engine.next_visible_ms("q", T0) == T0 + 500
    assert engine.next_visible_ms("q", T0 + 500) == T0 + 2000


def test_send_batch(engine):
    result = engine.send_batch("q", [(b"a", b"1", -1, None, None), (b"b", b"2", 1000, None, None)], T0)
    assert all(isinstance(r, _core.SendResult) for r in result)
    assert bodies(engine.receive("q", 10, T0)) == [b"a"]
    fifo = engine.send_batch(
        "f.fifo",
        [
            (b"x", b"", -1, "g", "d1"),
            (b"y", b"", -1, None, "d2"),
            (b"z", b"", -1, "g", None),
            (b"x", b"", -1, "g", "d1"),
        ],
        T0,
    )
    assert fifo[1] == "MissingGroupId" and fifo[2] == "MissingDedupId"
    assert fifo[3].duplicate and fifo[3].message_id == fifo[0].message_id


def test_purge(engine):
    for i in range(5):
        engine.send("q", b"%d" % i, b"", T0)
    engine.send("q", b"delayed", b"", T0, delay_ms=1000)
    [m] = engine.receive("q", 1, T0)
    engine.purge("q", T0 + 1)
    st = engine.stats("q", T0 + 1)
    assert (st.visible, st.in_flight, st.delayed) == (0, 0, 0)
    assert engine.receive("q", 10, T0 + 10**6) == []
    engine.delete("q", m.receipt_handle, T0 + 2)  # purged: the handle is stale, not invalid
    assert code_of(engine.change_visibility, "q", m.receipt_handle, 0, T0 + 2) == "MessageNotInflight"
    engine.send("q", b"after", b"", T0 + 3)
    assert bodies(engine.receive("q", 10, T0 + 3)) == [b"after"]


def test_standard_in_flight_limit(engine):
    n = engine.in_flight_limit
    for _ in range(0, n + 10, 10):
        engine.send_batch("q", [(b"x", b"", -1, None, None)] * 10, T0)
    received = 0
    while received < n:
        received += len(engine.receive("q", 10, T0))
    assert received == n
    assert code_of(engine.receive, "q", 10, T0) == "OverLimit"
    assert engine.stats("q", T0).visible == 10


# ------------------------------------------------------------------------------ redrive and moves


def test_redrive_to_dead_letter_queue(engine):
    engine.create_queue("dlq", False)
    configure(engine, "q", dead_letter_target="dlq", max_receive_count=2)
    sent = engine.send("q", b"poison", b"attrs", T0)
    engine.send("q", b"fine", b"", T0 + 1)
    now = T0
    for expected in (1, 2):
        got = engine.receive("q", 10, now, visibility_timeout_ms=10)
        assert [m.receive_count for m in got if m.body == b"poison"] == [expected]
        for m in got:
            if m.body == b"fine":
                engine.delete("q", m.receipt_handle, now)
        now += 10
    # The third receive would exceed maxReceiveCount: the message moves instead of being returned.
    assert engine.receive("q", 10, now) == []
    [dead] = engine.receive("dlq", 10, now)
    assert dead.message_id == sent.message_id and dead.body == b"poison" and dead.attributes == b"attrs"
    assert dead.receive_count == 1 and dead.sent_ms == T0 and dead.dead_letter_source == "q"
    assert engine.stats("q", now).in_flight == 0


def test_redrive_without_target_delivers(engine):
    configure(engine, "q", dead_letter_target="missing", max_receive_count=1)
    engine.send("q", b"m", b"", T0)
    for i in range(3):
        [m] = engine.receive("q", 1, T0 + i * 100, visibility_timeout_ms=100)
        assert m.receive_count == i + 1


def test_fifo_redrive_keeps_group(engine):
    engine.create_queue("dlq.fifo", True)
    configure(engine, "f.fifo", dead_letter_target="dlq.fifo", max_receive_count=1)
    engine.send("f.fifo", b"a", b"", T0, group_id="g", dedup_id="1")
    engine.send("f.fifo", b"b", b"", T0, group_id="g", dedup_id="2")
    assert bodies(engine.receive("f.fifo", 1, T0, visibility_timeout_ms=10)) == [b"a"]
    # "a" would be received a second time: it moves, and "b" is delivered in its place.
    assert bodies(engine.receive("f.fifo", 1, T0 + 10)) == [b"b"]
    [dead] = engine.receive("dlq.fifo", 10, T0 + 10)
    assert dead.body == b"a" and dead.group_id == "g" and dead.dead_letter_source == "f.fifo"
    assert int(dead.sequence_number) >= 1


def test_move_messages(engine):
    engine.create_queue("dlq", False)
    for i in range(5):
        engine.send("dlq", b"%d" % i, b"", T0)
    [held] = engine.receive("dlq", 1, T0)  # in flight: not moved
    assert engine.move_messages("dlq", "q", 2, T0) == 2
    assert engine.move_messages("dlq", "q", -1, T0) == 2
    assert engine.move_messages("dlq", "q", -1, T0) == 0
    moved = engine.receive("q", 10, T0)
    assert bodies(moved) == [b"1", b"2", b"3", b"4"]
    assert all(m.receive_count == 1 and m.dead_letter_source is None for m in moved)
    assert held.body == b"0"
    assert code_of(engine.move_messages, "q", "q", 1, T0) == "InvalidArgument"
    assert code_of(engine.move_messages, "q", "nope", 1, T0) == "NoSuchQueue"


def dead_letter(engine: QueueEngine, source: str, dlq: str, payloads: list[bytes], now: int) -> None:
    """Sends ``payloads`` to ``source`` (redriving into ``dlq`` after one receive) and dead-letters them."""
    fifo = source.endswith(".fifo")
    configure(engine, source, dead_letter_target=dlq, max_receive_count=1, content_based_dedup=fifo)
    for body in payloads:
        engine.send(source, body, b"attrs:" + body, now, group_id="g" if fifo else None)
    drain(engine, source, now, visibility_ms=1)
    assert engine.receive(source, 10, now + 1) == []  # the receive that would exceed the count moved them
    assert engine.stats(source, now + 1).visible == 0


def test_move_messages_back_to_several_sources(engine):
    for name in ("a", "b", "gone", "dlq"):
        engine.create_queue(name, False)
    dead_letter(engine, "a", "dlq", [b"a0", b"a1"], T0)
    dead_letter(engine, "gone", "dlq", [b"g0"], T0)
    dead_letter(engine, "b", "dlq", [b"b0", b"b1", b"b2"], T0)
    engine.send("dlq", b"sent directly", b"", T0)  # no source at all
    engine.delete_queue("gone")
    now = T0 + 10
    assert engine.stats("dlq", now).visible == 7
    # Messages that cannot go back are skipped, not counted, and do not stop the move.
    assert engine.move_messages("dlq", None, 3, now) == 3
    assert engine.move_messages("dlq", None, -1, now) == 2
    assert engine.move_messages("dlq", None, -1, now) == 0
    back_a, back_b = engine.receive("a", 10, now), engine.receive("b", 10, now)
    assert sorted(bodies(back_a)) == [b"a0", b"a1"]
    assert sorted(bodies(back_b)) == [b"b0", b"b1", b"b2"]
    for m in back_a + back_b:
        assert m.dead_letter_source is None and m.receive_count == 1 and m.attributes == b"attrs:" + m.body
    left = engine.receive("dlq", 10, now)
    assert sorted(bodies(left)) == [b"g0", b"sent directly"]
    assert {m.body: m.dead_letter_source for m in left} == {b"g0": "gone", b"sent directly": None}
    assert code_of(engine.move_messages, "nope", None, -1, now) == "NoSuchQueue"


def test_move_messages_back_leaves_in_flight_and_counts_zero(engine):
    engine.create_queue("dlq", False)
    dead_letter(engine, "q", "dlq", [b"x", b"y"], T0)
    [held] = engine.receive("dlq", 1, T0 + 5, visibility_timeout_ms=1000)
    assert engine.move_messages("dlq", None, 0, T0 + 5) == 0
    assert engine.move_messages("dlq", None, -1, T0 + 5) == 1
    assert engine.stats("dlq", T0 + 5).in_flight == 1
    assert bodies(engine.receive("q", 10, T0 + 5)) == [b"y" if held.body == b"x" else b"x"]


def test_move_fifo_messages_back_in_order(engine):
    for name in ("a.fifo", "gone.fifo", "dlq.fifo"):
        engine.create_queue(name, True)
    configure(engine, "dlq.fifo")
    dead_letter(engine, "f.fifo", "dlq.fifo", [b"f0", b"f1"], T0)
    dead_letter(engine, "gone.fifo", "dlq.fifo", [b"g0"], T0)
    dead_letter(engine, "a.fifo", "dlq.fifo", [b"a0", b"a1", b"a2"], T0)
    engine.delete_queue("gone.fifo")
    assert engine.move_messages("dlq.fifo", None, -1, T0 + 10) == 5
    assert bodies(engine.receive("f.fifo", 10, T0 + 10)) == [b"f0", b"f1"]
    back = engine.receive("a.fifo", 10, T0 + 10)
    assert bodies(back) == [b"a0", b"a1", b"a2"]
    assert [m.sequence_number for m in back] == sorted(m.sequence_number for m in back)
    assert bodies(engine.receive("dlq.fifo", 10, T0 + 10)) == [b"g0"]


def test_move_messages_back_survives_reopen(tmp_path):
    path = str(tmp_path / "q")
    e = QueueEngine(path, sync="always")
    for name in ("a", "b", "gone", "dlq"):
        e.create_queue(name, False)
    dead_letter(e, "a", "dlq", [b"a0"], T0)
    dead_letter(e, "gone", "dlq", [b"g0"], T0)
    dead_letter(e, "b", "dlq", [b"b0", b"b1"], T0)
    e.delete_queue("gone")
    assert e.move_messages("dlq", None, -1, T0 + 10) == 3
    configure(e, "b")  # no redrive any more: the receives below leave its messages in place
    e.close()
    for compacted in (False, True):
        e = QueueEngine(path, sync="always")
        now = T0 + 20
        assert [e.stats(q, now).visible for q in ("a", "b", "dlq")] == [1, 2, 1]
        [left] = e.receive("dlq", 10, now, visibility_timeout_ms=0)
        assert left.body == b"g0" and left.dead_letter_source == "gone"
        back = e.receive("b", 10, now, visibility_timeout_ms=0)
        assert sorted(bodies(back)) == [b"b0", b"b1"] and all(m.dead_letter_source is None for m in back)
        if not compacted:
            e.compact(force=True)
        e.close()


# ------------------------------------------------------------------------------ FIFO


def test_fifo_requires_group_and_dedup(engine):
    assert code_of(engine.send, "f.fifo", b"x", b"", T0) == "MissingGroupId"
    assert code_of(engine.send, "f.fifo", b"x", b"", T0, group_id="g") == "MissingDedupId"
    configure(engine, "f.fifo", content_based_dedup=True)
    r = engine.send("f.fifo", b"x", b"", T0, group_id="g")
    [m] = engine.receive("f.fifo", 1, T0)
    assert m.dedup_id == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"  # sha256(b"x")
    assert m.group_id == "g" and m.sequence_number == r.sequence_number


def test_fifo_strict_order_and_group_lock(engine):
    for i in range(6):
        engine.send("f.fifo", b"a%d" % i, b"", T0, group_id="a", dedup_id=f"a{i}")
    engine.send("f.fifo", b"b0", b"", T0, group_id="b", dedup_id="b0")
    first = engine.receive("f.fifo", 2, T0, visibility_timeout_ms=1000)
    assert bodies(first) == [b"a0", b"a1"]
    # Group a is locked while a0/a1 are in flight; group b is not.
    assert bodies(engine.receive("f.fifo", 10, T0)) == [b"b0"]
    assert engine.receive("f.fifo", 10, T0) == []
    engine.delete("f.fifo", first[0].receipt_handle, T0)
    assert engine.receive("f.fifo", 10, T0) == []  # a1 still in flight
    # a1's visibility expires: it comes back first, before a2.
    assert bodies(engine.receive("f.fifo", 3, T0 + 1000)) == [b"a1", b"a2", b"a3"]


def test_fifo_sequence_numbers_increase(engine):
    seqs = [
        engine.send("f.fifo", b"%d" % i, b"", T0, group_id=f"g{i % 3}", dedup_id=str(i)).sequence_number
        for i in range(20)
    ]
    assert seqs == sorted(seqs) and len(set(seqs)) == 20 and all(len(s) == 20 for s in seqs)


def test_fifo_dedup_window(engine):
    a = engine.send("f.fifo", b"one", b"", T0, group_id="g", dedup_id="d")
    dup = engine.send("f.fifo", b"other body", b"", T0 + DEDUP_WINDOW - 1, group_id="h", dedup_id="d")
    assert dup.duplicate and dup.message_id == a.message_id and dup.sequence_number == a.sequence_number
    # Deleting the message does not end the window.
    [m] = engine.receive("f.fifo", 10, T0)
    engine.delete("f.fifo", m.receipt_handle, T0)
    assert engine.send("f.fifo", b"one", b"", T0 + 1000, group_id="g", dedup_id="d").duplicate
    fresh = engine.send("f.fifo", b"one", b"", T0 + DEDUP_WINDOW, group_id="g", dedup_id="d")
    assert not fresh.duplicate and fresh.message_id != a.message_id
    # Content-based: the body's hash is the id.
    configure(engine, "f.fifo", content_based_dedup=True)
    c1 = engine.send("f.fifo", b"same", b"", T0 + DEDUP_WINDOW, group_id="g")
    assert engine.send("f.fifo", b"same", b"", T0 + DEDUP_WINDOW, group_id="x").duplicate
    assert not engine.send("f.fifo", b"different", b"", T0 + DEDUP_WINDOW, group_id="g").duplicate
    assert c1.message_id


def test_fifo_dedup_scope_group(engine):
    configure(engine, "f.fifo", dedup_scope_group=True)
    a = engine.send("f.fifo", b"x", b"", T0, group_id="g1", dedup_id="d")
    b = engine.send("f.fifo", b"x", b"", T0, group_id="g2", dedup_id="d")
    c = engine.send("f.fifo", b"x", b"", T0, group_id="g1", dedup_id="d")
    assert not b.duplicate and c.duplicate and c.message_id == a.message_id


def test_fifo_receive_attempt_id(engine):
    for i in range(3):
        engine.send("f.fifo", b"%d" % i, b"", T0, group_id="g", dedup_id=str(i))
    first = engine.receive("f.fifo", 2, T0, visibility_timeout_ms=1000, attempt_id="att-1")
    retry = engine.receive("f.fifo", 2, T0 + 500, visibility_timeout_ms=1000, attempt_id="att-1")
    assert [m.receipt_handle for m in retry] == [m.receipt_handle for m in first]
    assert [m.receive_count for m in retry] == [1, 1]
    # The retry restarted the visibility timeout.
    assert engine.receive("f.fifo", 10, T0 + 1200) == []
    for m in retry:
        engine.delete("f.fifo", m.receipt_handle, T0 + 1200)
    # Its messages are gone: the same attempt id now receives afresh.
    assert bodies(engine.receive("f.fifo", 2, T0 + 1300, attempt_id="att-1")) == [b"2"]


def test_fifo_many_groups_interleave(engine):
    for i in range(30):
        engine.send("f.fifo", b"%d" % i, b"", T0, group_id=f"g{i % 3}", dedup_id=str(i))
    seen: dict[str, list[int]] = {}
    now = T0
    while msgs := engine.receive("f.fifo", 4, now):
        for m in msgs:
            seen.setdefault(m.group_id, []).append(int(m.body))
            engine.delete("f.fifo", m.receipt_handle, now)
        now += 1
    assert sorted(seen) == ["g0", "g1", "g2"]
    for values in seen.values():
        assert values == sorted(values) and len(values) == 10


def test_fifo_in_flight_limit(engine):
    n = engine.fifo_in_flight_limit
    for start in range(0, n + 10, 10):
        engine.send_batch("f.fifo", [(b"x", b"", -1, f"g{start + k}", str(start + k)) for k in range(10)], T0)
    received = 0
    while batch := engine.receive("f.fifo", 10, T0):
        received += len(batch)
    assert received == n  # FIFO simply returns nothing more
    assert engine.stats("f.fifo", T0).visible == 10


# ------------------------------------------------------------------------------ persistence


def test_state_survives_reopen(tmp_path):
    path = str(tmp_path / "q")
    e = QueueEngine(path, sync="always")
    e.create_queue("q", False)
    e.create_queue("f.fifo", True)
    e.create_queue("dlq", False)
    e.create_queue("purged", False)
    e.create_queue("dropped", False)
    configure(e, "q", visibility_timeout_ms=10_000, dead_letter_target="dlq", max_receive_count=5)
    configure(e, "f.fifo", content_based_dedup=True)
    for i in range(4):
        e.send("q", b"%d" % i, b"a%d" % i, T0)
    e.send("q", b"delayed", b"", T0, delay_ms=60_000)
    [inflight, deleted] = e.receive("q", 2, T0)
    e.delete("q", deleted.receipt_handle, T0)
    f1 = e.send("f.fifo", b"fifo-1", b"", T0, group_id="g")
    e.send("f.fifo", b"fifo-2", b"", T0, group_id="g")
    e.send("purged", b"x", b"", T0)
    e.purge("purged", T0)
    e.delete_queue("dropped")
    e.close()

    e = QueueEngine(path, sync="always")
    assert e.queue_names() == ["dlq", "f.fifo", "purged", "q"]
    assert e.get_config("q")["dead_letter_target"] == "dlq"
    st = e.stats("q", T0 + 1)
    assert (st.visible, st.in_flight, st.delayed) == (2, 1, 1)
    visible = e.receive("q", 10, T0 + 9_999)
    assert bodies(visible) == [b"2", b"3"]
    assert e.delete_batch("q", [m.receipt_handle for m in visible], T0 + 9_999) == [None, None]
    # The in-flight message stayed invisible until its deadline, and kept its receive count.
    [back] = e.receive("q", 10, T0 + 10_000)
    assert back.body == b"0" and back.attributes == b"a0" and back.receive_count == 2
    assert back.first_receive_ms == T0 and back.message_id == inflight.message_id
    # The receive nonce survived (a new handle), and the old handle still deletes.
    assert back.receipt_handle != inflight.receipt_handle
    e.delete("q", inflight.receipt_handle, T0 + 10_000)
    assert bodies(e.receive("q", 10, T0 + 60_000)) == [b"delayed"]
    assert e.stats("purged", T0).visible == 0
    # FIFO: dedup window and sequence numbers carry on.
    assert e.send("f.fifo", b"fifo-1", b"", T0 + 1, group_id="g").duplicate
    f3 = e.send("f.fifo", b"fifo-3", b"", T0 + 1, group_id="g")
    assert f3.sequence_number > f1.sequence_number
    assert bodies(e.receive("f.fifo", 10, T0 + 2)) == [b"fifo-1", b"fifo-2", b"fifo-3"]
    assert e.engine_stats()["recovered_records"] > 10
    e.close()


def test_compaction_bounds_the_log(tmp_path):
    path = str(tmp_path / "q")
    e = QueueEngine(path, sync="never", compact_min_bytes=128 * 1024)
    e.create_queue("q", False)
    e.create_queue("f.fifo", True)
    configure(e, "f.fifo")
    keep = [e.send("q", b"keep-%d" % i, b"k", T0).message_id for i in range(3)]
    e.send("f.fifo", b"fifo", b"", T0, group_id="g", dedup_id="d")
    body = b"b" * 300
    peak = 0
    for i in range(3000):
        e.send_batch("q", [(body, b"", -1, None, None)] * 5, T0 + i)
        got = e.receive("q", 10, T0 + i, visibility_timeout_ms=10**9)
        for m in got:
            if m.body.startswith(b"keep"):
                e.change_visibility("q", m.receipt_handle, 0, T0 + i)
        e.delete_batch("q", [m.receipt_handle for m in got if not m.body.startswith(b"keep")], T0 + i)
        peak = max(peak, e.engine_stats()["log_bytes"])
    stats = e.engine_stats()
    assert stats["compactions"] > 0
    assert peak < 1024 * 1024  # 15,000 sends of 300 bytes went through a log that stayed small
    e.compact()
    assert e.engine_stats()["log_bytes"] < 8 * 1024
    e.close()
    for r in range(2):  # compaction output must replay, and replay again after another compaction
        e = QueueEngine(path, sync="never", compact_min_bytes=128 * 1024)
        now = T0 + 100_000 * (r + 1)  # still inside the FIFO message's deduplication window
        msgs = drain(e, "q", now, visibility_ms=1000)
        assert sorted(m.message_id for m in msgs) == sorted(keep)
        assert e.send("f.fifo", b"fifo", b"", now, group_id="g", dedup_id="d").duplicate
        e.compact()
        e.close()


def test_torn_tail_is_truncated(tmp_path):
    path = tmp_path / "q"
    e = QueueEngine(str(path))
    e.create_queue("q", False)
    e.send("q", b"good", b"", T0)
    e.close()
    log = path / "queue.log"
    size = log.stat().st_size
    with open(log, "ab") as f:
        f.write(b"\x07" * 40)  # garbage after the last record, as a torn append leaves
    e = QueueEngine(str(path))
    assert e.engine_stats()["truncated_bytes"] == 40 and log.stat().st_size == size
    e.send("q", b"after", b"", T0)
    e.close()
    e = QueueEngine(str(path))
    assert e.engine_stats()["truncated_bytes"] == 0
    assert bodies(e.receive("q", 10, T0)) == [b"good", b"after"]
    e.close()


CHILD = r"""
import sys
from pycloud._core import QueueEngine
path, seed, sync = sys.argv[1], int(sys.argv[2]), sys.argv[3]
e = QueueEngine(path, sync=sync, compact_min_bytes=32 * 1024)
if "q" not in e.queue_names():
    e.create_queue("q", False)
    e.configure("q", visibility_timeout_ms=10**12, delay_ms=0, retention_ms=10**15, max_message_bytes=1 << 20,
                content_based_dedup=False, dead_letter_target=None, max_receive_count=0)
print("ready", flush=True)
i = 0
while True:
    key = f"{seed}-{i}"
    e.send("q", f"{key}|".encode() * (1 + i % 7), b"", 1000 + i)
    print("S", key, flush=True)
    if i % 2:
        # Receive two, delete one of them (the other stays in flight): garbage dominates the log,
        # so compactions run (and get killed) too.
        for n, m in enumerate(e.receive("q", 2, 1000 + i)):
            k = m.body.split(b"|")[0].decode()
            if n == 0 or i % 5:
                print("R", k, flush=True)
                e.delete("q", m.receipt_handle, 1000 + i)
                print("D", k, flush=True)
    i += 1
"""


def live_keys(path: Path, scratch: Path) -> set[str]:
    """Keys of every live message, read from a copy so the original log stays untouched."""
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(path, scratch)
    e = QueueEngine(str(scratch))
    keys = set()
    for m in drain(e, "q", 10**13):
        key, _, rest = m.body.partition(b"|")
        seed, i = map(int, key.split(b"-"))
        assert m.body == key + b"|" + rest and m.body == (key + b"|") * (1 + i % 7), "a partial body"
        keys.add(key.decode())
    e.close()
    return keys


def test_crash_recovery_sigkill(tmp_path):
    path = tmp_path / "crash"
    acked: set[str] = set()  # sends acknowledged (or found after a kill)
    deleted: set[str] = set()  # deletes acknowledged (or found done after a kill)
    for round_no, sync in enumerate(["batch", "never", "always", "batch", "never", "batch"]):
        lines = run_until_killed(CHILD, str(path), str(round_no), sync, max_seconds=0.6)
        pending_delete = None  # received and being deleted when the child died
        round_sends = 0
        for line in lines:
            parts = line.split()
            if len(parts) != 2:
                continue
            if parts[0] == "S":
                acked.add(parts[1])
                round_sends += 1
            elif parts[0] == "R":
                pending_delete = parts[1]
            elif parts[0] == "D":
                deleted.add(parts[1])
                pending_delete = None
        live = live_keys(path, tmp_path / "copy")
        # A deleted message never reappears.
        assert not live & deleted, live & deleted
        # Every acknowledged send is there, unless deleted (or being deleted at the kill).
        missing = acked - deleted - live
        assert missing <= {pending_delete}, missing
        deleted |= missing
        # Nothing appears that was not sent: at most the send in flight at the kill.
        extra = live - acked
        assert extra <= {f"{round_no}-{round_sends}"}, extra
        acked |= extra
    assert len(acked) > 50 and len(deleted) > 10


# ------------------------------------------------------------------------------ concurrency and memory


def test_concurrent_senders_and_consumers(tmp_path):
    e = QueueEngine(str(tmp_path / "q"), sync="batch")
    e.create_queue("q", False)
    senders, per_sender = 4, 2000
    received: list[bytes] = []
    lock = threading.Lock()
    done_sending = threading.Event()
    errors: list[BaseException] = []

    def send(t: int) -> None:
        try:
            for i in range(0, per_sender, 10):
                e.send_batch("q", [(b"%d-%d" % (t, i + k), b"", -1, None, None) for k in range(10)], T0)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    def consume() -> None:
        try:
            while True:
                msgs = e.receive("q", 10, T0, visibility_timeout_ms=10**9)
                if not msgs:
                    if done_sending.is_set() and e.stats("q", T0).visible == 0:
                        return
                    continue
                assert e.delete_batch("q", [m.receipt_handle for m in msgs], T0) == [None] * len(msgs)
                with lock:
                    received.extend(m.body for m in msgs)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    consumers = [threading.Thread(target=consume) for _ in range(3)]
    producers = [threading.Thread(target=send, args=(t,)) for t in range(senders)]
    for th in consumers + producers:
        th.start()
    for th in producers:
        th.join()
    done_sending.set()
    for th in consumers:
        th.join(timeout=60)
    assert not errors, errors
    # No visibility expiry: every message delivered exactly once.
    assert len(received) == senders * per_sender
    assert len(set(received)) == senders * per_sender
    st = e.stats("q", T0)
    assert (st.visible, st.in_flight) == (0, 0)
    e.close()


def test_memory_is_reclaimed_after_a_million_messages():
    e = QueueEngine(None)
    e.create_queue("q", False)
    batch = [(b"0123456789abcdef", b"", -1, None, None)] * 10
    for _ in range(20_000):
        e.send_batch("q", batch, T0)
    full = e.stats("q", T0).memory_bytes
    total = 200_000
    for _ in range(80):  # 1 M sends in all, each received and deleted
        while msgs := e.receive("q", 10, T0):
            e.delete_batch("q", [m.receipt_handle for m in msgs], T0)
        if total < 1_000_000:
            for _ in range(10_000):
                e.send_batch("q", batch, T0)
            total += 100_000
    assert total == 1_000_000
    st = e.stats("q", T0 + 1)
    assert (st.visible, st.in_flight, st.delayed) == (0, 0, 0)
    assert full > 20 * 1024 * 1024
    assert st.memory_bytes < 256 * 1024, st.memory_bytes
    e.close()
