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

# ---------------------------------------------------------------------------- object store (csrc/objstore)

Versioning = str
"""``"unversioned"`` (alias ``"disabled"``), ``"enabled"`` or ``"suspended"``: the bucket's state, passed per call."""

class StoreError(Exception):
    """An object-store failure. ``code`` is one of NoSuchBucket, BucketAlreadyExists, BucketNotEmpty,
    NoSuchKey, NoSuchVersion, NoSuchUpload, InvalidPart, InvalidPartOrder, InvalidPartNumber,
    EntityTooSmall, KeyTooLong, InvalidArgument, Corruption, IOError, NotFound."""

    code: str

@final
class ObjectInfo:
    """One stored version. ``etag`` is unquoted hex MD5 (``-N`` suffix for multipart)."""

    @property
    def key(self) -> str: ...
    @property
    def version_id(self) -> str:
        """``"null"`` or a 32-character id; newer ids sort lower."""
    @property
    def size(self) -> int: ...
    @property
    def etag(self) -> str: ...
    @property
    def checksum_algorithm(self) -> str: ...
    @property
    def checksum(self) -> bytes:
        """Raw digest of the requested flexible checksum (empty when none; empty for multipart)."""
    @property
    def last_modified(self) -> int:
        """Nanoseconds since the epoch, as passed by the caller."""
    @property
    def metadata(self) -> bytes: ...
    @property
    def is_delete_marker(self) -> bool: ...
    @property
    def parts(self) -> int: ...

