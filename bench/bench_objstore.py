"""Object store data-plane speed and memory, through the bindings (Python call overhead included).

pytest-benchmark:  python3 -m pytest bench/bench_objstore.py --benchmark-enable
Quick table:       PYTHONPATH=. python3 bench/bench_objstore.py [--objects 1000000]
Cases: put/get of 4 KiB and 64 MiB bodies (sync=batch, so a put is in the OS page cache when it
returns and fsynced within 50 ms; 64 MiB bodies are fdatasynced before commit), a 64 MiB body
streamed in 1 MiB chunks under sync=never and sync=always (MD5 hashed on a worker thread while the
chunk is written), 4 threads of 4 KiB puts under sync=always (group commit: waiting commits share
one fdatasync) and sync=batch, listing 20,000 keys in 20 pages of 1,000, and index memory per
object measured as the RSS delta of N small puts.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from pycloud import _core

SMALL = os.urandom(4 * 1024)
_LARGE: list[bytes] = []


def large() -> bytes:
    """A 64 MiB body, created once per process."""
    if not _LARGE:
        _LARGE.append(os.urandom(64 << 20))
    return _LARGE[0]


def new_store(path: str) -> _core.ObjectStore:
    """A store with the default options and one bucket "b"."""
    store = _core.ObjectStore(path, sync="batch")
    store.create_bucket("b")
    return store


def fill_listing(store: _core.ObjectStore, n: int = 20_000) -> None:
    """n small keys spread over 100 prefixes."""
    for i in range(n):
        store.put("b", f"dir{i % 100:03d}/key{i:06d}", b"x")


def list_all(store: _core.ObjectStore) -> int:
    """Pages through the whole bucket 1,000 keys at a time, as ListObjectsV2 does."""
    marker, total = "", 0
    while True:
        page = store.list("b", start_after=marker, max_keys=1000)
        total += len(page.objects)
        if not page.is_truncated:
            return total
        marker = page.next_marker


def put_chunked(store: _core.ObjectStore, key: str, body: bytes, chunk: int = 1 << 20) -> None:
    """A streaming put in fixed-size chunks, as the S3 layer feeds a request body."""
    writer = store.begin_put("b", "crc64nvme")
    view = memoryview(body)
    for offset in range(0, len(body), chunk):
        writer.write(view[offset : offset + chunk])
    writer.commit(key)


def threaded_puts(store: _core.ObjectStore, threads: int = 4, per_thread: int = 250) -> int:
    """``threads`` threads each putting ``per_thread`` 4 KiB objects; returns the number of puts."""
    run = next(_RUNS)

    def worker(t: int) -> None:
        for i in range(per_thread):
            store.put("b", f"r{run}/t{t}/{i}", SMALL)

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return threads * per_thread


_RUNS = iter(range(10**9))


def rss_bytes() -> int:
    """Current resident set size (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def index_bytes_per_object(n: int) -> float:
    """RSS growth per object after n puts of 16-byte bodies under ~30-byte keys."""
    with tempfile.TemporaryDirectory() as d:
        store = new_store(d)
        body = b"0123456789abcdef"
        store.put("b", "warm-up", body)
        before = rss_bytes()
        for i in range(n):
            store.put("b", f"objects/{i % 1000:04d}/object-{i:09d}", body)
        grown = rss_bytes() - before
        store.close()
    return grown / n


@pytest.fixture
def store() -> Iterator[_core.ObjectStore]:
    with tempfile.TemporaryDirectory() as d:
        s = new_store(d)
        yield s
        s.close()


def test_put_4k(benchmark, store):
    counter = iter(range(10**9))
    benchmark(lambda: store.put("b", f"k{next(counter)}", SMALL))


def test_get_4k(benchmark, store):
    store.put("b", "k", SMALL)
    assert benchmark(lambda: store.get("b", "k")) == SMALL


def test_put_64m(benchmark, store):
    body = large()
    benchmark.pedantic(lambda: store.put("b", "big", body), rounds=3, iterations=1)


def test_get_64m(benchmark, store):
    store.put("b", "big", large())
    benchmark.pedantic(lambda: store.get("b", "big"), rounds=3, iterations=1)


@pytest.mark.parametrize("sync", ["never", "always"])
def test_put_64m_in_1m_chunks(benchmark, sync):
    body = large()
    with tempfile.TemporaryDirectory() as d:
        s = _core.ObjectStore(d, sync=sync)
        s.create_bucket("b")
        benchmark.pedantic(lambda: put_chunked(s, "big", body), rounds=5, iterations=1)
        s.close()


@pytest.mark.parametrize("sync", ["always", "batch"])
def test_put_4k_4_threads(benchmark, sync):
    with tempfile.TemporaryDirectory() as d:
        s = _core.ObjectStore(d, sync=sync)
        s.create_bucket("b")
        benchmark.pedantic(lambda: threaded_puts(s), rounds=5, iterations=1)
        s.close()


def test_list_20k(benchmark, store):
    fill_listing(store)
    assert benchmark(lambda: list_all(store)) == 20_000


def _time(fn: Callable[[], object], repeat: int) -> float:
    """Best-of-3 seconds per call over `repeat` calls."""
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - t) / repeat)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=1_000_000, help="objects for the index-memory case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        s = new_store(d)
        counter = iter(range(10**9))
        put4k = _time(lambda: s.put("b", f"k{next(counter)}", SMALL), 5000)
        s.put("b", "k", SMALL)
        get4k = _time(lambda: s.get("b", "k"), 20000)
        body = large()
        put64 = _time(lambda: s.put("b", "big", body), 2)
        get64 = _time(lambda: s.get("b", "big"), 3)
        s.close()
    chunked: dict[str, float] = {}
    threaded: dict[str, float] = {}
    for sync in ("never", "always"):
        with tempfile.TemporaryDirectory() as d:
            s = _core.ObjectStore(d, sync=sync)
            s.create_bucket("b")
            chunked[sync] = _time(lambda s=s: put_chunked(s, "big", body), 2)
            s.close()
    for sync in ("always", "batch"):
        with tempfile.TemporaryDirectory() as d:
            s = _core.ObjectStore(d, sync=sync)
            s.create_bucket("b")
            threaded[sync] = _time(lambda s=s: threaded_puts(s), 1) / 1000
            s.close()
    with tempfile.TemporaryDirectory() as d:
        s = new_store(d)
        fill_listing(s)
        list20k = _time(lambda: list_all(s), 3)
        s.close()
    per_obj = index_bytes_per_object(args.objects)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("put 4 KiB", f"{1 / put4k:,.0f} ops/s", f"{put4k * 1e6:.1f} µs"),
        ("get 4 KiB", f"{1 / get4k:,.0f} ops/s", f"{get4k * 1e6:.1f} µs"),
        ("put 64 MiB", f"{64 / put64:,.0f} MiB/s", f"{put64 * 1e3:.0f} ms"),
        ("get 64 MiB", f"{64 / get64:,.0f} MiB/s", f"{get64 * 1e3:.0f} ms"),
        *((f"put 64 MiB in 1 MiB chunks, sync={k}", f"{64 / v:,.0f} MiB/s", f"{v * 1e3:.0f} ms")
          for k, v in chunked.items()),
        *((f"put 4 KiB x 4 threads, sync={k}", f"{1 / v:,.0f} ops/s", f"{v * 1e6:.1f} µs")
          for k, v in threaded.items()),
        ("list 20,000 keys (20 pages)", f"{list20k * 1e3:.1f} ms", ""),
        (f"index bytes/object ({args.objects:,} objects)", f"{per_obj:.0f} B", f"peak RSS {peak:.0f} MiB"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, a, b in rows:
        print(f"{name:<{width}}  {a:>16}  {b}")


if __name__ == "__main__":
    main()
