"""S3 operations → IAM actions (see ``pycloud.iam.actions``).

Every S3 operation is decided by the provider (``authorization.py``), where the bucket policy,
ACLs and Block Public Access meet the caller's own policies; its ``ACTIONS`` table maps operations
to actions (ListObjectsV2 → ``s3:ListBucket`` on the bucket, HeadObject → ``s3:GetObject``...).
ListBuckets and CreateBucket act on no bucket yet and are decided here.
"""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.actions import ActionRule, ActionTable
from pycloud.protocol.model import load_service_model


def _new_bucket(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return [f"arn:aws:s3:::{params.get('Bucket') or '*'}"]


TABLE = ActionTable(
    "s3",
    rules={
        "ListBuckets": ActionRule("s3:ListAllMyBuckets"),
        "CreateBucket": ActionRule("s3:CreateBucket", _new_bucket),
    },
    provider_decides=frozenset(load_service_model("s3").operations) - {"ListBuckets", "CreateBucket"},
)
