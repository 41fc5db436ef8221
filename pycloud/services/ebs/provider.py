"""The EBS direct APIs: write snapshots block by block (StartSnapshot, PutSnapshotBlock,
CompleteSnapshot) and read them (ListSnapshotBlocks, ListChangedBlocks, GetSnapshotBlock).

Snapshots are the EC2 snapshot records of the shared :class:`EbsCatalog`: a started snapshot is
``pending`` in DescribeSnapshots until completed. Blocks go straight into the BlockStore; each
block's checksum is kept as a record until completion, so CompleteSnapshot can check the count and
the aggregated checksum even after a restart.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from pycloud._core import BLOCK_SIZE, BlockStoreError
from pycloud.context import RequestContext
from pycloud.ebs.runtime import EbsRuntime
from pycloud.protocol.errors import ServiceError
from pycloud.services.base import Provider, ServiceRuntime
from pycloud.services.ebs import tokens
from pycloud.services.ec2 import ebs_shared as sh
from pycloud.services.ec2.ebs_models import GIB, SnapshotBlock, SnapshotRecord, catalog, new_id
from pycloud.services.ec2.snapshots import COPIED_VOLUME_ID

MAX_VOLUME_GIB = 65_536
DEFAULT_TIMEOUT_MINUTES = 60
DEFAULT_MAX_RESULTS = 10_000
SHA256 = "SHA256"
LINEAR = "LINEAR"


def validation(reason: str, message: str) -> ServiceError:
    """ValidationException (400) with the model's Reason."""
    return ServiceError("ValidationException", message, 400, fields={"Reason": reason})


def not_found(snapshot_id: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"The snapshot '{snapshot_id}' does not exist.", 404,
                        fields={"Reason": "SNAPSHOT_NOT_FOUND"})


def _sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


