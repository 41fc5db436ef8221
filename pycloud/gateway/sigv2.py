"""S3's legacy Signature Version 2 (HMAC-SHA1) primitives.

boto3 still presigns S3 URLs with SigV2 by default (``?AWSAccessKeyId=…&Signature=…&Expires=…``),
and older SDKs sign headers with ``Authorization: AWS key:signature``. Only S3 accepts it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import unquote

# Query parameters that are part of the signed resource (S3 sub-resources and response overrides).
SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle",
        "location", "logging", "metrics", "notification", "object-lock", "partNumber", "policy",
        "replication", "requestPayment", "response-cache-control", "response-content-disposition",
        "response-content-encoding", "response-content-language", "response-content-type",
        "response-expires", "restore", "select", "select-type", "storageClass", "tagging", "torrent",
        "uploadId", "uploads", "versionId", "versioning", "versions", "website",
    }
)


def canonical_resource(path: str, raw_query: str, bucket_from_host: str | None) -> str:
    """The signed resource: ``/bucket/key`` (even for virtual-hosted requests) plus sub-resources."""
    resource = f"/{bucket_from_host}{path}" if bucket_from_host else path
    picked = []
    for part in raw_query.split("&") if raw_query else ():
        name, eq, value = part.partition("=")
        if name in SUBRESOURCES:
            picked.append((name, f"{name}={unquote(value)}" if eq else name))
    if picked:
        picked.sort(key=lambda item: item[0])
        resource += "?" + "&".join(text for _, text in picked)
    return resource


def string_to_sign(method: str, headers: dict[str, str], date_value: str, resource: str) -> str:
    """``VERB\\nContent-MD5\\nContent-Type\\nDate\\n[x-amz-* headers\\n]resource``."""
    lines = [method, headers.get("content-md5", "").strip(), headers.get("content-type", "").strip(), date_value]
    amz = sorted((name, value) for name, value in headers.items() if name.startswith("x-amz-"))
    lines.extend(f"{name}:{','.join(v.strip() for v in value.split(','))}" for name, value in amz)
    lines.append(resource)
    return "\n".join(lines)


def signature(secret: str, text: str) -> str:
    """Base64 HMAC-SHA1 of the string to sign."""
    return base64.b64encode(hmac.new(secret.encode(), text.encode("utf-8"), hashlib.sha1).digest()).decode()
