"""pycloud._core hashers through the bindings: hashlib/zlib agreement, CRC vectors, streaming,
buffer inputs, errors and multi-threaded use with the GIL released.

Build first: ``python3 setup.py build_ext --inplace``.
"""

from __future__ import annotations

import array
import hashlib
import random
import threading
import time
import zlib
from collections.abc import Callable

import pytest

from pycloud import _core

# Sizes around every block, stripe and lane boundary the native code has, plus multi-MiB inputs.
# fmt: off
SIZES = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513,
         1000, 1535, 1536, 1537, 4095, 4096, 4097, 65535, 65536, 65537, 1 << 20, 3 * (1 << 20) + 7]
# fmt: on


def _reflected_crc(poly: int, width: int) -> Callable[[bytes], int]:
    """An independent table-driven reference for a reflected CRC with all-ones init and xorout."""
    mask = (1 << width) - 1
    table = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)

    def crc(data: bytes) -> int:
        c = mask
        for byte in data:
            c = (c >> 8) ^ table[(c ^ byte) & 0xFF]
        return c ^ mask

    return crc


crc32c_ref = _reflected_crc(0x82F63B78, 32)
crc64nvme_ref = _reflected_crc(0x9A6C9329AC4BC9B5, 64)

REFERENCES: dict[str, Callable[[bytes], bytes]] = {
    "md5": lambda d: hashlib.md5(d).digest(),
    "sha1": lambda d: hashlib.sha1(d).digest(),
    "sha256": lambda d: hashlib.sha256(d).digest(),
    "crc32": lambda d: zlib.crc32(d).to_bytes(4, "big"),
    "crc32c": lambda d: crc32c_ref(d).to_bytes(4, "big"),
    "crc64nvme": lambda d: crc64nvme_ref(d).to_bytes(8, "big"),
}
# Pure-Python CRC references: too slow for the multi-MiB streaming tests.
SLOW = {"crc32c", "crc64nvme"}


@pytest.fixture(scope="module")
def blob() -> bytes:
    return random.Random(1234).randbytes(max(SIZES) + 64)


def test_algorithms_tuple() -> None:
    assert _core.ALGORITHMS == ("md5", "sha1", "sha256", "crc32", "crc32c", "crc64nvme")


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256", "crc32", "crc32c", "crc64nvme"])
@pytest.mark.parametrize("size", SIZES)
def test_one_shot_matches_reference(blob: bytes, algorithm: str, size: int) -> None:
    data = blob[3 : 3 + size]  # odd offset: the native code must not assume alignment
    expected = REFERENCES[algorithm](data)
    assert _core.hash_bytes(algorithm, data) == expected
    h = _core.Hasher(algorithm)
    h.update(data)
    assert h.digest() == expected
    assert h.hexdigest() == expected.hex()


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256", "crc32", "crc32c", "crc64nvme"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_streaming_random_splits(blob: bytes, algorithm: str, seed: int) -> None:
    rng = random.Random(seed)
    size = 5 * (1 << 20) + rng.randrange(1000)
    data = blob[:size] if size <= len(blob) else (blob * 2)[:size]
    one_shot = _core.hash_bytes(algorithm, data)
    if algorithm not in SLOW:
        assert one_shot == REFERENCES[algorithm](data)
    h = _core.Hasher(algorithm)
    pos = 0
    while pos < len(data):
        # Mostly small odd pieces, sometimes large ones that cross the GIL-release threshold.
        step = rng.choice([1, 3, 63, 64, 65, 1000, rng.randrange(1, 200_000)])
        h.update(data[pos : pos + step])
        pos += step
    assert h.digest() == one_shot


def test_crc_streaming_matches_reference_across_chunk_edges(blob: bytes) -> None:
    data = blob[:20_000]
    for algorithm in ("crc32c", "crc64nvme"):
        h = _core.Hasher(algorithm)
        for i in range(0, len(data), 777):
            h.update(data[i : i + 777])
        assert h.digest() == REFERENCES[algorithm](data)


@pytest.mark.parametrize(
    ("algorithm", "data", "expected"),
    [
        ("crc32", b"123456789", 0xCBF43926),
        ("crc32c", b"123456789", 0xE3069283),
        ("crc64nvme", b"123456789", 0xAE8B14860A799888),
        ("crc32c", b"", 0),
        ("crc64nvme", b"", 0),
        # RFC 3720 (iSCSI) CRC32C test patterns.
        ("crc32c", bytes(32), 0x8A9136AA),
        ("crc32c", b"\xff" * 32, 0x62A8AB43),
        ("crc32c", bytes(range(32)), 0x46DD794E),
        ("crc32c", bytes(range(31, -1, -1)), 0x113FDB5C),
    ],
)
def test_crc_known_vectors(algorithm: str, data: bytes, expected: int) -> None:
    digest = _core.hash_bytes(algorithm, data)
    assert int.from_bytes(digest, "big") == expected
    assert len(digest) == _core.Hasher(algorithm).digest_size


