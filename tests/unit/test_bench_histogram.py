"""The benchmark latency histogram: layout, error bound, percentiles, merge and round-trips."""

from __future__ import annotations

import math
import random
from array import array

import pytest

from pycloud.bench.histogram import (
    BUCKETS,
    MAX_VALUE,
    SUB_BITS,
    Histogram,
    bucket_high,
    bucket_index,
    bucket_low,
)


def test_exact_below_128_ns() -> None:
    for v in range(1 << SUB_BITS):
        assert bucket_index(v) == v
        assert bucket_low(v) == bucket_high(v) == v


def test_layout_is_dense_and_contiguous() -> None:
    assert BUCKETS == bucket_index(MAX_VALUE) + 1
    assert bucket_high(BUCKETS - 1) == MAX_VALUE
    for i in range(BUCKETS - 1):
        assert bucket_high(i) + 1 == bucket_low(i + 1)
        assert bucket_index(bucket_low(i)) == i
        assert bucket_index(bucket_high(i)) == i


def test_values_land_in_their_bucket_within_the_error_bound() -> None:
    rng = random.Random(1)
    values = [rng.randrange(0, MAX_VALUE) for _ in range(5000)] + [2**k + d for k in range(7, 40) for d in (-1, 0, 1)]
    for v in values:
        i = bucket_index(v)
        assert bucket_low(i) <= v <= bucket_high(i)
        assert (bucket_high(i) - v) / max(v, 1) < 1 / 64  # relative error < 0.8 % (1.56 % width bound)
        assert (bucket_high(i) - bucket_low(i) + 1) <= max(1, bucket_low(i) / 64)


def test_index_is_monotonic() -> None:
    rng = random.Random(2)
    values = sorted(rng.randrange(0, 10**9) for _ in range(5000))
    indexes = [bucket_index(v) for v in values]
    assert indexes == sorted(indexes)


def test_clamping() -> None:
    h = Histogram()
    h.record(MAX_VALUE * 4)
    h.record(-5)
    assert h.max == MAX_VALUE and h.min == 0
    assert bucket_index(MAX_VALUE * 4) == BUCKETS - 1


def _exact_percentile(values: list[int], p: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_percentiles_match_exact_computation_within_the_bound(seed: int) -> None:
    rng = random.Random(seed)
    values = [int(rng.lognormvariate(13, 1.2)) for _ in range(20000)] + [rng.randrange(0, 128) for _ in range(50)]
    h = Histogram()
    for v in values:
        h.record(v)
    assert h.count == len(values)
    assert h.min == min(values) and h.max == max(values)
    assert h.mean == pytest.approx(sum(values) / len(values))
    for p in (1, 10, 50, 90, 99, 99.9, 99.99):
        exact = _exact_percentile(values, p)
        got = h.percentile(p)
        assert exact <= got <= exact + exact / 64 + 1, (p, exact, got)
    assert h.percentile(100) == max(values)
    assert h.percentiles()["max"] == max(values)
    assert set(h.percentiles()) == {"p50", "p90", "p99", "p99.9", "max"}


def test_percentile_clamped_to_exact_max_and_empty() -> None:
    h = Histogram()
    assert h.percentile(50) == 0 and h.mean == 0
    h.record(1000)  # bucket high is above 1000: the report says the exact max
    assert h.percentile(50) == 1000 == h.percentile(99.9)


def test_merge_equals_recording_everything() -> None:
    rng = random.Random(6)
    a, b, both = Histogram(), Histogram(), Histogram()
    for _ in range(3000):
        v = rng.randrange(0, 10**8)
        (a if rng.random() < 0.3 else b).record(v)
        both.record(v)
    merged = Histogram().merge(a).merge(b)
    assert list(merged.counts) == list(both.counts)
    assert (merged.count, merged.min, merged.max, merged.sum) == (both.count, both.min, both.max, both.sum)
    assert Histogram().merge(Histogram()).count == 0


def test_dict_and_native_round_trips() -> None:
    rng = random.Random(7)
    h = Histogram()
    for _ in range(1000):
        h.record(rng.randrange(0, 10**7))
    back = Histogram.from_dict(h.to_dict())
    assert list(back.counts) == list(h.counts) and back.percentiles() == h.percentiles()
    native = array("Q", h.counts).tobytes()  # the engine's layout: BUCKETS little-endian uint64
    again = Histogram.from_native(native, h.min, h.max, h.sum)
    assert list(again.counts) == list(h.counts) and again.count == h.count and again.mean == h.mean
    with pytest.raises(ValueError):
        Histogram.from_native(b"\0" * 16, 0, 0, 0)
