"""EBS control-plane records (volumes, snapshots, volume modifications, fast snapshot restores) and
the catalog that holds them.

EC2 (``services/ec2``) and the EBS direct APIs (``services/ebs``) share one :class:`EbsCatalog` per
runtime (:func:`catalog`), so both see the same in-memory records. Blocks live in the native
``BlockStore`` of :class:`pycloud.ebs.runtime.EbsRuntime`; a record only describes them. Times are
epoch seconds on the virtual clock; states that move on the clock (creating → available, pending
→ completed, modifying → optimizing → completed, enabling → optimizing → enabled) are derived
from the stored times when read, so nothing has to run in the background.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pycloud.ebs.runtime import EbsRuntime, VolumeConfig
from pycloud.state.table import RecordModel, RecordTable

if TYPE_CHECKING:
    from pycloud.services.base import ServiceRuntime

SERVICE = "ec2"
GIB = 1 << 30
_ATTRIBUTE = "_ebs_catalog"

# -- timing on the virtual clock ---------------------------------------------------------------------

SNAPSHOT_BYTES_PER_SECOND = 100 * (1 << 20)
"""How fast a snapshot's new data is "uploaded" (its pending time grows with stored_bytes)."""
COPY_BASE_SECONDS = 60.0
"""A standard snapshot copy takes at least this long (and longer with its data)."""
MODIFYING_SECONDS = 30.0
"""A volume modification's ``modifying`` phase; size changes are usable after it."""
OPTIMIZING_SECONDS_PER_TIB = 6 * 3600.0
"""A fully used 1 TiB volume takes about 6 hours to migrate (AWS's guidance)."""
OPTIMIZING_MIN_SECONDS = 60.0
FSR_ENABLING_SECONDS = 60.0
FSR_OPTIMIZING_SECONDS_PER_TIB = 3600.0
"""Fast snapshot restore optimizes at 60 minutes per TiB of snapshot size."""
FSR_DISABLING_SECONDS = 60.0


def new_id(prefix: str) -> str:
    """A fresh resource id in EC2's long form: ``vol-`` + 17 hex digits."""
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


@dataclass
class VolumeRecord(RecordModel):
    """One EBS volume. Stored under (account=owner, region, key=volume id).

    ``iops`` / ``throughput`` are what the caller asked for (None: the type's default), which is
    what the scheduler is configured with; DescribeVolumes reports the resolved values.
    ``attachments`` holds ``{InstanceId, Device, State, AttachTime, DeleteOnTermination}`` dicts
    (kept for EC2 instances; none attach yet).
    """

    volume_id: str
    owner: str
    region: str
    zone: str
    zone_id: str
    size: int
    volume_type: str
    created: float
    iops: int | None = None
    throughput: int | None = None
    snapshot_id: str = ""
    encrypted: bool = False
    kms_key_id: str = ""
    multi_attach: bool = False
    fast_restored: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    auto_enable_io: bool = False
    client_token: str = ""
    request_digest: str = ""
    ready_at: float = 0.0
    """When ``creating`` turns into ``available``."""

    def config(self) -> VolumeConfig:
        """The performance configuration the data plane applies."""
        return VolumeConfig(self.volume_type, self.size, self.iops, self.throughput)


@dataclass
class SnapshotRecord(RecordModel):
    """One EBS snapshot. Stored under (account=owner, region, key=snapshot id).

    ``origin`` is ``volume`` (CreateSnapshot), ``direct`` (EBS StartSnapshot) or ``copy``.
    ``completes_at`` is None while an EBS direct snapshot is open for writes.
    """

    snapshot_id: str
    owner: str
    region: str
    volume_id: str
    volume_size: int
    start: float
    origin: str = "volume"
    completes_at: float | None = None
    description: str = ""
    encrypted: bool = False
    kms_key_id: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    failed: bool = False
    """An EBS direct snapshot not completed before its timeout ends in the ``error`` state."""
    copy_of: str = ""
    """For a copy: ``region/snapshot-id`` of the source, which stays in use while the copy is pending."""
    create_volume_users: list[str] = field(default_factory=list)
    public: bool = False
    parent: str = ""
    timeout_minutes: int = 60
    client_token: str = ""
    request_digest: str = ""
    stored_bytes: int = 0
    full_bytes: int = 0
    reported_progress: int = 0
    """The last Progress a PutSnapshotBlock reported (EBS direct snapshots)."""

    def state(self, now: float) -> str:
        if self.failed:
            return "error"
        if self.completes_at is None:
            return "pending"
        return "completed" if now >= self.completes_at else "pending"

    def progress(self, now: float) -> str:
        if self.completes_at is None or self.failed:
            return f"{self.reported_progress}%"
        if now >= self.completes_at:
            return "100%"
        span = self.completes_at - self.start
        done = 0 if span <= 0 else int(99 * max(0.0, now - self.start) / span)
        return f"{min(done, 99)}%"

    def restorable_by(self, account: str) -> bool:
        """Whether ``account`` may create volumes from (and see) this snapshot."""
        return account == self.owner or self.public or account in self.create_volume_users


