"""Server-side encryption of objects: SSE-S3 / SSE-KMS recorded and echoed, SSE-C enforced.

Bodies are not actually encrypted (the store is local); what S3 makes observable is kept: the
algorithm and key id headers, the bucket's default encryption applied when a request names none,
and SSE-C's rule that the same customer key must come with every read. Only the key's MD5 (which
S3 itself echoes) is stored, never the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from typing import Any

from pycloud.services.s3 import errors
from pycloud.services.s3.models import Bucket

ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})
_KMS = frozenset({"aws:kms", "aws:kms:dsse"})


def default_kms_key(account_id: str, region: str) -> str:
    """The ARN of the account's AWS-managed ``aws/s3`` key (stable per account and region)."""
    key_id = uuid.UUID(bytes=hashlib.md5(f"aws/s3:{account_id}:{region}".encode()).digest())
    return f"arn:aws:kms:{region}:{account_id}:key/{key_id}"


def customer_key(params: dict[str, Any], prefix: str = "") -> tuple[str, str] | None:
    """Validate SSE-C request members (``{prefix}SSECustomer*``); ``(algorithm, key MD5)`` or None."""
    algorithm = params.get(f"{prefix}SSECustomerAlgorithm")
    key = params.get(f"{prefix}SSECustomerKey")
    key_md5 = params.get(f"{prefix}SSECustomerKeyMD5")
    if algorithm is None and key is None and key_md5 is None:
        return None
    if algorithm is None:
        raise errors.invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide a valid "
            "encryption algorithm.", "x-amz-server-side-encryption", "null")
    if algorithm != "AES256":
        raise errors.invalid_encryption_algorithm()
    if key is None:
        raise errors.invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate "
            "secret key.", "x-amz-server-side-encryption", "null")
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise errors.invalid_argument("The secret key was invalid for the specified algorithm.",
                                      "x-amz-server-side-encryption", "null")
    calculated = base64.b64encode(hashlib.md5(raw).digest()).decode()
    if key_md5 is None:
        raise errors.invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide the client "
            "calculated MD5 of the secret key.", "x-amz-server-side-encryption", "null")
    if key_md5 != calculated:
        raise errors.invalid_argument("The calculated MD5 hash of the key did not match the hash that was provided.",
                                      "x-amz-server-side-encryption", "null")
    return algorithm, calculated


def write_settings(params: dict[str, Any], bucket: Bucket, account_id: str, region: str) -> dict[str, Any]:
    """The SSE members to store with a new version (request's, else the bucket default)."""
    sse_c = customer_key(params)
    algorithm = params.get("ServerSideEncryption")
    key_id = params.get("SSEKMSKeyId")
    if sse_c is not None:
        if algorithm is not None or key_id is not None:
            raise errors.invalid_argument(
                "Server Side Encryption with Customer provided key is incompatible with the encryption method "
                "specified", "x-amz-server-side-encryption", algorithm or "")
        return {"SSECustomerAlgorithm": sse_c[0], "SSECustomerKeyMD5": sse_c[1]}
    if algorithm is not None and algorithm not in ALGORITHMS:
        raise errors.invalid_argument("Server Side Encryption with unsupported algorithm",
                                      "x-amz-server-side-encryption", algorithm)
    if algorithm is None:
        if key_id is not None or params.get("SSEKMSEncryptionContext") is not None:
            raise errors.invalid_argument(
                "Server Side Encryption with AWS KMS managed key requires HTTP header "
                "x-amz-server-side-encryption : aws:kms", "x-amz-server-side-encryption-aws-kms-key-id", key_id)
        rules = bucket.configs.get("encryption") or []
        default = (rules[0] if rules else {}).get("ApplyServerSideEncryptionByDefault") or {}
        algorithm = default.get("SSEAlgorithm") or "AES256"
        key_id = default.get("KMSMasterKeyID")
        bucket_key = bool(rules and rules[0].get("BucketKeyEnabled"))
    else:
        if key_id is not None and algorithm not in _KMS:
            raise errors.invalid_argument(
                "Server Side Encryption with AWS KMS managed key requires HTTP header "
                "x-amz-server-side-encryption : aws:kms", "x-amz-server-side-encryption-aws-kms-key-id", key_id)
        bucket_key = bool(params.get("BucketKeyEnabled"))
    out: dict[str, Any] = {"ServerSideEncryption": algorithm}
    if algorithm in _KMS:
        out["SSEKMSKeyId"] = _key_arn(key_id, account_id, region) if key_id else default_kms_key(account_id, region)
        if params.get("SSEKMSEncryptionContext"):
            out["SSEKMSEncryptionContext"] = params["SSEKMSEncryptionContext"]
        if bucket_key:
            out["BucketKeyEnabled"] = True
    return out


def _key_arn(key_id: str, account_id: str, region: str) -> str:
    """S3 echoes a KMS key given by bare id as its full ARN."""
    if key_id.startswith("arn:"):
        return key_id
    if key_id.startswith("alias/"):
        return f"arn:aws:kms:{region}:{account_id}:{key_id}"
    return f"arn:aws:kms:{region}:{account_id}:key/{key_id}"


def check_read(stored: dict[str, Any], params: dict[str, Any], prefix: str = "") -> None:
    """A read of an SSE-C version needs its key: none → 400 InvalidRequest, wrong → 403 AccessDenied."""
    given = customer_key(params, prefix)
    stored_md5 = stored.get("SSECustomerKeyMD5")
    if stored_md5 is None:
        if given is not None:
            raise errors.invalid_request("The encryption parameters are not applicable to this object.")
        return
    if given is None:
        raise errors.invalid_request(
            "The object was stored using a form of Server Side Encryption. The correct parameters must be "
            "provided to retrieve the object.")
    if given[1] != stored_md5:
        raise errors.access_denied()


def echo(stored: dict[str, Any]) -> dict[str, Any]:
    """Response members for a stored version's encryption (the context is not echoed on reads)."""
    return {k: v for k, v in stored.items() if k != "SSEKMSEncryptionContext"}
