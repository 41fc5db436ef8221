"""Shared pieces of the EC2 volume/snapshot and EBS direct API tests: accounts, clients, blocks."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from s3_helpers import declare_accounts

BLOCK = 524_288


def account(account_id: str, name: str) -> dict[str, str]:
    """An account spec for ``declare_accounts`` with keys derived from its id."""
    return {"id": account_id, "access_key": f"AKIAEBS{account_id}X", "secret_key": f"ebs-{name}", "name": name}


class Clients:
    """EC2 and EBS clients of one declared account on a server."""

    def __init__(self, server: Any, spec: dict[str, str], region: str = "us-east-1") -> None:
        declare_accounts(server, spec)
        self.id = spec["id"]
        self.ec2 = server.client("ec2", region=region, access_key=spec["access_key"], secret_key=spec["secret_key"])
        self.ebs = server.client("ebs", region=region, access_key=spec["access_key"], secret_key=spec["secret_key"])
        self.server, self.spec = server, spec

    def in_region(self, region: str) -> Clients:
        return Clients(self.server, self.spec, region)


def block(fill: int | bytes) -> bytes:
    """A 512 KiB block: a repeated byte, or a pattern repeated and cut to size."""
    pattern = bytes([fill]) if isinstance(fill, int) else fill
    return (pattern * (BLOCK // len(pattern) + 1))[:BLOCK]


def checksum(data: bytes) -> str:
    """Base64 SHA-256, as the EBS direct APIs carry it."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def linear(blocks: dict[int, bytes]) -> str:
    """The LINEAR aggregated checksum: SHA-256 over the blocks' SHA-256 digests in index order."""
    joined = b"".join(hashlib.sha256(blocks[index]).digest() for index in sorted(blocks))
    return base64.b64encode(hashlib.sha256(joined).digest()).decode()


def put(ebs: Any, snapshot_id: str, index: int, data: bytes, **extra: Any) -> dict[str, Any]:
    return ebs.put_snapshot_block(SnapshotId=snapshot_id, BlockIndex=index, BlockData=data, DataLength=len(data),
                                  Checksum=checksum(data), ChecksumAlgorithm="SHA256", **extra)


def direct_snapshot(ebs: Any, blocks: dict[int, bytes], size_gib: int = 1, **start: Any) -> str:
    """A completed snapshot holding ``blocks``, written through the EBS direct APIs."""
    snapshot_id = ebs.start_snapshot(VolumeSize=size_gib, **start)["SnapshotId"]
    for index, data in blocks.items():
        put(ebs, snapshot_id, index, data)
    ebs.complete_snapshot(SnapshotId=snapshot_id, ChangedBlocksCount=len(blocks), Checksum=linear(blocks),
                          ChecksumAlgorithm="SHA256", ChecksumAggregationMethod="LINEAR")
    return snapshot_id


def read_blocks(ebs: Any, snapshot_id: str) -> dict[int, bytes]:
    """Every block with data of a snapshot, read back through ListSnapshotBlocks / GetSnapshotBlock
    (each block's checksum verified)."""
    found: dict[int, bytes] = {}
    kwargs: dict[str, Any] = {}
    while True:
        listing = ebs.list_snapshot_blocks(SnapshotId=snapshot_id, **kwargs)
        for item in listing["Blocks"]:
            answer = ebs.get_snapshot_block(SnapshotId=snapshot_id, BlockIndex=item["BlockIndex"],
                                            BlockToken=item["BlockToken"])
            data = answer["BlockData"].read()
            assert answer["Checksum"] == checksum(data) and answer["ChecksumAlgorithm"] == "SHA256"
            assert answer["DataLength"] == len(data) == BLOCK
            found[item["BlockIndex"]] = data
        if not listing.get("NextToken"):
            return found
        kwargs = {"NextToken": listing["NextToken"]}


def snapshot_state(ec2: Any, snapshot_id: str) -> dict[str, Any]:
    return ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]


def volume(ec2: Any, volume_id: str) -> dict[str, Any]:
    return ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