@dataclass
class SnapshotBlock(RecordModel):
    """One block put into a pending EBS direct snapshot: its index and base64 SHA-256.

    Stored under (account=owner, region, key=``snapshot-id/index``), dropped at completion."""

    snapshot_id: str
    index: int
    checksum: str


@dataclass
class ModificationRecord(RecordModel):
    """A volume's latest modification (DescribeVolumesModifications) and the start times of its
    modifications in the last day (the rate limit). Stored under (owner, region, volume id)."""

    volume_id: str
    start: float
    optimizing_at: float
    ends_at: float
    original: dict[str, Any]
    target: dict[str, Any]
    history: list[float] = field(default_factory=list)

    def state(self, now: float) -> str:
        if now < self.optimizing_at:
            return "modifying"
        return "optimizing" if now < self.ends_at else "completed"

    def progress(self, now: float) -> int:
        span = self.ends_at - self.start
        if now >= self.ends_at or span <= 0:
            return 100
        return min(99, int(100 * max(0.0, now - self.start) / span))


@dataclass
class FastRestoreRecord(RecordModel):
    """Fast snapshot restore of one snapshot in one zone, for the account that enabled it.
    Stored under (account, region, key=``snapshot-id/zone``)."""

    snapshot_id: str
    zone: str
    zone_id: str
    snapshot_owner: str
    snapshot_size: int
    enabling_time: float
    optimizing_time: float
    enabled_time: float
    disabling_time: float | None = None
    disabled_time: float | None = None
    credits: float = 0.0
    credits_at: float = 0.0

    def state(self, now: float) -> str:
        if self.disabling_time is not None and self.disabled_time is not None:
            return "disabling" if now < self.disabled_time else "disabled"
        if now < self.optimizing_time:
            return "enabling"
        return "optimizing" if now < self.enabled_time else "enabled"


_TIME_FIELDS: dict[type, tuple[str, ...]] = {
    VolumeRecord: ("created", "ready_at"),
    SnapshotRecord: ("start", "completes_at"),
    ModificationRecord: ("start", "optimizing_at", "ends_at"),
    FastRestoreRecord: ("enabling_time", "optimizing_time", "enabled_time", "disabling_time", "disabled_time",
                        "credits_at"),
}


def _earliest(item: Any) -> float:
    return min(getattr(item, name) for name in _TIME_FIELDS[type(item)] if getattr(item, name) is not None)


def _shifted(item: Any, delta: float) -> Any:
    for name in _TIME_FIELDS[type(item)]:
        value = getattr(item, name)
        if value is not None:
            setattr(item, name, value + delta)
    if isinstance(item, ModificationRecord):
        item.history = [stamp + delta for stamp in item.history]
    return item


