"""EC2 volume operations: CreateVolume, DescribeVolumes, DeleteVolume, DescribeVolumeStatus, the
volume attributes, ModifyVolume and DescribeVolumesModifications.

Records live in the shared :class:`EbsCatalog` (``self.ebs``); blocks in its BlockStore, which a new
volume restores lazily from its snapshot. Every change of size or performance reaches the data
plane (``BlockStore.resize_volume``, ``EbsRuntime.configure``) before the call returns.
"""

from __future__ import annotations

from typing import Any

from pycloud._core import validate_volume, volume_limits
from pycloud.context import RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.services.ec2 import ebs_shared as sh
from pycloud.services.ec2.ebs_models import (
    GIB,
    MODIFYING_SECONDS,
    OPTIMIZING_MIN_SECONDS,
    OPTIMIZING_SECONDS_PER_TIB,
    EbsCatalog,
    ModificationRecord,
    VolumeRecord,
    new_id,
)
from pycloud.services.ec2.filters import apply_filters

FIRST_TOUCH_PENALTY_US = 5_000
"""Latency of the first access to a block of a volume restored without fast snapshot restore."""
MULTI_ATTACH_TYPES = ("io1", "io2")
IOPS_TYPES = ("io1", "io2", "gp3")
MODIFICATIONS_PER_DAY = 4
DAY = 86_400.0
_LIVE_ATTACHMENT = ("attaching", "attached", "busy")


def volume_state(volume: VolumeRecord, now: float) -> str:
    """creating → available (or in-use while attached), derived from the clock."""
    if now < volume.ready_at:
        return "creating"
    if any(item.get("State") in _LIVE_ATTACHMENT for item in volume.attachments):
        return "in-use"
    return "available"


def resolved(volume_type: str, size: int, iops: int | None, throughput: int | None) -> tuple[int | None, int | None]:
    """(Iops, Throughput) as DescribeVolumes reports them for a configuration."""
    limits = volume_limits(volume_type, size, iops, throughput)
    return limits["iops"], limits["throughput_mibps"]


def check_config(volume_type: str, size: int, iops: int | None, throughput: int | None) -> None:
    """AWS's CreateVolume/ModifyVolume limits for a configuration."""
    problem = validate_volume(volume_type, size, iops, throughput)
    if problem is not None:
        raise ServiceError(problem[0], problem[1], 400)


def kms_arn(ctx: RequestContext, key: str | None) -> str:
    """The KMS key ARN a volume or snapshot records (the account's aws/ebs key when none is named)."""
    if not key:
        return f"arn:aws:kms:{ctx.region}:{ctx.account_id}:alias/aws/ebs"
    if key.startswith("arn:"):
        return key
    if key.startswith("alias/"):
        return f"arn:aws:kms:{ctx.region}:{ctx.account_id}:{key}"
    return f"arn:aws:kms:{ctx.region}:{ctx.account_id}:key/{key}"


