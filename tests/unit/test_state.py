"""StateStore: persistence, encoding, ephemeral mode, transactions, threads and crash durability."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pycloud.state import codec
from pycloud.state.store import SCHEMA_VERSION, STATE_FILE, StateError, StateStore
from pycloud.state.table import RecordTable

KEY = ("sqs", "queue", "000000000000", "us-east-1")


@pytest.fixture
def store(tmp_path):
    s = StateStore.open(tmp_path / "data")
    yield s
    s.close()


def test_put_get_round_trip(store):
    record = {"name": "q1", "attrs": {"VisibilityTimeout": 30}, "tags": ["a", "b"], "fifo": False, "ratio": 0.5}
    store.put(*KEY, "q1", record)
    assert store.get(*KEY, "q1") == record
    assert store.get(*KEY, "missing") is None


def test_put_replaces_and_delete_removes(store):
    store.put(*KEY, "q1", {"v": 1})
    store.put(*KEY, "q1", {"v": 2})
    assert store.get(*KEY, "q1") == {"v": 2}
    assert store.delete(*KEY, "q1") is True
    assert store.delete(*KEY, "q1") is False
    assert store.get(*KEY, "q1") is None


def test_keys_are_isolated_by_every_component(store):
    store.put("sqs", "queue", "111111111111", "us-east-1", "q", {"who": "a"})
    store.put("sqs", "queue", "222222222222", "us-east-1", "q", {"who": "b"})
    store.put("sqs", "queue", "111111111111", "eu-west-1", "q", {"who": "c"})
    store.put("sqs", "dlq", "111111111111", "us-east-1", "q", {"who": "d"})
    store.put("sns", "queue", "111111111111", "us-east-1", "q", {"who": "e"})
    assert store.get("sqs", "queue", "111111111111", "us-east-1", "q") == {"who": "a"}
    assert store.get("sqs", "queue", "222222222222", "us-east-1", "q") == {"who": "b"}
    assert store.get("sqs", "queue", "111111111111", "eu-west-1", "q") == {"who": "c"}
    assert store.get("sqs", "dlq", "111111111111", "us-east-1", "q") == {"who": "d"}
    assert store.get("sns", "queue", "111111111111", "us-east-1", "q") == {"who": "e"}


def test_load_filters_by_service_and_kind(store):
    store.put("iam", "user", "1", "", "bob", {"n": 1})
    store.put("iam", "user", "1", "", "alice", {"n": 2})
    store.put("iam", "role", "1", "", "admin", {"n": 3})
    store.put("sts", "session", "1", "", "s", {"n": 4})
    users = list(store.load("iam", "user"))
    assert [(r.key, r.record["n"]) for r in users] == [("alice", 2), ("bob", 1)]
    assert users[0].service == "iam" and users[0].kind == "user" and users[0].account == "1" and users[0].region == ""
    assert sorted(r.key for r in store.load("iam")) == ["admin", "alice", "bob"]
    assert [r.key for r in store.load("iam", account="2")] == []


def test_reopen_after_close_keeps_records(tmp_path):
    data_dir = tmp_path / "d"
    with StateStore.open(data_dir) as s:
        s.put(*KEY, "q1", {"n": 1})
        s.put(*KEY, "q2", {"n": 2})
        s.delete(*KEY, "q2")
        assert s.persistent and not s.ephemeral
    assert (data_dir / STATE_FILE).exists()
    with StateStore.open(data_dir) as s:
        assert s.get(*KEY, "q1") == {"n": 1}
        assert s.get(*KEY, "q2") is None
        assert s.schema_version == SCHEMA_VERSION


def test_ephemeral_store_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = StateStore.open(None)
    s.put(*KEY, "q1", {"n": 1})
    assert s.get(*KEY, "q1") == {"n": 1}
    assert s.ephemeral and s.path is None
    s.close()
    assert list(tmp_path.iterdir()) == []
    fresh = StateStore.open(None)
    assert fresh.get(*KEY, "q1") is None
    fresh.close()


def test_wipe_removes_everything_and_store_stays_usable(store):
    store.put("iam", "user", "1", "", "bob", {})
    store.put("s3", "bucket", "1", "us-east-1", "b", {})
    store.wipe()
    assert list(store.load("iam")) == [] and list(store.load("s3")) == []
    store.put("s3", "bucket", "1", "us-east-1", "b2", {"x": 1})
    assert store.get("s3", "bucket", "1", "us-east-1", "b2") == {"x": 1}


def test_clear_one_service_or_kind(store):
    store.put("iam", "user", "1", "", "bob", {})
    store.put("iam", "role", "1", "", "r", {})
    store.put("s3", "bucket", "1", "", "b", {})
    assert store.clear("iam", "user") == 1
    assert [r.key for r in store.load("iam")] == ["r"]
    store.clear("iam")
    assert list(store.load("iam")) == [] and store.get("s3", "bucket", "1", "", "b") == {}


def test_datetimes_and_bytes_round_trip_through_disk(tmp_path):
    aware = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
    offset = datetime(2024, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    naive = datetime(1999, 12, 31, 23, 59, 59)
    record = {"created": aware, "nested": {"times": [offset, naive]}, "blob": b"\x00\xffbin", "$weird": {"$dt": "x"}}
    with StateStore.open(tmp_path) as s:
        s.put(*KEY, "k", record)
    with StateStore.open(tmp_path) as s:
        back = s.get(*KEY, "k")
    assert back == record
    assert back["created"].tzinfo is not None and back["created"].utcoffset() == timedelta(0)
    assert back["nested"]["times"][0].utcoffset() == timedelta(hours=5, minutes=30)
    assert back["nested"]["times"][1].tzinfo is None
    assert isinstance(back["blob"], bytes)
    assert back["$weird"] == {"$dt": "x"}  # a user key that looks like a tag is not decoded as one


def test_unpersistable_value_is_rejected_and_nothing_written(store):
    with pytest.raises(codec.RecordEncodingError):
        store.put(*KEY, "k", {"bad": object()})
    with pytest.raises(codec.RecordEncodingError):
        store.put(*KEY, "k", {1: "non-string key"})
    with pytest.raises(codec.RecordEncodingError):
        store.put(*KEY, "k", {"nan": float("nan")})
    assert store.get(*KEY, "k") is None


def test_transaction_commits_atomically(store):
    with store.transaction():
        store.put(*KEY, "a", {"n": 1})
        store.put(*KEY, "b", {"n": 2})
    assert store.get(*KEY, "a") == {"n": 1} and store.get(*KEY, "b") == {"n": 2}


def test_transaction_rolls_back_on_error(store):
    store.put(*KEY, "a", {"n": 0})
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.put(*KEY, "a", {"n": 1})
            store.delete(*KEY, "a")
            store.put(*KEY, "b", {"n": 2})
            raise RuntimeError("boom")
    assert store.get(*KEY, "a") == {"n": 0}
    assert store.get(*KEY, "b") is None


def test_nested_transaction_rolls_back_only_inner_block(store):
    with store.transaction():
        store.put(*KEY, "outer", {})
        with pytest.raises(ValueError):
            with store.transaction():
                store.put(*KEY, "inner", {})
                raise ValueError
        store.put(*KEY, "after", {})
    assert sorted(r.key for r in store.load("sqs")) == ["after", "outer"]


def test_transaction_isolated_from_other_threads(store):
    """Another thread's write waits until the transaction has committed."""
    seen_inside = []
    started = threading.Event()

    def writer():
        started.set()
        store.put(*KEY, "other", {"n": 9})

    with store.transaction():
        store.put(*KEY, "mine", {"n": 1})
        t = threading.Thread(target=writer)
        t.start()
        started.wait()
        time.sleep(0.05)
        seen_inside.append(store.get(*KEY, "other"))
    t.join(5)
    assert seen_inside == [None]
    assert store.get(*KEY, "other") == {"n": 9}