@final
class ObjectSummary:
    @property
    def key(self) -> str: ...
    @property
    def version_id(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def etag(self) -> str: ...
    @property
    def last_modified(self) -> int: ...
    @property
    def is_delete_marker(self) -> bool: ...
    @property
    def is_latest(self) -> bool: ...

@final
class ListResult:
    @property
    def objects(self) -> list[ObjectSummary]: ...
    @property
    def common_prefixes(self) -> list[str]: ...
    @property
    def is_truncated(self) -> bool: ...
    @property
    def next_marker(self) -> str: ...

@final
class ListVersionsResult:
    @property
    def versions(self) -> list[ObjectSummary]: ...
    @property
    def common_prefixes(self) -> list[str]: ...
    @property
    def is_truncated(self) -> bool: ...
    @property
    def next_key_marker(self) -> str: ...
    @property
    def next_version_id_marker(self) -> str: ...

@final
class DeleteResult:
    @property
    def version_id(self) -> str: ...
    @property
    def is_delete_marker(self) -> bool: ...

@final
class PartInfo:
    @property
    def part_number(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def etag(self) -> str: ...
    @property
    def checksum_algorithm(self) -> str: ...
    @property
    def checksum(self) -> bytes: ...
    @property
    def last_modified(self) -> int: ...

@final
class UploadInfo:
    @property
    def upload_id(self) -> str: ...
    @property
    def bucket(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def metadata(self) -> bytes: ...
    @property
    def initiated(self) -> int: ...

@final
class ListPartsResult:
    @property
    def upload(self) -> UploadInfo: ...
    @property
    def parts(self) -> list[PartInfo]: ...
    @property
    def is_truncated(self) -> bool: ...
    @property
    def next_part_number_marker(self) -> int: ...

@final
class ListUploadsResult:
    @property
    def uploads(self) -> list[UploadInfo]: ...
    @property
    def is_truncated(self) -> bool: ...
    @property
    def next_key_marker(self) -> str: ...
    @property
    def next_upload_id_marker(self) -> str: ...

@final
class ObjectWriter:
    """A streaming put; nothing is visible until ``commit``; dropping it uncommitted aborts."""

    def write(self, data: Buffer) -> None:
        """Append a chunk (GIL released)."""
    def commit(
        self, key: str, metadata: bytes = b"", last_modified: int = 0, versioning: Versioning = "unversioned"
    ) -> ObjectInfo:
        """Publish atomically; raises StoreError (NoSuchBucket, KeyTooLong, IOError...)."""
    def abort(self) -> None: ...
    @property
    def size(self) -> int: ...

@final
class PartWriter:
    def write(self, data: Buffer) -> None: ...
    def commit(self, last_modified: int = 0) -> PartInfo: ...
    def abort(self) -> None: ...
    @property
    def size(self) -> int: ...

@final
class ObjectReader:
    """An opened version; stays readable even if deleted, overwritten or compacted meanwhile."""

    @property
    def info(self) -> ObjectInfo: ...
    def read(self, offset: int = 0, length: int = -1) -> bytes:
        """Bytes ``[offset, offset+length)`` (to the end when ``length < 0``), GIL released."""
    def ranges(self) -> list[tuple[int, int, int]]:
        """The body as ``(fd, file_offset, length)`` ranges, for ``os.sendfile``; valid while the reader lives."""

@final
class ObjectStore:
    """The native S3 data plane rooted at a directory (see docs/objstore-format.md). Thread-safe;
    every call releases the GIL."""

    def __init__(
        self,
        path: str,
        *,
        sync: str = "batch",
        batch_window_ms: int = 50,
        small_object_threshold: int = 1 << 20,
        segment_size: int = 64 << 20,
        min_part_size: int = 5 << 20,
        compaction_garbage_ratio: float = 0.5,
        paranoid_checks: bool = False,
    ) -> None:
        """Open or create; recovers from crashes. ``sync``: ``always`` | ``batch`` | ``never``."""
    def close(self) -> None: ...
    def __enter__(self) -> ObjectStore: ...
    def __exit__(self, *args: object) -> None: ...
    def create_bucket(self, bucket: str) -> None: ...
    def delete_bucket(self, bucket: str) -> None:
        """Raises StoreError BucketNotEmpty while versions or uploads remain."""
    def list_buckets(self) -> list[str]: ...
    def bucket_exists(self, bucket: str) -> bool: ...
    def begin_put(self, bucket: str, checksum_algorithm: str = "") -> ObjectWriter: ...
    def put(
        self,
        bucket: str,
        key: str,
        data: Buffer,
        metadata: bytes = b"",
        last_modified: int = 0,
        versioning: Versioning = "unversioned",
        checksum_algorithm: str = "",
    ) -> ObjectInfo:
        """One-call put of a whole body."""
    def open(self, bucket: str, key: str, version_id: str = "") -> ObjectReader:
        """``version_id`` ``""``: latest, ``"null"``: the null version. A delete marker opens with
        ``info.is_delete_marker`` set (404/405 is the caller's call)."""
    def get(self, bucket: str, key: str, version_id: str = "") -> bytes: ...
    def head(self, bucket: str, key: str, version_id: str = "") -> ObjectInfo: ...
    def delete(
        self, bucket: str, key: str, version_id: str = "", versioning: Versioning = "unversioned", now: int = 0
    ) -> DeleteResult:
        """With a version id: remove it (NoSuchVersion). Without: unversioned removes the null version
        (NoSuchKey), enabled adds a delete marker, suspended makes the null version a delete marker."""
    def list(
        self, bucket: str, prefix: str = "", delimiter: str = "", start_after: str = "", max_keys: int = 1000
    ) -> ListResult: ...
    def list_versions(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        version_id_marker: str = "",
        max_keys: int = 1000,
    ) -> ListVersionsResult: ...
    def create_upload(self, bucket: str, key: str, metadata: bytes = b"", now: int = 0) -> str: ...
    def begin_part(self, upload_id: str, part_number: int, checksum_algorithm: str = "") -> PartWriter: ...
    def complete_upload(
        self,
        upload_id: str,
        parts: list[tuple[int, str]],
        metadata: bytes = b"",
        last_modified: int = 0,
        versioning: Versioning = "unversioned",
    ) -> ObjectInfo:
        """Raises InvalidPartOrder, InvalidPart, EntityTooSmall, InvalidPartNumber, NoSuchUpload."""
    def abort_upload(self, upload_id: str) -> None: ...
    def list_parts(self, upload_id: str, part_number_marker: int = 0, max_parts: int = 1000) -> ListPartsResult: ...
    def list_uploads(
        self, bucket: str, prefix: str = "", key_marker: str = "", upload_id_marker: str = "", max_uploads: int = 1000
    ) -> ListUploadsResult: ...
    def compact(self, force: bool = False) -> dict[str, int]: ...
    def sync(self) -> None: ...
    def stats(self) -> dict[str, int]: ...
