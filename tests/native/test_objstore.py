"""pycloud._core.ObjectStore through the bindings: round trips, ranges, versions, listing against a
reference model, multipart rules, persistence, crash recovery under SIGKILL and concurrency.

Build first: ``python3 setup.py build_ext --inplace``.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from pathlib import Path

import pytest
from native_helpers import run_in_threads, run_until_killed

from pycloud import _core

THRESHOLD = 64 * 1024
MIN_PART = 1024


def open_store(path: Path, **kw: object) -> _core.ObjectStore:
    """A store with a small threshold and part minimum so tests stay fast."""
    opts: dict[str, object] = {"small_object_threshold": THRESHOLD, "min_part_size": MIN_PART}
    opts.update(kw)
    return _core.ObjectStore(str(path), **opts)


@pytest.fixture
def store(tmp_path: Path):
    s = open_store(tmp_path / "store")
    s.create_bucket("b")
    yield s
    s.close()


def error_code(fn, *args, **kw) -> str:
    """Runs fn and returns the StoreError code it raised."""
    with pytest.raises(_core.StoreError) as info:
        fn(*args, **kw)
    return info.value.code


@pytest.mark.parametrize("size", [0, 1, 1000, THRESHOLD - 1, THRESHOLD, THRESHOLD + 1, 3 * (1 << 20) + 7])
def test_round_trip_sizes(store, size):
    body = random.randbytes(size)
    info = store.put("b", f"obj-{size}", body, metadata=b'{"ct":"x"}', last_modified=123, checksum_algorithm="sha256")
    assert info.size == size
    assert info.etag == hashlib.md5(body).hexdigest()
    assert info.checksum == hashlib.sha256(body).digest()
    assert info.version_id == "null"
    head = store.head("b", f"obj-{size}")
    assert (head.etag, head.size, head.metadata, head.last_modified) == (info.etag, size, b'{"ct":"x"}', 123)
    assert head.checksum_algorithm == "sha256" and head.checksum == info.checksum
    assert store.get("b", f"obj-{size}") == body


def test_streaming_writer_and_ranges(store):
    body = random.randbytes(200_000)
    w = store.begin_put("b", "crc32c")
    for i in range(0, len(body), 7000):
        w.write(memoryview(body)[i : i + 7000])
    assert w.size == len(body)
    info = w.commit("streamed", metadata=b"m")
    assert info.checksum == _core.hash_bytes("crc32c", body)
    r = store.open("b", "streamed")
    for off, n in [(0, 1), (5, 100), (199_990, 100), (len(body), 10), (12345, -1)]:
        assert r.read(off, n) == (body[off:] if n < 0 else body[off : off + n])
    ranges = r.ranges()
    assert sum(length for _, _, length in ranges) == len(body)
    fd, off, length = ranges[0]
    assert os.pread(fd, 16, off) == body[:16]  # usable for sendfile


def test_small_object_ranges_point_into_segment(store):
    store.put("b", "small", b"0123456789")
    fd, off, length = store.open("b", "small").ranges()[0]
    assert length == 10 and os.pread(fd, 10, off) == b"0123456789"


def test_abort_and_uncommitted_leave_no_trace(store, tmp_path):
    w = store.begin_put("b")
    w.write(b"x" * (THRESHOLD * 3))
    w.abort()
    w2 = store.begin_put("b")
    w2.write(b"y" * (THRESHOLD * 3))
    del w2
    assert error_code(store.head, "b", "nothing") == "NoSuchKey"
    assert os.listdir(tmp_path / "store" / "tmp") == []
    assert os.listdir(tmp_path / "store" / "data") == []


def test_errors(store):
    assert error_code(store.put, "nob", "k", b"") == "NoSuchBucket"
    assert error_code(store.get, "b", "k") == "NoSuchKey"
    assert error_code(store.put, "b", "k" * 1025, b"") == "KeyTooLong"
    store.put("b", "k" * 1024, b"ok")
    assert error_code(store.create_bucket, "b") == "BucketAlreadyExists"
    assert error_code(store.get, "b", "k", version_id="null") == "NoSuchVersion"
    assert error_code(store.get, "b", "k", version_id="bogus") == "InvalidArgument"
    assert error_code(store.delete_bucket, "b") == "BucketNotEmpty"
    with pytest.raises(ValueError):
        store.put("b", "k", b"", versioning="sometimes")
    assert error_code(store.begin_put, "b", "nosuchalgo") == "InvalidArgument"


def test_buckets(store):
    store.create_bucket("a")
    assert store.list_buckets() == ["a", "b"]
    store.delete_bucket("a")
    assert error_code(store.delete_bucket, "a") == "NoSuchBucket"
    upload = store.create_upload("b", "k")
    assert error_code(store.delete_bucket, "b") == "BucketNotEmpty"
    store.abort_upload(upload)
    store.delete_bucket("b")
    assert store.list_buckets() == []


def test_unversioned_overwrite_and_delete(store):
    store.put("b", "k", b"one")
    store.put("b", "k", b"two")
    assert store.get("b", "k") == b"two"
    assert [v.version_id for v in store.list_versions("b").versions] == ["null"]
    store.delete("b", "k")
    assert error_code(store.get, "b", "k") == "NoSuchKey"
    assert error_code(store.delete, "b", "k") == "NoSuchKey"


def test_versions_and_delete_markers(store):
    ids = [store.put("b", "k", str(i).encode(), versioning="enabled", last_modified=i).version_id for i in range(3)]
    assert len(set(ids)) == 3 and all(len(i) == 32 for i in ids)
    assert ids == sorted(ids, reverse=True)  # newest sorts first
    assert store.get("b", "k") == b"2"
    assert store.get("b", "k", ids[0]) == b"0"
    marker = store.delete("b", "k", versioning="enabled", now=10)
    assert marker.is_delete_marker and marker.version_id < ids[2]
    info = store.head("b", "k")
    assert info.is_delete_marker and info.version_id == marker.version_id
    assert store.list("b").objects == []
    versions = store.list_versions("b").versions
    assert [(v.version_id, v.is_latest, v.is_delete_marker) for v in versions] == [
        (marker.version_id, True, True),
        (ids[2], False, False),
        (ids[1], False, False),
        (ids[0], False, False),
    ]
    # Removing the marker by id brings the object back.
    removed = store.delete("b", "k", version_id=marker.version_id)
    assert removed.is_delete_marker
    assert store.get("b", "k") == b"2"
    store.delete("b", "k", version_id=ids[1])
    assert error_code(store.get, "b", "k", ids[1]) == "NoSuchVersion"
    assert [v.version_id for v in store.list_versions("b").versions] == [ids[2], ids[0]]


def test_suspended_versioning(store):
    v1 = store.put("b", "k", b"v1", versioning="enabled").version_id
    store.put("b", "k", b"n1", versioning="suspended")
    store.put("b", "k", b"n2", versioning="suspended")  # replaces the null version
    assert [v.version_id for v in store.list_versions("b").versions] == ["null", v1]
    assert store.get("b", "k", "null") == b"n2"
    marker = store.delete("b", "k", versioning="suspended")
    assert marker.version_id == "null" and marker.is_delete_marker
    assert [(v.version_id, v.is_delete_marker) for v in store.list_versions("b").versions] == [
        ("null", True),
        (v1, False),
    ]
    assert store.get("b", "k", v1) == b"v1"


# ------------------------------------------------------------------------------ listing


def reference_list(keys: set[str], prefix: str, delimiter: str, start_after: str, max_keys: int):
    """What S3 returns for ListObjects, computed naively."""
    items: list[tuple[str, bool]] = []  # (key or prefix, is_prefix)
    seen: set[str] = set()
    for k in sorted(keys):
        if not k.startswith(prefix) or k <= start_after:
            continue
        if delimiter:
            pos = k.find(delimiter, len(prefix))
            if pos >= 0:
                cp = k[: pos + len(delimiter)]
                if cp not in seen and not start_after.startswith(cp):
                    seen.add(cp)
                    items.append((cp, True))
                continue
        items.append((k, False))
    page = items[:max_keys]
    return [k for k, p in page if not p], [k for k, p in page if p], len(items) > max_keys


def test_listing_against_reference_model(store):
    rng = random.Random(7)
    alphabet = ["a", "b", "/", "é", "日", "x/", "-", "z"]
    keys = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(400)}
    for k in keys:
        store.put("b", k, b"")
    # Hidden by delete markers: never listed, never make a common prefix alone.
    for k in list(keys)[:40]:
        store.delete("b", k, versioning="enabled")
        keys.discard(k)
    byte_keys = {k.encode() for k in keys}
    for _ in range(150):
        prefix = rng.choice(["", "a", "b/", "é", "x/", "日"])
        delimiter = rng.choice(["", "/", "b", "日"])
        max_keys = rng.randint(1, 30)
        # Walk every page, as a client would, and compare with the model page by page.
        marker = ""
        all_objects, all_prefixes = [], []
        while True:
            r = store.list("b", prefix=prefix, delimiter=delimiter, start_after=marker, max_keys=max_keys)
            exp_objects, exp_prefixes, exp_trunc = reference_list(
                byte_keys, prefix.encode(), delimiter.encode(), marker.encode(), max_keys
            )
            assert [o.key.encode() for o in r.objects] == exp_objects
            assert [p.encode() for p in r.common_prefixes] == exp_prefixes
            assert r.is_truncated == exp_trunc
            all_objects += [o.key for o in r.objects]
            all_prefixes += r.common_prefixes
            if not r.is_truncated:
                break
            marker = r.next_marker
        full_objects, full_prefixes, _ = reference_list(byte_keys, prefix.encode(), delimiter.encode(), b"", 10**9)
        assert [k.encode() for k in all_objects] == full_objects
        assert [p.encode() for p in all_prefixes] == full_prefixes


def test_list_versions_pagination(store):
    expected = []
    for k in ["a", "b", "c/1", "c/2", "d"]:
        for _i in range(3):
            expected.append((k, store.put("b", k, b"x", versioning="enabled").version_id))
    got = []
    key_marker = vid_marker = ""
    while True:
        r = store.list_versions("b", key_marker=key_marker, version_id_marker=vid_marker, max_keys=2)
        got += [(v.key, v.version_id) for v in r.versions]
        if not r.is_truncated:
            break
        key_marker, vid_marker = r.next_key_marker, r.next_version_id_marker
    assert sorted(got) == sorted(expected) and len(got) == len(expected)
    # Newest first within a key: newer ids sort lower, so the ids come out ascending.
    for k in ["a", "c/2"]:
        ids = [vid for key, vid in got if key == k]
        assert ids == sorted(ids) and ids[0] == store.head("b", k).version_id
    r = store.list_versions("b", delimiter="/")
    assert r.common_prefixes == ["c/"] and {v.key for v in r.versions} == {"a", "b", "d"}


# ------------------------------------------------------------------------------ multipart


def upload_parts(store, upload, bodies):
    out = []
    for n, body in bodies:
        w = store.begin_part(upload, n, "crc32")
        for i in range(0, len(body), 1000):
            w.write(body[i : i + 1000])
        p = w.commit(last_modified=n)
        assert p.etag == hashlib.md5(body).hexdigest() and p.size == len(body)
        assert p.checksum == _core.hash_bytes("crc32", body)
        out.append((n, p.etag))
    return out


def test_multipart_complete(store, tmp_path):
    upload = store.create_upload("b", "big", metadata=b"meta", now=5)
    bodies = [(1, random.randbytes(MIN_PART)), (2, random.randbytes(MIN_PART + 10)), (4, b"tail")]
    parts = upload_parts(store, upload, bodies)
    upload_parts(store, upload, [(3, random.randbytes(MIN_PART))])  # uploaded but left out
    info = store.complete_upload(upload, [(n, f'"{e.upper()}"') for n, e in parts], metadata=b"final")
    md5s = b"".join(hashlib.md5(b).digest() for _, b in bodies)
    assert info.etag == hashlib.md5(md5s).hexdigest() + "-3" and info.parts == 3
    whole = b"".join(b for _, b in bodies)
    assert store.get("b", "big") == whole and store.head("b", "big").metadata == b"final"
    assert store.open("b", "big").read(MIN_PART - 2, 5) == whole[MIN_PART - 2 : MIN_PART + 3]
    assert len(store.open("b", "big").ranges()) == 3  # the parts' files, not a copy
    store.sync()  # batch mode frees files once the completion is durable
    assert len(os.listdir(tmp_path / "store" / "data")) == 3  # part 3 was freed
    assert error_code(store.list_parts, upload) == "NoSuchUpload"


def test_multipart_rules(store):
    upload = store.create_upload("b", "k")
    parts = upload_parts(store, upload, [(1, b"s" * 10), (2, b"t" * MIN_PART), (3, b"u")])
    assert error_code(store.complete_upload, upload, [parts[1], parts[0]]) == "InvalidPartOrder"
    assert error_code(store.complete_upload, upload, [parts[0], parts[0]]) == "InvalidPartOrder"
    assert error_code(store.complete_upload, upload, [(1, "0" * 32)]) == "InvalidPart"
    assert error_code(store.complete_upload, upload, [parts[1], (9, parts[1][1])]) == "InvalidPart"
    assert error_code(store.complete_upload, upload, [parts[0], parts[1]]) == "EntityTooSmall"
    assert error_code(store.begin_part, upload, 0) == "InvalidPartNumber"
    assert error_code(store.begin_part, upload, 10001) == "InvalidPartNumber"
    assert error_code(store.begin_part, "x" * 32, 1) == "NoSuchUpload"
    assert error_code(store.complete_upload, "nope", parts) == "NoSuchUpload"
    # Small last part, and a single small part, are fine.
    info = store.complete_upload(upload, [parts[1], parts[2]])
    assert info.size == MIN_PART + 1


def test_multipart_listing_and_abort(store, tmp_path):
    uploads = [store.create_upload("b", k, now=i) for i, k in enumerate(["a", "b", "b", "c"])]
    r = store.list_uploads("b", max_uploads=2)
    assert [(u.key, u.upload_id) for u in r.uploads] == [("a", uploads[0]), ("b", uploads[1])] and r.is_truncated
    r2 = store.list_uploads("b", key_marker=r.next_key_marker, upload_id_marker=r.next_upload_id_marker)
    assert [u.upload_id for u in r2.uploads] == uploads[2:]
    assert [u.upload_id for u in store.list_uploads("b", prefix="b").uploads] == uploads[1:3]
    assert [u.upload_id for u in store.list_uploads("b", key_marker="b").uploads] == [uploads[3]]
    upload_parts(store, uploads[0], [(n, bytes([n]) * 10) for n in range(1, 6)])
    lp = store.list_parts(uploads[0], max_parts=2)
    assert [p.part_number for p in lp.parts] == [1, 2] and lp.is_truncated and lp.upload.key == "a"
    lp = store.list_parts(uploads[0], part_number_marker=lp.next_part_number_marker)
    assert [p.part_number for p in lp.parts] == [3, 4, 5] and not lp.is_truncated
    store.abort_upload(uploads[0])
    store.sync()  # batch mode frees part files after the abort is durable
    assert os.listdir(tmp_path / "store" / "data") == []
    assert error_code(store.abort_upload, uploads[0]) == "NoSuchUpload"


# ------------------------------------------------------------------------------ persistence, compaction


def test_reopen_persistence_and_compaction(tmp_path):
    path = tmp_path / "s"
    s = open_store(path, segment_size=64 * 1024, compaction_interval_ms=0)  # explicit compaction only
    s.create_bucket("b")
    expected = {}
    rng = random.Random(3)
    vid = s.put("b", "versioned", b"old", versioning="enabled").version_id
    upload = s.create_upload("b", "mp")
    part = upload_parts(s, upload, [(1, b"p" * 100)])
    for _i in range(600):
        k = f"k{rng.randint(0, 150)}"
        body = rng.randbytes(rng.choice([10, 3000, THRESHOLD + 5]))
        s.put("b", k, body, metadata=k.encode())
        expected[k] = body
    for k in list(expected)[:50]:
        s.delete("b", k)
        del expected[k]
    before = s.stats()
    stats = s.compact(force=False)
    assert stats["segments_compacted"] > 0
    after = s.stats()
    assert after["log_bytes"] < before["log_bytes"]
    s.close()
    for _ in range(2):  # reopen twice: compaction output must replay too
        s = open_store(path, segment_size=64 * 1024, compaction_interval_ms=0)
        assert {o.key for o in s.list("b").objects} == set(expected) | {"versioned"}
        for k, body in expected.items():
            assert s.get("b", k) == body and s.head("b", k).metadata == k.encode()
        assert s.get("b", "versioned", vid) == b"old"
        assert [p.part_number for p in s.list_parts(upload).parts] == [1]
        s.compact(force=True)
        s.close()
    s = open_store(path)
    assert s.complete_upload(upload, part).size == 100
    assert s.stats()["removed_files"] == 0


def test_readers_survive_delete_and_compaction(store):
    store.put("b", "k", b"small body")
    store.put("b", "big", b"B" * (THRESHOLD * 2))
    r1, r2 = store.open("b", "k"), store.open("b", "big")
    store.delete("b", "k")
    store.delete("b", "big")
    store.compact(force=True)
    store.sync()
    assert r1.read() == b"small body" and r2.read() == b"B" * (THRESHOLD * 2)


def wait_for(predicate, timeout: float = 10.0) -> bool:
    """Polls predicate() until it holds or the timeout passes (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def _overwrite_and_delete(s: _core.ObjectStore) -> dict[str, bytes]:
    """Eight rounds of overwrites of 60 keys, then a third of them deleted: mostly garbage."""
    s.create_bucket("b")
    rng = random.Random(5)
    final: dict[str, bytes] = {}
    for round_no in range(8):
        for i in range(60):
            body = rng.randbytes(rng.choice([50, 700, THRESHOLD + 9]))  # inline and file-backed bodies
            s.put("b", f"k{i}", body, metadata=f"r{round_no}".encode())
            final[f"k{i}"] = body
    for i in range(0, 60, 3):  # deletes make garbage too
        s.delete("b", f"k{i}")
        del final[f"k{i}"]
    return final


def test_background_compaction_reclaims_space(tmp_path):
    # The same history without compaction says how large the log would be.
    reference = open_store(tmp_path / "ref", segment_size=32 * 1024, compaction_interval_ms=0)
    _overwrite_and_delete(reference)
    uncompacted = reference.stats()["log_bytes"]
    reference.close()
    path = tmp_path / "bg"
    s = open_store(path, segment_size=32 * 1024, compaction_interval_ms=20, batch_window_ms=1)
    final = _overwrite_and_delete(s)
    early = {k: s.open("b", k) for k in list(final)[:10]}  # readers opened before compaction
    assert wait_for(lambda: s.stats()["background_compactions"] > 0)
    assert wait_for(lambda: s.stats()["log_bytes"] < uncompacted / 2)
    after = s.stats()
    assert after["segments_compacted"] > 0 and after["bytes_reclaimed"] > 0
    for k, reader in early.items():
        assert reader.read() == final[k]
    for k, body in final.items():
        assert s.get("b", k) == body and s.head("b", k).metadata == b"r7"
    assert {o.key for o in s.list("b").objects} == set(final)
    s.close()  # stops the compactor cleanly
    assert sum(f.stat().st_size for f in (path / "segments").iterdir()) < uncompacted / 2
    s = open_store(path)
    assert {o.key for o in s.list("b").objects} == set(final)
    for k, body in final.items():
        assert s.get("b", k) == body
    s.close()


def test_background_compaction_can_be_disabled(tmp_path):
    s = open_store(tmp_path / "off", segment_size=16 * 1024, compaction_interval_ms=0)
    s.create_bucket("b")
    for _ in range(5):
        for i in range(40):
            s.put("b", f"k{i}", b"x" * 500)
    s.sync()
    assert s.stats()["background_compactions"] == 0
    assert s.compact()["segments_compacted"] > 0  # explicit compaction still works
    s.close()


@pytest.mark.parametrize("sync", ["always", "batch"])
def test_group_commit_threads_survive_reopen(tmp_path, sync):
    """Threads committing at once: every acknowledged record is there after reopening, and under
    sync=always the commits shared fsyncs (fewer log syncs than commits)."""
    path = tmp_path / sync
    s = open_store(path, sync=sync, segment_size=64 * 1024, batch_window_ms=2)
    s.create_bucket("b")
    syncs_before = s.stats()["log_syncs"]
    acked: list[list[str]] = [[] for _ in range(4)]

    def worker(t: int) -> None:
        for i in range(150):
            key = f"t{t}/{i}"
            s.put("b", key, key.encode() * 20)
            acked[t].append(key)

    run_in_threads(worker, 4)
    syncs = s.stats()["log_syncs"] - syncs_before
    if sync == "always":
        assert 0 < syncs < 600
    s.close()
    s = open_store(path, sync=sync)
    for keys in acked:
        assert len(keys) == 150
        for key in keys:
            assert s.get("b", key) == key.encode() * 20
    s.close()


# ------------------------------------------------------------------------------ crash recovery

CHILD = r"""
import os, sys
from pycloud import _core
path, seed, sync = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = _core.ObjectStore(path, sync=sync, small_object_threshold=4096, segment_size=256 * 1024)
if not s.bucket_exists("b"):
    s.create_bucket("b")
print("ready", flush=True)
i = 0
while True:
    size = (i * 7919 + seed) % 20000
    body = bytes([(i + seed) % 251]) * size
    key = f"{seed}-{i}"
    s.put("b", key, body, metadata=key.encode())
    print(key, size, flush=True)
    i += 1
"""


def test_crash_recovery_sigkill(tmp_path):
    path = tmp_path / "crash"
    acked: dict[str, int] = {}
    in_flight: set[str] = set()  # committed, but killed before the child printed the ack
    for round_no, sync in enumerate(["batch", "never", "always", "batch", "never"]):
        lines = run_until_killed(CHILD, str(path), str(round_no), sync, max_seconds=0.5)
        for line in lines:
            parts = line.split()
            if len(parts) == 2:
                acked[parts[0]] = int(parts[1])
        s = _core.ObjectStore(str(path))
        listed = {o.key: o.size for o in s.list("b", max_keys=1_000_000).objects}
        for key, size in acked.items():
            seed, i = map(int, key.split("-"))
            body = s.get("b", key)
            assert body == bytes([(i + seed) % 251]) * size, key
            assert s.head("b", key).metadata == key.encode()
        # Nothing partial: every listed object is complete (at most the one in flight was not acked).
        for key, size in listed.items():
            seed, i = map(int, key.split("-"))
            assert size == (i * 7919 + seed) % 20000
            assert s.get("b", key) == bytes([(i + seed) % 251]) * size
        # Each round may leave one such object (the put in flight at the kill), so they add up
        # over the rounds; it can only be the put right after this round's last acknowledged one.
        new = set(listed) - set(acked) - in_flight
        round_acked = sum(1 for key in acked if key.startswith(f"{round_no}-"))
        assert new <= {f"{round_no}-{round_acked}"}, new
        in_flight |= new
        assert os.listdir(path / "tmp") == []
        s.close()
    assert len(acked) > 50


def test_torn_tail_is_truncated(tmp_path):
    path = tmp_path / "torn"
    s = open_store(path)
    s.create_bucket("b")
    s.put("b", "good", b"g" * 100)
    s.close()
    seg = sorted((path / "segments").iterdir())[-1]
    size = seg.stat().st_size
    with open(seg, "ab") as f:
        f.write(b"\x13" * 40)  # garbage after the last record, as a torn append leaves
    s = open_store(path)
    assert s.stats()["truncated_bytes"] == 40 and seg.stat().st_size == size
    assert s.get("b", "good") == b"g" * 100
    s.put("b", "after", b"a")
    s.close()
    s = open_store(path)
    assert s.get("b", "after") == b"a" and s.stats()["truncated_bytes"] == 0
    s.close()


# ------------------------------------------------------------------------------ concurrency


def test_concurrent_threads(store):
    big = random.randbytes(THRESHOLD * 3)

    def worker(t: int) -> None:
        for i in range(60):
            body = big if i % 10 == 0 else f"{t}-{i}".encode() * 50
            store.put("b", f"t{t}/k{i}", body)
            assert store.get("b", f"t{t}/k{i}") == body
            if i % 5 == 0:
                listed = store.list("b", prefix=f"t{t}/", max_keys=1000).objects
                assert len(listed) == i + 1
                store.list("b", delimiter="/")

    run_in_threads(worker, 6)
    assert store.list("b", delimiter="/").common_prefixes == [f"t{t}/" for t in range(6)]
    assert store.stats()["keys"] == 360


def test_gil_released_during_large_write(store):
    """A thread doing a large put must not stop another Python thread from running."""
    body = b"z" * (64 << 20)
    ticks = 0
    done = threading.Event()

    def spin() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0)

    t = threading.Thread(target=spin)
    t.start()
    before = ticks
    store.put("b", "huge", body)
    done.set()
    t.join()
    assert ticks - before > 10
