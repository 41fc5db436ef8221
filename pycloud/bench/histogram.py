"""The latency histogram shared with the native engine (``csrc/loadgen/histogram.h``).

Log-linear buckets over integer nanoseconds, HdrHistogram-style: values below 2**SUB_BITS are
exact; above, each power of two is split into 2**(SUB_BITS-1) equal sub-buckets, so a bucket's
width is under 1/64 of its low bound (relative error < 0.8 %). The layout must stay identical to
the C++ one: ``from_native`` reads the engine's counts array as is.
"""

from __future__ import annotations

import math
from array import array
from typing import Any

SUB_BITS = 7
HALF = 1 << (SUB_BITS - 1)
MAX_VALUE = (1 << 40) - 1
"""Largest recordable value (about 18 minutes in ns); larger values are clamped."""


def bucket_index(v: int) -> int:
    """The bucket holding value ``v`` (ns, clamped to [0, MAX_VALUE])."""
    if v < (1 << SUB_BITS):
        return v if v > 0 else 0
    if v > MAX_VALUE:
        v = MAX_VALUE
    e = v.bit_length() - SUB_BITS
    return (1 << SUB_BITS) + (e - 1) * HALF + ((v >> e) - HALF)


def bucket_low(i: int) -> int:
    """The smallest value that falls in bucket ``i``."""
    if i < (1 << SUB_BITS):
        return i
    e = (i - (1 << SUB_BITS)) // HALF + 1
    m = (i - (1 << SUB_BITS)) % HALF + HALF
    return m << e


def bucket_high(i: int) -> int:
    """The largest value that falls in bucket ``i``."""
    return bucket_low(i + 1) - 1


BUCKETS = bucket_index(MAX_VALUE) + 1

PERCENTILES = (50.0, 90.0, 99.0, 99.9)
"""The percentiles every report shows (plus max)."""


class Histogram:
    """A mergeable latency histogram over nanoseconds with exact count, min, max and sum."""

    __slots__ = ("counts", "count", "min", "max", "sum")

    def __init__(self) -> None:
        self.counts = array("Q", bytes(8 * BUCKETS))
        self.count = 0
        self.min = 0
        self.max = 0
        self.sum = 0

    def record(self, ns: int, n: int = 1) -> None:
        """Record ``n`` occurrences of a latency of ``ns`` nanoseconds (negative counts as 0)."""
        ns = min(max(int(ns), 0), MAX_VALUE)
        self.counts[bucket_index(ns)] += n
        if self.count == 0 or ns < self.min:
            self.min = ns
        if ns > self.max:
            self.max = ns
        self.count += n
        self.sum += ns * n

    def merge(self, other: Histogram) -> Histogram:
        """Add ``other``'s counts into this histogram (in place) and return self."""
        if other.count == 0:
            return self
        counts = self.counts
        for i, c in enumerate(other.counts):
            if c:
                counts[i] += c
        self.min = other.min if self.count == 0 else min(self.min, other.min)
        self.max = max(self.max, other.max)
        self.count += other.count
        self.sum += other.sum
        return self

    @property
    def mean(self) -> float:
        """Exact mean in ns (0 when empty)."""
        return self.sum / self.count if self.count else 0.0

    def percentile(self, p: float) -> int:
        """The value at percentile ``p`` (0-100]: ``bucket_high`` of the bucket holding rank
        ``ceil(p/100 * count)``, clamped to the exact max seen; 0 when empty."""
        if self.count == 0:
            return 0
        if p >= 100:
            return self.max
        rank = max(1, math.ceil(p / 100.0 * self.count))
        seen = 0
        for i, c in enumerate(self.counts):
            if c:
                seen += c
                if seen >= rank:
                    return min(bucket_high(i), self.max)
        return self.max

    def percentiles(self) -> dict[str, int]:
        """p50, p90, p99, p99.9 and max in ns, keyed ``"p50"``... ``"max"``."""
        out = {f"p{p:g}": self.percentile(p) for p in PERCENTILES}
        out["max"] = self.max
        return out

    def distribution(self) -> list[tuple[float, int]]:
        """(cumulative fraction, value ns) at every non-empty bucket, for percentile plots."""
        out: list[tuple[float, int]] = []
        seen = 0
        for i, c in enumerate(self.counts):
            if c:
                seen += c
                out.append((seen / self.count, min(bucket_high(i), self.max)))
        return out

    @classmethod
    def from_native(cls, counts: bytes, min_ns: int, max_ns: int, sum_ns: int) -> Histogram:
        """A histogram from the native engine's little-endian uint64 counts and its exact stats."""
        if len(counts) != 8 * BUCKETS:
            raise ValueError(f"native histogram has {len(counts)} bytes, expected {8 * BUCKETS}")
        h = cls()
        h.counts = array("Q", counts)
        if array("H", [1]).tobytes() != b"\x01\x00":  # big-endian host: the engine writes little-endian
            h.counts.byteswap()
        h.count = sum(h.counts)
        h.min, h.max, h.sum = (min_ns, max_ns, sum_ns) if h.count else (0, 0, 0)
        return h

    def to_dict(self) -> dict[str, Any]:
        """A compact JSON-able form: the non-empty buckets as [index, count] pairs plus stats."""
        return {
            "sub_bits": SUB_BITS,
            "count": self.count,
            "min": self.min,
            "max": self.max,
            "sum": self.sum,
            "buckets": [[i, c] for i, c in enumerate(self.counts) if c],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Histogram:
        """The inverse of ``to_dict``."""
        if data.get("sub_bits", SUB_BITS) != SUB_BITS:
            raise ValueError("histogram was written with a different layout")
        h = cls()
        for i, c in data["buckets"]:
            h.counts[i] = c
        h.count = int(data["count"])
        h.min, h.max, h.sum = int(data["min"]), int(data["max"]), int(data["sum"])
        return h