class EbsCatalog:
    """Every EBS record of one runtime, and the data plane they describe."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        # Registered first: opening the EbsRuntime below asks for this catalog again.
        setattr(runtime, _ATTRIBUTE, self)
        state = runtime.state
        self.volumes: RecordTable[VolumeRecord] = RecordTable(state, SERVICE, "volume", VolumeRecord)
        self.snapshots: RecordTable[SnapshotRecord] = RecordTable(state, SERVICE, "snapshot", SnapshotRecord)
        self.blocks: RecordTable[SnapshotBlock] = RecordTable(state, SERVICE, "snapshot-block", SnapshotBlock)
        self.modifications: RecordTable[ModificationRecord] = RecordTable(
            state, SERVICE, "volume-modification", ModificationRecord
        )
        self.fast_restores: RecordTable[FastRestoreRecord] = RecordTable(
            state, SERVICE, "fast-snapshot-restore", FastRestoreRecord
        )
        self.data = EbsRuntime.of(runtime)
        self._settle(runtime.clock.time())
        for _, _, _, volume in self.volumes:
            self.data.configure(volume.volume_id, volume.config())

    def _settle(self, now: float) -> None:
        """At start-up: the virtual clock starts again at real time (its offset is not kept), so a
        record stamped after ``now`` is moved back to start at ``now``."""
        for table in (self.volumes, self.snapshots, self.modifications, self.fast_restores):
            for account, region, key, item in table:
                earliest = _earliest(item)
                if earliest > now:
                    table.put(account, region, key, _shifted(item, now - earliest))

    def clear(self) -> None:
        """Forget every record and every volume and snapshot in the block store."""
        store = self.data.store
        for volume_id in store.list_volumes():
            store.delete_volume(volume_id)
            self.data.forget(volume_id)
        for snapshot_id in store.list_snapshots():
            store.delete_snapshot(snapshot_id)
        for table in (self.volumes, self.snapshots, self.blocks, self.modifications, self.fast_restores):
            table.clear()

    # -- snapshot life ----------------------------------------------------------------------------------

    def expire(self, snapshot: SnapshotRecord, now: float) -> SnapshotRecord:
        """An EBS direct snapshot still open past its timeout ends in the ``error`` state."""
        if (
            snapshot.origin == "direct"
            and snapshot.completes_at is None
            and not snapshot.failed
            and now > snapshot.start + snapshot.timeout_minutes * 60
        ):
            snapshot.failed = True
            self.snapshots.put(snapshot.owner, snapshot.region, snapshot.snapshot_id, snapshot)
            self.drop_blocks(snapshot)
            if snapshot.snapshot_id in self.data.store.list_snapshots():
                self.data.store.delete_snapshot(snapshot.snapshot_id)
        return snapshot

    def put_blocks(self, snapshot: SnapshotRecord) -> list[SnapshotBlock]:
        """The blocks put so far into a pending EBS direct snapshot, by index."""
        prefix = snapshot.snapshot_id + "/"
        found = [item for key, item in self.blocks.items(snapshot.owner, snapshot.region) if key.startswith(prefix)]
        return sorted(found, key=lambda item: item.index)

    def drop_blocks(self, snapshot: SnapshotRecord) -> None:
        """Forget the put-block records of a snapshot (completed, failed or deleted)."""
        for item in self.put_blocks(snapshot):
            self.blocks.delete(snapshot.owner, snapshot.region, f"{snapshot.snapshot_id}/{item.index}")

    def remove_snapshot(self, snapshot: SnapshotRecord) -> None:
        """Delete a snapshot: its record, its blocks and every account's fast snapshot restores of it."""
        self.snapshots.delete(snapshot.owner, snapshot.region, snapshot.snapshot_id)
        self.drop_blocks(snapshot)
        for account, region, key, item in self.fast_restores:
            if region == snapshot.region and item.snapshot_id == snapshot.snapshot_id:
                self.fast_restores.delete(account, region, key)
        if snapshot.snapshot_id in self.data.store.list_snapshots():
            self.data.store.delete_snapshot(snapshot.snapshot_id)

    # -- lookups across accounts ----------------------------------------------------------------------

    def snapshot_anywhere(self, region: str, snapshot_id: str) -> SnapshotRecord | None:
        """The snapshot with this id in ``region``, whoever owns it."""
        for _, scope_region, key, item in self.snapshots:
            if scope_region == region and key == snapshot_id:
                return item
        return None

    def visible_snapshot(self, account: str, region: str, snapshot_id: str) -> SnapshotRecord | None:
        """The snapshot if ``account`` owns it or may create volumes from it."""
        own = self.snapshots.get(account, region, snapshot_id)
        if own is not None:
            return own
        found = self.snapshot_anywhere(region, snapshot_id)
        return found if found is not None and found.restorable_by(account) else None

    def region_snapshots(self, region: str) -> list[SnapshotRecord]:
        """Every snapshot of ``region``, all owners."""
        return [item for _, scope_region, _, item in self.snapshots if scope_region == region]


def catalog(runtime: ServiceRuntime) -> EbsCatalog:
    """The runtime's EBS catalog (built on first use, shared by EC2 and the EBS direct APIs)."""
    found = getattr(runtime, _ATTRIBUTE, None)
    if found is None:
        found = EbsCatalog(runtime)
    return found