class VolumeOperations:
    """The volume operations of the EC2 provider (a mixin: the provider sets ``self.ebs``)."""

    ebs: EbsCatalog
    _take_fast_restore_credit: Any
    """From the fast snapshot restore mixin: (ctx, snapshot id, zone, now) → restored fast or not."""

    # -- lookups ----------------------------------------------------------------------------------------

    def _volume(self, ctx: RequestContext, volume_id: str | None) -> VolumeRecord:
        if not volume_id:
            raise sh.missing("VolumeId")
        sh.check_volume_id(volume_id)
        found = self.ebs.volumes.get(ctx.account_id, ctx.region, volume_id)
        if found is None:
            raise sh.volume_not_found(volume_id)
        return found

    def _volumes_named(self, ctx: RequestContext, ids: list[str]) -> list[VolumeRecord]:
        for volume_id in ids:
            sh.check_volume_id(volume_id)
        wanted = list(dict.fromkeys(ids))
        found = [self.ebs.volumes.get(ctx.account_id, ctx.region, volume_id) for volume_id in wanted]
        absent = [volume_id for volume_id, item in zip(wanted, found, strict=True) if item is None]
        if absent:
            raise sh.volume_not_found(*absent)
        return [item for item in found if item is not None]

    def _volume_entry(self, volume: VolumeRecord, now: float, state: str | None = None) -> dict[str, Any]:
        iops, throughput = resolved(volume.volume_type, volume.size, volume.iops, volume.throughput)
        entry: dict[str, Any] = {
            "VolumeId": volume.volume_id,
            "Size": volume.size,
            "SnapshotId": volume.snapshot_id,
            "AvailabilityZone": volume.zone,
            "AvailabilityZoneId": volume.zone_id,
            "State": state or volume_state(volume, now),
            "CreateTime": volume.created,
            "Attachments": [{"VolumeId": volume.volume_id, **item} for item in volume.attachments],
            "Encrypted": volume.encrypted,
            "KmsKeyId": volume.kms_key_id or None,
            "VolumeType": volume.volume_type,
            "Iops": iops,
            "Throughput": throughput,
            "MultiAttachEnabled": volume.multi_attach,
            "Tags": sh.tag_list(volume.tags),
        }
        if volume.snapshot_id:
            entry["FastRestored"] = volume.fast_restored
        return entry

    # -- CreateVolume ------------------------------------------------------------------------------------

    def create_volume(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """A volume in one zone, empty or restored lazily from a snapshot."""
        now = ctx.now.timestamp()
        token = params.get("ClientToken") or ""
        fingerprint = sh.digest(params)
        if token:
            for volume in self.ebs.volumes.values(ctx.account_id, ctx.region):
                if volume.client_token == token:
                    if volume.request_digest != fingerprint:
                        raise sh.idempotent_mismatch(token)
                    return self._volume_entry(volume, now)
        zone = sh.find_zone(ctx.region, params.get("AvailabilityZone"), params.get("AvailabilityZoneId"))
        volume_type = params.get("VolumeType") or "gp2"
        snapshot = None
        snapshot_id = params.get("SnapshotId") or ""
        if snapshot_id:
            sh.check_snapshot_id(snapshot_id)
            snapshot = self.ebs.visible_snapshot(ctx.account_id, ctx.region, snapshot_id)
            if snapshot is None:
                raise sh.snapshot_not_found(snapshot_id)
            if snapshot.state(now) != "completed":
                raise sh.incorrect_state(f"Snapshot is in invalid state - {snapshot.state(now)}")
        size = params.get("Size")
        if size is None:
            if snapshot is None:
                raise sh.missing("size or snapshotId")
            size = snapshot.volume_size
        if snapshot is not None and size < snapshot.volume_size:
            raise sh.invalid(f"Volume of {size}GiB is too small; minimum is {snapshot.volume_size}GiB.")
        iops, throughput = params.get("Iops"), params.get("Throughput")
        check_config(volume_type, size, iops, throughput)
        multi_attach = bool(params.get("MultiAttachEnabled"))
        if multi_attach and volume_type not in MULTI_ATTACH_TYPES:
            raise sh.invalid(f"The volume type {volume_type} does not support Multi-Attach. "
                             "Multi-Attach is supported only for io1 and io2 volumes.")
        encrypted = bool(params.get("Encrypted")) or bool(snapshot and snapshot.encrypted)
        if params.get("KmsKeyId") and not params.get("Encrypted"):
            raise ServiceError("InvalidParameterDependency",
                               "The parameter KmsKeyId requires the parameter Encrypted to be set.", 400)
        tags = sh.tags_for(params, "volume")
        sh.check_dry_run(params)

        volume_id = new_id("vol")
        fast = self._take_fast_restore_credit(ctx, snapshot_id, zone.name, now) if snapshot else False
        kms = ""
        if encrypted:
            kms = kms_arn(ctx, params.get("KmsKeyId")) if params.get("KmsKeyId") or not snapshot else (
                snapshot.kms_key_id or kms_arn(ctx, None))
        volume = VolumeRecord(
            volume_id=volume_id, owner=ctx.account_id, region=ctx.region, zone=zone.name, zone_id=zone.zone_id,
            size=size, volume_type=volume_type, created=now, iops=iops, throughput=throughput,
            snapshot_id=snapshot_id, encrypted=encrypted, kms_key_id=kms, multi_attach=multi_attach,
            fast_restored=fast, tags=tags, client_token=token, request_digest=fingerprint, ready_at=now,
        )
        store = self.ebs.data.store
        store.create_volume(volume_id, size * GIB, snapshot_id)
        if snapshot is not None:
            store.set_first_touch_penalty(volume_id, 0 if fast else FIRST_TOUCH_PENALTY_US)
        self.ebs.volumes.put(ctx.account_id, ctx.region, volume_id, volume)
        self.ebs.data.configure(volume_id, volume.config())
        return self._volume_entry(volume, now, state="creating")

    # -- DescribeVolumes -----------------------------------------------------------------------------------

    def describe_volumes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The account's volumes in the region, by id, filters and pages."""
        size = sh.page_size(params, 5, 500, "VolumeIds")
        ids = params.get("VolumeIds") or []
        volumes = self._volumes_named(ctx, ids) if ids else self.ebs.volumes.values(ctx.account_id, ctx.region)
        sh.check_dry_run(params)
        now = ctx.now.timestamp()
        entries = [self._volume_entry(volume, now) for volume in volumes]
        entries = apply_filters(entries, params.get("Filters"), sh.filter_getters(params.get("Filters"), {
            "volume-id": lambda e: e["VolumeId"],
            "volume-type": lambda e: e["VolumeType"],
            "size": lambda e: str(e["Size"]),
            "status": lambda e: e["State"],
            "availability-zone": lambda e: e["AvailabilityZone"],
            "availability-zone-id": lambda e: e["AvailabilityZoneId"],
            "snapshot-id": lambda e: e["SnapshotId"],
            "encrypted": lambda e: sh.text(e["Encrypted"]),
            "fast-restored": lambda e: sh.text(e.get("FastRestored", False)),
            "multi-attach-enabled": lambda e: sh.text(e["MultiAttachEnabled"]),
            "create-time": lambda e: sh.when(e["CreateTime"]),
            "attachment.attach-time": lambda e: [sh.when(a.get("AttachTime")) for a in e["Attachments"]],
            "attachment.delete-on-termination": lambda e: [sh.text(a.get("DeleteOnTermination"))
                                                           for a in e["Attachments"]],
            "attachment.device": lambda e: [a.get("Device") for a in e["Attachments"]],
            "attachment.instance-id": lambda e: [a.get("InstanceId") for a in e["Attachments"]],
            "attachment.status": lambda e: [a.get("State") for a in e["Attachments"]],
        }, _entry_tags))
        chosen, token = sh.page(entries, lambda e: e["VolumeId"], params, "ec2:DescribeVolumes", size)
        return {"Volumes": chosen, "NextToken": token}

    # -- DeleteVolume ------------------------------------------------------------------------------------

    def delete_volume(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Deletes an unattached volume and its blocks (its snapshots keep theirs)."""
        volume = self._volume(ctx, params.get("VolumeId"))
        live = [item for item in volume.attachments if item.get("State") in _LIVE_ATTACHMENT]
        if live:
            raise ServiceError("VolumeInUse",
                               f"Volume {volume.volume_id} is currently attached to {live[0].get('InstanceId')}", 400)
        sh.check_dry_run(params)
        self.ebs.volumes.delete(ctx.account_id, ctx.region, volume.volume_id)
        if self.ebs.modifications.get(ctx.account_id, ctx.region, volume.volume_id) is not None:
            self.ebs.modifications.delete(ctx.account_id, ctx.region, volume.volume_id)
        if volume.volume_id in self.ebs.data.store.list_volumes():
            self.ebs.data.store.delete_volume(volume.volume_id)
        self.ebs.data.forget(volume.volume_id)
        return {}

    # -- DescribeVolumeStatus ------------------------------------------------------------------------------

    def describe_volume_status(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Every volume is healthy: status ok, I/O enabled; io1/io2 report their I/O performance."""
        size = sh.page_size(params, 5, 1000)
        ids = params.get("VolumeIds") or []
        volumes = self._volumes_named(ctx, ids) if ids else self.ebs.volumes.values(ctx.account_id, ctx.region)
        sh.check_dry_run(params)
        entries = [self._status_entry(volume) for volume in volumes]
        entries = apply_filters(entries, params.get("Filters"), {
            "availability-zone": lambda e: e["AvailabilityZone"],
            "volume-status.status": lambda e: e["VolumeStatus"]["Status"],
            "volume-status.details-name": lambda e: [d["Name"] for d in e["VolumeStatus"]["Details"]],
            "volume-status.details-status": lambda e: [d["Status"] for d in e["VolumeStatus"]["Details"]],
            "action.code": lambda e: [], "action.description": lambda e: [], "action.event-id": lambda e: [],
            "event.description": lambda e: [], "event.event-id": lambda e: [], "event.event-type": lambda e: [],
            "event.not-after": lambda e: [], "event.not-before": lambda e: [],
        })
        chosen, token = sh.page(entries, lambda e: e["VolumeId"], params, "ec2:DescribeVolumeStatus", size)
        return {"VolumeStatuses": chosen, "NextToken": token}

    def _status_entry(self, volume: VolumeRecord) -> dict[str, Any]:
        performance = "normal" if volume.volume_type in MULTI_ATTACH_TYPES else "not-applicable"
        return {
            "VolumeId": volume.volume_id,
            "AvailabilityZone": volume.zone,
            "AvailabilityZoneId": volume.zone_id,
            "VolumeStatus": {
                "Status": "ok",
                "Details": [{"Name": "io-enabled", "Status": "passed"},
                            {"Name": "io-performance", "Status": performance}],
            },
            "Events": [],
            "Actions": [],
            "AttachmentStatuses": [{"InstanceId": item.get("InstanceId"), "IoPerformance": performance}
                                   for item in volume.attachments if item.get("State") in _LIVE_ATTACHMENT] or None,
        }

    # -- attributes --------------------------------------------------------------------------------------

    def describe_volume_attribute(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """autoEnableIO or productCodes (volumes carry none)."""
        attribute = params.get("Attribute")
        volume = self._volume(ctx, params.get("VolumeId"))
        if attribute not in ("autoEnableIO", "productCodes"):
            raise sh.invalid(f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute.")
        sh.check_dry_run(params)
        if attribute == "autoEnableIO":
            return {"VolumeId": volume.volume_id, "AutoEnableIO": {"Value": volume.auto_enable_io}}
        return {"VolumeId": volume.volume_id, "ProductCodes": []}

    def modify_volume_attribute(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Sets autoEnableIO."""
        volume = self._volume(ctx, params.get("VolumeId"))
        value = (params.get("AutoEnableIO") or {}).get("Value")
        if value is None:
            raise sh.missing("AutoEnableIO")
        sh.check_dry_run(params)
        volume.auto_enable_io = bool(value)
        self.ebs.volumes.put(ctx.account_id, ctx.region, volume.volume_id, volume)
        return {}

    # -- ModifyVolume ---------------------------------------------------------------------------------------

    def modify_volume(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Elastic Volumes: grow, change type, IOPS, throughput or Multi-Attach, at most four times a day
        and only once the previous modification has completed."""
        volume = self._volume(ctx, params.get("VolumeId"))
        now = ctx.now.timestamp()
        asked = {k: params.get(k) for k in ("Size", "VolumeType", "Iops", "Throughput", "MultiAttachEnabled")}
        if all(value is None for value in asked.values()):
            raise sh.missing("Size, VolumeType, Iops, Throughput or MultiAttachEnabled")
        previous = self.ebs.modifications.get(ctx.account_id, ctx.region, volume.volume_id)
        if previous is not None and previous.state(now) != "completed":
            raise ServiceError(
                "IncorrectModificationState",
                f"Volume {volume.volume_id} cannot be modified in modification state "
                f"{previous.state(now).upper()}", 400,
            )
        history = [stamp for stamp in (previous.history if previous else []) if now - stamp < DAY]
        if len(history) >= MODIFICATIONS_PER_DAY:
            raise ServiceError(
                "VolumeModificationRateExceeded",
                "You've reached the maximum modification rate per volume limit. "
                f"You can modify a volume at most {MODIFICATIONS_PER_DAY} times in a rolling 24-hour period.", 400,
            )
        size = asked["Size"] if asked["Size"] is not None else volume.size
        if size < volume.size:
            raise sh.invalid("New size cannot be smaller than existing size")
        volume_type = asked["VolumeType"] or volume.volume_type
        iops = asked["Iops"]
        if iops is None and volume_type == volume.volume_type and volume_type in IOPS_TYPES:
            iops = volume.iops
        throughput = asked["Throughput"]
        if throughput is None and volume_type == volume.volume_type == "gp3":
            throughput = volume.throughput
        check_config(volume_type, size, iops, throughput)
        multi = volume.multi_attach if asked["MultiAttachEnabled"] is None else bool(asked["MultiAttachEnabled"])
        if multi and volume_type not in MULTI_ATTACH_TYPES:
            raise sh.invalid(f"The volume type {volume_type} does not support Multi-Attach.")
        sh.check_dry_run(params)

        original = self._shape(volume)
        if size > volume.size:
            self.ebs.data.store.resize_volume(volume.volume_id, size * GIB)
        volume.size, volume.volume_type, volume.iops, volume.throughput = size, volume_type, iops, throughput
        volume.multi_attach = multi
        self.ebs.volumes.put(ctx.account_id, ctx.region, volume.volume_id, volume)
        self.ebs.data.configure(volume.volume_id, volume.config())
        optimizing = max(OPTIMIZING_MIN_SECONDS, OPTIMIZING_SECONDS_PER_TIB * size / 1024)
        record = ModificationRecord(
            volume_id=volume.volume_id, start=now, optimizing_at=now + MODIFYING_SECONDS,
            ends_at=now + MODIFYING_SECONDS + optimizing, original=original, target=self._shape(volume),
            history=[*history, now],
        )
        self.ebs.modifications.put(ctx.account_id, ctx.region, volume.volume_id, record)
        return {"VolumeModification": _modification_entry(record, now)}

    @staticmethod
    def _shape(volume: VolumeRecord) -> dict[str, Any]:
        iops, throughput = resolved(volume.volume_type, volume.size, volume.iops, volume.throughput)
        return {"Size": volume.size, "VolumeType": volume.volume_type, "Iops": iops, "Throughput": throughput,
                "MultiAttachEnabled": volume.multi_attach}

    def describe_volumes_modifications(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The latest modification of each volume (by id, filters, pages)."""
        size = sh.page_size(params, 5, 500)
        ids = params.get("VolumeIds") or []
        now = ctx.now.timestamp()
        if ids:
            records = []
            for volume in self._volumes_named(ctx, ids):
                found = self.ebs.modifications.get(ctx.account_id, ctx.region, volume.volume_id)
                if found is None:
                    raise ServiceError("InvalidVolumeModification.NotFound",
                                       f"Modification for volume '{volume.volume_id}' does not exist.", 400)
                records.append(found)
        else:
            records = self.ebs.modifications.values(ctx.account_id, ctx.region)
        sh.check_dry_run(params)
        entries = [_modification_entry(record, now) for record in records]
        getters: dict[str, Any] = {
            "volume-id": lambda e: e["VolumeId"],
            "modification-state": lambda e: e["ModificationState"],
            "start-time": lambda e: sh.when(e["StartTime"]),
        }
        for side in ("Original", "Target"):
            prefix = side.lower()
            getters[f"{prefix}-size"] = lambda e, s=side: sh.text(e.get(f"{s}Size"))
            getters[f"{prefix}-iops"] = lambda e, s=side: sh.text(e.get(f"{s}Iops"))
            getters[f"{prefix}-volume-type"] = lambda e, s=side: e.get(f"{s}VolumeType")
            getters[f"{prefix}-throughput"] = lambda e, s=side: sh.text(e.get(f"{s}Throughput"))
            getters[f"{prefix}-multi-attach-enabled"] = lambda e, s=side: sh.text(e.get(f"{s}MultiAttachEnabled"))
        entries = apply_filters(entries, params.get("Filters"), getters)
        chosen, token = sh.page(entries, lambda e: e["VolumeId"], params, "ec2:DescribeVolumesModifications", size)
        return {"VolumesModifications": chosen, "NextToken": token}


def _entry_tags(entry: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in entry.get("Tags") or ()}


def _modification_entry(record: ModificationRecord, now: float) -> dict[str, Any]:
    state = record.state(now)
    entry: dict[str, Any] = {
        "VolumeId": record.volume_id,
        "ModificationState": state,
        "Progress": record.progress(now),
        "StartTime": record.start,
        "EndTime": record.ends_at if state == "completed" else None,
    }
    for side, values in (("Original", record.original), ("Target", record.target)):
        for key, value in values.items():
            entry[f"{side}{key}"] = value
    return entry
