"""Type stubs for the native core, ``pycloud._core`` (built from csrc/ by setup.py)."""

from typing import Final, final

from typing_extensions import Buffer

ALGORITHMS: Final[tuple[str, ...]]
"""Canonical names of the supported algorithms: md5, sha1, sha256, crc32, crc32c, crc64nvme."""

@final
class Hasher:
    """Streaming hash or checksum.

    CRC digests are the big-endian bytes S3 base64-encodes in ``x-amz-checksum-*`` headers.
    Names are case-insensitive and may contain hyphens (``"SHA-256"``).
    """

    def __init__(self, algorithm: str) -> None:
        """Create a hasher; raises ValueError for an unknown algorithm."""

    def update(self, data: Buffer) -> None:
        """Feed a bytes-like object; the GIL is released for buffers of 64 KiB or more."""

    def digest(self) -> bytes:
        """Digest of the data so far; the hasher stays usable."""

    def hexdigest(self) -> str:
        """``digest()`` as lower-case hex."""

    def copy(self) -> Hasher:
        """An independent hasher with the same state."""

    @property
    def name(self) -> str:
        """Canonical lower-case algorithm name."""

    @property
    def digest_size(self) -> int:
        """Digest length in bytes."""

def hash_bytes(algorithm: str, data: Buffer) -> bytes:
    """One-shot digest of a bytes-like object; raises ValueError for an unknown algorithm."""

def cpu_features() -> dict[str, bool]:
    """Hardware paths in use: ``sse42`` (CRC32C), ``pclmul`` (CRC32/CRC64NVME), ``sha`` (SHA-1/SHA-256)."""