@pytest.mark.parametrize(
    ("algorithm", "digest_size"),
    [("md5", 16), ("sha1", 20), ("sha256", 32), ("crc32", 4), ("crc32c", 4), ("crc64nvme", 8)],
)
def test_name_and_digest_size(algorithm: str, digest_size: int) -> None:
    h = _core.Hasher(algorithm.upper())
    assert h.name == algorithm
    assert h.digest_size == digest_size
    assert len(h.digest()) == digest_size
    assert algorithm in repr(h)


def test_hyphenated_names_are_accepted() -> None:
    assert _core.hash_bytes("SHA-256", b"abc") == hashlib.sha256(b"abc").digest()
    assert _core.Hasher("sha-1").name == "sha1"


def test_digest_does_not_finalize() -> None:
    h = _core.Hasher("sha256")
    h.update(b"hello ")
    first = h.digest()
    assert h.digest() == first
    h.update(b"world")
    assert h.digest() == hashlib.sha256(b"hello world").digest()
    assert first == hashlib.sha256(b"hello ").digest()


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256", "crc32", "crc32c", "crc64nvme"])
def test_copy_is_independent(algorithm: str) -> None:
    h = _core.Hasher(algorithm)
    h.update(b"prefix-")
    c = h.copy()
    assert c.name == h.name
    h.update(b"left")
    c.update(b"right")
    assert h.digest() == _core.hash_bytes(algorithm, b"prefix-left")
    assert c.digest() == _core.hash_bytes(algorithm, b"prefix-right")
    assert h.digest() != c.digest()


def test_buffer_protocol_inputs() -> None:
    payload = bytes(range(256)) * 1000
    expected = hashlib.md5(payload).digest()
    assert _core.hash_bytes("md5", bytearray(payload)) == expected
    assert _core.hash_bytes("md5", memoryview(payload)) == expected
    # A contiguous slice of a memoryview hashes exactly the sliced bytes, with no copy.
    view = memoryview(payload)[100:5000]
    assert _core.hash_bytes("md5", view) == hashlib.md5(payload[100:5000]).digest()
    words = array.array("I", range(1000))
    assert _core.hash_bytes("crc32", words) == zlib.crc32(words.tobytes()).to_bytes(4, "big")
    h = _core.Hasher("sha1")
    h.update(bytearray(b"ab"))
    h.update(memoryview(b"c"))
    assert h.digest() == hashlib.sha1(b"abc").digest()


def test_non_contiguous_buffer_is_rejected() -> None:
    strided = memoryview(bytes(range(100)))[::2]
    with pytest.raises(BufferError):
        _core.hash_bytes("md5", strided)


@pytest.mark.parametrize("bad", ["text", 42, None, [1, 2, 3]])
def test_non_buffers_raise_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        _core.hash_bytes("md5", bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _core.Hasher("md5").update(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["whirlpool", "", "sha512", "crc16"])
def test_unknown_algorithm_raises_value_error(name: str) -> None:
    with pytest.raises(ValueError, match="unsupported hash algorithm"):
        _core.Hasher(name)
    with pytest.raises(ValueError, match="unsupported hash algorithm"):
        _core.hash_bytes(name, b"data")


def test_threads_hashing_large_buffers_concurrently() -> None:
    rng = random.Random(99)
    buffers = [rng.randbytes(4 * (1 << 20) + i) for i in range(4)]
    jobs = [(alg, buf) for alg in ("md5", "sha1", "sha256", "crc32") for buf in buffers]
    expected = [REFERENCES[alg](buf) for alg, buf in jobs]
    results: list[bytes | None] = [None] * len(jobs)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            alg, buf = jobs[index]
            for _ in range(3):
                h = _core.Hasher(alg)
                h.update(buf)
                assert h.digest() == _core.hash_bytes(alg, buf)
                results[index] = h.digest()
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == expected


def test_shared_hasher_serialises_concurrent_updates() -> None:
    # Identical chunks make the result independent of the order threads get in.
    chunk = random.Random(5).randbytes(256 * 1024)
    h = _core.Hasher("crc64nvme")
    threads = [threading.Thread(target=lambda: [h.update(chunk) for _ in range(8)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert h.digest() == _core.hash_bytes("crc64nvme", chunk * 32)


def test_large_updates_release_the_gil() -> None:
    data = random.Random(7).randbytes(48 * (1 << 20))  # MD5 (the slowest) takes ~70 ms on this
    ticks: list[float] = []
    stop = threading.Event()

    def ticker() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0005)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        time.sleep(0.01)
        start = time.perf_counter()
        _core.hash_bytes("md5", data)
        end = time.perf_counter()
        h = _core.Hasher("md5")
        start2 = time.perf_counter()
        h.update(data)
        end2 = time.perf_counter()
    finally:
        stop.set()
        thread.join()
    # A thread holding the GIL for a whole call would leave no ticks in the middle of it.
    for a, b in ((start, end), (start2, end2)):
        lo, hi = a + 0.25 * (b - a), a + 0.75 * (b - a)
        assert sum(lo < t < hi for t in ticks) >= 3
