"""EBS direct API operations → IAM actions on snapshot ARNs (see ``pycloud.iam.actions``).

Snapshot ARNs carry no account: ``arn:aws:ec2:<region>::snapshot/<snapshot-id>``.
"""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.actions import ActionRule, ActionTable


def snapshot_arn(ctx: RequestContext, snapshot_id: str) -> str:
    return f"arn:aws:ec2:{ctx.region}::snapshot/{snapshot_id or '*'}"


def _snapshot(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return [snapshot_arn(ctx, params.get("SnapshotId") or "")]


def _new_snapshot(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return [snapshot_arn(ctx, "*")]


def _changed(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    found = [snapshot_arn(ctx, params.get("SecondSnapshotId") or "")]
    if params.get("FirstSnapshotId"):
        found.append(snapshot_arn(ctx, params["FirstSnapshotId"]))
    return found


TABLE = ActionTable(
    "ebs",
    rules={
        "StartSnapshot": ActionRule("ebs:StartSnapshot", _new_snapshot),
        "ListChangedBlocks": ActionRule("ebs:ListChangedBlocks", _changed),
    },
    default_resources=_snapshot,
)
