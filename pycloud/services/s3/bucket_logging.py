"""Server access logging: the target bucket must exist, belong to the same owner and region."""

from __future__ import annotations

from typing import Any

from pycloud.protocol.errors import ServiceError
from pycloud.services.s3 import errors
from pycloud.services.s3.models import Bucket

BUCKET_LOGS_PERMISSIONS = frozenset({"FULL_CONTROL", "READ", "WRITE"})


def validate_logging(source: Bucket, status: dict[str, Any] | None, target: Bucket | None) -> dict[str, Any] | None:
    """The LoggingEnabled element to store, or None when the request turns logging off.

    ``target`` is the bucket named by ``TargetBucket`` (None when it does not exist).
    """
    if status is None:
        raise errors.malformed_xml()
    enabled = status.get("LoggingEnabled")
    if enabled is None:
        return None
    name, prefix = enabled.get("TargetBucket"), enabled.get("TargetPrefix")
    if not name or prefix is None:
        raise errors.malformed_xml()
    if target is None or target.account_id != source.account_id:
        raise ServiceError(
            "InvalidTargetBucketForLogging",
            "The target bucket for logging does not exist",
            400,
            fields={"TargetBucket": name},
        )
    if target.region != source.region:
        raise ServiceError(
            "CrossLocationLoggingProhibited",
            "Cross S3 location logging not allowed. ",
            403,
            fields={
                "TargetBucketLocation": target.region,
            },
        )
    if target.object_lock_enabled:
        raise ServiceError(
            "InvalidTargetBucketForLogging",
            "The target bucket for logging cannot have Object Lock enabled",
            400,
            fields={"TargetBucket": name},
        )
    for grant in enabled.get("TargetGrants") or []:
        if grant.get("Permission") not in BUCKET_LOGS_PERMISSIONS or not (grant.get("Grantee") or {}).get("Type"):
            raise errors.malformed_xml()
    return {k: v for k, v in enabled.items() if v is not None}
