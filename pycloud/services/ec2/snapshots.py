"""EC2 snapshot operations: CreateSnapshot(s), DescribeSnapshots, CopySnapshot, DeleteSnapshot and
the snapshot attributes (createVolumePermission sharing).

A snapshot of a volume is frozen in the BlockStore at once (copy-on-write maps); its EC2 state stays
``pending`` on the virtual clock for as long as uploading its new data would take. A copy is a new
snapshot holding the same blocks, pending for at least a minute, during which its source cannot be
deleted.
"""

from __future__ import annotations

import re
from typing import Any

from pycloud.context import RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.services.ec2 import ebs_shared as sh
from pycloud.services.ec2.ebs_models import (
    COPY_BASE_SECONDS,
    SNAPSHOT_BYTES_PER_SECOND,
    EbsCatalog,
    SnapshotRecord,
    new_id,
)
from pycloud.services.ec2.filters import apply_filters
from pycloud.services.ec2.regions import all_regions
from pycloud.services.ec2.volumes import kms_arn

COPIED_VOLUME_ID = "vol-ffffffff"
"""The arbitrary source volume id AWS gives copies and EBS direct snapshots."""
_ACCOUNT = re.compile(r"\d{12}")


def snapshot_entry(snapshot: SnapshotRecord, now: float, viewer: str) -> dict[str, Any]:
    """A snapshot as DescribeSnapshots shows it to ``viewer`` (tags only to its owner)."""
    state = snapshot.state(now)
    return {
        "SnapshotId": snapshot.snapshot_id,
        "VolumeId": snapshot.volume_id,
        "State": state,
        "StartTime": snapshot.start,
        "Progress": snapshot.progress(now),
        "OwnerId": snapshot.owner,
        "Description": snapshot.description,
        "VolumeSize": snapshot.volume_size,
        "Encrypted": snapshot.encrypted,
        "KmsKeyId": snapshot.kms_key_id or None,
        "StorageTier": "standard",
        "CompletionTime": snapshot.completes_at if state == "completed" else None,
        "FullSnapshotSizeInBytes": snapshot.full_bytes if state == "completed" else None,
        "Tags": sh.tag_list(snapshot.tags) if viewer == snapshot.owner else None,
    }


