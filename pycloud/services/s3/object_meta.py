"""What S3 keeps with each object version besides its body, stored as the store's metadata bytes.

The native store treats metadata as opaque bytes; this module is its one encoder/decoder (compact
JSON). Mutable per-version state (tags, retention, legal hold) lives in the control-plane state
instead, because a stored version's metadata never changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from pycloud.services.s3 import errors

DEFAULT_CONTENT_TYPE = "binary/octet-stream"
MAX_USER_METADATA = 2048
"""Bytes of user metadata (keys + values, UTF-8) S3 accepts on one object."""
STORAGE_CLASSES = frozenset({
    "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
    "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE", "FSX_OPENZFS", "FSX_ONTAP",
})
ARCHIVED_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})
"""Classes whose objects must be restored before a GET."""

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
    upload_tags: list[dict[str, str]] = field(default_factory=list)
    """Only on a multipart upload's metadata: the tag set to give the object at completion."""
    upload_lock: dict[str, str] = field(default_factory=dict)
    """Only on a multipart upload's metadata: the lock (LockState record) to give it at completion."""
    upload_acl: dict[str, Any] = field(default_factory=dict)
    """Only on a multipart upload's metadata: the owner and ACL (ObjectAcl record) to give it at completion."""
    part_sizes: list[int] = field(default_factory=list)
    """Sizes of a multipart object's parts, in order (empty for single-part objects)."""

    def to_bytes(self) -> bytes:
        """The compact JSON the store keeps (empty members left out)."""
        # Members read directly (not dataclasses.asdict, which deep-copies): this runs on every PUT.
        data = {name: value for name in _FIELD_ORDER if (value := getattr(self, name)) not in _EMPTY}
        if self.content_type == DEFAULT_CONTENT_TYPE:
            data.pop("content_type", None)
        if self.storage_class == "STANDARD":
            data.pop("storage_class", None)
        return _encode(data).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> ObjectMeta:
        """Decode ``to_bytes`` output (unknown members ignored, missing ones defaulted)."""
        if not raw:
            return cls()
        data = json.loads(raw)
        names = _FIELD_NAMES
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def shared(cls, raw: bytes) -> ObjectMeta:
        """``from_bytes`` memoised by the raw bytes, for readers that never modify the result
        (GET/HEAD/listing decode the same few metadata blobs over and over)."""
        meta = _SHARED.get(raw)
        if meta is None:
            if len(_SHARED) >= 4096:
                _SHARED.clear()
            meta = _SHARED[raw] = cls.from_bytes(raw)
        return meta


_SHARED: dict[bytes, ObjectMeta] = {}
_FIELD_ORDER = tuple(f.name for f in fields(ObjectMeta))
_FIELD_NAMES = frozenset(_FIELD_ORDER)
_EMPTY = ({}, [], "", None)
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def system_members(params: dict[str, Any]) -> dict[str, Any]:
    """SYSTEM_HEADERS members of a write request, as stored (``aws-chunked`` stripped from Content-Encoding)."""
    out: dict[str, Any] = {}
    for name in SYSTEM_HEADERS:
        value = params.get(name)
        if value is None:
            continue
        if name == "ContentEncoding":
            codings = [c.strip() for c in str(value).split(",") if c.strip() and c.strip().lower() != "aws-chunked"]
            if not codings:
                continue
            value = ",".join(codings)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def user_metadata(params: dict[str, Any]) -> dict[str, str]:
    """``x-amz-meta-*`` of a write request; ``MetadataTooLarge`` past 2 KB."""
    user = {str(k).lower(): str(v) for k, v in (params.get("Metadata") or {}).items()}
    size = sum(len(k.encode()) + len(v.encode()) for k, v in user.items())
    if size > MAX_USER_METADATA:
        raise errors.metadata_too_large(size)
    return user


def storage_class(params: dict[str, Any]) -> str:
    """The request's storage class (``InvalidStorageClass`` for an unknown one)."""
    value = params.get("StorageClass") or "STANDARD"
    if value not in STORAGE_CLASSES:
        raise errors.invalid_storage_class()
    return value
