"""Object Ownership controls and the bucket's Block Public Access configuration.

New buckets start with ``BucketOwnerEnforced`` (ACLs disabled) and all four public access blocks on.
"""

from __future__ import annotations

from typing import Any

from pycloud.services.s3 import errors
from pycloud.services.s3.models import Bucket

OWNERSHIP_VALUES = frozenset({"BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"})
ENFORCED = "BucketOwnerEnforced"
PREFERRED = "BucketOwnerPreferred"
WRITER = "ObjectWriter"
PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def validate_ownership(controls: dict[str, Any] | None) -> list[dict[str, str]]:
    """The OwnershipControls rules to store: exactly one rule with a known ObjectOwnership."""
    rules = (controls or {}).get("Rules") or []
    if len(rules) != 1 or rules[0].get("ObjectOwnership") not in OWNERSHIP_VALUES:
        raise errors.malformed_xml()
    return [{"ObjectOwnership": rules[0]["ObjectOwnership"]}]


def object_ownership(bucket: Bucket) -> str:
    """The bucket's Object Ownership; ObjectWriter when none is set (as buckets made before 2021)."""
    rules = bucket.configs.get("ownership") or []
    return rules[0].get("ObjectOwnership", WRITER) if rules else WRITER


def acls_disabled(bucket: Bucket) -> bool:
    """Whether ACLs count for nothing in this bucket (BucketOwnerEnforced)."""
    return object_ownership(bucket) == ENFORCED


def object_owner(bucket: Bucket, writer: str | None, canned_acl: str | None) -> str:
    """The account that owns an object a request writes into the bucket.

    The writer owns it, except under BucketOwnerEnforced, and under BucketOwnerPreferred when the
    write carries ``bucket-owner-full-control``: then the bucket owner does. Anonymous writes
    (``writer`` None) are given to the bucket owner.
    """
    ownership = object_ownership(bucket)
    if writer is None or ownership == ENFORCED:
        return bucket.account_id
    if ownership == PREFERRED and canned_acl == "bucket-owner-full-control":
        return bucket.account_id
    return writer


def ownership_value(value: str | None) -> str:
    """CreateBucket's ``x-amz-object-ownership`` (BucketOwnerEnforced when absent)."""
    if value is None:
        return ENFORCED
    if value not in OWNERSHIP_VALUES:
        raise errors.invalid_argument("Invalid x-amz-object-ownership header", "x-amz-object-ownership", value)
    return value


def default_public_access_block() -> dict[str, bool]:
    """What a new bucket gets: all four blocks on."""
    return {flag: True for flag in PUBLIC_ACCESS_FLAGS}


def validate_public_access_block(config: dict[str, Any] | None) -> dict[str, bool]:
    """The four flags to store (absent ones are false)."""
    if config is None:
        raise errors.malformed_xml()
    return {flag: bool(config.get(flag, False)) for flag in PUBLIC_ACCESS_FLAGS}
