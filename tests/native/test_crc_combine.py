"""pycloud._core.crc_combine: CRC(A||B) from CRC(A), CRC(B) and len(B), checked against the CRC of
the concatenation for crc32, crc32c and crc64nvme (lengths 0, odd, and across many splits).

Build first: ``python3 setup.py build_ext --inplace``.
"""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycloud import _core

CRCS = ("crc32", "crc32c", "crc64nvme")


def crc(algorithm: str, data: bytes) -> int:
    """The CRC as an integer (the hasher's digest is its big-endian bytes)."""
    return int.from_bytes(_core.hash_bytes(algorithm, data), "big")


@pytest.mark.parametrize("algorithm", CRCS)
@given(a=st.binary(max_size=600), b=st.binary(max_size=600))
@settings(max_examples=150, deadline=None)
def test_combine_equals_crc_of_concatenation(algorithm: str, a: bytes, b: bytes) -> None:
    assert _core.crc_combine(algorithm, crc(algorithm, a), crc(algorithm, b), len(b)) == crc(algorithm, a + b)


@pytest.mark.parametrize("algorithm", CRCS)
@given(data=st.binary(max_size=3000), cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=6))
@settings(max_examples=60, deadline=None)
def test_folding_many_parts(algorithm: str, data: bytes, cuts: list[int]) -> None:
    """Parts combined left to right from 0, as a multipart upload's FULL_OBJECT checksum is."""
    edges = sorted({0, len(data), *(min(c, len(data)) for c in cuts)})
    value = 0
    for start, end in zip(edges, edges[1:], strict=False):
        value = _core.crc_combine(algorithm, value, crc(algorithm, data[start:end]), end - start)
    assert value == crc(algorithm, data)


@pytest.mark.parametrize("algorithm", CRCS)
def test_zero_length_and_large_lengths(algorithm: str) -> None:
    head = b"123456789"
    assert _core.crc_combine(algorithm, crc(algorithm, head), 0, 0) == crc(algorithm, head)
    assert _core.crc_combine(algorithm, 0, crc(algorithm, head), len(head)) == crc(algorithm, head)
    zeros = bytes(5 * (1 << 20) + 3)  # a length with high and low bits set
    assert _core.crc_combine(algorithm, crc(algorithm, head), crc(algorithm, zeros), len(zeros)) == crc(
        algorithm, head + zeros
    )


def test_crc32_agrees_with_zlib() -> None:
    a, b = b"hello ", b"world, odd sized!"
    assert _core.crc_combine("CRC32", zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("sha256", 1, 2, 3), ValueError),
        (("md5", 1, 2, 3), ValueError),
        (("crc32", 1 << 32, 0, 1), ValueError),
        (("crc32c", 0, 1 << 32, 1), ValueError),
        (("crc32", 1, 2, -1), TypeError),
    ],
)
def test_bad_arguments(args: tuple, error: type[Exception]) -> None:
    with pytest.raises(error):
        _core.crc_combine(*args)
