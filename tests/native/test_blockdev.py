"""pycloud._core.BlockStore through the bindings: block semantics against a reference model,
incremental copy-on-write snapshots on a 100 GiB sparse volume, changed blocks and lineages, lazy
hydration, snapshot deletion and refcounts, EBS-direct snapshot building, persistence, crash
recovery under SIGKILL, concurrency, and compaction of the metadata log (bounded growth, reopen
from a checkpoint, crashes mid-compaction).

Build first: ``python3 setup.py build_ext --inplace``.
"""

from __future__ import annotations

import os
import random
import shutil
import threading
import time
from pathlib import Path

import pytest
from native_helpers import run_in_threads, run_until_killed

from pycloud import _core
from pycloud._core import BlockStore, BlockStoreError

BS = _core.BLOCK_SIZE
MiB = 1 << 20
GiB = 1 << 30


def code_of(fn, *args) -> str:
    """The BlockStoreError code fn raises (fails the test if it raises nothing)."""
    with pytest.raises(BlockStoreError) as info:
        fn(*args)
    return info.value.code


def pattern(seed: int, n: int) -> bytes:
    """n deterministic, seed-dependent bytes (cheap to build, differs per seed)."""
    unit = seed.to_bytes(8, "little") + bytes([seed % 251, 7, 13, 29, 31, 37, 41, 43])
    return (unit * (n // len(unit) + 1))[:n]


@pytest.fixture
def store(tmp_path: Path):
    s = BlockStore(str(tmp_path / "bs"), "never")
    yield s
    s.close()


# ------------------------------------------------------------------------------ block semantics


def test_block_size_is_512_kib():
    assert BS == 512 * 1024


def test_partial_blocks_zeros_and_trim_against_a_model(store):
    size = 6 * BS + 4096
    store.create_volume("vol-1", size)
    model = bytearray(size)
    rng = random.Random(7)
    assert store.read("vol-1", 0, size) == bytes(size)
    for step in range(300):
        off = rng.randrange(size)
        n = rng.randrange(0, min(size - off, 2 * BS) + 1)
        op = rng.random()
        if op < 0.6:
            data = pattern(step, n)
            store.write("vol-1", off, data)
            model[off : off + n] = data
        elif op < 0.8:
            store.trim("vol-1", off, n)
            model[off : off + n] = bytes(n)
        else:
            assert store.read("vol-1", off, n) == model[off : off + n]
        if step % 50 == 0:
            store.create_snapshot("vol-1", f"snap-{step}")  # later writes go copy-on-write
    assert store.read("vol-1", 0, size) == model
    buf = bytearray(BS + 10)
    assert store.readinto("vol-1", BS - 5, buf) == 0
    assert buf == model[BS - 5 : 2 * BS + 5]
    assert store.read("vol-1", size, 0) == b""


def test_trim_discards_whole_blocks_and_zeroes_partial_ones(store):
    store.create_volume("vol-1", 4 * BS)
    store.write("vol-1", 0, b"\xff" * (4 * BS))
    assert store.volume_info("vol-1")["allocated_bytes"] == 4 * BS
    store.trim("vol-1", BS // 2, 2 * BS)  # half of block 0, all of block 1, half of block 2
    info = store.volume_info("vol-1")
    assert info["blocks"] == 3 and info["allocated_bytes"] == 3 * BS
    expected = b"\xff" * (BS // 2) + bytes(2 * BS) + b"\xff" * (BS + BS // 2)
    assert store.read("vol-1", 0, 4 * BS) == expected


def test_unwritten_blocks_take_no_space(store):
    store.create_volume("vol-big", 100 * GiB)
    assert store.stats()["data_disk_bytes"] == 0
    store.write("vol-big", 50 * GiB + 123, b"x" * 4096)
    assert store.stats()["data_disk_bytes"] <= 16 * 1024
    assert store.volume_info("vol-big")["allocated_bytes"] == BS
    assert store.read("vol-big", 99 * GiB, 4096) == bytes(4096)


def test_errors(store):
    store.create_volume("vol-1", 2 * BS)
    assert code_of(store.create_volume, "vol-1", BS) == "AlreadyExists"
    assert code_of(store.create_volume, "vol-2", 1000) == "InvalidArgument"
    assert code_of(store.create_volume, "vol-2", 0) == "InvalidArgument"
    assert code_of(store.create_volume, "vol-2", 65 * 1024 * GiB) == "InvalidArgument"
    assert code_of(store.create_volume, "", BS) == "InvalidArgument"
    assert code_of(store.create_volume, "vol-2", BS, "snap-none") == "NoSuchSnapshot"
    assert code_of(store.read, "vol-none", 0, 1) == "NoSuchVolume"
    assert code_of(store.write, "vol-none", 0, b"x") == "NoSuchVolume"
    assert code_of(store.read, "vol-1", 2 * BS - 1, 2) == "OutOfRange"
    assert code_of(store.write, "vol-1", 2 * BS, b"x") == "OutOfRange"
    assert code_of(store.trim, "vol-1", 0, 2 * BS + 1) == "OutOfRange"
    assert code_of(store.resize_volume, "vol-1", BS) == "InvalidArgument"
    assert code_of(store.create_snapshot, "vol-none", "snap-1") == "NoSuchVolume"
    store.create_snapshot("vol-1", "snap-1")
    assert code_of(store.create_snapshot, "vol-1", "snap-1") == "AlreadyExists"
    assert code_of(store.read_snapshot_block, "snap-1", 2) == "OutOfRange"
    assert code_of(store.create_volume, "vol-3", BS, "snap-1") == "InvalidArgument"  # smaller than the snapshot
    assert code_of(store.delete_snapshot, "snap-none") == "NoSuchSnapshot"
    assert code_of(store.delete_volume, "vol-none") == "NoSuchVolume"
    with pytest.raises(TypeError):
        store.write("vol-1", 0, "text")
    with pytest.raises(ValueError):
        BlockStore("/tmp/never-created", "sometimes")
    assert issubclass(BlockStoreError, Exception)


def test_resize_grows_only(store):
    store.create_volume("vol-1", BS)
    store.write("vol-1", 0, b"a" * 10)
    store.resize_volume("vol-1", 3 * BS)
    assert store.volume_info("vol-1")["size"] == 3 * BS
    store.write("vol-1", 2 * BS, b"b")
    assert store.read("vol-1", 0, 10) == b"a" * 10 and store.read("vol-1", 2 * BS, 1) == b"b"


# ------------------------------------------------------------------------------ snapshots


def test_incremental_snapshot_of_a_100_gib_volume(store):
    """1% of the blocks changed after a first snapshot: the second stores exactly those blocks and
    the data file grows by about that much; changed_blocks lists them from the maps."""
    blocks = 100 * GiB // BS
    store.create_volume("vol-1", 100 * GiB)
    rng = random.Random(1)
    first = rng.sample(range(blocks), 500)
    for b in first:
        store.write("vol-1", b * BS + 100, b"first")
    store.create_snapshot("vol-1", "snap-a")
    a = store.snapshot_info("snap-a")
    assert a["blocks"] == 500 and a["stored_bytes"] == 500 * BS and a["parent"] == ""

    changed = sorted(set(rng.sample(range(blocks), blocks // 100 - 250)) | set(first[:250]))
    store.sync()
    disk_before = store.stats()["data_disk_bytes"]
    block = pattern(3, BS)
    for b in changed:
        store.write("vol-1", b * BS, block)
    store.create_snapshot("vol-1", "snap-b")
    store.sync()
    grown = store.stats()["data_disk_bytes"] - disk_before
    b_info = store.snapshot_info("snap-b")
    assert b_info["parent"] == "snap-a" and b_info["lineage"] == a["lineage"]
    assert b_info["stored_bytes"] == len(changed) * BS
    assert b_info["blocks"] == len(set(first) | set(changed))
    assert len(changed) * BS <= grown <= len(changed) * BS + 8 * MiB
    assert store.changed_blocks("snap-a", "snap-b") == changed
    assert store.read("vol-1", first[0] * BS + 100, 5) == block[100:105]
    assert store.read_snapshot_block("snap-a", first[0])[100:105] == b"first"


def test_stored_blocks_follow_trims_deleted_parents_and_reopen(tmp_path):
    """What a snapshot stores is counted from the blocks changed since its parent: trims store
    nothing, and deleting the parent in between still counts every change since the grandparent."""
    blk = BS
    with BlockStore(str(tmp_path / "s"), sync="never") as s:
        s.create_volume("vol-a", 64 * blk)
        for i in range(10):
            s.write("vol-a", i * blk, b"x" * 100)
        s.create_snapshot("vol-a", "snap-1")
        s.write("vol-a", 0, b"y")  # changes block 0
        s.trim("vol-a", 1 * blk, blk)  # block 1 discarded: stored nowhere
        s.write("vol-a", 20 * blk, b"z")  # a new block
        s.create_snapshot("vol-a", "snap-2")
        assert s.snapshot_info("snap-2")["stored_bytes"] == 2 * blk
        assert sorted(s.changed_blocks("snap-1", "snap-2")) == [0, 1, 20]
        s.write("vol-a", 30 * blk, b"w")
        s.delete_snapshot("snap-2")  # the volume's next snapshot descends from snap-1 again
        s.write("vol-a", 31 * blk, b"v")
        s.create_snapshot("vol-a", "snap-3")
        assert s.snapshot_info("snap-3")["parent"] == "snap-1"
        assert s.snapshot_info("snap-3")["stored_bytes"] == 4 * blk  # blocks 0, 20, 30 and 31; the trim stores none
        s.write("vol-a", 40 * blk, b"u")
    with BlockStore(str(tmp_path / "s"), sync="never") as s:  # replayed from the log: the same counts
        assert s.snapshot_info("snap-3")["stored_bytes"] == 4 * blk
        s.create_snapshot("vol-a", "snap-4")
        assert s.snapshot_info("snap-4")["stored_bytes"] == blk


def test_snapshot_is_copy_on_write(store):
    store.create_volume("vol-1", 4 * BS)
    store.write("vol-1", 0, pattern(1, 4 * BS))
    store.create_snapshot("vol-1", "snap-1")
    store.write("vol-1", BS + 10, b"new")
    store.trim("vol-1", 2 * BS, BS)
    assert store.read_snapshot_block("snap-1", 1) == pattern(1, 4 * BS)[BS : 2 * BS]
    assert store.read_snapshot_block("snap-1", 2) == pattern(1, 4 * BS)[2 * BS : 3 * BS]
    assert store.read("vol-1", BS + 10, 3) == b"new"
    assert store.read("vol-1", 2 * BS, BS) == bytes(BS)
    store.create_snapshot("vol-1", "snap-2")
    assert store.changed_blocks("snap-1", "snap-2") == [1, 2]
    assert store.changed_blocks("", "snap-2") == store.list_snapshot_blocks("snap-2") == [0, 1, 3]
    assert store.snapshot_info("snap-2")["stored_bytes"] == BS  # block 1; block 2 is gone, not stored


def test_changed_blocks_refused_across_lineages(store):
    store.create_volume("vol-1", BS)
    store.create_volume("vol-2", BS)
    store.create_snapshot("vol-1", "snap-1")
    store.create_snapshot("vol-2", "snap-2")
    assert code_of(store.changed_blocks, "snap-1", "snap-2") == "LineageMismatch"
    # A volume restored from a snapshot continues its lineage.
    store.create_volume("vol-3", BS, "snap-1")
    store.write("vol-3", 0, b"z")
    store.create_snapshot("vol-3", "snap-3")
    assert store.snapshot_info("snap-3")["parent"] == "snap-1"
    assert store.changed_blocks("snap-1", "snap-3") == [0]


def test_delete_snapshot_frees_only_unreferenced_blocks(tmp_path):
    s = BlockStore(str(tmp_path / "bs"), "batch")
    s.create_volume("vol-1", 8 * BS)
    s.write("vol-1", 0, pattern(1, 4 * BS))  # blocks 0-3
    s.create_snapshot("vol-1", "snap-a")
    s.write("vol-1", 0, pattern(2, 2 * BS))  # blocks 0-1 copied on write
    s.create_snapshot("vol-1", "snap-b")
    s.write("vol-1", 0, pattern(3, BS))  # block 0 again
    assert s.stats()["referenced_slots"] == 4 + 2 + 1
    assert s.snapshot_info("snap-b")["stored_bytes"] == 2 * BS

    s.delete_snapshot("snap-a")  # its blocks 0-1 are referenced by nobody else now
    s.sync()
    st = s.stats()
    assert st["referenced_slots"] == 5 and st["quarantined_slots"] == 0 and st["free_slots"] == 2
    b = s.snapshot_info("snap-b")
    assert b["parent"] == "" and b["stored_bytes"] == 4 * BS  # it now holds what snap-a held
    assert s.read_snapshot_block("snap-b", 3) == pattern(1, 4 * BS)[3 * BS :]
    assert s.volume_info("vol-1")["last_snapshot"] == "snap-b"

    s.delete_volume("vol-1")
    s.sync()
    assert s.stats()["referenced_slots"] == 4  # snap-b's
    for i in range(4):
        expected = (pattern(2, 2 * BS) + pattern(1, 4 * BS)[2 * BS :])[i * BS : (i + 1) * BS]
        assert s.read_snapshot_block("snap-b", i) == expected
    s.delete_snapshot("snap-b")
    s.sync()
    st = s.stats()
    assert st["referenced_slots"] == 0 and st["data_disk_bytes"] == 0
    # Freed slots are reused before the file grows.
    s.create_volume("vol-2", BS)
    s.write("vol-2", 0, b"q")
    assert s.stats()["slots"] == 7 and s.read("vol-2", 0, 2) == b"q\x00"
    s.close()


# ------------------------------------------------------------------------------ lazy restore


def test_lazy_hydration_progress_and_first_touch(tmp_path):
    s = BlockStore(str(tmp_path / "bs"), "batch")
    s.create_volume("vol-src", 16 * BS)
    for b in (1, 3, 5, 7, 9):
        s.write("vol-src", b * BS, pattern(b, BS))
    s.create_snapshot("vol-src", "snap-1")
    s.create_volume("vol-r", 32 * BS, "snap-1")
    info = s.volume_info("vol-r")
    assert (info["hydrated_blocks"], info["blocks_to_hydrate"]) == (0, 5)
    assert info["source_snapshot"] == "snap-1" and info["allocated_bytes"] == 5 * BS

    data, touched = s.read_touch("vol-r", 3 * BS - 10, 20)  # blocks 2 (empty) and 3
    assert touched == 1 and data == bytes(10) + pattern(3, BS)[:10]
    assert s.read_touch("vol-r", 3 * BS, 10)[1] == 0  # hydrated already
    assert s.readinto("vol-r", BS, bytearray(2 * BS)) == 1  # block 1 (block 3 is done)
    assert s.write("vol-r", 5 * BS + 1, b"w") == 1  # a partial write needs the old data: a touch
    s.trim("vol-r", 7 * BS, BS)  # nothing left to fetch: hydrated without a touch
    info = s.volume_info("vol-r")
    assert (info["hydrated_blocks"], info["first_touches"]) == (4, 3)
    assert s.read("vol-r", 5 * BS, 2) == pattern(5, BS)[:1] + b"w"
    s.set_first_touch_penalty("vol-r", 1500)
    s.close()

    s = BlockStore(str(tmp_path / "bs"), "batch")
    info = s.volume_info("vol-r")
    assert (info["hydrated_blocks"], info["blocks_to_hydrate"], info["first_touch_penalty_us"]) == (4, 5, 1500)
    assert s.read_touch("vol-r", 9 * BS, BS) == (pattern(9, BS), 1)
    assert s.volume_info("vol-r")["hydrated_blocks"] == 5
    assert s.read_snapshot_block("snap-1", 5) == pattern(5, BS)  # the snapshot never changed
    s.close()


# ------------------------------------------------------------------------------ EBS direct


def test_ebs_direct_snapshot_building(store):
    assert code_of(store.start_snapshot, "snap-p", 1000) == "InvalidArgument"
    store.start_snapshot("snap-p", 8 * BS)
    store.put_snapshot_block("snap-p", 0, pattern(0, BS))
    store.put_snapshot_block("snap-p", 5, pattern(5, BS))
    store.put_snapshot_block("snap-p", 5, pattern(50, BS))  # replaced before completion
    assert code_of(store.put_snapshot_block, "snap-p", 8, pattern(8, BS)) == "OutOfRange"
    assert code_of(store.put_snapshot_block, "snap-p", 1, b"short") == "InvalidArgument"
    # Pending: not visible to volumes nor readable.
    assert code_of(store.create_volume, "vol-1", 8 * BS, "snap-p") == "SnapshotNotComplete"
    assert code_of(store.read_snapshot_block, "snap-p", 0) == "SnapshotNotComplete"
    assert code_of(store.start_snapshot, "snap-c", 8 * BS, "snap-p") == "SnapshotNotComplete"
    assert store.snapshot_info("snap-p")["complete"] is False
    store.complete_snapshot("snap-p")
    assert code_of(store.complete_snapshot, "snap-p") == "SnapshotCompleted"
    assert code_of(store.put_snapshot_block, "snap-p", 1, pattern(1, BS)) == "SnapshotCompleted"
    info = store.snapshot_info("snap-p")
    assert info["complete"] and info["blocks"] == 2 and info["stored_bytes"] == 2 * BS
    assert store.list_snapshot_blocks("snap-p") == [0, 5]
    assert store.stats()["referenced_slots"] == 2  # the replaced block 5 was freed

    # An incremental child: the parent's blocks plus the ones put.
    store.start_snapshot("snap-c", 8 * BS, "snap-p")
    store.put_snapshot_block("snap-c", 2, pattern(2, BS))
    store.put_snapshot_block("snap-c", 5, pattern(55, BS))
    store.complete_snapshot("snap-c")
    c = store.snapshot_info("snap-c")
    assert c["parent"] == "snap-p" and c["lineage"] == info["lineage"]
    assert c["blocks"] == 3 and c["stored_bytes"] == 2 * BS
    assert store.changed_blocks("snap-p", "snap-c") == [2, 5]
    store.create_volume("vol-1", 8 * BS, "snap-c")
    assert store.read("vol-1", 0, 6 * BS) == pattern(0, BS) + bytes(BS) + pattern(2, BS) + bytes(2 * BS) + pattern(
        55, BS
    )
    store.start_snapshot("snap-other", 8 * BS)
    store.complete_snapshot("snap-other")
    assert code_of(store.changed_blocks, "snap-p", "snap-other") == "LineageMismatch"


# ------------------------------------------------------------------------------ persistence


def test_reopen_keeps_everything_and_refuses_a_second_opener(tmp_path):
    path = str(tmp_path / "bs")
    s = BlockStore(path, "always")
    assert code_of(BlockStore, path, "always") == "InUse"
    s.create_volume("vol-1", 4 * BS)
    s.write("vol-1", 100, b"one")
    s.create_snapshot("vol-1", "snap-1")
    s.write("vol-1", 100, b"two")
    s.start_snapshot("snap-p", BS)
    s.put_snapshot_block("snap-p", 0, pattern(9, BS))
    s.close()
    assert code_of(s.read, "vol-1", 0, 1) == "Closed"
    s = BlockStore(path, "batch")
    assert s.read("vol-1", 100, 3) == b"two"
    assert s.read_snapshot_block("snap-1", 0)[100:103] == b"one"
    assert s.snapshot_info("snap-p")["complete"] is False  # still pending, blocks kept
    s.complete_snapshot("snap-p")
    assert s.read_snapshot_block("snap-p", 0) == pattern(9, BS)
    assert s.list_volumes() == ["vol-1"] and s.list_snapshots() == ["snap-1", "snap-p"]
    s.close()


def test_torn_log_tail_is_truncated(tmp_path):
    path = tmp_path / "bs"
    s = BlockStore(str(path), "always")
    s.create_volume("vol-1", BS)
    s.write("vol-1", 0, b"kept")
    s.close()
    size = (path / "meta.log").stat().st_size
    with open(path / "meta.log", "ab") as f:
        f.write(b"\x21" * 37)  # a half-written record, as a crash mid-append leaves
    s = BlockStore(str(path), "always")
    assert s.stats()["truncated_bytes"] == 37 and (path / "meta.log").stat().st_size == size
    assert s.read("vol-1", 0, 4) == b"kept"
    s.close()


CHILD = r"""
import random, sys
from pycloud import _core
path, round_no, sync, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
s = _core.BlockStore(path, sync)
vol = f"vol-{round_no}"
s.create_volume(vol, size)
s.flush(vol)
print("ready", flush=True)
seq = 0
while True:
    seq += 1
    rng = random.Random(round_no * 1_000_003 + seq)
    off = rng.randrange(size)
    n = rng.randrange(1, min(size - off, 300_000) + 1)
    if rng.random() < 0.15:
        s.trim(vol, off, n)
    else:
        s.write(vol, off, bytes([seq % 251 + 1]) * n)
    s.flush(vol)
    print("w", seq, flush=True)
    if seq % 7 == 0:
        s.create_snapshot(vol, f"snap-{round_no}-{seq}")
        print("s", seq, flush=True)
"""


def apply_op(model: bytearray, round_no: int, seq: int) -> None:
    """The child's operation number seq of round round_no, applied to the model."""
    size = len(model)
    rng = random.Random(round_no * 1_000_003 + seq)
    off = rng.randrange(size)
    n = rng.randrange(1, min(size - off, 300_000) + 1)
    trim = rng.random() < 0.15
    model[off : off + n] = bytes(n) if trim else bytes([seq % 251 + 1]) * n


def test_crash_recovery_sigkill(tmp_path):
    """A child writes, flushes and snapshots until SIGKILLed; every flushed write and every
    snapshot it reported is intact after reopening, and nothing else shows but the one write in
    flight (possibly partly, as on a disk)."""
    path = str(tmp_path / "crash")
    size = 24 * BS + 1024
    final: dict[str, bytes] = {}  # volume -> content verified after its round
    snaps: dict[str, bytes] = {}  # snapshot -> content it must keep
    for round_no, sync in enumerate(["batch", "never", "always", "batch"]):
        lines = run_until_killed(CHILD, path, str(round_no), sync, str(size), max_seconds=0.8)
        acked = 0
        model = bytearray(size)
        for line in lines:
            parts = line.split()
            if len(parts) != 2:
                continue  # a line torn by the kill
            kind, seq = parts[0], int(parts[1])
            if kind == "w" and seq == acked + 1:
                apply_op(model, round_no, seq)
                acked = seq
            elif kind == "s":
                snaps[f"snap-{round_no}-{seq}"] = bytes(model)
        in_flight = bytearray(model)
        apply_op(in_flight, round_no, acked + 1)

        s = BlockStore(path, "batch")
        got = s.read(f"vol-{round_no}", 0, size)
        if got != model:
            # Only the write in flight may show, byte by byte old or new.
            bad = [i for i in range(size) if got[i] != model[i] and got[i] != in_flight[i]]
            assert not bad, (round_no, acked, bad[:5])
        final[f"vol-{round_no}"] = got
        for vol, content in final.items():
            assert s.read(vol, 0, size) == content, vol
        for snap, content in snaps.items():
            assert s.snapshot_info(snap)["complete"]
            blocks = b"".join(s.read_snapshot_block(snap, i) for i in range(size // BS + 1))
            assert blocks[:size] == content, snap
        assert s.stats()["quarantined_slots"] == 0
        s.close()
        assert acked > 3, round_no
    assert len(snaps) > 2


# ------------------------------------------------------------------------------ concurrency


def test_concurrent_threads_on_shared_and_separate_volumes(tmp_path):
    s = BlockStore(str(tmp_path / "bs"), "batch")
    threads = 6
    region = 3 * BS + 777  # regions straddle block boundaries: neighbours share blocks
    s.create_volume("vol-shared", (threads * region + 511) // 512 * 512)
    for t in range(threads):
        s.create_volume(f"vol-{t}", 4 * BS)
    stop = threading.Event()

    def snapshotter() -> None:
        i = 0
        while not stop.is_set():
            s.create_snapshot("vol-shared", f"snap-{i}")
            if i >= 2:
                s.delete_snapshot(f"snap-{i - 2}")
            i += 1
            time.sleep(0.002)

    snap_thread = threading.Thread(target=snapshotter)
    snap_thread.start()

    def worker(t: int) -> None:
        rng = random.Random(t)
        mine = bytearray(region)
        own = bytearray(4 * BS)
        for i in range(150):
            off = rng.randrange(region)
            n = rng.randrange(1, region - off + 1)
            data = bytes([(t * 31 + i) % 255 + 1]) * n
            s.write("vol-shared", t * region + off, data)
            mine[off : off + n] = data
            off2 = rng.randrange(4 * BS - 4096)
            s.write(f"vol-{t}", off2, data[:4096])
            own[off2 : off2 + len(data[:4096])] = data[:4096]
            if i % 10 == 0:
                assert s.read("vol-shared", t * region, region) == mine
                assert s.read(f"vol-{t}", 0, 4 * BS) == own
        assert s.read("vol-shared", t * region, region) == mine

    try:
        run_in_threads(worker, threads)
    finally:
        stop.set()
        snap_thread.join()
    # Every snapshot still listed is readable and consistent with its own block list.
    for snap in s.list_snapshots():
        for b in s.list_snapshot_blocks(snap):
            assert len(s.read_snapshot_block(snap, b)) == BS
    s.close()


def test_gil_released_during_large_io(store):
    store.create_volume("vol-1", 256 * MiB)
    body = os.urandom(64 * MiB)
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
    for i in range(3):
        store.write("vol-1", i * 64 * MiB, body)
        assert store.read("vol-1", i * 64 * MiB, 64 * MiB) == body
    done.set()
    t.join()
    assert ticks - before > 10


# ------------------------------------------------------------------------------ log compaction


BIG_BLOCKS = (0, 511, 512, 100_000, 204_799)  # across leaves of a 100 GiB volume's map


def catalog_state(s: BlockStore) -> dict:
    """Everything a reopen must keep: volume and snapshot info, every byte, block lists, changed
    blocks between every pair of one lineage, and the slot accounting. Volume info is taken
    before the reads (which hydrate)."""
    state: dict = {"volumes": {}, "snapshots": {}, "changed": {}}
    for vol in s.list_volumes():
        info = s.volume_info(vol)
        info.pop("first_touches")  # counted since open
        state["volumes"][vol] = info
    for snap in s.list_snapshots():
        info = s.snapshot_info(snap)
        entry: dict = {"info": info}
        if info["complete"]:
            entry["blocks"] = s.list_snapshot_blocks(snap)
            entry["data"] = b"".join(s.read_snapshot_block(snap, b) for b in entry["blocks"])
        state["snapshots"][snap] = entry
    complete = [n for n, e in state["snapshots"].items() if e["info"]["complete"]]
    for a in complete:
        for b in complete:
            if a != b and state["snapshots"][a]["info"]["lineage"] == state["snapshots"][b]["info"]["lineage"]:
                state["changed"][(a, b)] = s.changed_blocks(a, b)
    for vol, info in state["volumes"].items():
        if info["size"] <= 64 * BS:
            data = s.read(vol, 0, info["size"])
        else:  # a sparse giant: the blocks written and some never written
            data = b"".join(s.read(vol, b * BS, BS) for b in (*BIG_BLOCKS, 1, 1000, 204_798))
        state["volumes"][vol] = (info, data)
    st = s.stats()
    state["slots"] = {k: st[k] for k in ("volumes", "snapshots", "referenced_slots")}
    return state


def build_rich_catalog(s: BlockStore) -> None:
    """Every kind of state the log records: lineages, restores part hydrated, deleted sources and
    parents, a resize, a penalty, trims, a pending and a completed EBS-direct snapshot."""
    s.create_volume("vol-a", 40 * BS)
    for i in range(0, 40, 3):
        s.write("vol-a", i * BS + 11, pattern(i, BS // 2))
    s.create_snapshot("vol-a", "snap-a1")
    s.write("vol-a", 3 * BS, pattern(100, BS))
    s.trim("vol-a", 6 * BS, 2 * BS)
    s.create_snapshot("vol-a", "snap-a2")
    s.write("vol-a", 9 * BS + 5, b"after a2")
    s.create_snapshot("vol-a", "snap-a3")
    s.write("vol-a", 12 * BS, pattern(101, BS))  # changed since snap-a3: what its next snapshot stores
    s.delete_snapshot("snap-a2")  # snap-a3 re-parented onto snap-a1
    s.create_volume("vol-r", 48 * BS, "snap-a1")
    s.read_touch("vol-r", 0, 10)
    s.write("vol-r", 3 * BS + 1, b"r")
    s.trim("vol-r", 6 * BS, BS)
    s.set_first_touch_penalty("vol-r", 700)
    s.resize_volume("vol-r", 64 * BS)
    s.create_volume("vol-r2", 40 * BS, "snap-a3")
    s.create_snapshot("vol-r2", "snap-r2")
    s.delete_snapshot("snap-a3")  # vol-r2's source is gone; it keeps its name
    s.create_volume("vol-big", 100 * GiB)
    for b in (0, 511, 512, 100_000, 204_799):
        s.write("vol-big", b * BS, pattern(b, 100))
    s.create_snapshot("vol-big", "snap-big")
    s.write("vol-big", 511 * BS, b"moved")
    s.create_volume("vol-gone", BS)
    s.write("vol-gone", 0, b"bye")
    s.delete_volume("vol-gone")
    s.start_snapshot("snap-d1", 8 * BS)
    s.put_snapshot_block("snap-d1", 1, pattern(201, BS))
    s.complete_snapshot("snap-d1")
    s.start_snapshot("snap-d2", 8 * BS, "snap-d1")
    s.put_snapshot_block("snap-d2", 4, pattern(202, BS))  # left pending


def test_reopen_after_compaction_matches_a_full_replay(tmp_path):
    """The same store reopened from its whole log and from a compacted one (with records appended
    after the checkpoint) has the same data, maps, stored bytes, hydration progress and changed
    blocks, and goes on the same way: hydration, stored bytes of the next snapshots, new ids."""
    full, compacted = tmp_path / "full", tmp_path / "compacted"
    with BlockStore(str(full), "batch") as s:
        build_rich_catalog(s)
    shutil.copytree(full, compacted)
    with BlockStore(str(compacted), "batch") as s:
        before = s.stats()["log_bytes"]
        s.compact()
        st = s.stats()
        assert st["compactions"] == 1 and st["log_bytes"] == st["checkpoint_bytes"] < before
    for path in (full, compacted):  # the same records appended after the checkpoint
        with BlockStore(str(path), "batch") as s:
            s.write("vol-a", 20 * BS, b"tail")
            s.read_touch("vol-r", 9 * BS, 1)
            s.delete_snapshot("snap-r2")
    with BlockStore(str(full), "batch") as a, BlockStore(str(compacted), "batch") as b:
        assert b.stats()["checkpoint_bytes"] > 0 and a.stats()["checkpoint_bytes"] == 0
        expected = catalog_state(a)
        assert catalog_state(b) == expected
        assert expected["volumes"]["vol-r"][0]["hydrated_blocks"] == 4  # blocks 0, 3, 6 (trimmed), 9
        for s in (a, b):
            s.complete_snapshot("snap-d2")
            s.create_snapshot("vol-a", "snap-a4")
            s.create_snapshot("vol-r", "snap-r")
            s.create_volume("vol-new", BS)
        for name in ("snap-d2", "snap-a4", "snap-r"):
            assert b.snapshot_info(name) == a.snapshot_info(name)
        assert a.snapshot_info("snap-a4")["stored_bytes"] == 4 * BS  # 3, 9, 12, 20: changed since snap-a1
        assert b.changed_blocks("snap-d1", "snap-d2") == [4]
        lineages = {b.volume_info(v)["lineage"] for v in ("vol-a", "vol-r2", "vol-big")}
        assert b.volume_info("vol-new") == a.volume_info("vol-new")
        assert b.volume_info("vol-new")["lineage"] not in lineages
        assert b.read_touch("vol-r", 15 * BS, BS) == a.read_touch("vol-r", 15 * BS, BS)
        assert b.read_touch("vol-r", 15 * BS, BS)[1] == 0


def test_log_stays_bounded_over_overwrite_snapshot_delete_cycles(tmp_path):
    """A long run of overwrites, snapshots, deletes and restores: after every call the log is under
    max(compact_min_bytes, 4 x its checkpoint), the checkpoint follows the live state (not the
    history), and a reopen finds every byte."""
    limit = 4096
    path = str(tmp_path / "bs")
    s = BlockStore(path, "never", compact_min_bytes=limit)
    rng = random.Random(5)
    vols = {f"vol-{i}": bytearray(16 * BS) for i in range(3)}
    for vol in vols:
        s.create_volume(vol, 16 * BS)
    snaps: list[str] = []
    peak = 0
    for step in range(3000):
        vol = f"vol-{step % 3}"
        block = rng.randrange(16)
        s.trim(vol, block * BS, BS)  # a map record; the write below allocates again: another
        vols[vol][block * BS : (block + 1) * BS] = bytes(BS)
        off = rng.randrange(16 * BS - 64)
        data = bytes([step % 251 + 1]) * 64
        s.write(vol, off, data)
        vols[vol][off : off + 64] = data
        if step % 10 == 0:
            s.create_snapshot(vol, f"snap-{step}")
            snaps.append(f"snap-{step}")
            if len(snaps) > 4:
                s.delete_snapshot(snaps.pop(0))
        if step % 500 == 499:  # a volume replaced by a restore of a recent snapshot
            s.delete_volume(vol)
            s.create_volume(vol, 16 * BS, snaps[-1])
            vols[vol] = bytearray(s.read(vol, 0, 16 * BS))
        st = s.stats()
        assert st["log_bytes"] < max(limit, 4 * st["checkpoint_bytes"]), (step, st)
        peak = max(peak, st["checkpoint_bytes"])
    st = s.stats()
    assert st["compactions"] >= 10 and st["compaction_failures"] == 0
    assert peak < 2 * 1024  # the checkpoint holds 3 volumes and 4 snapshots of 16 blocks, not 3000 steps
    s.close()
    s = BlockStore(path, "never", compact_min_bytes=limit)
    for vol, content in vols.items():
        assert s.read(vol, 0, 16 * BS) == content
    assert s.list_snapshots() == sorted(snaps)
    s.close()


def test_freed_slots_are_reused_after_compaction_and_reopen(tmp_path):
    path = str(tmp_path / "bs")
    s = BlockStore(path, "batch", batch_window_ms=60_000)  # no background sync: the quarantine stays
    s.create_volume("vol-1", 4 * BS)
    s.write("vol-1", 0, pattern(1, 4 * BS))
    s.create_snapshot("vol-1", "snap-1")
    s.write("vol-1", 0, pattern(2, 2 * BS))  # blocks 0-1 copied on write
    s.delete_snapshot("snap-1")
    assert s.stats()["quarantined_slots"] == 2
    s.compact()  # the new log is durable: so is every freeing record
    st = s.stats()
    assert st["quarantined_slots"] == 0 and st["free_slots"] == 2 and st["referenced_slots"] == 4
    s.create_volume("vol-2", 2 * BS)
    s.write("vol-2", 0, pattern(3, 2 * BS))
    assert s.stats()["slots"] == 6
    s.delete_volume("vol-2")
    s.close()
    s = BlockStore(path, "batch")
    st = s.stats()
    assert st["referenced_slots"] == 4 and st["free_slots"] == 2
    s.create_volume("vol-3", BS)
    s.write("vol-3", 0, b"q")
    assert s.stats()["slots"] == 6
    assert s.read("vol-1", 0, 4 * BS) == pattern(2, 2 * BS) + pattern(1, 4 * BS)[2 * BS :]
    s.close()


def test_a_log_cut_inside_its_checkpoint_is_refused(tmp_path):
    """A checkpoint is written whole before it becomes the log, so a log ending inside one is
    damage: opening refuses it (Corruption) instead of cutting the catalog short."""
    path = tmp_path / "bs"
    with BlockStore(str(path), "always") as s:
        s.create_volume("vol-1", 4 * BS)
        s.create_volume("vol-2", 4 * BS)
        s.write("vol-2", 0, b"x")
        s.compact()
        checkpoint = s.stats()["checkpoint_bytes"]
    log = path / "meta.log"
    assert log.stat().st_size == checkpoint
    whole = log.read_bytes()
    log.write_bytes(whole[: checkpoint // 2])
    assert code_of(BlockStore, str(path), "always") == "Corruption"
    log.write_bytes(whole)
    (path / "meta.log.tmp").write_bytes(whole[:20])  # a compaction that died before its rename
    with BlockStore(str(path), "always") as s:
        assert s.list_volumes() == ["vol-1", "vol-2"] and s.read("vol-2", 0, 1) == b"x"
    assert not (path / "meta.log.tmp").exists()


def test_compaction_alongside_concurrent_io(tmp_path):
    """Compactions (explicit and automatic) while threads write, read and snapshot: no write is
    lost, before or after a reopen."""
    path = str(tmp_path / "bs")
    s = BlockStore(path, "batch", compact_min_bytes=16 * 1024)
    threads = 4
    for t in range(threads):
        s.create_volume(f"vol-{t}", 8 * BS)
    stop = threading.Event()

    def compactor() -> None:
        while not stop.is_set():
            s.compact()
            time.sleep(0.001)

    comp = threading.Thread(target=compactor)
    comp.start()
    models = [bytearray(8 * BS) for _ in range(threads)]

    def worker(t: int) -> None:
        rng = random.Random(t)
        for i in range(300):
            off = rng.randrange(8 * BS - 5000)
            data = bytes([(t * 37 + i) % 255 + 1]) * rng.randrange(1, 5000)
            s.write(f"vol-{t}", off, data)
            models[t][off : off + len(data)] = data
            if i % 25 == 0:
                s.create_snapshot(f"vol-{t}", f"snap-{t}-{i}")
                assert s.read(f"vol-{t}", 0, 8 * BS) == models[t]

    try:
        run_in_threads(worker, threads)
    finally:
        stop.set()
        comp.join()
    assert s.stats()["compactions"] > 5
    s.close()
    s = BlockStore(path, "batch")
    for t in range(threads):
        assert s.read(f"vol-{t}", 0, 8 * BS) == models[t]
        assert len(s.list_snapshot_blocks(f"snap-{t}-275")) > 0
    s.close()


COMPACT_CHILD = r"""
import random, sys, threading
from pycloud import _core
path, round_no, sync, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
s = _core.BlockStore(path, sync, compact_min_bytes=0)  # compacts whenever the log is 4x its checkpoint
vol = f"vol-{round_no}"
s.create_volume(vol, size)
s.flush(vol)
big = f"vol-big-{round_no}"  # a few thousand mappings: each checkpoint takes a while to write
s.create_volume(big, 64 << 30)
for b in range(0, 131072, 37):
    s.write(big, b * 524288, b"m")


def compact_forever():
    while True:
        s.compact()


threading.Thread(target=compact_forever, daemon=True).start()
print("ready", flush=True)
seq = 0
while True:
    seq += 1
    rng = random.Random(round_no * 1_000_003 + seq)
    off = rng.randrange(size)
    n = rng.randrange(1, min(size - off, 300_000) + 1)
    if rng.random() < 0.15:
        s.trim(vol, off, n)
    else:
        s.write(vol, off, bytes([seq % 251 + 1]) * n)
    s.flush(vol)
    print("w", seq, flush=True)
    if seq % 4 == 0:
        s.create_snapshot(vol, f"snap-{round_no}-{seq}")
        print("s", seq, flush=True)
        if seq > 12:
            s.delete_snapshot(f"snap-{round_no}-{seq - 12}")
            print("d", seq - 12, flush=True)
    print("c", s.stats()["compactions"], flush=True)
"""


def test_crash_during_compaction_sigkill(tmp_path):
    """A child writes, snapshots and deletes while compacting (on its own with a zero minimum, and
    from a thread that does nothing else) until SIGKILLed, so the kill usually lands inside a
    compaction; the reopened store has every flushed write, every completed snapshot not deleted
    and none that was deleted."""
    path = tmp_path / "crash"
    size = 12 * BS + 1024
    final: dict[str, bytes] = {}
    snaps: dict[str, bytes] = {}
    deleted: set[str] = set()
    compactions = mid_compaction = 0
    for round_no, sync in enumerate(["batch", "never", "always", "batch", "never", "batch"]):
        lines = run_until_killed(COMPACT_CHILD, str(path), str(round_no), sync, str(size), max_seconds=0.8)
        acked = round_compactions = 0
        model = bytearray(size)
        maybe_deleted = None  # the delete that may have been in flight
        for line in lines:
            parts = line.split()
            if len(parts) != 2:
                continue
            kind, seq = parts[0], int(parts[1])
            if kind == "w" and seq == acked + 1:
                apply_op(model, round_no, seq)
                acked = seq
            elif kind == "s":
                snaps[f"snap-{round_no}-{seq}"] = bytes(model)
                maybe_deleted = f"snap-{round_no}-{seq - 12}" if seq > 12 else None
            elif kind == "d":
                deleted.add(f"snap-{round_no}-{seq}")
                snaps.pop(f"snap-{round_no}-{seq}", None)
                maybe_deleted = None
            elif kind == "c":
                round_compactions = seq
        compactions += round_compactions
        in_flight = bytearray(model)
        apply_op(in_flight, round_no, acked + 1)

        mid_compaction += (path / "meta.log.tmp").exists()  # killed between writing a checkpoint and its rename
        s = BlockStore(str(path), "batch")
        assert not (path / "meta.log.tmp").exists()
        got = s.read(f"vol-{round_no}", 0, size)
        if got != model:
            bad = [i for i in range(size) if got[i] != model[i] and got[i] != in_flight[i]]
            assert not bad, (round_no, acked, bad[:5])
        final[f"vol-{round_no}"] = got
        for vol, content in final.items():
            assert s.read(vol, 0, size) == content, vol
        present = set(s.list_snapshots())
        assert not present & deleted, present & deleted
        for snap, content in list(snaps.items()):
            if snap == maybe_deleted and snap not in present:
                del snaps[snap]  # its delete was in flight and made it
                continue
            assert s.snapshot_info(snap)["complete"], snap
            blocks = b"".join(s.read_snapshot_block(snap, i) for i in range(size // BS + 1))
            assert blocks[:size] == content, snap
        st = s.stats()
        assert st["quarantined_slots"] == 0 and st["referenced_slots"] <= st["slots"]
        s.close()
        assert acked > 3, round_no
    assert compactions > 20 and mid_compaction > 0 and len(snaps) > 5 and deleted