class EbsProvider(Provider):
    """Amazon EBS direct APIs."""

    service = "ebs"

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self.ebs = catalog(runtime)

    def reset(self) -> None:
        self.ebs.clear()

    def admin_request(self, method: str, path: str) -> tuple[int, str, bytes] | None:
        """``GET /_pycloud/ebs/volumes/<volume-id>``: the volume's block-store state (size, allocated
        bytes, hydration progress of a restored volume, first touches) and its I/O metrics (operations
        and bytes as AWS counts them, queue length, BurstBalance, throttled time) for tests and
        dashboards. Returns (status, content type, body), or None for an unknown path."""
        kind, _, volume_id = path.partition("/")
        if kind != "volumes" or not volume_id or "/" in volume_id:
            return None
        if method != "GET":
            return 405, "application/json", json.dumps({"error": "MethodNotAllowed",
                                                        "message": f"{method} is not allowed"}).encode()
        ebs = EbsRuntime.of(self.runtime)
        try:
            info = ebs.store.volume_info(volume_id)
        except BlockStoreError:
            return 404, "application/json", json.dumps({"error": "NotFound",
                                                        "message": f"no volume {volume_id}"}).encode()
        scheduler = ebs.scheduler(volume_id)
        metrics = scheduler.metrics(ebs.now()) if scheduler is not None else None
        body = {"VolumeId": volume_id, "store": info, "metrics": metrics}
        return 200, "application/json", json.dumps(body).encode()

    # -- lookups ---------------------------------------------------------------------------------------

    def _own(self, ctx: RequestContext, snapshot_id: str) -> SnapshotRecord:
        found = self.ebs.snapshots.get(ctx.account_id, ctx.region, snapshot_id)
        if found is None:
            raise not_found(snapshot_id)
        return self.ebs.expire(found, ctx.now.timestamp())

    def _pending(self, ctx: RequestContext, snapshot_id: str) -> SnapshotRecord:
        snapshot = self._own(ctx, snapshot_id)
        if snapshot.failed:
            raise validation("WRITE_REQUEST_TIMEOUT",
                             f"The snapshot {snapshot_id} was not completed within its timeout and is in the error state.")
        if snapshot.origin != "direct" or snapshot.completes_at is not None:
            raise validation("INVALID_SNAPSHOT_ID", f"The snapshot {snapshot_id} is not in the pending state.")
        return snapshot

    def _readable(self, ctx: RequestContext, snapshot_id: str) -> SnapshotRecord:
        snapshot = self.ebs.visible_snapshot(ctx.account_id, ctx.region, snapshot_id)
        if snapshot is None:
            raise not_found(snapshot_id)
        now = ctx.now.timestamp()
        if self.ebs.expire(snapshot, now).state(now) != "completed":
            raise validation("INVALID_SNAPSHOT_ID", f"The snapshot {snapshot_id} is not completed.")
        return snapshot

    # -- StartSnapshot ----------------------------------------------------------------------------------

    def start_snapshot(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """A new pending snapshot, empty or on top of a completed parent of the same account."""
        now = ctx.now.timestamp()
        token = params.get("ClientToken") or ""
        fingerprint = sh.digest(params, skip=("ClientToken",))
        if token:
            for snapshot in self.ebs.snapshots.values(ctx.account_id, ctx.region):
                if snapshot.origin == "direct" and snapshot.client_token == token:
                    if snapshot.request_digest != fingerprint:
                        raise ServiceError("ConflictException", "The request uses the same client token as a "
                                           "previous, but non-identical request.", 409)
                    return self._started(self.ebs.expire(snapshot, now), now)
        size = params["VolumeSize"]
        if not 1 <= size <= MAX_VOLUME_GIB:
            raise validation("INVALID_VOLUME_SIZE", f"The volume size must be between 1 and {MAX_VOLUME_GIB} GiB.")
        parent_id = params.get("ParentSnapshotId") or ""
        parent = None
        if parent_id:
            parent = self.ebs.snapshots.get(ctx.account_id, ctx.region, parent_id)
            if parent is None:
                raise not_found(parent_id)
            if parent.state(now) != "completed":
                raise validation("INVALID_SNAPSHOT_ID", f"The parent snapshot {parent_id} is not completed.")
            if size < parent.volume_size:
                raise validation("INVALID_VOLUME_SIZE", f"The volume size must be at least the parent snapshot's "
                                 f"volume size ({parent.volume_size} GiB).")
        encrypted = bool(params.get("Encrypted")) or bool(parent and parent.encrypted)
        if params.get("KmsKeyArn") and not params.get("Encrypted"):
            raise validation("INVALID_PARAMETER_VALUE", "KmsKeyArn requires Encrypted to be true.")
        tags: dict[str, str] = {}
        for tag in params.get("Tags") or ():
            key = tag.get("Key") or ""
            if not key or key.lower().startswith("aws:"):
                raise validation("INVALID_TAG", f"The tag key '{key}' is not valid.")
            tags[key] = tag.get("Value") or ""
        snapshot_id = new_id("snap")
        self.ebs.data.store.start_snapshot(snapshot_id, size * GIB, parent_id)
        kms = params.get("KmsKeyArn") or (parent.kms_key_id if parent and parent.encrypted else "")
        if encrypted and not kms:
            kms = f"arn:aws:kms:{ctx.region}:{ctx.account_id}:alias/aws/ebs"
        record = SnapshotRecord(
            snapshot_id=snapshot_id, owner=ctx.account_id, region=ctx.region, volume_id=COPIED_VOLUME_ID,
            volume_size=size, start=now, origin="direct", description=params.get("Description") or "",
            encrypted=encrypted, kms_key_id=kms, tags=tags, parent=parent_id,
            timeout_minutes=params.get("Timeout") or DEFAULT_TIMEOUT_MINUTES, client_token=token,
            request_digest=fingerprint,
        )
        self.ebs.snapshots.put(ctx.account_id, ctx.region, snapshot_id, record)
        return self._started(record, now)

    def _started(self, snapshot: SnapshotRecord, now: float) -> dict[str, Any]:
        sse = "none"
        if snapshot.encrypted:
            sse = "sse-ebs" if snapshot.kms_key_id.endswith(":alias/aws/ebs") else "sse-kms"
        return {
            "Description": snapshot.description or None,
            "SnapshotId": snapshot.snapshot_id,
            "OwnerId": snapshot.owner,
            "Status": snapshot.state(now),
            "StartTime": snapshot.start,
            "VolumeSize": snapshot.volume_size,
            "BlockSize": BLOCK_SIZE,
            "Tags": [{"Key": k, "Value": v} for k, v in snapshot.tags.items()] or None,
            "ParentSnapshotId": snapshot.parent or None,
            "KmsKeyArn": snapshot.kms_key_id or None,
            "SseType": sse,
        }

    # -- PutSnapshotBlock ---------------------------------------------------------------------------------

    def put_snapshot_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Writes one 512 KiB block, verified against its SHA-256 checksum."""
        snapshot = self._pending(ctx, params["SnapshotId"])
        index = params["BlockIndex"]
        if index >= -(-snapshot.volume_size * GIB // BLOCK_SIZE):
            raise validation("INVALID_BLOCK", f"The block index {index} is beyond the end of the "
                             f"{snapshot.volume_size} GiB volume.")
        if params.get("ChecksumAlgorithm") != SHA256:
            raise validation("INVALID_PARAMETER_VALUE", "The checksum algorithm must be SHA256.")
        data = params.get("BlockData") or b""
        if isinstance(data, str):
            data = data.encode()
        length = params.get("DataLength")
        if length != BLOCK_SIZE:
            raise validation("INVALID_PARAMETER_VALUE", f"The data length must be {BLOCK_SIZE} bytes.")
        if len(data) != length:
            raise validation("INVALID_PARAMETER_VALUE",
                             f"The block data is {len(data)} bytes but the data length is {length}.")
        checksum = params.get("Checksum") or ""
        if _sha256_b64(bytes(data)) != checksum:
            raise validation("INVALID_PARAMETER_VALUE", "The checksum does not match the block data.")
        progress = params.get("Progress")
        self.ebs.data.store.put_snapshot_block(snapshot.snapshot_id, index, data)
        self.ebs.blocks.put(ctx.account_id, ctx.region, f"{snapshot.snapshot_id}/{index}",
                            SnapshotBlock(snapshot.snapshot_id, index, checksum))
        if progress is not None and progress != snapshot.reported_progress:
            snapshot.reported_progress = progress
            self.ebs.snapshots.put(ctx.account_id, ctx.region, snapshot.snapshot_id, snapshot)
        return {"Checksum": checksum, "ChecksumAlgorithm": SHA256}

    # -- CompleteSnapshot ----------------------------------------------------------------------------------

    def complete_snapshot(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Seals a pending snapshot once the block count (and the aggregated checksum) match."""
        snapshot_id = params["SnapshotId"]
        now = ctx.now.timestamp()
        snapshot = self._own(ctx, snapshot_id)
        if snapshot.origin == "direct" and snapshot.state(now) == "completed":
            return {"Status": "completed"}
        snapshot = self._pending(ctx, snapshot_id)
        blocks = self.ebs.put_blocks(snapshot)
        count = params["ChangedBlocksCount"]
        if count != len(blocks):
            raise validation("INVALID_PARAMETER_VALUE", f"The changed blocks count {count} does not match the "
                             f"{len(blocks)} blocks written to the snapshot.")
        checksum = params.get("Checksum")
        algorithm, method = params.get("ChecksumAlgorithm"), params.get("ChecksumAggregationMethod")
        if checksum is not None or algorithm is not None or method is not None:
            if checksum is None or algorithm != SHA256 or method != LINEAR:
                raise validation("INVALID_PARAMETER_VALUE", "An aggregated checksum needs Checksum, "
                                 "ChecksumAlgorithm SHA256 and ChecksumAggregationMethod LINEAR together.")
            try:
                digests = b"".join(base64.b64decode(item.checksum, validate=True) for item in blocks)
            except binascii.Error:  # checked on every put: cannot happen for stored blocks
                digests = b""
            if base64.b64encode(hashlib.sha256(digests).digest()).decode("ascii") != checksum:
                raise validation("INVALID_PARAMETER_VALUE",
                                 "The aggregated checksum does not match the checksums of the blocks written.")
        store = self.ebs.data.store
        store.complete_snapshot(snapshot_id)
        info = store.snapshot_info(snapshot_id)
        snapshot.completes_at = now
        snapshot.reported_progress = 100
        snapshot.stored_bytes = int(info.get("stored_bytes", 0))
        snapshot.full_bytes = int(info.get("blocks", 0)) * BLOCK_SIZE
        self.ebs.snapshots.put(ctx.account_id, ctx.region, snapshot_id, snapshot)
        self.ebs.drop_blocks(snapshot)
        return {"Status": "completed"}

    # -- reads ---------------------------------------------------------------------------------------------

    def _window(self, params: dict[str, Any], scope: str, indices: list[int]) -> tuple[list[int], str | None]:
        """The indices of one page (StartingBlockIndex, NextToken, MaxResults) and the next token."""
        start = params.get("StartingBlockIndex") or 0
        token = params.get("NextToken")
        if token:
            after = tokens.page_after(token, scope)
            if after is None:
                raise validation("INVALID_PAGE_TOKEN", "The pagination token is not valid.")
            start = max(start, after + 1)
        limit = params.get("MaxResults") or DEFAULT_MAX_RESULTS
        chosen = [index for index in indices if index >= start]
        if len(chosen) > limit:
            chosen = chosen[:limit]
            return chosen, tokens.page_token(scope, chosen[-1])
        return chosen, None

    def list_snapshot_blocks(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The blocks of a completed snapshot that hold data, with a token to read each."""
        snapshot = self._readable(ctx, params["SnapshotId"])
        now = ctx.now.timestamp()
        indices = self.ebs.data.store.list_snapshot_blocks(snapshot.snapshot_id)
        chosen, token = self._window(params, f"blocks:{snapshot.snapshot_id}", indices)
        expires = now + tokens.BLOCK_TOKEN_SECONDS
        return {
            "Blocks": [{"BlockIndex": i, "BlockToken": tokens.block_token(snapshot.snapshot_id, i, expires)}
                       for i in chosen],
            "ExpiryTime": expires,
            "VolumeSize": snapshot.volume_size,
            "BlockSize": BLOCK_SIZE,
            "NextToken": token,
        }

    def list_changed_blocks(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The blocks that differ between two snapshots of one lineage (or every block of the second)."""
        second = self._readable(ctx, params["SecondSnapshotId"])
        first_id = params.get("FirstSnapshotId") or ""
        first = self._readable(ctx, first_id) if first_id else None
        store = self.ebs.data.store
        try:
            changed = store.changed_blocks(first_id, second.snapshot_id)
        except BlockStoreError as exc:
            if exc.code == "LineageMismatch":
                raise validation("UNRELATED_SNAPSHOTS", f"The snapshots {first_id} and {second.snapshot_id} are "
                                 "not related: they do not share a lineage.") from None
            raise
        now = ctx.now.timestamp()
        in_first = set(store.list_snapshot_blocks(first_id)) if first is not None else set()
        in_second = set(store.list_snapshot_blocks(second.snapshot_id))
        chosen, token = self._window(params, f"changed:{first_id}:{second.snapshot_id}", sorted(changed))
        expires = now + tokens.BLOCK_TOKEN_SECONDS
        entries = []
        for index in chosen:
            entry: dict[str, Any] = {"BlockIndex": index}
            if index in in_first:
                entry["FirstBlockToken"] = tokens.block_token(first_id, index, expires)
            if index in in_second:
                entry["SecondBlockToken"] = tokens.block_token(second.snapshot_id, index, expires)
            entries.append(entry)
        return {
            "ChangedBlocks": entries,
            "ExpiryTime": expires,
            "VolumeSize": second.volume_size,
            "BlockSize": BLOCK_SIZE,
            "NextToken": token,
        }

    def get_snapshot_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """One block's data and SHA-256 checksum, for a token from a listing."""
        snapshot = self._readable(ctx, params["SnapshotId"])
        index = params["BlockIndex"]
        if not tokens.block_token_valid(params["BlockToken"], snapshot.snapshot_id, index, ctx.now.timestamp()):
            raise validation("INVALID_BLOCK_TOKEN", "The block token is not valid for this block, or has expired.")
        data = self.ebs.data.store.read_snapshot_block(snapshot.snapshot_id, index)
        return {
            "BlockData": data,
            "DataLength": len(data),
            "Checksum": _sha256_b64(data),
            "ChecksumAlgorithm": SHA256,
        }
