"""Throughput of the pycloud._core hashers next to hashlib/zlib, measured in the same run.

pytest-benchmark:  python3 -m pytest bench/bench_hashers.py --benchmark-enable
Quick table:       PYTHONPATH=. python3 bench/bench_hashers.py
Each case is a one-shot digest of a 4 KiB or 8 MiB buffer, Python call overhead included, since
that is what a request handler pays. CRC32C and CRC64NVME have no stdlib twin, so their ratio is
taken against zlib.crc32, the nearest stdlib checksum.
"""

from __future__ import annotations

import hashlib
import os
import time
import zlib
from collections.abc import Callable

import pytest

from pycloud import _core

SIZES = {"4KiB": 4 * 1024, "8MiB": 8 * 1024 * 1024}

# algorithm -> (reference label, reference one-shot function)
REFERENCES: dict[str, tuple[str, Callable[[bytes], object]]] = {
    "md5": ("hashlib.md5", lambda d: hashlib.md5(d).digest()),
    "sha1": ("hashlib.sha1", lambda d: hashlib.sha1(d).digest()),
    "sha256": ("hashlib.sha256", lambda d: hashlib.sha256(d).digest()),
    "crc32": ("zlib.crc32", zlib.crc32),
    "crc32c": ("zlib.crc32", zlib.crc32),
    "crc64nvme": ("zlib.crc32", zlib.crc32),
}

_BUFFERS: dict[int, bytes] = {}


def buffer(size: int) -> bytes:
    """Random bytes of the given size, created once per process."""
    if size not in _BUFFERS:
        _BUFFERS[size] = os.urandom(size)
    return _BUFFERS[size]


def native(algorithm: str) -> Callable[[bytes], bytes]:
    """The pycloud one-shot digest function for an algorithm."""
    return lambda data: _core.hash_bytes(algorithm, data)


def _cases() -> list[tuple[str, str, Callable[[bytes], object]]]:
    cases: list[tuple[str, str, Callable[[bytes], object]]] = []
    for algorithm in _core.ALGORITHMS:
        cases.append((algorithm, f"pycloud.{algorithm}", native(algorithm)))
    for algorithm in ("md5", "sha1", "sha256", "crc32"):
        label, fn = REFERENCES[algorithm]
        cases.append((algorithm, label, fn))
    return cases


@pytest.mark.parametrize("size_label", list(SIZES))
@pytest.mark.parametrize(("family", "label", "fn"), _cases(), ids=[c[1] for c in _cases()])
def test_hash_throughput(benchmark, size_label: str, family: str, label: str, fn: Callable[[bytes], object]) -> None:
    """One-shot digest throughput; grouped so pycloud and its stdlib twin sit side by side."""
    data = buffer(SIZES[size_label])
    benchmark.group = f"{family} {size_label}"
    benchmark.extra_info["bytes"] = len(data)
    benchmark(fn, data)


def measure(fn: Callable[[bytes], object], data: bytes, min_time: float = 0.25, repeats: int = 5) -> float:
    """Best-of-`repeats` throughput of fn(data) in MB/s (10^6 bytes per second)."""
    fn(data)  # warm caches and lazy initialisation
    loops = 1
    while True:  # calibrate so one repeat lasts about min_time / repeats
        start = time.perf_counter()
        for _ in range(loops):
            fn(data)
        elapsed = time.perf_counter() - start
        if elapsed >= min_time / repeats:
            break
        loops *= 2
    best = elapsed / loops
    for _ in range(repeats - 1):
        start = time.perf_counter()
        for _ in range(loops):
            fn(data)
        best = min(best, (time.perf_counter() - start) / loops)
    return len(data) / best / 1e6


def main() -> None:
    """Print a MB/s table of every pycloud hasher with its ratio to the stdlib reference."""
    features = ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in _core.cpu_features().items())
    print(f"hardware paths: {features}")
    header = f"{'algorithm':<10} {'size':>5} {'pycloud MB/s':>13} {'reference':<15} {'ref MB/s':>9} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for size_label, size in SIZES.items():
        data = buffer(size)
        for algorithm in _core.ALGORITHMS:
            ref_label, ref_fn = REFERENCES[algorithm]
            ours = measure(native(algorithm), data)
            ref = measure(ref_fn, data)
            print(f"{algorithm:<10} {size_label:>5} {ours:>13,.0f} {ref_label:<15} {ref:>9,.0f} {ours / ref:>5.2f}x")


if __name__ == "__main__":
    main()
