"""Type stubs for the native core, ``pycloud._core`` (built from csrc/ by setup.py)."""

from typing import Final, TypedDict, final

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

# ------------------------------------------------------------------------------ block store (csrc/blockdev)

BLOCK_SIZE: Final[int]
"""524288: the EBS block (512 KiB), the unit of maps, snapshots and changed-block lists."""

class BlockStoreError(Exception):
    """A block-store failure; ``code``: NoSuchVolume, NoSuchSnapshot, OutOfRange, LineageMismatch,
    SnapshotNotComplete, SnapshotCompleted, AlreadyExists, InUse, InvalidArgument, Closed, IOError,
    Corruption."""

    code: str

@final
class BlockStore:
    """The EBS data plane under ``path``: sparse volumes of 512 KiB blocks, copy-on-write snapshots,
    lazy restore (docs/blockdev-format.md). Thread-safe; every call releases the GIL."""

    def __init__(self, path: str, sync: str = "batch", *, batch_window_ms: int = 50) -> None:
        """``sync``: "always", "batch" or "never". Raises BlockStoreError InUse if the directory is
        open in another BlockStore."""
    def close(self) -> None:
        """Syncs (unless sync="never") and releases the store; later calls raise Closed."""
    def __enter__(self) -> BlockStore: ...
    def __exit__(self, *exc: object) -> None: ...
    @property
    def block_size(self) -> int: ...
    def create_volume(self, volume_id: str, size_bytes: int, from_snapshot: str = "") -> None:
        """A sparse volume (size a multiple of 512, at most 64 TiB), optionally restored lazily from a
        completed snapshot (size at least the snapshot's)."""
    def delete_volume(self, volume_id: str) -> None: ...
    def resize_volume(self, volume_id: str, size_bytes: int) -> None:
        """Grow only (InvalidArgument otherwise)."""
    def volume_info(self, volume_id: str) -> dict[str, int | str]:
        """id, size, blocks, allocated_bytes, lineage, source_snapshot, last_snapshot,
        hydrated_blocks, blocks_to_hydrate, first_touches, first_touch_penalty_us."""
    def list_volumes(self) -> list[str]: ...
    def set_first_touch_penalty(self, volume_id: str, microseconds: int) -> None:
        """Kept per volume for the caller (0: fast snapshot restore); the store never sleeps."""
    def read(self, volume_id: str, offset: int, length: int) -> bytes:
        """Any range inside the volume; unwritten bytes read as zeros; OutOfRange past the end."""
    def read_touch(self, volume_id: str, offset: int, length: int) -> tuple[bytes, int]:
        """read() plus how many blocks this read hydrated (first touches)."""
    def readinto(self, volume_id: str, offset: int, buffer: Buffer) -> int:
        """Fills a writable buffer from offset; returns the first-touch block count."""
    def write(self, volume_id: str, offset: int, data: Buffer) -> int:
        """Writes any range; returns the first-touch block count. In the OS on return (survives
        kill -9); on stable storage after flush() or with sync="always"."""
    def trim(self, volume_id: str, offset: int, length: int) -> None:
        """Discards the blocks the range covers whole, zeroes the partial ones."""
    def flush(self, volume_id: str) -> None:
        """Everything acknowledged so far to stable storage (a no-op under sync="never")."""
    def sync(self) -> None:
        """Data and log to stable storage, whatever the mode."""
    def create_snapshot(self, volume_id: str, snapshot_id: str) -> None:
        """Freezes the volume's map in constant time; complete (and durable) on return."""
    def delete_snapshot(self, snapshot_id: str) -> None:
        """Frees the blocks nothing else references; its children re-parent to its parent."""
    def snapshot_info(self, snapshot_id: str) -> dict[str, int | str | bool]:
        """id, volume_id, parent, lineage, size, blocks, stored_bytes (blocks not shared with the
        parent, in bytes), complete."""
    def list_snapshots(self) -> list[str]: ...
    def list_snapshot_blocks(self, snapshot_id: str) -> list[int]:
        """Indices of the blocks with data, ascending."""
    def changed_blocks(self, first_snapshot: str, second_snapshot: str) -> list[int]:
        """Indices whose content differs, from the maps alone (first "": every block of second);
        LineageMismatch across lineages."""
    def read_snapshot_block(self, snapshot_id: str, index: int) -> bytes:
        """512 KiB (zeros for a block without data)."""
    def start_snapshot(self, snapshot_id: str, size_bytes: int, parent: str = "") -> None:
        """A pending snapshot on top of a completed parent's blocks (EBS direct StartSnapshot)."""
    def put_snapshot_block(self, snapshot_id: str, index: int, data: Buffer) -> None:
        """Exactly 512 KiB into a pending snapshot."""
    def complete_snapshot(self, snapshot_id: str) -> None:
        """Freezes a pending snapshot (durable on return unless sync="never")."""
    def stats(self) -> dict[str, int]:
        """volumes, snapshots, slots, referenced_slots, free_slots, quarantined_slots,
        data_disk_bytes, log_bytes, recovered_records, truncated_bytes."""

