"""What S3 keeps with each object version besides its body, stored as the store's metadata bytes.

The native store treats metadata as opaque bytes; this module is its one encoder/decoder (compact
JSON). Mutable per-version state (tags, retention, legal hold) lives in the control-plane state
instead, because a stored version's metadata never changes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

DEFAULT_CONTENT_TYPE = "binary/octet-stream"

# Request members copied verbatim into the stored metadata and echoed back on GET/HEAD.
SYSTEM_HEADERS = ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "Expires",
                  "WebsiteRedirectLocation")
SSE_MEMBERS = ("ServerSideEncryption", "SSEKMSKeyId", "SSEKMSEncryptionContext", "BucketKeyEnabled",
               "SSECustomerAlgorithm", "SSECustomerKeyMD5")


@dataclass
class ObjectMeta:
    """Metadata of one object version."""

    content_type: str = DEFAULT_CONTENT_TYPE
    system: dict[str, Any] = field(default_factory=dict)
    """SYSTEM_HEADERS members given at write time (``Expires`` as an ISO string)."""
    user: dict[str, str] = field(default_factory=dict)
    """``x-amz-meta-*`` metadata, names lower-cased."""
    storage_class: str = "STANDARD"
    sse: dict[str, Any] = field(default_factory=dict)
    """SSE_MEMBERS given at write time (SSE-C keeps only the algorithm and key MD5)."""
    checksums: dict[str, str] = field(default_factory=dict)
    """Flexible checksums, algorithm (``CRC32``...) → base64 value; ``type`` FULL_OBJECT/COMPOSITE."""
    checksum_type: str = ""
    owner: str = ""
    """Account id of the object's owner."""
    part_sizes: list[int] = field(default_factory=list)
    """Sizes of a multipart object's parts, in order (empty for single-part objects)."""

    def to_bytes(self) -> bytes:
        """The compact JSON the store keeps (empty members left out)."""
        data = {k: v for k, v in asdict(self).items() if v not in ({}, [], "", None)}
        if self.content_type != DEFAULT_CONTENT_TYPE:
            data["content_type"] = self.content_type
        else:
            data.pop("content_type", None)
        if self.storage_class == "STANDARD":
            data.pop("storage_class", None)
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> ObjectMeta:
        """Decode ``to_bytes`` output (unknown members ignored, missing ones defaulted)."""
        if not raw:
            return cls()
        data = json.loads(raw)
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
