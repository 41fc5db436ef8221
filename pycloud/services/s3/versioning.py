"""Bucket versioning (Enabled/Suspended, never back to unversioned) and Object Lock configuration."""

from __future__ import annotations

import dataclasses
from typing import Any

from pycloud.services.s3 import errors
from pycloud.services.s3.models import Bucket

MAX_RETENTION_DAYS = 36500
MAX_RETENTION_YEARS = 100


def apply_versioning(bucket: Bucket, config: dict[str, Any] | None, mfa: str | None) -> Bucket:
    """The bucket with a PutBucketVersioning request applied.

    ``Status`` is Enabled or Suspended (there is no way back to "never versioned"); ``MFADelete`` is
    recorded, and changing it needs the ``x-amz-mfa`` header. A bucket with Object Lock cannot be
    suspended.
    """
    if config is None:
        raise errors.malformed_xml()
    status = config.get("Status")
    mfa_delete = config.get("MFADelete")
    if status not in (None, "Enabled", "Suspended") or mfa_delete not in (None, "Enabled", "Disabled"):
        raise errors.malformed_xml()
    if mfa_delete is not None and mfa_delete != (bucket.mfa_delete or "Disabled") and not mfa:
        raise errors.access_denied_mfa()
    if status == "Suspended" and bucket.object_lock_enabled:
        raise errors.invalid_bucket_state(
            "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed."
        )
    return dataclasses.replace(
        bucket,
        versioning=status or bucket.versioning,
        mfa_delete=mfa_delete or bucket.mfa_delete,
    )


def versioning_output(bucket: Bucket) -> dict[str, Any]:
    """GetBucketVersioning: nothing at all for a bucket that was never versioned."""
    out: dict[str, Any] = {}
    if bucket.versioning:
        out["Status"] = bucket.versioning
    if bucket.mfa_delete:
        out["MFADelete"] = bucket.mfa_delete
    return out


def _default_retention(rule: dict[str, Any]) -> dict[str, Any]:
    retention = rule.get("DefaultRetention")
    if not retention:
        raise errors.malformed_xml()
    mode, days, years = retention.get("Mode"), retention.get("Days"), retention.get("Years")
    if mode not in ("GOVERNANCE", "COMPLIANCE") or (days is None) == (years is None):
        raise errors.malformed_xml()
    period = days if days is not None else years
    if period <= 0:
        raise errors.invalid_argument("Default retention period must be a positive integer value.")
    if (days or 0) > MAX_RETENTION_DAYS or (years or 0) > MAX_RETENTION_YEARS:
        raise errors.invalid_argument("Default retention period is too large.")
    out: dict[str, Any] = {"Mode": mode}
    out["Days" if days is not None else "Years"] = period
    return {"DefaultRetention": out}


def apply_object_lock(bucket: Bucket, config: dict[str, Any] | None) -> Bucket:
    """The bucket with a PutObjectLockConfiguration request applied.

    Object Lock can be turned on for an existing bucket only while its versioning is Enabled
    (``InvalidBucketState`` otherwise); it can never be turned off.
    """
    if config is None or config.get("ObjectLockEnabled") != "Enabled":
        raise errors.malformed_xml()
    if not bucket.object_lock_enabled and bucket.versioning != "Enabled":
        raise errors.invalid_bucket_state(
            "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
        )
    rule = config.get("Rule")
    stored = _default_retention(rule) if rule is not None else None
    return dataclasses.replace(bucket, object_lock_enabled=True).with_config("object_lock", stored)


def object_lock_output(bucket: Bucket) -> dict[str, Any]:
    """GetObjectLockConfiguration's configuration (the bucket must have Object Lock enabled)."""
    config: dict[str, Any] = {"ObjectLockEnabled": "Enabled"}
    rule = bucket.configs.get("object_lock")
    if rule:
        config["Rule"] = rule
    return {"ObjectLockConfiguration": config}
