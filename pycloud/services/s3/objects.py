"""S3 object operations on the native store: PutObject, GetObject, HeadObject, DeleteObject.

Bodies stream: a PutObject body arrives as a BodyStream and is written chunk by chunk into a store
writer (MD5 and the flexible checksum computed natively on the way); a GetObject body is served as
an async iterator of chunks read from a store reader.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from pycloud._core import StoreError
from pycloud.protocol.message import BodyStream
from pycloud.services.s3 import errors
from pycloud.services.s3.datastore import store_error
from pycloud.services.s3.object_meta import SSE_MEMBERS, SYSTEM_HEADERS, ObjectMeta

if TYPE_CHECKING:
    from pycloud.context import RequestContext
    from pycloud.services.s3.datastore import S3DataStore
    from pycloud.services.s3.models import Bucket

READ_CHUNK = 1024 * 1024
"""Bytes per store read when streaming a body out."""

# Flexible checksum request members → the store's hasher names.
CHECKSUM_MEMBERS = {
    "ChecksumCRC32": "crc32",
    "ChecksumCRC32C": "crc32c",
    "ChecksumCRC64NVME": "crc64nvme",
    "ChecksumSHA1": "sha1",
    "ChecksumSHA256": "sha256",
}


def versioning_mode(bucket: Bucket) -> str:
    """How the store treats existing versions in this bucket."""
    return {"Enabled": "enabled", "Suspended": "suspended"}.get(bucket.versioning, "unversioned")


def ns(dt: Any) -> int:
    """A datetime as integer nanoseconds since the epoch (the store's time unit)."""
    return int(dt.timestamp() * 1_000_000_000)


class ObjectOperations:
    """Mixin of S3Provider: single-object operations."""

    data: S3DataStore

    def _bucket(self, ctx: RequestContext, params: dict[str, Any]) -> Bucket:  # provided by S3Provider
        raise NotImplementedError

    async def put_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Store a body (streamed) with its metadata; answers ETag, version id and checksums."""
        bucket = self._bucket(ctx, params)
        key = params["Key"]
        self.data.ensure_bucket(bucket.name)
        algorithm = next((alg for member, alg in CHECKSUM_MEMBERS.items() if member in params), "")
        if not algorithm and params.get("ChecksumAlgorithm"):
            algorithm = params["ChecksumAlgorithm"].lower()
        writer = self.data.store.begin_put(bucket.name, algorithm)
        try:
            body = params.get("Body")
            if isinstance(body, BodyStream):
                while chunk := await body.read():
                    writer.write(chunk)
            elif body:
                writer.write(body)
            meta = ObjectMeta(
                content_type=params.get("ContentType") or ObjectMeta.content_type,
                system={name: _stored(params[name]) for name in SYSTEM_HEADERS if name in params},
                user=dict(params.get("Metadata") or {}),
                storage_class=params.get("StorageClass") or "STANDARD",
                sse={name: params[name] for name in SSE_MEMBERS if name in params},
                owner=ctx.account_id,
            )
            info = writer.commit(key, meta.to_bytes(), ns(ctx.now), versioning_mode(bucket))
        except StoreError as exc:
            writer.abort()
            raise store_error(exc, bucket.name, key) from None
        except BaseException:
            writer.abort()
            raise
        result: dict[str, Any] = {"ETag": f'"{info.etag}"', "Size": info.size}
        if bucket.versioning:
            result["VersionId"] = info.version_id
        if info.checksum_algorithm:
            result[_checksum_member(info.checksum_algorithm)] = base64.b64encode(info.checksum).decode()
        result.update(meta.sse)
        return result

    def get_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The object's body (streamed) and metadata."""
        bucket = self._bucket(ctx, params)
        key = params["Key"]
        version_id = params.get("VersionId") or ""
        try:
            reader = self.data.store.open(bucket.name, key, version_id)
        except StoreError as exc:
            raise store_error(exc, bucket.name, key, version_id) from None
        info = reader.info
        if info.is_delete_marker:
            raise _deleted(key, version_id, info.version_id)
        result = self._describe(bucket, info)
        result["Body"] = _stream(reader, info.size)
        return result

    def head_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The object's metadata without its body."""
        bucket = self._bucket(ctx, params)
        key = params["Key"]
        version_id = params.get("VersionId") or ""
        try:
            info = self.data.store.head(bucket.name, key, version_id)
        except StoreError as exc:
            raise store_error(exc, bucket.name, key, version_id) from None
        if info.is_delete_marker:
            raise _deleted(key, version_id, info.version_id)
        return self._describe(bucket, info)

    def delete_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Remove the null version / add a delete marker / remove one version."""
        bucket = self._bucket(ctx, params)
        key = params["Key"]
        version_id = params.get("VersionId") or ""
        try:
            deleted = self.data.store.delete(bucket.name, key, version_id, versioning_mode(bucket), ns(ctx.now))
        except StoreError as exc:
            if getattr(exc, "code", "") in ("NoSuchKey", "NoSuchBucket"):
                return {}  # deleting what is not there succeeds in S3
            raise store_error(exc, bucket.name, key, version_id) from None
        result: dict[str, Any] = {}
        if deleted.is_delete_marker:
            result["DeleteMarker"] = True
        if bucket.versioning and deleted.version_id:
            result["VersionId"] = deleted.version_id
        return result

    def _describe(self, bucket: Bucket, info: Any) -> dict[str, Any]:
        """GET/HEAD response members for one stored version."""
        meta = ObjectMeta.from_bytes(info.metadata)
        result: dict[str, Any] = {
            "ContentLength": info.size,
            "ContentType": meta.content_type,
            "ETag": f'"{info.etag}"',
            "LastModified": info.last_modified / 1_000_000_000,
            "AcceptRanges": "bytes",
        }
        if meta.user:
            result["Metadata"] = meta.user
        result.update(meta.system)
        result.update(meta.sse)
        if meta.storage_class != "STANDARD":
            result["StorageClass"] = meta.storage_class
        if bucket.versioning:
            result["VersionId"] = info.version_id
        if info.parts:
            result["PartsCount"] = info.parts
        return result


def _stored(value: Any) -> Any:
    """A request member as JSON can keep it (timestamps as ISO strings)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _checksum_member(algorithm: str) -> str:
    return {v: k for k, v in CHECKSUM_MEMBERS.items()}[algorithm.lower()]


def _deleted(key: str, requested_version: str, marker_version: str) -> Exception:
    """GET/HEAD of a delete marker: 404 NoSuchKey (latest) or 405 MethodNotAllowed (by version id)."""
    if requested_version:
        err = errors.method_not_allowed_on_delete_marker()
    else:
        err = errors.no_such_key(key)
    err.headers["x-amz-delete-marker"] = "true"
    err.headers["x-amz-version-id"] = marker_version
    return err


async def _stream(reader: Any, size: int) -> AsyncIterator[bytes]:
    offset = 0
    while offset < size:
        chunk = reader.read(offset, min(READ_CHUNK, size - offset))
        if not chunk:
            break
        offset += len(chunk)
        yield chunk
