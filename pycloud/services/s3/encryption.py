"""Default bucket encryption: SSE-S3 (AES256), SSE-KMS (aws:kms) or DSSE-KMS (aws:kms:dsse).

Every bucket has default encryption: new buckets start with SSE-S3, and deleting the configuration
resets it to SSE-S3 rather than removing it.
"""

from __future__ import annotations

from typing import Any

from pycloud.services.s3 import errors

ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})
_KMS = frozenset({"aws:kms", "aws:kms:dsse"})


def default_encryption() -> list[dict[str, Any]]:
    """The SSE-S3 rule every bucket gets."""
    return [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]


def validate_encryption(config: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The rules to store; ``MalformedXML``/``InvalidArgument`` like S3 for bad ones."""
    rules = (config or {}).get("Rules")
    if not rules or len(rules) != 1:
        raise errors.malformed_xml()
    out = []
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault")
        stored: dict[str, Any] = {}
        if default is not None:
            algorithm = default.get("SSEAlgorithm")
            if algorithm not in ALGORITHMS:
                raise errors.malformed_xml()
            key_id = default.get("KMSMasterKeyID")
            if key_id is not None and algorithm not in _KMS:
                raise errors.invalid_argument(
                    "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
                    "ApplyServerSideEncryptionByDefault",
                )
            stored["ApplyServerSideEncryptionByDefault"] = {"SSEAlgorithm": algorithm}
            if key_id:
                stored["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] = key_id
        stored["BucketKeyEnabled"] = bool(rule.get("BucketKeyEnabled", False))
        if rule.get("BlockedEncryptionTypes") is not None:
            stored["BlockedEncryptionTypes"] = rule["BlockedEncryptionTypes"]
        out.append(stored)
    return out