# ---------------------------------------------------------------------------------- schedulers (csrc/sched)

class VolumeConfigError(ValueError):
    """An EBS volume configuration AWS would refuse. ``code`` is the EC2 error code
    (InvalidParameterValue, InvalidParameterCombination, UnknownVolumeType), ``message`` AWS's message."""

    code: str
    message: str

class VolumeLimits(TypedDict):
    """The performance of a volume configuration (see csrc/sched/README.md)."""

    volume_type: str
    size_gib: int
    iops: int | None
    """What DescribeVolumes reports as Iops (gp2: its baseline); None for st1, sc1, standard."""
    throughput_mibps: int | None
    """What DescribeVolumes reports as Throughput: gp3 only."""
    baseline_iops: float
    burst_iops: float
    """Above baseline only for gp2 under 1,000 GiB, while its I/O credits last."""
    iops_credit_capacity: float
    baseline_mibps: float
    burst_mibps: float
    """Above baseline only for st1/sc1, while their throughput credits last."""
    throughput_credit_capacity_mib: float
    io_unit_bytes: int
    """Largest I/O counted as one operation: 256 KiB (SSD) or 1 MiB (HDD)."""

class VolumeMetrics(TypedDict):
    read_requests: int
    write_requests: int
    read_ops: int
    """Operations as AWS counts them (split at io_unit_bytes, contiguous I/Os merged)."""
    write_ops: int
    read_bytes: int
    write_bytes: int
    queue_length: int
    """Admitted I/Os whose wait has not ended at ``now``."""
    throttled_ios: int
    wait_seconds: float
    """Sum of all waits."""
    throttled_seconds: float
    """Time (up to ``now``) during which at least one I/O was waiting."""
    backlog_seconds: float
    """How long after ``now`` the admitted work is done."""
    burst_balance: float | None
    """BurstBalance: credits / capacity in percent; None for types without a burst bucket."""
    burst_credits: float | None
    """I/O credits (gp2) or MiB (st1/sc1), in AWS units whatever the time_scale."""
    burst_capacity: float | None
    iops_limit: float
    throughput_limit_mibps: float

def validate_volume(
    volume_type: str, size_gib: int, iops: int | None = None, throughput_mibps: int | None = None
) -> tuple[str, str] | None:
    """None when AWS accepts the CreateVolume configuration, else (error code, message) as AWS reports them."""

def volume_limits(
    volume_type: str, size_gib: int, iops: int | None = None, throughput_mibps: int | None = None
) -> VolumeLimits:
    """The performance of a configuration; raises VolumeConfigError when AWS would refuse it."""

