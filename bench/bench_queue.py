"""Queue engine (SQS data plane) speed and memory, through the bindings (Python call overhead included).

pytest-benchmark:  python3 -m pytest bench/bench_queue.py --benchmark-enable
Quick table:       PYTHONPATH=. python3 bench/bench_queue.py [--depth 1000000]
Cases: send of a 256-byte message (sync=batch: in the OS page cache when it returns, fsynced
within 50 ms), receive(10) + delete_batch of those 10, and the cost of a send with the queue empty
versus holding `depth` messages, which must be flat (the structures are O(1)/O(log n) per message).
The table also shows the engine's memory estimate while full and after everything was deleted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator

import pytest

from pycloud import _core

BODY = b"m" * 256
NOW = 1_700_000_000_000
FILL_BATCH = [(BODY, b"", -1, None, None)] * 10


def new_engine(path: str) -> _core.QueueEngine:
    """An on-disk engine with one standard queue "q"."""
    engine = _core.QueueEngine(path, sync="batch")
    engine.create_queue("q", False)
    return engine


def fill(engine: _core.QueueEngine, depth: int) -> None:
    """Sends depth messages in batches of 10."""
    for _ in range(depth // 10):
        engine.send_batch("q", FILL_BATCH, NOW)


def receive_and_delete(engine: _core.QueueEngine) -> int:
    """One consumer step: receive up to 10 and delete them; returns how many."""
    msgs = engine.receive("q", 10, NOW)
    engine.delete_batch("q", [m.receipt_handle for m in msgs], NOW)
    return len(msgs)


@pytest.fixture
def engine() -> Iterator[_core.QueueEngine]:
    with tempfile.TemporaryDirectory() as d:
        e = new_engine(d)
        yield e
        e.close()


@pytest.fixture(scope="module")
def deep_engine() -> Iterator[_core.QueueEngine]:
    """An engine whose queue already holds 1 M messages (filled once per module)."""
    with tempfile.TemporaryDirectory() as d:
        e = new_engine(d)
        fill(e, 1_000_000)
        yield e
        e.close()


def test_send(benchmark, engine):
    benchmark(lambda: engine.send("q", BODY, b"", NOW))


def test_receive10_delete_batch(benchmark, engine):
    fill(engine, 200_000)
    assert benchmark(lambda: receive_and_delete(engine)) == 10


def test_send_depth_0(benchmark, engine):
    # Keep the queue empty: each round sends one and removes it again outside the timing.
    def setup():
        receive_and_delete(engine)
        return (), {}

    benchmark.pedantic(lambda: engine.send("q", BODY, b"", NOW), setup=setup, rounds=20_000, iterations=1)


def test_send_depth_1m(benchmark, deep_engine):
    benchmark(lambda: deep_engine.send("q", BODY, b"", NOW))


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
    parser.add_argument("--depth", type=int, default=1_000_000, help="queue depth for the flat-cost case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        e = new_engine(d)
        t = time.perf_counter()
        for _ in range(20_000):  # from an empty queue: depth stays tiny next to the deep case
            e.send("q", BODY, b"", NOW)
        send0 = (time.perf_counter() - t) / 20_000
        fill(e, 200_000)
        recv_del = _time(lambda: receive_and_delete(e), 5_000)
        e.close()
    with tempfile.TemporaryDirectory() as d:
        e = new_engine(d)
        t = time.perf_counter()
        fill(e, args.depth)
        fill_rate = args.depth / (time.perf_counter() - t)
        full_mem = e.stats("q", NOW).memory_bytes
        send_deep = _time(lambda: e.send("q", BODY, b"", NOW), 20_000)
        while receive_and_delete(e):
            pass
        empty_mem = e.stats("q", NOW + 1).memory_bytes
        log = e.engine_stats()
        e.close()
    rows = [
        ("send 256 B (depth 0 to 20,000)", f"{1 / send0:,.0f} ops/s", f"{send0 * 1e6:.1f} µs"),
        (f"send 256 B (depth {args.depth:,})", f"{1 / send_deep:,.0f} ops/s", f"{send_deep * 1e6:.1f} µs"),
        ("receive(10) + delete_batch", f"{10 / recv_del:,.0f} msgs/s", f"{recv_del * 1e6:.1f} µs"),
        ("send_batch(10) fill", f"{fill_rate:,.0f} msgs/s", ""),
        (f"memory with {args.depth:,} queued", f"{full_mem / 2**20:.0f} MiB", f"{full_mem / args.depth:.0f} B/msg"),
        ("memory after all deleted", f"{empty_mem / 1024:.0f} KiB", f"log {log['log_bytes'] / 2**20:.1f} MiB"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, a, b in rows:
        print(f"{name:<{width}}  {a:>16}  {b}")


if __name__ == "__main__":
    main()