def test_concurrent_writers_and_readers(tmp_path):
    s = StateStore.open(tmp_path)
    errors: list[BaseException] = []

    def work(tid: int) -> None:
        try:
            for i in range(200):
                s.put("svc", "kind", str(tid), "r", f"k{i}", {"tid": tid, "i": i})
                got = s.get("svc", "kind", str(tid), "r", f"k{i}")
                assert got == {"tid": tid, "i": i}
                if i % 3 == 0:
                    s.delete("svc", "kind", str(tid), "r", f"k{i}")
                if i % 50 == 0:
                    list(s.load("svc"))
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    s.close()
    with StateStore.open(tmp_path) as again:
        records = list(again.load("svc"))
    assert len(records) == 8 * (200 - len(range(0, 200, 3)))
    assert all(r.record == {"tid": int(r.account), "i": int(r.key[1:])} for r in records)


def test_closed_store_raises_state_error(tmp_path):
    s = StateStore.open(tmp_path)
    s.close()
    s.close()  # idempotent
    with pytest.raises(StateError, match="closed"):
        s.put(*KEY, "k", {})
    with pytest.raises(StateError):
        s.get(*KEY, "k")


def test_data_dir_that_is_a_file_raises_state_error(tmp_path):
    target = tmp_path / "file"
    target.write_text("not a directory")
    with pytest.raises(StateError, match="data dir"):
        StateStore.open(target)