@final
class VolumeScheduler:
    """Throttles one EBS volume's I/O like AWS: IOPS and throughput limits with burst credits.

    Times are seconds on the caller's clock (``clock.time()``); the scheduler never reads a clock.
    Thread-safe; calls hold the GIL (each is shorter than a GIL round trip).
    """

    def __init__(
        self,
        volume_type: str,
        size_gib: int,
        iops: int | None = None,
        throughput_mibps: int | None = None,
        time_scale: float = 1.0,
    ) -> None:
        """Raises VolumeConfigError for a configuration AWS would refuse, ValueError for time_scale <= 0.

        ``time_scale`` multiplies credits earned per second and spent per operation (or MiB): buckets
        drain and refill that many times faster; rates and reported balances are unchanged."""
    def admit(self, now: float, offset: int, length: int, is_write: bool) -> float:
        """Seconds this I/O must wait before it proceeds (0 within limits); it never fails."""
    def metrics(self, now: float) -> VolumeMetrics:
        """Counters, queue and credits at ``now``; changes nothing."""
    @property
    def limits(self) -> VolumeLimits: ...
    @property
    def time_scale(self) -> float: ...

class BurstableType(TypedDict):
    vcpus: int
    credits_per_hour: float
    baseline: float
    """Per-vCPU utilisation the instance earns (0.10: 10%)."""
    max_balance: float
    """24 hours of earnings."""
    launch_credits: float
    """T2 standard: 30 per vCPU; otherwise 0."""
    unlimited_default: bool

def burstable_instance_types() -> dict[str, BurstableType]:
    """The T2, T3, T3a and T4g sizes by instance type name."""

class CpuCreditMetrics(TypedDict):
    cpu_credit_usage: float
    """Credits spent since launch (CloudWatch's CPUCreditUsage sums this over a period)."""
    cpu_credit_balance: float
    """Earned + launch credits (CPUCreditBalance)."""
    earned_credits: float
    launch_credits: float
    cpu_surplus_credit_balance: float
    cpu_surplus_credits_charged: float
    """Cumulative."""
    throttled_seconds: float
    """Standard mode: time held to the baseline below the demand."""
    unlimited: bool

@final
class CpuCreditScheduler:
    """CPU credits of one burstable instance on the caller's clock; idle (0%) between calls."""

    def __init__(self, instance_type: str, launch_time: float, unlimited: bool | None = None) -> None:
        """``unlimited`` None: the family's default (T2 standard; T3, T3a, T4g unlimited).
        Raises ValueError for a type that is not burstable."""
    def consume(self, now: float, utilisation: float, seconds: float) -> float:
        """Runs the demanded per-vCPU utilisation (0..1) for ``seconds`` from ``now``; returns the
        average utilisation granted (standard mode: the baseline once credits run out)."""
    def balance(self, now: float) -> float:
        """Earned + launch credits at ``now``; changes nothing."""
    def metrics(self, now: float) -> CpuCreditMetrics: ...
    def set_unlimited(self, now: float, unlimited: bool) -> None:
        """To standard: outstanding surplus is charged. T2 to unlimited: launch credits are removed."""
    def settle(self, now: float) -> float:
        """Charges the outstanding surplus (stop/terminate); returns how many credits."""
    @property
    def instance_type(self) -> str: ...
    @property
    def vcpus(self) -> int: ...
    @property
    def baseline(self) -> float: ...
    @property
    def credits_per_hour(self) -> float: ...
    @property
    def max_balance(self) -> float: ...

# ------------------------------------------------------------------------------ load generator (csrc/loadgen)

class SqsDrainResult(TypedDict):
    messages: int
    """Deleted: the Ids in DeleteMessageBatch answers' ``Successful`` lists."""
    requests: int
    """Answered requests of any status (receives + deletes)."""
    errors: int
    """Non-200 answers plus transport errors."""
    elapsed_s: float
    """From the start to the last delete answered (to the end when none was)."""
    drained: bool
    """Some connection received nothing: the queue was empty."""

def sqs_drain(
    host: str,
    port: int,
    queue_url: str,
    access_key: str,
    secret_key: str,
    region: str = "us-east-1",
    connections: int = 8,
    duration_s: float = 5.0,
) -> SqsDrainResult:
    """Native SQS consumer for benchmarks: ``connections`` threads, each looping ReceiveMessage(10) then
    DeleteMessageBatch of what came (SigV4-signed JSON protocol, one keep-alive socket each) until
    ``duration_s`` passed (0: until the queue is found empty). The GIL is released during the run.
    Raises ValueError for a bad argument (``host``: an IPv4 literal or ``"localhost"``)."""
