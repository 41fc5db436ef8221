"""Requester Pays and Transfer Acceleration settings."""

from __future__ import annotations

from typing import Any

from pycloud.services.s3 import errors


def validate_payer(config: dict[str, Any] | None) -> str:
    """``Requester`` or ``BucketOwner``."""
    payer = (config or {}).get("Payer")
    if payer not in ("Requester", "BucketOwner"):
        raise errors.malformed_xml()
    return payer


def validate_accelerate(bucket_name: str, config: dict[str, Any] | None) -> str:
    """``Enabled`` or ``Suspended``; buckets with dots in their names cannot be accelerated."""
    status = (config or {}).get("Status")
    if status not in ("Enabled", "Suspended"):
        raise errors.malformed_xml()
    if "." in bucket_name:
        raise errors.invalid_request(
            "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names"
        )
    return status