class SnapshotOperations:
    """The snapshot operations of the EC2 provider (a mixin: the provider sets ``self.ebs``)."""

    ebs: EbsCatalog

    # -- hooks for resources other families will bring ------------------------------------------------

    def images_using_snapshot(self, region: str, snapshot_id: str) -> list[str]:
        """AMI ids whose block device mappings use the snapshot (none until images exist)."""
        return []

    def instance_volumes(self, ctx: RequestContext, instance_id: str) -> list[tuple[str, bool]] | None:
        """(volume id, is root) of an instance's attached volumes; None when there is no such
        instance (none until EC2 instances exist)."""
        return None

    # -- lookups -------------------------------------------------------------------------------------------

    def _own_snapshot(self, ctx: RequestContext, snapshot_id: str | None) -> SnapshotRecord:
        if not snapshot_id:
            raise sh.missing("SnapshotId")
        sh.check_snapshot_id(snapshot_id)
        found = self.ebs.snapshots.get(ctx.account_id, ctx.region, snapshot_id)
        if found is None:
            raise sh.snapshot_not_found(snapshot_id)
        return self.ebs.expire(found, ctx.now.timestamp())

    def _volume_snapshot(self, ctx: RequestContext, volume: Any, description: str, tags: dict[str, str]) -> SnapshotRecord:
        """Freeze a volume into a new snapshot record (pending while its new data "uploads")."""
        now = ctx.now.timestamp()
        snapshot_id = new_id("snap")
        store = self.ebs.data.store
        store.create_snapshot(volume.volume_id, snapshot_id)
        info = store.snapshot_info(snapshot_id)
        stored = int(info.get("stored_bytes", 0))
        record = SnapshotRecord(
            snapshot_id=snapshot_id, owner=ctx.account_id, region=ctx.region, volume_id=volume.volume_id,
            volume_size=volume.size, start=now, origin="volume", completes_at=now + stored / SNAPSHOT_BYTES_PER_SECOND,
            description=description, encrypted=volume.encrypted, kms_key_id=volume.kms_key_id, tags=tags,
            stored_bytes=stored, full_bytes=int(info.get("blocks", 0)) * store.block_size,
        )
        self.ebs.snapshots.put(ctx.account_id, ctx.region, snapshot_id, record)
        return record

    # -- CreateSnapshot(s) ------------------------------------------------------------------------------

    def create_snapshot(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """A point-in-time snapshot of one of the account's volumes."""
        volume = self._volume(ctx, params.get("VolumeId"))  # type: ignore[attr-defined]
        tags = sh.tags_for(params, "snapshot")
        sh.check_dry_run(params)
        record = self._volume_snapshot(ctx, volume, params.get("Description") or "", tags)
        entry = snapshot_entry(record, ctx.now.timestamp(), ctx.account_id)
        entry.update(State="pending", Progress="", CompletionTime=None, FullSnapshotSizeInBytes=None)
        return entry

    def create_snapshots(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Crash-consistent snapshots of an instance's volumes."""
        spec = params.get("InstanceSpecification") or {}
        instance_id = spec.get("InstanceId") or ""
        if not sh.INSTANCE_ID.fullmatch(instance_id):
            raise ServiceError("InvalidInstanceID.Malformed", f'Invalid id: "{instance_id}"', 400)
        attached = self.instance_volumes(ctx, instance_id)
        if attached is None:
            raise ServiceError("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist", 400)
        excluded = set(spec.get("ExcludeDataVolumeIds") or ())
        volumes = [
            self._volume(ctx, volume_id)  # type: ignore[attr-defined]
            for volume_id, root in attached
            if not (root and spec.get("ExcludeBootVolume")) and volume_id not in excluded
        ]
        tags = sh.tags_for(params, "snapshot")
        sh.check_dry_run(params)
        now = ctx.now.timestamp()
        result = []
        for volume in volumes:
            record = self._volume_snapshot(ctx, volume, params.get("Description") or "",
                                           {**(volume.tags if params.get("CopyTagsFromSource") == "volume" else {}),
                                            **tags})
            entry = snapshot_entry(record, now, ctx.account_id)
            result.append({key: entry.get(key) for key in (
                "SnapshotId", "VolumeId", "State", "VolumeSize", "StartTime", "Progress", "OwnerId", "Description",
                "Encrypted", "Tags")})
        return {"Snapshots": result}

    # -- DescribeSnapshots ---------------------------------------------------------------------------------

    def describe_snapshots(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Snapshots the caller owns or may restore, by owner, restorable-by, id, filters and pages."""
        size = sh.page_size(params, 5, 1000)
        now = ctx.now.timestamp()
        account = ctx.account_id
        visible = [s for s in self.ebs.region_snapshots(ctx.region) if s.restorable_by(account)]
        ids = params.get("SnapshotIds") or []
        if ids:
            for snapshot_id in ids:
                sh.check_snapshot_id(snapshot_id)
            by_id = {s.snapshot_id: s for s in visible}
            absent = [snapshot_id for snapshot_id in dict.fromkeys(ids) if snapshot_id not in by_id]
            if absent:
                raise sh.snapshot_not_found(*absent)
            visible = [by_id[snapshot_id] for snapshot_id in dict.fromkeys(ids)]
        owners = params.get("OwnerIds") or []
        if owners:
            wanted = set()
            for owner in owners:
                if owner == "self":
                    wanted.add(account)
                elif _ACCOUNT.fullmatch(owner):
                    wanted.add(owner)
                elif owner not in ("amazon", "aws-marketplace", "aws-backup-vault"):
                    raise sh.invalid(f"Invalid value '{owner}' for Owner. Specify a 12-digit account id, self or amazon.")
            visible = [s for s in visible if s.owner in wanted]
        restorable = params.get("RestorableByUserIds") or []
        if restorable:
            def allowed(snapshot: SnapshotRecord) -> bool:
                for user in restorable:
                    if user == "all" and snapshot.public:
                        return True
                    if user != "all" and snapshot.restorable_by(account if user == "self" else user):
                        return True
                return False

            for user in restorable:
                if user not in ("self", "all") and not _ACCOUNT.fullmatch(user):
                    raise sh.invalid(f"Invalid value '{user}' for RestorableBy.")
            visible = [s for s in visible if allowed(s)]
        sh.check_dry_run(params)
        entries = [snapshot_entry(self.ebs.expire(s, now), now, account) for s in visible]
        entries = apply_filters(entries, params.get("Filters"), sh.filter_getters(params.get("Filters"), {
            "snapshot-id": lambda e: e["SnapshotId"],
            "volume-id": lambda e: e["VolumeId"],
            "status": lambda e: e["State"],
            "owner-id": lambda e: e["OwnerId"],
            "owner-alias": lambda e: [],
            "description": lambda e: e["Description"],
            "encrypted": lambda e: sh.text(e["Encrypted"]),
            "progress": lambda e: e["Progress"],
            "start-time": lambda e: sh.when(e["StartTime"]),
            "volume-size": lambda e: str(e["VolumeSize"]),
            "storage-tier": lambda e: e["StorageTier"],
            "transfer-type": lambda e: "standard",
        }, lambda e: {tag["Key"]: tag["Value"] for tag in e.get("Tags") or ()}))
        chosen, token = sh.page(entries, lambda e: e["SnapshotId"], params, "ec2:DescribeSnapshots", size)
        return {"Snapshots": chosen, "NextToken": token}

    # -- CopySnapshot ------------------------------------------------------------------------------------

    def copy_snapshot(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """A new snapshot in the request's region holding the source's blocks."""
        source_region = params.get("SourceRegion") or ""
        if source_region not in all_regions():
            raise sh.invalid(f"Invalid region: {source_region}")
        source_id = params.get("SourceSnapshotId") or ""
        sh.check_snapshot_id(source_id)
        now = ctx.now.timestamp()
        source = self.ebs.visible_snapshot(ctx.account_id, source_region, source_id)
        if source is None:
            raise sh.snapshot_not_found(source_id)
        if source.state(now) != "completed":
            raise sh.incorrect_state(f"Snapshot is in invalid state - {source.state(now)}")
        minutes = params.get("CompletionDurationMinutes")
        if minutes is not None and (minutes < 15 or minutes > 2880 or minutes % 15):
            raise sh.invalid("CompletionDurationMinutes must be a multiple of 15 between 15 and 2880.")
        if params.get("KmsKeyId") and not params.get("Encrypted") and not source.encrypted:
            raise ServiceError("InvalidParameterDependency",
                               "The parameter KmsKeyId requires the parameter Encrypted to be set.", 400)
        tags = sh.tags_for(params, "snapshot")
        sh.check_dry_run(params)

        snapshot_id = new_id("snap")
        store = self.ebs.data.store
        info = store.snapshot_info(source_id)
        store.start_snapshot(snapshot_id, int(info["size"]))
        for index in store.list_snapshot_blocks(source_id):
            store.put_snapshot_block(snapshot_id, index, store.read_snapshot_block(source_id, index))
        store.complete_snapshot(snapshot_id)
        copied = store.snapshot_info(snapshot_id)
        stored = int(copied.get("stored_bytes", 0))
        duration = minutes * 60 if minutes else COPY_BASE_SECONDS + stored / SNAPSHOT_BYTES_PER_SECOND
        encrypted = source.encrypted or bool(params.get("Encrypted"))
        kms = ""
        if encrypted:
            kms = kms_arn(ctx, params.get("KmsKeyId")) if params.get("KmsKeyId") else (
                source.kms_key_id if source.owner == ctx.account_id and source.region == ctx.region
                else kms_arn(ctx, None))
        record = SnapshotRecord(
            snapshot_id=snapshot_id, owner=ctx.account_id, region=ctx.region, volume_id=COPIED_VOLUME_ID,
            volume_size=source.volume_size, start=now, origin="copy", completes_at=now + duration,
            description=params.get("Description") or f"[Copied {source_id} from {source_region}]",
            encrypted=encrypted, kms_key_id=kms, tags=tags, copy_of=f"{source_region}/{source_id}",
            stored_bytes=stored, full_bytes=int(copied.get("blocks", 0)) * store.block_size,
        )
        self.ebs.snapshots.put(ctx.account_id, ctx.region, snapshot_id, record)
        return {"SnapshotId": snapshot_id, "Tags": sh.tag_list(tags)}

    # -- DeleteSnapshot ------------------------------------------------------------------------------------

    def delete_snapshot(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Deletes one of the account's snapshots unless an AMI or a pending copy uses it."""
        snapshot = self._own_snapshot(ctx, params.get("SnapshotId"))
        now = ctx.now.timestamp()
        images = self.images_using_snapshot(ctx.region, snapshot.snapshot_id)
        if images:
            raise ServiceError("InvalidSnapshot.InUse",
                               f"The snapshot {snapshot.snapshot_id} is currently in use by {images[0]}", 400)
        ref = f"{ctx.region}/{snapshot.snapshot_id}"
        for _, _, _, other in self.ebs.snapshots:
            if other.copy_of == ref and other.state(now) == "pending":
                raise ServiceError("InvalidSnapshot.InUse",
                                   f"The snapshot {snapshot.snapshot_id} is currently in use by {other.snapshot_id}",
                                   400)
        sh.check_dry_run(params)
        self.ebs.remove_snapshot(snapshot)
        return {}

    # -- attributes --------------------------------------------------------------------------------------

    def describe_snapshot_attribute(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """createVolumePermission (who may restore it) or productCodes (none)."""
        attribute = params.get("Attribute")
        snapshot = self._own_snapshot(ctx, params.get("SnapshotId"))
        _check_attribute(attribute)
        sh.check_dry_run(params)
        if attribute == "productCodes":
            return {"SnapshotId": snapshot.snapshot_id, "ProductCodes": []}
        permissions = [{"UserId": user} for user in snapshot.create_volume_users]
        if snapshot.public:
            permissions.append({"Group": "all"})
        return {"SnapshotId": snapshot.snapshot_id, "CreateVolumePermissions": permissions}

    def modify_snapshot_attribute(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Adds or removes createVolumePermission for accounts or the group ``all`` (public)."""
        snapshot = self._own_snapshot(ctx, params.get("SnapshotId"))
        attribute = params.get("Attribute") or "createVolumePermission"
        _check_attribute(attribute)
        if attribute != "createVolumePermission":
            raise sh.invalid(f"The attribute {attribute} cannot be modified.")
        adds, removes = _permission_changes(params)
        if not adds and not removes:
            raise sh.missing("CreateVolumePermission")
        for user, group in adds + removes:
            if group is not None and group != "all":
                raise sh.invalid(f"Invalid group '{group}'; the only group is 'all'.")
            if user is not None and not _ACCOUNT.fullmatch(user):
                raise ServiceError("InvalidUserID.Malformed", f"User ID '{user}' is invalid", 400)
        if snapshot.encrypted and any(group == "all" for _, group in adds):
            raise ServiceError("OperationNotPermitted", "Encrypted snapshots cannot be made public.", 400)
        sh.check_dry_run(params)
        users = list(snapshot.create_volume_users)
        for user, group in adds:
            if group == "all":
                snapshot.public = True
            elif user not in users:
                users.append(user)
        for user, group in removes:
            if group == "all":
                snapshot.public = False
            elif user in users:
                users.remove(user)
        snapshot.create_volume_users = users
        self.ebs.snapshots.put(snapshot.owner, snapshot.region, snapshot.snapshot_id, snapshot)
        return {}

    def reset_snapshot_attribute(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """createVolumePermission back to owner only."""
        snapshot = self._own_snapshot(ctx, params.get("SnapshotId"))
        attribute = params.get("Attribute")
        _check_attribute(attribute)
        if attribute != "createVolumePermission":
            raise sh.invalid(f"The attribute {attribute} cannot be reset.")
        sh.check_dry_run(params)
        snapshot.create_volume_users, snapshot.public = [], False
        self.ebs.snapshots.put(snapshot.owner, snapshot.region, snapshot.snapshot_id, snapshot)
        return {}


def _check_attribute(attribute: str | None) -> None:
    if attribute not in ("createVolumePermission", "productCodes"):
        raise sh.invalid(f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute.")


def _permission_changes(params: dict[str, Any]) -> tuple[list[tuple[str | None, str | None]], ...]:
    """(adds, removes) as (user id, group) pairs, from either request form."""
    adds: list[tuple[str | None, str | None]] = []
    removes: list[tuple[str | None, str | None]] = []
    changes = params.get("CreateVolumePermission") or {}
    for target, items in ((adds, changes.get("Add")), (removes, changes.get("Remove"))):
        for item in items or ():
            target.append((item.get("UserId"), item.get("Group")))
    operation = params.get("OperationType")
    plain = [(user, None) for user in params.get("UserIds") or ()] + [(None, g) for g in params.get("GroupNames") or ()]
    if plain:
        if operation not in ("add", "remove"):
            raise sh.missing("OperationType")
        (adds if operation == "add" else removes).extend(plain)
    return adds, removes
