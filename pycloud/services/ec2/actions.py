"""EC2 operations → IAM actions and resources (see ``pycloud.iam.actions``): the volume and snapshot
ARNs of the EBS operations; every other operation acts on ``*``.

Volume ARNs carry the account (``arn:aws:ec2:<region>:<account>:volume/<id>``), snapshot ARNs none
(``arn:aws:ec2:<region>::snapshot/<id>``).
"""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.actions import ActionRule, ActionTable


def volume_arn(ctx: RequestContext, volume_id: str) -> str:
    return f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:volume/{volume_id or '*'}"


def snapshot_arn(region: str, snapshot_id: str) -> str:
    return f"arn:aws:ec2:{region}::snapshot/{snapshot_id or '*'}"


def _volume(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return [volume_arn(ctx, params.get("VolumeId") or "")]


def _snapshot(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return [snapshot_arn(ctx.region, params.get("SnapshotId") or "")]


def _snapshots(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return [snapshot_arn(ctx.region, sid) for sid in params.get("SourceSnapshotIds") or ()]


def _create_volume(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    found = [volume_arn(ctx, "*")]
    if params.get("SnapshotId"):
        found.append(snapshot_arn(ctx.region, params["SnapshotId"]))
    return found


def _create_snapshot(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return [volume_arn(ctx, params.get("VolumeId") or ""), snapshot_arn(ctx.region, "*")]


def _create_snapshots(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    instance = (params.get("InstanceSpecification") or {}).get("InstanceId") or "*"
    return [f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:instance/{instance}", snapshot_arn(ctx.region, "*")]


def _copy_snapshot(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return [snapshot_arn(ctx.region, "*"),
            snapshot_arn(params.get("SourceRegion") or ctx.region, params.get("SourceSnapshotId") or "")]


def _rule(operation: str, resources: Any) -> tuple[str, ActionRule]:
    return operation, ActionRule(f"ec2:{operation}", resources)


TABLE = ActionTable(
    "ec2",
    rules=dict([
        _rule("CreateVolume", _create_volume),
        _rule("DeleteVolume", _volume),
        _rule("ModifyVolume", _volume),
        _rule("DescribeVolumeAttribute", _volume),
        _rule("ModifyVolumeAttribute", _volume),
        _rule("CreateSnapshot", _create_snapshot),
        _rule("CreateSnapshots", _create_snapshots),
        _rule("CopySnapshot", _copy_snapshot),
        _rule("DeleteSnapshot", _snapshot),
        _rule("DescribeSnapshotAttribute", _snapshot),
        _rule("ModifySnapshotAttribute", _snapshot),
        _rule("ResetSnapshotAttribute", _snapshot),
        _rule("EnableFastSnapshotRestores", _snapshots),
        _rule("DisableFastSnapshotRestores", _snapshots),
    ]),
)
