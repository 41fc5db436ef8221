"""EBS block store speed through the bindings (Python call overhead included), against the same I/O
done with os.pread/os.pwrite on a plain file in the same directory.

Run:  PYTHONPATH=. python3 bench/bench_blockdev.py [--dir DIR] [--seconds 2]
Cases on a 1 GiB volume (written once first, sync=never so the disk's fsync speed stays out of it):
4 KiB random reads and writes, 512 KiB sequential reads and writes; the ratio column is store/plain
(target >= 0.7). Then snapshot creation time for 1, 10 and 100 GiB sparse volumes with the same
64 MiB written since their first snapshot: it must not grow with the volume size.
Writes bench/results/blockdev.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pycloud import _core

BS = _core.BLOCK_SIZE
GiB = 1 << 30
VOLUME = GiB
SMALL = 4096


def rate(op: Callable[[int], None], seconds: float) -> float:
    """Calls op(i) for about `seconds` and returns calls per second."""
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(256):
            op(n)
            n += 1
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def io_cases(root: Path, seconds: float) -> list[dict[str, object]]:
    """The four I/O patterns on the store and on a plain file; ops/s and MiB/s for each."""
    store = _core.BlockStore(str(root / "store"), "never")
    store.create_volume("vol-bench", VOLUME)
    plain_fd = os.open(root / "plain.img", os.O_RDWR | os.O_CREAT, 0o644)
    chunk = os.urandom(BS)
    for off in range(0, VOLUME, BS):  # allocate both completely, like a used disk
        store.write("vol-bench", off, chunk)
        os.pwrite(plain_fd, chunk, off)
    rng = random.Random(1)
    offsets = [rng.randrange(VOLUME // SMALL) * SMALL for _ in range(1 << 16)]
    small = os.urandom(SMALL)
    seq_blocks = VOLUME // BS
    buf = bytearray(SMALL)

    cases: dict[str, tuple[int, Callable[[int], object], Callable[[int], object]]] = {
        "4k random read": (
            SMALL,
            lambda i: store.read("vol-bench", offsets[i & 0xFFFF], SMALL),
            lambda i: os.pread(plain_fd, SMALL, offsets[i & 0xFFFF]),
        ),
        "4k random readinto": (
            SMALL,
            lambda i: store.readinto("vol-bench", offsets[i & 0xFFFF], buf),
            lambda i: os.preadv(plain_fd, [buf], offsets[i & 0xFFFF]),
        ),
        "4k random write": (
            SMALL,
            lambda i: store.write("vol-bench", offsets[i & 0xFFFF], small),
            lambda i: os.pwrite(plain_fd, small, offsets[i & 0xFFFF]),
        ),
        "512k sequential read": (
            BS,
            lambda i: store.read("vol-bench", (i % seq_blocks) * BS, BS),
            lambda i: os.pread(plain_fd, BS, (i % seq_blocks) * BS),
        ),
        "512k sequential write": (
            BS,
            lambda i: store.write("vol-bench", (i % seq_blocks) * BS, chunk),
            lambda i: os.pwrite(plain_fd, chunk, (i % seq_blocks) * BS),
        ),
    }
    rows = []
    for name, (size, store_op, plain_op) in cases.items():
        store_rate = rate(store_op, seconds)
        plain_rate = rate(plain_op, seconds)
        rows.append(
            {
                "case": name,
                "store_ops_s": round(store_rate),
                "plain_ops_s": round(plain_rate),
                "store_mib_s": round(store_rate * size / (1 << 20), 1),
                "plain_mib_s": round(plain_rate * size / (1 << 20), 1),
                "ratio": round(store_rate / plain_rate, 3),
            }
        )
    os.close(plain_fd)
    store.close()
    return rows


def snapshot_cases(root: Path, repeats: int = 5) -> list[dict[str, object]]:
    """Snapshot time of 1/10/100 GiB sparse volumes with the same 64 MiB written after a first snapshot."""
    store = _core.BlockStore(str(root / "snaps"), "never")
    changed = (64 << 20) // BS
    block = os.urandom(BS)
    rows = []
    for gib in (1, 10, 100):
        vol = f"vol-{gib}g"
        store.create_volume(vol, gib * GiB)
        blocks = gib * GiB // BS
        times = []
        for r in range(repeats):
            store.create_snapshot(vol, f"snap-{gib}g-base-{r}")
            for b in random.Random(r).sample(range(blocks), changed):
                store.write(vol, b * BS, block)
            start = time.perf_counter()
            store.create_snapshot(vol, f"snap-{gib}g-{r}")
            times.append(time.perf_counter() - start)
            assert store.snapshot_info(f"snap-{gib}g-{r}")["stored_bytes"] == changed * BS
        rows.append({"volume_gib": gib, "changed_mib": 64, "snapshot_ms": round(statistics.median(times) * 1000, 3)})
    store.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", help="where the store and the plain file go (default: a temp dir under bench/)")
    parser.add_argument("--seconds", type=float, default=2.0, help="time per case and side")
    args = parser.parse_args()
    base = Path(args.dir) if args.dir else Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory(dir=base, prefix="blockdev-") as tmp:
        io_rows = io_cases(Path(tmp), args.seconds)
        snap_rows = snapshot_cases(Path(tmp))
    print(f"{'case':<24}{'store ops/s':>13}{'plain ops/s':>13}{'store MiB/s':>13}{'plain MiB/s':>13}{'ratio':>8}")
    for r in io_rows:
        print(
            f"{r['case']:<24}{r['store_ops_s']:>13,}{r['plain_ops_s']:>13,}"
            f"{r['store_mib_s']:>13,.1f}{r['plain_mib_s']:>13,.1f}{r['ratio']:>8.2f}"
        )
    print()
    print(f"{'volume':>8}{'changed':>10}{'snapshot ms':>14}")
    for r in snap_rows:
        print(f"{r['volume_gib']:>5} GiB{r['changed_mib']:>6} MiB{r['snapshot_ms']:>14.3f}")
    out = Path(__file__).resolve().parent / "results" / "blockdev.json"
    out.write_text(json.dumps({"io": io_rows, "snapshot": snap_rows}, indent=2) + "\n")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