def test_state_file_that_is_not_a_database_raises_state_error(tmp_path):
    (tmp_path / STATE_FILE).write_bytes(b"this is definitely not sqlite" * 100)
    with pytest.raises(StateError, match="state file"):
        StateStore.open(tmp_path)


def test_newer_schema_is_refused(tmp_path):
    with StateStore.open(tmp_path) as s:
        s._conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(StateError, match="newer"):
        StateStore.open(tmp_path)


def test_unwritable_data_dir_raises_state_error(tmp_path):
    if os.geteuid() == 0:
        # root ignores permission bits; a path under a regular file can never be created
        (tmp_path / "f").write_text("")
        bad = tmp_path / "f" / "sub"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        bad = locked / "sub"
    with pytest.raises(StateError):
        StateStore.open(bad)


# -- RecordTable: in-memory objects written through --


class _Thing:
    def __init__(self, name: str, when: datetime) -> None:
        self.name, self.when = name, when

    def to_record(self) -> dict:
        return {"name": self.name, "when": self.when}

    @classmethod
    def from_record(cls, record: dict) -> _Thing:
        return cls(record["name"], record["when"])


def test_record_table_writes_through_and_reloads(tmp_path):
    when = datetime(2024, 5, 1, tzinfo=UTC)
    with StateStore.open(tmp_path) as s:
        table = RecordTable(s, "svc", "thing", _Thing)
        table.put("1", "us-east-1", "a", _Thing("a", when))
        table.put("1", "eu-west-1", "b", _Thing("b", when))
        table.put("2", "us-east-1", "c", _Thing("c", when))
        assert s.get("svc", "thing", "1", "us-east-1", "a") == {"name": "a", "when": when}
        table.delete("2", "us-east-1", "c")
    with StateStore.open(tmp_path) as s:
        table = RecordTable(s, "svc", "thing", _Thing)
        assert len(table) == 2
        assert table.get("1", "us-east-1", "a").when == when
        assert sorted(t.name for t in table.values("1")) == ["a", "b"]
        assert [t.name for t in table.values("1", "eu-west-1")] == ["b"]
        assert table.values("2") == []
        table.clear()
        assert len(table) == 0 and list(s.load("svc")) == []


def test_record_table_keeps_memory_unchanged_when_persisting_fails(tmp_path):
    s = StateStore.open(tmp_path)
    table = RecordTable(s, "svc", "thing", _Thing)
    s.close()
    with pytest.raises(StateError):
        table.put("1", "r", "a", _Thing("a", datetime.now(UTC)))
    assert table.get("1", "r", "a") is None


# -- crash durability --

_CHILD = r"""
import sys
from datetime import datetime, UTC
from pathlib import Path
from pycloud.state.store import StateStore

store = StateStore.open(Path(sys.argv[1]))
i = 0
while True:
    key = f"k{i:06d}"
    record = {"i": i, "payload": "x" * (i % 500), "at": datetime(2024, 1, 1, tzinfo=UTC), "raw": bytes([i % 256])}
    if i % 10 == 0:
        with store.transaction():
            store.put("crash", "item", "000000000000", "us-east-1", key, record)
            store.put("crash", "pair", "000000000000", "us-east-1", key, {"i": i})
    else:
        store.put("crash", "item", "000000000000", "us-east-1", key, record)
    print(key, flush=True)  # acknowledged: put() has returned
    i += 1
"""


def test_acknowledged_puts_survive_sigkill(tmp_path):
    child = subprocess.Popen(
        [sys.executable, "-P", "-c", _CHILD, str(tmp_path)],  # -P: the installed pycloud, not the checkout
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acknowledged: list[str] = []
    deadline = time.monotonic() + 30
    try:
        while len(acknowledged) < 300 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            acknowledged.append(line.strip())
        child.send_signal(signal.SIGKILL)  # mid-way: the child is still writing
        rest, err = child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    acknowledged += rest.split()  # lines printed before the kill landed are acknowledged too
    assert child.returncode == -signal.SIGKILL, err
    assert len(acknowledged) >= 300, err

    with StateStore.open(tmp_path) as s:
        for key in acknowledged:
            i = int(key[1:])
            record = s.get("crash", "item", "000000000000", "us-east-1", key)
            assert record == {
                "i": i,
                "payload": "x" * (i % 500),
                "at": datetime(2024, 1, 1, tzinfo=UTC),
                "raw": bytes([i % 256]),
            }, key
            if i % 10 == 0:
                assert s.get("crash", "pair", "000000000000", "us-east-1", key) == {"i": i}
        # transactions are atomic even across the kill: never an item without its pair
        items = {r.key for r in s.load("crash", "item") if int(r.key[1:]) % 10 == 0}
        pairs = {r.key for r in s.load("crash", "pair")}
        assert items == pairs
        json.dumps([r.key for r in s.load("crash")])  # the database is readable end to end
