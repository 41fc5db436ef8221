"""Object Ownership controls and the bucket's Block Public Access configuration.

New buckets start with ``BucketOwnerEnforced`` (ACLs disabled) and all four public access blocks on.
"""

from __future__ import annotations

from typing import Any

from pycloud.services.s3 import errors

OWNERSHIP_VALUES = frozenset({"BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"})
ENFORCED = "BucketOwnerEnforced"
PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def validate_ownership(controls: dict[str, Any] | None) -> list[dict[str, str]]:
    """The OwnershipControls rules to store: exactly one rule with a known ObjectOwnership."""
    rules = (controls or {}).get("Rules") or []
    if len(rules) != 1 or rules[0].get("ObjectOwnership") not in OWNERSHIP_VALUES:
        raise errors.malformed_xml()
    return [{"ObjectOwnership": rules[0]["ObjectOwnership"]}]


def ownership_value(value: str | None) -> str:
    """CreateBucket's ``x-amz-object-ownership`` (BucketOwnerEnforced when absent)."""
    if value is None:
        return ENFORCED
    if value not in OWNERSHIP_VALUES:
        raise errors.invalid_argument("Invalid x-amz-object-ownership header", "x-amz-object-ownership", value)
    return value


def default_public_access_block() -> dict[str, bool]:
    return {flag: True for flag in PUBLIC_ACCESS_FLAGS}


def validate_public_access_block(config: dict[str, Any] | None) -> dict[str, bool]:
    """The four flags to store (absent ones are false)."""
    if config is None:
        raise errors.malformed_xml()
    return {flag: bool(config.get(flag, False)) for flag in PUBLIC_ACCESS_FLAGS}
